#!/usr/bin/env -S deno run --allow-net --allow-read --allow-write --allow-sys=hostname --allow-env=TS_*,HOME,XDG_*,APPDATA,NO_COLOR,FORCE_COLOR,CLICOLOR_FORCE,HTTP*,ALL_PROXY,NO_PROXY,http*,all_proxy,no_proxy,UNDICI_*,JEST_WORKER_ID
/**
 * `bulk_run.ts`: launch plugins on every report of a CSV, exactly once.
 *
 *     bulk_run.ts reports.csv --plugin coverageAnalysis --concurrency 8 --wait
 *     status.ts runs.csv --failed --format csv | bulk_run.ts -
 *
 * @module
 */

import { type Command, Option } from "commander";
import { bulkRun, type BulkSummary, formatSummary } from "../lib/bulk/mod.ts";
import { defaultRegistryDir } from "../lib/claims/mod.ts";
import { UsageError } from "../lib/errors.ts";
import { parseRunRows, readInputText } from "../lib/run_rows.ts";
import { getRuns } from "../lib/api/mod.ts";
import { classifyState } from "../lib/states.ts";
import {
  addFormatOption,
  addGuardOptions,
  addWaitOptions,
  addWideOption,
  checkWritable,
  type Format,
  type GuardFlags,
  parseConfigFlag,
  parseDelimiter,
  parseDuration,
  rerunPolicy,
  resolveFormat,
  type WaitFlags,
  waitSettings,
  wholeNumber,
} from "./_cli/flags.ts";
import { rerunCommand, writeBulkClosing } from "./_cli/closing.ts";
import { resolveNames } from "./_cli/report_input.ts";
import { launchExitCode, RESULT_COLUMNS } from "./_cli/launch_report.ts";
import {
  addPacingOptions,
  confirmConcurrency,
  type PacingFlags,
  pacingOptions,
} from "./_cli/pacing.ts";
import { eprint, writeRows } from "./_cli/output.ts";
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
import { type CommandIO, denoIO, readInput } from "./_cli/io.ts";
import { Progress } from "./_cli/progress.ts";

interface Flags extends CommonFlags, GuardFlags, WaitFlags, PacingFlags {
  plugin?: string;
  config?: string;
  keyColumn?: string;
  delimiter?: string;
  skipInvalid?: boolean;
  concurrency: number;
  retries: number;
  maxFailures: number;
  journal?: string;
  newJob?: boolean;
  settle: number;
  summary?: string;
  dryRun?: boolean;
  format?: Format;
  wide?: boolean;
}

const HELP = `
Input: a CSV (header optional) with a report column (or report_key, result,
pk, id; --key-column), optional plugin and config (JSON object) columns; a
file of bare keys; report names (a report_name column, or names in the key
column: looked up exactly, a name shared by several reports refused); the
summary or journal of an earlier run. "-" reads standard input.

Every row is checked first, locally and on the server, and every problem is
listed as file:line: message (exit 2, nothing launched).

Exactly once: the input with these flags is one job, synced to its journal
(--journal, default <input>.journal.ndjson). The same command resumes it and
never launches a pair twice, nor one another job of yours on this machine
is launching. Pairs whose newest run is running or completed are skipped;
--rerun names what goes again: failed (default), cancelled, stale (running
longer than --stale-after), none; --force launches every pair.

Pacing: the plugin queue (1 slot on an S5, 2 on a tower) is the lab's. At
most --max-active of the job's runs are on it at once, and none is launched
while another user's run waits (--no-yield). A job estimated at more than a
day is asked about on stderr; off a terminal it needs --yes.

Configs: a row without one runs as planned (the server's config); a given
one replaces the plan's settings. Configs are never printed or journaled.

A launch whose answer was lost is never sent again: it is looked for, else
reported in doubt, and the same command settles it after --settle. Ctrl-C
stops new launches, writes the --summary and exits 130: run the same command
to resume. The README's "Bulk launches" explains each point in full.

Exit codes: 0 every row launched, skipped or (with --wait) completed;
1 some rows failed, are in doubt or were not started; 2 usage or invalid
input, nothing launched; 3 authentication failed; 130 interrupted.`;

