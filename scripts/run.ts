#!/usr/bin/env -S deno run --allow-net --allow-read --allow-write --allow-sys=hostname --allow-env=TS_*,HOME,XDG_*,APPDATA,NO_COLOR,FORCE_COLOR,CLICOLOR_FORCE,HTTP*,ALL_PROXY,NO_PROXY,http*,all_proxy,no_proxy,UNDICI_*,JEST_WORKER_ID
/**
 * `run.ts`: launch one plugin on one or more reports.
 *
 *     run.ts coverageAnalysis 1234
 *     run.ts variantCaller 1234 1235 --config @vc.json --wait --timeout 2h
 *
 * @module
 */

import { type Command, Option } from "commander";
import { bulkRun } from "../lib/bulk/mod.ts";
import { defaultRegistryDir } from "../lib/claims/mod.ts";
import { InputError, type RowProblem, UsageError } from "../lib/errors.ts";
import {
  keyProblem,
  looksLikeName,
  type NamedRow,
  type RunRow,
} from "../lib/run_rows.ts";
import { resolveNames } from "./_cli/report_input.ts";
import {
  addFormatOption,
  addGuardOptions,
  addWaitOptions,
  addWideOption,
  type Format,
  type GuardFlags,
  parseConfigFlag,
  parseDuration,
  rerunPolicy,
  resolveFormat,
  type WaitFlags,
  waitSettings,
} from "./_cli/flags.ts";
import { launchExitCode, RESULT_COLUMNS } from "./_cli/launch_report.ts";
import { eprint, writeRows } from "./_cli/output.ts";
import {
  addPacingOptions,
  type PacingFlags,
  pacingOptions,
} from "./_cli/pacing.ts";
import {
  clientFromFlags,
  type CommonFlags,
  EXIT,
  type Invocation,
  invocationOf,
  newProgram,
  runMain,
  withInterrupt,
} from "./_cli/program.ts";
import { type CommandIO, denoIO } from "./_cli/io.ts";
import { Progress } from "./_cli/progress.ts";

interface Flags extends CommonFlags, GuardFlags, WaitFlags, PacingFlags {
  plugin?: string;
  report?: string[];
  config?: string;
  settle: number;
  dryRun?: boolean;
  format?: Format;
  wide?: boolean;
}

const HELP = `
The server starts a new run for every launch request, even while one is
running, so run.ts first looks at each report's newest run of the plugin:
never run: launched; running or completed: skipped; otherwise --rerun names
the classes to launch again (failed, the default; cancelled; stale; none),
and --force launches anyway.
Every report is checked before any is launched: one that does not exist (or
a plugin that cannot run) launches nothing and exits 2. Like bulk_run.ts, a
pair another launcher on this machine is launching (or launched less than
--settle ago) is skipped, and a launch whose answer was lost is not resent:
it is looked for on the server and otherwise reported in doubt.

Without --config, the server runs the plugin with its global config, else
the report's plan settings ("as planned"); a given --config replaces them
(it is not merged); --config previous reuses the pair's newest run's. At
most --max-active (default 2) of these runs are queued or running at once:
the plugin queue has 1 or 2 slots, shared with the lab's sequencing runs.
Reports still being analysed or whose analysis failed, and thumbnails of
full reports, are skipped (--include-unfinished, --include-thumbnails).

Exit codes: 0 launched or skipped (with --wait: completed); 1 some failed;
2 usage or invalid input; 3 authentication failed; 130 interrupted.`;

