#!/usr/bin/env -S deno run --allow-net --allow-read --allow-write --allow-sys=hostname --allow-env=TS_*,HOME,XDG_*,NO_COLOR,FORCE_COLOR,CLICOLOR_FORCE,HTTP*,ALL_PROXY,NO_PROXY,http*,all_proxy,no_proxy,UNDICI_*,JEST_WORKER_ID
/**
 * `status.ts`: the newest run of each (report, plugin) pair; follow, stop,
 * or publish them as an HTML page.
 *
 *     status.ts runs.csv --plugin coverageAnalysis
 *     status.ts --report 1234 --report 1235
 *     status.ts runs.csv --failed --format csv | bulk_run.ts -
 *     status.ts runs.csv --html status.html
 *
 * @module
 */

import type { Command } from "commander";
import type { TsClient } from "../lib/client.ts";
import { InputError, UsageError } from "../lib/errors.ts";
import { readRunRows } from "../lib/run_rows.ts";
import { pairKey, waitForRuns } from "../lib/runs.ts";
import { countStates } from "../lib/states.ts";
import {
  type PairStatus,
  pairStatus,
  pairStatuses,
  stopRuns,
} from "../lib/status.ts";
import { renderStatusPage } from "../lib/status_page.ts";
import {
  addFormatOption,
  addWaitOptions,
  type Format,
  resolveFormat,
  type WaitFlags,
  wholeNumber,
} from "./_cli/flags.ts";
import { type Column, eprint, writeRows } from "./_cli/output.ts";
import {
  clientFromFlags,
  type CommonFlags,
  EXIT,
  newProgram,
  runMain,
} from "./_cli/program.ts";
import { Progress } from "./_cli/progress.ts";

interface Flags extends CommonFlags, WaitFlags {
  plugin: string[];
  report: number[];
  failed?: boolean;
  stop?: boolean;
  yes?: boolean;
  dryRun?: boolean;
  html?: string;
  format?: Format;
}

const COLUMNS: Column<PairStatus>[] = [
  { name: "report", value: (s) => s.report, right: true },
  { name: "plugin", value: (s) => s.plugin },
  { name: "state", value: (s) => s.state ?? "never run" },
  { name: "plugin_result_id", value: (s) => s.id, right: true },
  { name: "started", value: (s) => s.starttime },
  { name: "ended", value: (s) => s.endtime },
  { name: "duration_s", value: (s) => s.durationSeconds, right: true },
  { name: "url", value: (s) => s.url },
  {
    name: "validation_errors",
    value: (s) => s.validationErrors.join("; "),
    maxWidth: 60,
  },
  { name: "report_name", value: (s) => s.reportName, maxWidth: 40 },
];

const HELP = `
Input: the same CSV forms as bulk_run.ts (a bulk_run journal or summary works
too), or --report KEY (repeatable). Plugins: --plugin NAME (repeatable), else
the input's plugin column, else every plugin that ran on those reports.

--failed prints only failed pairs; as CSV it is bulk_run.ts input, so
"rerun what failed" is one pipe:
  status.ts runs.csv --failed --format csv | bulk_run.ts -

--stop stops the running runs among the selection (never finished ones);
it asks first on a terminal; use --yes otherwise, --dry-run to preview.

Exit codes: 0 done; 1 with --wait, some runs failed or still run;
2 usage or invalid input; 3 authentication failed.`;

/** Builds the command-line program. */
export function program(): Command {
  const cmd = newProgram(
    "status.ts",
    "Show the newest plugin run of each (report, plugin) pair.",
  )
    .argument("[input]", 'CSV of report keys, or "-" for standard input')
    .option("--plugin <name>", "plugin to show (repeatable)", collect, [])
    .option("--report <key>", "report key (repeatable)", collectKey, [])
    .option("--failed", "only failed pairs (CSV of them feeds bulk_run.ts)")
    .option("--stop", "stop the running runs among the selection")
    .option("--yes", "with --stop: do not ask for confirmation")
    .option("--dry-run", "with --stop: show what would be stopped")
    .option("--html <file>", "also write a self-contained HTML status page")
    .addHelpText("after", HELP)
    .action(async (input: string | undefined, _o, command: Command) => {
      Deno.exitCode = await run(input, command.opts<Flags>());
    });
  addWaitOptions(cmd, "running runs");
  return addFormatOption(cmd);
}