/** Builds the command-line program of an invocation. */
export function program(
  run: Invocation = invocationOf("bulk_run.ts", []),
): Command {
  const { io } = run;
  const cmd = newProgram(
    run.name,
    "Launch plugins on every report listed in a CSV file, exactly once.",
    io,
  )
    .argument("<input>", 'CSV of report keys or names, or "-" for stdin')
    .option("--plugin <name>", "plugin for rows without a plugin column")
    .option(
      "--config <json>",
      "config for rows without one: JSON, @file.json, or previous (the pair's newest run's); replaces the plan's settings",
    )
    .option("--key-column <name>", "name of the report-key column")
    .option("--delimiter <char>", "field delimiter (default: detected)")
    .option("--skip-invalid", "launch the valid rows even if some are invalid")
    .option(
      "--concurrency <n>",
      "launches in flight at once",
      wholeNumber("--concurrency", 1),
      4,
    )
    .option(
      "--retries <n>",
      "retries of a transient failure",
      wholeNumber("--retries"),
      3,
    )
    .option(
      "--max-failures <n>",
      "--rerun failed relaunches a pair only if it failed fewer times than this",
      wholeNumber("--max-failures", 1),
      2,
    )
    .option(
      "--journal <path>",
      "journal file (default: <input>.journal.ndjson)",
    )
    .option(
      "--summary <path>",
      "write one row per input row to a .csv or .json",
    )
    .option("--new-job", "start the job over (the old journal is kept aside)")
    .addOption(
      new Option(
        "--settle <duration>",
        "how long a launch whose answer was lost may still create its run",
      ).argParser(parseDuration("--settle")).default(600_000, "10m"),
    )
    .option("--dry-run", "check and print the plan; launch nothing")
    .addHelpText("after", HELP)
    .action(async (input: string, _opts, command: Command) => {
      run.exitCode = await bulk(run, input, command.opts<Flags>());
    });
  addGuardOptions(cmd);
  addPacingOptions(cmd);
  addWaitOptions(cmd, "launched runs");
  return addWideOption(addFormatOption(cmd));
}