/** Builds the command-line program of an invocation. */
export function program(run: Invocation = invocationOf("run.ts", [])): Command {
  const { io } = run;
  const cmd = newProgram(
    run.name,
    "Launch a plugin on one or more reports.",
    io,
  )
    .argument(
      "[plugin]",
      "plugin name (case-sensitive), e.g. coverageAnalysis (or --plugin)",
    )
    .argument(
      "[report...]",
      "report keys (or report names; or --report)",
    )
    .option("--plugin <name>", "the plugin (as bulk-run and status take it)")
    .addOption(
      new Option("--report <key>", "a report key (repeatable)").argParser(
        (v: string, all: string[] = []) => [...all, v],
      ),
    )
    .option(
      "--config <json>",
      "plugin config: a JSON object, @file.json, or previous; replaces the plan's settings",
    )
    .option("--dry-run", "show what would be launched; launch nothing")
    .addOption(
      new Option(
        "--settle <duration>",
        "how long a launch whose answer was lost may still create its run",
      ).argParser(parseDuration("--settle")).default(600_000, "10m"),
    )
    .addHelpText("after", HELP)
    .action(
      async (
        first: string | undefined,
        rest: string[],
        _o,
        command: Command,
      ) => {
        const flags = command.opts<Flags>();
        // `run igv 100`, `run --plugin igv 100`, `run --plugin igv --report 100`.
        const positional = first === undefined ? rest : [first, ...rest];
        const plugin = flags.plugin ?? positional.shift();
        const reports = [...positional, ...(flags.report ?? [])];
        if (plugin === undefined) {
          throw new UsageError(
            "no plugin: give it first (run.ts igv 100) or as --plugin NAME",
          );
        }
        if (reports.length === 0) {
          throw new UsageError(
            "no report: give report keys after the plugin or as --report KEY",
          );
        }
        run.exitCode = await launch(io, plugin, reports, flags);
      },
    );
  addGuardOptions(cmd);
  addPacingOptions(cmd);
  addWaitOptions(cmd, "the runs");
  return addWideOption(addFormatOption(cmd));
}

async function launch(
  io: CommandIO,
  plugin: string,
  reports: string[],
  flags: Flags,
): Promise<number> {
  const previous = flags.config === "previous";
  const config = previous
    ? null
    : (await parseConfigFlag(flags.config)) ?? null;
  const problems: RowProblem[] = [];
  const rows: RunRow[] = [];
  const named: NamedRow[] = [];
  reports.forEach((key, i) => {
    const line = i + 1;
    if (looksLikeName(key)) named.push({ line, name: key, plugin, config });
    else if (!/^\d+$/.test(key) || Number(key) < 1) {
      problems.push({
        file: "arguments",
        line,
        message: keyProblem(key),
      });
    } else rows.push({ line, report: Number(key), plugin, config });
  });
  if (problems.length > 0) throw new InputError(problems);

  const client = await clientFromFlags(flags, {}, io);
  const progress = new Progress({ quiet: true, io });
  try {
    // Names are looked up before anything launches; one unknown or shared
    // name is a problem that launches nothing (all or nothing).
    const resolved = await resolveNames(
      io,
      client,
      { rows, problems, named },
      "arguments",
    );
    const summary = await withInterrupt(
      (signal) =>
        bulkRun(client, resolved.rows, {
          file: "arguments",
          problems: resolved.problems,
          skipInvalid: false, // all or nothing: exit 2 means nothing launched
          policy: rerunPolicy(flags),
          staleAfterMs: flags.staleAfter,
          concurrency: 4,
          ...pacingOptions(flags, io, () => progress.clear()),
          configFrom: previous ? "previous" : "server",
          registry: defaultRegistryDir(io.env),
          settleMs: flags.settle,
          dryRun: flags.dryRun ?? false,
          ...waitSettings(flags),
          signal,
          onEvent: progress.handle,
        }),
      io,
    );
    progress.finish();
    if (summary.declined) {
      eprint(
        io,
        `nothing launched: not confirmed (--yes starts it without asking)`,
      );
      return EXIT.usage;
    }
    const columns = RESULT_COLUMNS.filter((c) => c.name !== "line");
    writeRows(
      io,
      summary.results,
      columns,
      resolveFormat(flags.format, io.stdout),
      { wide: flags.wide ?? false },
    );
    for (const r of summary.results) {
      if (["failed", "invalid", "in-doubt"].includes(r.outcome)) {
        eprint(io, `report ${r.report}: ${r.outcome}: ${r.message}`);
      }
      for (const w of r.warnings ?? []) {
        eprint(io, `report ${r.report}: warning: ${w}`);
      }
    }
    if (summary.stoppedBy) eprint(io, `stopped: ${summary.stoppedBy.message}`);
    if (summary.serverDown) {
      eprint(io, `stopped launching: ${summary.serverDown}`);
    }
    return launchExitCode(summary);
  } finally {
    progress.finish();
    await client.close();
  }
}

/**
 * Runs the command with the given arguments; returns the exit code.
 *
 * @param args The arguments after the command's name.
 * @param io Streams, environment and terminal (default the real ones);
 *   `io.ionrun` when started as `ionrun run`.
 */
export async function main(
  args: string[],
  io: CommandIO = denoIO,
): Promise<number> {
  const run = invocationOf("run.ts", args, io);
  return await runMain(program(run), run);
}

if (import.meta.main) Deno.exitCode = await main(Deno.args);