async function run(input: string | undefined, flags: Flags): Promise<number> {
  if (input === undefined && flags.report.length === 0) {
    throw new UsageError("give a CSV file (or -) or at least one --report KEY");
  }
  const reports = [...flags.report];
  const wantedPairs = new Set<string>();
  let plugins = [...flags.plugin];
  if (input !== undefined) {
    const parsed = await readRunRows(input, { requirePlugin: false });
    if (parsed.problems.length > 0) {
      throw new InputError(parsed.problems);
    }
    for (const row of parsed.rows) {
      reports.push(row.report);
      if (row.plugin) wantedPairs.add(pairKey(row.report, row.plugin));
    }
    if (plugins.length === 0) {
      plugins = [...new Set(parsed.rows.flatMap((r) => r.plugin ?? []))];
    }
  }
  const exactPairs = flags.plugin.length === 0 && wantedPairs.size > 0;

  const client = await clientFromFlags(flags);
  try {
    let statuses = await pairStatuses(client, { reports, plugins });
    if (exactPairs) {
      statuses = statuses.filter((s) =>
        wantedPairs.has(pairKey(s.report, s.plugin))
      );
    }
    let code: number = EXIT.ok;
    if (flags.wait) {
      statuses = await follow(client, statuses, flags);
      if (statuses.some((s) => s.stateClass !== "completed")) {
        code = EXIT.failed;
      }
    }
    if (flags.stop) return await stop(client, statuses, flags);

    const shown = flags.failed
      ? statuses.filter((s) => s.stateClass === "failed")
      : statuses;
    writeRows(shown, COLUMNS, resolveFormat(flags.format));
    eprint(countLine(statuses));
    if (flags.html) {
      await Deno.writeTextFile(
        flags.html,
        renderStatusPage({
          server: client.baseUrl,
          generatedAt: new Date(client.now()),
          statuses,
        }),
      );
      eprint(`status page written to ${flags.html}`);
    }
    return code;
  } finally {
    client.close();
  }
}

async function follow(
  client: TsClient,
  statuses: PairStatus[],
  flags: Flags,
): Promise<PairStatus[]> {
  const running = statuses.filter((s) => s.stateClass === "running");
  if (running.length === 0) return statuses;
  const progress = new Progress();
  progress.handle({ type: "phase", phase: "wait", total: running.length });
  const { runs } = await waitForRuns(client, running.map((s) => s.id!), {
    timeoutMs: flags.timeout,
    pollMs: flags.poll * 1000,
    onPoll: (seen) =>
      progress.handle({ type: "wait", ...countStates(seen.values()) }),
    onPollError: (message) =>
      progress.handle({
        type: "warning",
        message: `status check failed, still waiting: ${message}`,
      }),
  });
  progress.finish();
  return statuses.map((s) => {
    const run = s.id === null ? undefined : runs.get(s.id);
    return run ? pairStatus(client, { ...s, run }) : s;
  });
}

async function stop(
  client: TsClient,
  statuses: PairStatus[],
  flags: Flags,
): Promise<number> {
  const running = statuses.filter((s) => s.stateClass === "running");
  if (running.length === 0) {
    eprint("nothing to stop: no selected run is running");
    return EXIT.ok;
  }
  if (!flags.dryRun && !flags.yes) {
    if (!Deno.stdin.isTerminal()) {
      throw new UsageError(
        `refusing to stop ${running.length} run(s) without confirmation: pass --yes (or --dry-run to preview)`,
      );
    }
    if (!confirm(`Stop ${running.length} running run(s)?`)) {
      eprint("nothing stopped");
      return EXIT.ok;
    }
  }
  const result = await stopRuns(client, running.map((s) => s.id!), {
    dryRun: flags.dryRun ?? false,
  });
  const verb = flags.dryRun ? "would stop" : "stopped";
  const byId = new Map(running.map((s) => [s.id!, s]));
  const rows = [
    ...result.stopped.map((id) => ({ ...byId.get(id)!, action: verb })),
    ...result.finished.map((f) => ({
      ...byId.get(f.id)!,
      state: f.state,
      action: `left alone: already ${f.state}`,
    })),
    ...result.missing.map((id) => ({
      ...byId.get(id)!,
      action: "not found on the server",
    })),
  ];
  writeRows(rows, [
    { name: "report", value: (s) => s.report, right: true },
    { name: "plugin", value: (s) => s.plugin },
    { name: "plugin_result_id", value: (s) => s.id, right: true },
    { name: "action", value: (s) => s.action },
  ], resolveFormat(flags.format));
  eprint(
    `${result.stopped.length} run(s) ${verb}; ${result.finished.length} already finished`,
  );
  return EXIT.ok;
}

function countLine(statuses: PairStatus[]): string {
  const counts = new Map<string, number>();
  for (const s of statuses) {
    const k = s.state ?? "never run";
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  const parts = [...counts].sort((a, b) => b[1] - a[1]).map(([k, n]) =>
    `${n} ${k}`
  );
  return `${statuses.length} pair(s): ${parts.join(", ") || "none"}`;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function collectKey(value: string, previous: number[]): number[] {
  return [...previous, wholeNumber("--report", 1)(value)];
}

/** Runs the script with the given arguments; returns the exit code. */
export function main(args: string[]): Promise<number> {
  return runMain(program(), args);
}

if (import.meta.main) {
  Deno.exitCode = await main(Deno.args);
}