async function bulk(
  run: Invocation,
  input: string,
  flags: Flags,
): Promise<number> {
  const { io } = run;
  if (flags.summary && !/\.(csv|json)$/i.test(flags.summary)) {
    throw new UsageError("--summary must name a .csv or .json file");
  }
  if (flags.summary) await checkWritable(flags.summary, "--summary");
  if (!confirmConcurrency(flags.concurrency, flags, io)) {
    eprint(io, "nothing launched");
    return EXIT.usage;
  }
  const previous = flags.config === "previous";
  const config = previous ? undefined : await parseConfigFlag(flags.config);
  const text = await readInput(io, input, readInputText);
  const parsed = parseRunRows(text, {
    file: input,
    ...(flags.keyColumn !== undefined ? { keyColumn: flags.keyColumn } : {}),
    ...(flags.delimiter !== undefined
      ? { delimiter: parseDelimiter(flags.delimiter) }
      : {}),
    ...(flags.plugin !== undefined ? { plugin: flags.plugin } : {}),
    ...(config !== undefined ? { config } : {}),
    names: true,
  });
  // An empty input and a header alone are alike: nothing to launch (the
  // rerun pipe, status --failed | bulk-run -, when nothing failed).
  if (
    parsed.rows.length === 0 && parsed.named?.length === 0 &&
    parsed.problems.every((p) => p.message === "no report keys found")
  ) {
    eprint(io, `${input}: no report keys: nothing to launch`);
    writeRows(io, [], RESULT_COLUMNS, resolveFormat(flags.format, io.stdout));
    return EXIT.ok;
  }
  const journal = flags.dryRun ? undefined : flags.journal ??
    (input === "-"
      ? "bulk_run-stdin.journal.ndjson"
      : `${input}.journal.ndjson`);
  if (journal) await checkWritable(journal, "--journal");
  const progress = new Progress({ io });
  const client = await clientFromFlags(
    flags,
    { onRetry: progress.readRetry },
    io,
  );
  let summary: BulkSummary;
  let failedSince = 0;
  try {
    if (journal) eprint(io, `journal: ${journal}`);
    const resolved = await resolveNames(io, client, parsed, input);
    summary = await withInterrupt((signal) =>
      bulkRun(client, resolved.rows, {
        file: input,
        problems: resolved.problems,
        skipInvalid: flags.skipInvalid ?? false,
        policy: rerunPolicy(flags),
        staleAfterMs: flags.staleAfter,
        maxFailures: flags.maxFailures,
        concurrency: flags.concurrency,
        ...pacingOptions(flags, io, () => progress.clear()),
        configFrom: previous ? "previous" : "server",
        retries: flags.retries,
        dryRun: flags.dryRun ?? false,
        ...(journal ? { journal } : {}),
        newJob: flags.newJob ?? false,
        registry: defaultRegistryDir(io.env),
        settleMs: flags.settle,
        ...waitSettings(flags),
        signal,
        onEvent: progress.handle,
      }), io);
    if (summary.finished) {
      // How the job's runs ended since: one batched look-up.
      const ids = summary.results.flatMap((r) => r.run ?? []);
      const runs = await getRuns(client, ids);
      failedSince = [...runs.values()].filter((r) =>
        classifyState(r.state) === "failed"
      ).length;
    }
  } finally {
    progress.finish();
    await client.close();
  }

  // The summary file first: after an ssh drop stdout may be gone.
  if (flags.summary) {
    const format = flags.summary.toLowerCase().endsWith(".json")
      ? "json"
      : "csv";
    await Deno.writeTextFile(
      flags.summary,
      formatSummary(summary.results, format),
    );
  }
  if (summary.declined) {
    // One line, not a row per row that was not launched.
    eprint(
      io,
      `nothing launched: the job of ${summary.results.length} row(s) was not confirmed (--yes starts it without asking)`,
    );
    return EXIT.usage;
  }
  writeRows(
    io,
    summary.results,
    RESULT_COLUMNS,
    resolveFormat(flags.format, io.stdout),
    { wide: flags.wide ?? false },
  );
  if (summary.finished) {
    const f = summary.finished;
    eprint(
      io,
      `this job finished at ${f.at}: ${f.counts.launched ?? 0} launched${
        failedSince ? `, ${failedSince} failed since` : ""
      }; nothing was launched now.`,
    );
    eprint(
      io,
      `rerun the failed ones with: ${
        rerunCommand([journal!], { ionrun: io.ionrun })
      }; or start this job over with --new-job`,
    );
    return EXIT.ok;
  }
  const c = summary.counts;
  const parts = Object.entries(c).filter(([, n]) => n > 0).map(([k, n]) =>
    `${n} ${k}`
  );
  const warned = summary.results.filter((r) => r.warnings?.length);
  if (flags.dryRun) {
    const failing = summary.results.filter((r) =>
      r.warnings?.some((w) =>
        /will fail validation/.test(w)
      )
    ).length;
    eprint(
      io,
      `plan: ${summary.results.length} row(s): ${
        parts.join(", ") || "nothing to do"
      }${
        failing
          ? `; ${failing} will fail validation (no config for a plugin that requires one: --config or a config column)`
          : ""
      }${flags.summary ? `; details in ${flags.summary}` : ""}`,
    );
  }
  for (const r of warned.slice(0, 10)) {
    eprint(io, `warning: ${input}:${r.line}: ${r.warnings!.join("; ")}`);
  }
  if (warned.length > 10) {
    eprint(
      io,
      `warning: … and ${warned.length - 10} more row(s) with warnings${
        flags.summary
          ? ` (see ${flags.summary})`
          : " (--summary lists them all)"
      }`,
    );
  }
  if (flags.dryRun) return launchExitCode(summary);
  const notes: string[] = [];
  if (summary.resumed) {
    notes.push(
      `${summary.resumed} pair(s) launched by an earlier invocation of this job`,
    );
  }
  if (summary.duplicates > 0) {
    notes.push(
      `${summary.duplicates} pair(s) show two new runs: launched twice (see their message)`,
    );
  }
  if (summary.counts["in-doubt"] > 0 && summary.settleAfter) {
    notes.push(
      `in doubt: sent, answer lost, no run on the server yet: settled by the same command ${
        Date.parse(summary.settleAfter) <= Date.now()
          ? "run again now"
          : `after ${summary.settleAfter}`
      }`,
    );
  }
  const heldBack = summary.results.filter((r) =>
    r.outcome === "skipped" &&
    /^failed \d+ times: read the log/.test(r.message)
  ).length;
  if (heldBack > 0) {
    notes.push(
      `held back: ${heldBack} pair(s) failed ${flags.maxFailures} times or more and were not relaunched (read their log: status --failed --log; --max-failures to allow more)`,
    );
  }
  if (summary.stoppedBy) notes.push(`stopped: ${summary.stoppedBy.message}`);
  if (summary.serverDown) {
    notes.push(
      `stopped launching: ${summary.serverDown}; the rest is not started: run the same command again when the server answers`,
    );
  }
  if (summary.interrupted) {
    notes.push(
      "interrupted: run the same command again to resume (launched pairs are not launched twice)",
    );
  }
  if (flags.summary) notes.push(`details in ${flags.summary}`);
  writeBulkClosing(summary.results, {
    journal,
    args: run.args,
    pendingAfterWait: summary.pendingAfterWait,
    staleAfterWait: summary.staleAfterWait,
    duplicates: summary.duplicates,
    notes,
    ionrun: io.ionrun ?? false,
  }, io);
  return launchExitCode(summary);
}

/**
 * Runs the command with the given arguments; returns the exit code.
 *
 * @param args The arguments after the command's name.
 * @param io Streams, environment and terminal (default the real ones);
 *   `io.ionrun` when started as `ionrun bulk-run`.
 */
export async function main(
  args: string[],
  io: CommandIO = denoIO,
): Promise<number> {
  const run = invocationOf("bulk_run.ts", args, io);
  return await runMain(program(run), run);
}

if (import.meta.main) Deno.exitCode = await main(Deno.args);
