#!/usr/bin/env -S deno run --allow-net --allow-read --allow-write --allow-env=TS_*,NO_COLOR,FORCE_COLOR,CLICOLOR_FORCE,HTTP_PROXY,HTTPS_PROXY,ALL_PROXY,NO_PROXY,http_proxy,https_proxy,all_proxy,no_proxy,UNDICI_*,JEST_WORKER_ID
/**
 * `bulk_run.ts`: launch plugins on every report of a CSV, exactly once.
 *
 *     bulk_run.ts reports.csv --plugin coverageAnalysis --concurrency 8 --wait
 *     status.ts runs.csv --failed --format csv | bulk_run.ts -
 *
 * @module
 */

import type { Command } from "commander";
import { bulkRun } from "../lib/bulk_run.ts";
import { UsageError } from "../lib/errors.ts";
import { readRunRows } from "../lib/run_rows.ts";
import { type BulkSummary, formatSummary } from "../lib/summary.ts";
import {
  addFormatOption,
  addGuardOptions,
  addWaitOptions,
  type Format,
  type GuardFlags,
  parseConfigFlag,
  parseDelimiter,
  rerunPolicy,
  resolveFormat,
  type WaitFlags,
  waitSettings,
  wholeNumber,
} from "./_cli/flags.ts";
import { launchExitCode, RESULT_COLUMNS } from "./_cli/launch_report.ts";
import { eprint, writeRows } from "./_cli/output.ts";
import {
  clientFromFlags,
  type CommonFlags,
  newProgram,
  runMain,
  withInterrupt,
} from "./_cli/program.ts";
import { Progress } from "./_cli/progress.ts";

interface Flags extends CommonFlags, GuardFlags, WaitFlags {
  plugin?: string;
  config?: string;
  keyColumn?: string;
  delimiter?: string;
  skipInvalid?: boolean;
  concurrency: number;
  retries: number;
  journal?: string;
  summary?: string;
  dryRun?: boolean;
  format?: Format;
}

const HELP = `
Input: a CSV (header optional) with a report-key column named report (or
report_key, result, pk, id; --key-column names another), an optional plugin
column and an optional config column (a JSON object). A file of bare keys,
one per line, works; so do ; or tab delimiters, a BOM, CRLF, and the summary
CSV or journal of an earlier run. "-" reads standard input.

Every row is checked before anything is launched (exit 2 on any problem,
reported as file:line: message), then the server: reports exist, plugins are
launchable. A (report, plugin) pair is launched at most once per input.

Duplicate guard (the server itself starts a new run for every request):
  --rerun failed   (default) launch pairs never run or whose newest run failed
  --rerun missing  launch only pairs never run
  --force          launch every pair, even if running or completed

Journal: every launch is recorded (synced to disk) in the journal, by default
<input>.journal.ndjson. Running the same command again after a crash, kill or
Ctrl-C resumes: pairs already launched are not launched again, pairs whose
launch was in flight are checked on the server. Ctrl-C stops new launches,
lets those in flight finish, and exits 130. When the server stops answering
(launch after launch failing after retries), no new launch is started: the
rest is listed as not-started, for the same command to do later.

Exit codes: 0 every row launched, skipped or (with --wait) completed;
1 some rows failed or were not started; 2 usage or invalid input;
3 authentication failed; 130 interrupted.`;

/** Builds the command-line program. */
export function program(): Command {
  const cmd = newProgram(
    "bulk_run.ts",
    "Launch plugins on every report listed in a CSV file, exactly once.",
  )
    .argument("<input>", 'CSV file of report keys, or "-" for standard input')
    .option("--plugin <name>", "plugin for rows without a plugin column")
    .option(
      "--config <json>",
      "config for rows without one: JSON or @file.json",
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
      "--journal <path>",
      "journal file (default: <input>.journal.ndjson)",
    )
    .option(
      "--summary <path>",
      "write one row per input row to a .csv or .json",
    )
    .option("--dry-run", "check and print the plan; launch nothing")
    .addHelpText("after", HELP)
    .action(async (input: string, _opts, command: Command) => {
      Deno.exitCode = await run(input, command.opts<Flags>());
    });
  addGuardOptions(cmd);
  addWaitOptions(cmd, "launched runs");
  return addFormatOption(cmd);
}

async function run(input: string, flags: Flags): Promise<number> {
  if (flags.summary && !/\.(csv|json)$/i.test(flags.summary)) {
    throw new UsageError("--summary must name a .csv or .json file");
  }
  const config = await parseConfigFlag(flags.config);
  const parsed = await readRunRows(input, {
    ...(flags.keyColumn !== undefined ? { keyColumn: flags.keyColumn } : {}),
    ...(flags.delimiter !== undefined
      ? { delimiter: parseDelimiter(flags.delimiter) }
      : {}),
    ...(flags.plugin !== undefined ? { plugin: flags.plugin } : {}),
    ...(config !== undefined ? { config } : {}),
  });
  const file = input === "-" ? "-" : input;
  const journal = flags.dryRun ? undefined : flags.journal ??
    (input === "-"
      ? "bulk_run-stdin.journal.ndjson"
      : `${input}.journal.ndjson`);
  const client = await clientFromFlags(flags);
  const progress = new Progress();
  let summary: BulkSummary;
  try {
    if (journal) eprint(`journal: ${journal}`);
    summary = await withInterrupt((signal) =>
      bulkRun(client, parsed.rows, {
        file,
        problems: parsed.problems,
        skipInvalid: flags.skipInvalid ?? false,
        policy: rerunPolicy(flags),
        concurrency: flags.concurrency,
        retries: flags.retries,
        dryRun: flags.dryRun ?? false,
        ...(journal ? { journal } : {}),
        ...waitSettings(flags),
        signal,
        onEvent: progress.handle,
      })
    );
  } finally {
    progress.finish();
    client.close();
  }

  writeRows(summary.results, RESULT_COLUMNS, resolveFormat(flags.format));
  if (flags.summary) {
    const format = flags.summary.toLowerCase().endsWith(".json")
      ? "json"
      : "csv";
    await Deno.writeTextFile(
      flags.summary,
      formatSummary(summary.results, format),
    );
  }
  const c = summary.counts;
  const parts = Object.entries(c).filter(([, n]) => n > 0).map(([k, n]) =>
    `${n} ${k}`
  );
  eprint(
    `${flags.dryRun ? "plan" : "summary"}: ${summary.results.length} row(s): ${
      parts.join(", ") || "nothing to do"
    }${
      summary.resumed ? ` (${summary.resumed} from the interrupted run)` : ""
    }${flags.summary ? `; details in ${flags.summary}` : ""}`,
  );
  if (summary.pendingAfterWait > 0) {
    eprint(
      `${summary.pendingAfterWait} run(s) still running when --timeout passed`,
    );
  }
  if (summary.interrupted) {
    eprint(
      "interrupted: run the same command again to resume (launched pairs are not launched twice)",
    );
  }
  return launchExitCode(summary);
}

/** Runs the script with the given arguments; returns the exit code. */
export function main(args: string[]): Promise<number> {
  return runMain(program(), args);
}

if (import.meta.main) {
  Deno.exitCode = await main(Deno.args);
}
