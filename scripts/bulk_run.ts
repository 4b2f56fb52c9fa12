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
Input: a CSV (header optional) with a report-key column named report (or
report_key, result, pk, id; --key-column names another), an optional plugin
column and an optional config column (a JSON object). A file of bare keys,
one per line, works; so do ; or tab delimiters, a BOM, CRLF, and the summary
CSV or journal of an earlier run. "-" reads standard input.

Every row is checked before anything is launched, locally and on the
server (reports exist, plugins are launchable), and every problem is listed
at once as file:line: message (exit 2, nothing launched). A (report, plugin)
pair is launched at most once per input.

Configs: a row without one is launched with none, and the server uses the
plugin's global config, else the report's plan settings ("as planned"),
else nothing; the plan and the summary say which (config_source), and warn
when a plugin requires a configuration and the server has none for that
report. A given config (config column or --config) REPLACES the plan's
settings, it is not merged with them. --config previous reuses the config
of the pair's newest run. Configs are never printed, journaled or written
to the summary; messages are redacted (keys like password, token, secret,
api_key; more with --redact KEY).

Reports: those still being analysed or whose analysis ended in error are
skipped with their status (--include-unfinished launches on them); a
thumbnail report is skipped when its full report exists
(--include-thumbnails).

Pacing: the plugin queue has 1 slot (S5) or 2 (towers), shared with the
plugins of every new sequencing run. At most --max-active (default 2) of
this job's runs are queued or running at once, counting this user's other
jobs on this machine and server; the next is launched as one finishes.
--max-active 0 removes the limit. The plan estimates the job's time from the
plugin's recent runs, and asks (on stderr) before a job of more than a
day; off a terminal such a job is refused unless --yes. A job that lasts
days: run it in tmux or screen, or under nohup with --yes; after an ssh
drop, the same command resumes it.

Duplicate guard (the server itself starts a new run for every request):
pairs never run are launched; pairs whose newest run is running or completed
are skipped; --rerun names the other classes to launch again:
  --rerun failed     (default) the newest run failed (Error, Failed
                     Validation, Timed Out, ...)
  --rerun cancelled  a user stopped it
  --rerun stale      Started (or Queued since our launch) longer than
                     --stale-after (default 25h): its job is gone, and
                     Torrent Suite never sweeps such runs
  --rerun none       only pairs never run; a list: --rerun failed,stale
  --force            launch every pair, even one running or completed

A job and its journal: the input's rows with these flags are one job,
recorded (synced to disk) in its journal, by default <input>.journal.ndjson.
The same command on the same input resumes the job: what it launched is
never launched again, whatever its run's state now. Once the job has
finished, the same command says so and launches nothing (--new-job starts
over, keeping the old journal beside it); a changed input is a new job. Only
one process at a time works on a journal.

What is guaranteed: on one machine (and others sharing the home folder),
a (server, report, plugin) pair is launched once: launchers claim each pair
in the registry of the user's cache folder first, and a pair being launched,
or launched in the last --settle window, by another job is skipped. Across
machines with separate home folders, claims are not shared: each refreshes
its view of the server right before launching (older than 5 s), which
narrows the window but cannot close it.

A launch whose answer is lost (timeout, dropped connection, 5xx, a broken
answer) may still create its run, even minutes later: it is never sent
again by this invocation. It is looked for on the server for a while; if no
run shows, it is reported in-doubt (exit 1) and the same command, after the
settle window (--settle, default 10m) since the launch, launches it only if
the server still shows no run.

Ctrl-C, SIGTERM and SIGHUP stop new launches; those in flight are settled
and journaled, the summary is written, and it exits 130: run the same
command to resume. When the server stops answering, no new launch is
started: the rest is not-started, for the same command to do later.

Exit codes: 0 every row launched, skipped or (with --wait) completed;
1 some rows failed, are in doubt or were not started, or rows were refused
beside launched ones; 2 usage or invalid input, nothing launched;
3 authentication failed; 130 interrupted.`;

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
    .argument("<input>", 'CSV file of report keys, or "-" for standard input')
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
  });
  // An empty input and a header alone are alike: nothing to launch (the
  // rerun pipe, status --failed | bulk-run -, when nothing failed).
  if (
    parsed.rows.length === 0 &&
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
    summary = await withInterrupt((signal) =>
      bulkRun(client, parsed.rows, {
        file: input,
        problems: parsed.problems,
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
