#!/usr/bin/env -S deno run --allow-net --allow-read --allow-write --allow-sys=hostname --allow-env=TS_*,HOME,XDG_*,APPDATA,NO_COLOR,FORCE_COLOR,CLICOLOR_FORCE,HTTP*,ALL_PROXY,NO_PROXY,http*,all_proxy,no_proxy,UNDICI_*,JEST_WORKER_ID
/**
 * `status.ts`: the newest run of each (report, plugin) pair; why the failed
 * ones failed (their logs); follow, stop, or publish them as an HTML page.
 *
 *     status.ts runs.csv                       every plugin that ran on them
 *     status.ts --report 1234 --report 1235 --plugin coverageAnalysis
 *     status.ts runs.csv --failed --log        the failed runs' logs
 *     status.ts runs.csv --failed --format csv | bulk_run.ts -
 *     status.ts runs.csv --wait --html status.html --html-refresh 30
 *
 * @module
 */

import type { Command } from "commander";
import { Option } from "commander";
import type { TsClient } from "../lib/http/mod.ts";
import { InputError, UsageError } from "../lib/errors.ts";
import {
  DEFAULT_LOG_LINES,
  type JobView,
  jobView,
  journalLaunchTimes,
  markWaiting,
  type PairStatus,
  pairStatuses,
  type RunLog,
} from "../lib/status/mod.ts";
import { parseRunRows, readInputText } from "../lib/run_rows.ts";
import { STALE_AFTER_MS } from "../lib/states.ts";
import {
  addFormatOption,
  addWaitOptions,
  type Format,
  parseDuration,
  positiveNumber,
  resolveFormat,
  type WaitFlags,
  wholeNumber,
} from "./_cli/flags.ts";
import {
  rerunCommand,
  statusClosing,
  statusReason,
  writeClosing,
} from "./_cli/closing.ts";
import { connect, explain } from "./_cli/connect.ts";
import { eprint, writeRows } from "./_cli/output.ts";
import {
  type CommonFlags,
  EXIT,
  type Invocation,
  invocationOf,
  newProgram,
  runMain,
} from "./_cli/program.ts";
import { type CommandIO, denoIO, readInput } from "./_cli/io.ts";
import { LOG_LIMIT, showLogs } from "./_cli/run_logs.ts";
import { COLUMNS } from "./_cli/status_columns.ts";
import {
  finalProgress,
  follow,
  followJob,
  launchingProgress,
  pageWriter,
} from "./_cli/status_follow.ts";
import { stop } from "./_cli/stop_runs.ts";

interface Flags extends CommonFlags, WaitFlags {
  plugin: string[];
  report: number[];
  failed?: boolean;
  stop?: boolean;
  yes?: boolean;
  dryRun?: boolean;
  html?: string;
  htmlRefresh?: number;
  log?: boolean;
  logAll?: boolean;
  logLines: number;
  redact: string[];
  wide?: boolean;
  staleAfter: number;
  format?: Format;
}

const HELP = `
Input: the same CSV forms as bulk_run.ts (a bulk_run journal or summary works
too), or --report KEY (repeatable). Plugins: --plugin NAME (repeatable), else
the input's plugin column, else every plugin that ran on those reports (its
newest run each). A report the server does not have is listed as such.

--failed prints only failed and stale pairs (not cancelled); as CSV it is
bulk_run.ts input, so "rerun what failed" is one pipe:
  status.ts runs.csv --failed --format csv | bulk_run.ts -
(a stale pair is relaunched only with --rerun failed,stale). A run running,
or queued since a journaled launch or since newer runs passed it in the
queue (a held job), for longer than --stale-after is stale: its job is gone
and the server never ends it.

--log prints the last lines of each failed run's log (drmaa_stdout.txt; the
first 20 unless --log-all), error lines highlighted on a terminal. Secrets
are redacted: values of keys like password, secret, token, api_key,
credential (and each --redact KEY), and your own password and API key. Logs are served behind Torrent Suite's web login, which takes a
password (TS_USER and TS_PASSWORD), not an API key: with only TS_API_KEY
each log's URL is printed instead (it opens in a browser logged in to TS).

Tables fit the terminal (--wide: every column, nothing cut); in a pipe
nothing is cut. A summary with the failures and the command that reruns
them ends on stderr.

--stop stops the running (and stale) runs among the selection, never
finished ones; it lists them and asks first on a terminal; use --yes
otherwise, --dry-run to preview.

--html FILE writes a self-contained status page; with --wait it is rewritten
at every poll (--html-refresh SECONDS makes it reload itself in a browser)
and the last one says it is final.

Exit codes: 0 done; 1 a report does not exist, or with --wait some runs
failed or still run; 2 usage or invalid input; 3 authentication failed.`;

/** Builds the command-line program of an invocation. */
export function program(
  run: Invocation = invocationOf("status.ts", []),
): Command {
  const { io } = run;
  const cmd = newProgram(
    run.name,
    "Show the newest plugin run of each (report, plugin) pair, and why the failed ones failed.",
    io,
  )
    .argument("[input]", 'CSV of report keys, or "-" for standard input')
    .option("--plugin <name>", "plugin to show (repeatable)", collect, [])
    .option("--report <key>", "report key (repeatable)", collectKey, [])
    .option(
      "--failed",
      "only failed and stale pairs (CSV of them feeds bulk_run.ts)",
    )
    .option("--log", "print the last lines of each failed run's log")
    .option("--log-all", `with --log: every failed run (default: ${LOG_LIMIT})`)
    .addOption(
      new Option("--log-lines <n>", "with --log: lines per log")
        .argParser(wholeNumber("--log-lines", 1)).default(DEFAULT_LOG_LINES),
    )
    .option(
      "--redact <key>",
      "in logs: also hide the values of this key (repeatable)",
      collect,
      [],
    )
    .addOption(
      new Option(
        "--stale-after <duration>",
        "a run running longer than this is stale (e.g. 25h, 90m)",
      ).argParser(parseDuration("--stale-after")).default(
        STALE_AFTER_MS,
        "25h",
      ),
    )
    .option("--wide", "tables: every column, nothing cut")
    .option("--stop", "stop the running runs among the selection")
    .option("--yes", "with --stop: do not ask for confirmation")
    .option("--dry-run", "with --stop: show what would be stopped")
    .option("--html <file>", "also write a self-contained HTML status page")
    .addOption(
      new Option(
        "--html-refresh <seconds>",
        "with --html and --wait: the page reloads itself this often",
      ).argParser(positiveNumber("--html-refresh")),
    )
    .addHelpText("after", HELP)
    .action(async (input: string | undefined, _o, command: Command) => {
      run.exitCode = await show(io, input, command.opts<Flags>());
    });
  addWaitOptions(cmd, "running runs");
  return addFormatOption(cmd);
}

/** What to look up: reports for every plugin, and (report, plugin) pairs. */
interface Selection {
  allPlugins: number[];
  pairs: Map<number, Set<string>>;
  launchedAt: Map<string, number>;
  /** The bulk job, when the input is its journal. */
  job?: JobView | undefined;
}

async function select(
  io: CommandIO,
  input: string | undefined,
  flags: Flags,
  /** A job found beside the input is being followed: keep it once ended. */
  followed = false,
): Promise<Selection> {
  const sel: Selection = {
    allPlugins: [],
    pairs: new Map(),
    launchedAt: new Map(),
  };
  const named = flags.plugin.length > 0;
  const add = (report: number, plugin: string | null) => {
    if (named || plugin === null) {
      if (named) {
        for (const p of flags.plugin) add1(report, p);
      } else sel.allPlugins.push(report);
    } else add1(report, plugin);
  };
  const add1 = (report: number, plugin: string) => {
    let set = sel.pairs.get(report);
    if (!set) sel.pairs.set(report, set = new Set());
    set.add(plugin);
  };
  for (const r of flags.report) add(r, null);
  if (input !== undefined) {
    const text = await readInput(io, input, readInputText);
    const parsed = parseRunRows(text, { file: input, requirePlugin: false });
    const empty = parsed.rows.length === 0 && parsed.problems.length === 1 &&
      parsed.problems[0]!.message === "no report keys found";
    if (empty || (parsed.rows.length === 0 && parsed.problems.length === 0)) {
      eprint(io, `${input}: no report keys: nothing to show`);
    } else if (parsed.problems.length > 0) {
      throw new InputError(parsed.problems);
    }
    for (const row of parsed.rows) add(row.report, row.plugin);
    sel.launchedAt = journalLaunchTimes(text);
    // A journal: the whole job, its pairs not launched yet included. An
    // input whose job is still launching (its journal beside it) too.
    sel.job = await jobView(text, input === "-" ? undefined : input) ??
      await besideJob(input, followed);
    for (const key of sel.job?.pairs ?? []) {
      const slash = key.indexOf("/");
      const plugin = key.slice(slash + 1);
      if (!named || flags.plugin.includes(plugin)) {
        add1(Number(key.slice(0, slash)), plugin);
      }
    }
  }
  return sel;
}

/**
 * The job still launching from this input (`<input>.journal.ndjson` beside
 * it, held by a live launcher), if any.
 */
async function besideJob(
  input: string,
  followed: boolean,
): Promise<JobView | undefined> {
  if (input === "-") return undefined;
  const journal = `${input}.journal.ndjson`;
  let text: string;
  try {
    text = await Deno.readTextFile(journal);
  } catch {
    return undefined;
  }
  const job = await jobView(text, journal);
  return job?.live || (job && followed) ? job : undefined;
}

async function lookUp(
  client: TsClient,
  sel: Selection,
  flags: Flags,
): Promise<PairStatus[]> {
  const options = {
    staleAfterMs: flags.staleAfter,
    launchedAt: sel.launchedAt,
  };
  const everyPlugin = new Set(sel.allPlugins);
  const pairReports = [...sel.pairs.keys()].filter((r) => !everyPlugin.has(r));
  const names = [
    ...new Set(pairReports.flatMap((r) => [...sel.pairs.get(r)!])),
  ];
  const [all, named] = await Promise.all([
    everyPlugin.size > 0
      ? pairStatuses(client, { reports: everyPlugin }, options)
      : Promise.resolve([]),
    pairReports.length > 0
      ? pairStatuses(client, { reports: pairReports, plugins: names }, options)
      : Promise.resolve([]),
  ]);
  const wanted = named.filter((s) => sel.pairs.get(s.report)?.has(s.plugin));
  return [...all, ...wanted].sort((a, b) =>
    a.report - b.report ||
    (a.plugin < b.plugin ? -1 : a.plugin > b.plugin ? 1 : 0)
  );
}

async function show(
  io: CommandIO,
  input: string | undefined,
  flags: Flags,
): Promise<number> {
  if (input === undefined && flags.report.length === 0) {
    throw new UsageError("give a CSV file (or -) or at least one --report KEY");
  }
  if (flags.htmlRefresh !== undefined && !flags.html) {
    throw new UsageError("--html-refresh needs --html FILE");
  }
  if ((flags.logAll || flags.logLines !== DEFAULT_LOG_LINES) && !flags.log) {
    throw new UsageError("--log-all and --log-lines go with --log");
  }
  let sel = await select(io, input, flags);
  const { config, client } = await connect(flags, io);
  try {
    const load = async () => {
      const found = sel.allPlugins.length + sel.pairs.size > 0
        ? await lookUp(client, sel, flags)
        : [];
      return sel.job ? markWaiting(found, sel.job) : found;
    };
    let statuses = await load();
    const holes = sel.allPlugins.length > 0 ? "never" : "unchecked";
    const page = pageWriter(client, {
      html: flags.html,
      refreshSeconds: flags.htmlRefresh,
      holes,
    });
    const format = resolveFormat(flags.format, io.stdout);
    if (flags.stop) {
      return await stop(client, statuses, {
        yes: flags.yes ?? false,
        dryRun: flags.dryRun ?? false,
        wide: flags.wide ?? false,
        format,
        launchedAt: sel.launchedAt,
        io,
      });
    }
    let code: number = EXIT.ok;
    const started = Date.now();
    if (flags.wait && sel.job?.live) {
      // The job is still launching (in another terminal): follow it to its
      // end, the journal read again at every poll.
      statuses = await followJob(
        { statuses, job: sel.job },
        async () => {
          sel = await select(io, input, flags, true);
          return { statuses: await load(), job: sel.job! };
        },
        { timeoutMs: flags.timeout, pollMs: flags.poll * 1000 },
        page,
        io,
      );
    }
    if (flags.wait) {
      statuses = await follow(
        client,
        statuses,
        {
          timeoutMs: Math.max(0, flags.timeout - (Date.now() - started)),
          pollMs: flags.poll * 1000,
          staleAfterMs: flags.staleAfter,
          launchedAt: sel.launchedAt,
          html: flags.html,
        },
        page,
        io,
      );
      if (
        statuses.some((s) =>
          s.stateClass === "failed" || s.stateClass === "running" ||
          s.stateClass === "stale" || s.launch !== undefined
        )
      ) code = EXIT.failed;
    }
    if (statuses.some((s) => s.reportFound === false)) code = EXIT.failed;

    const shown = flags.failed
      ? statuses.filter((s) =>
        s.stateClass === "failed" || s.stateClass === "stale"
      )
      : statuses;
    let logs = new Map<number, RunLog>();
    if (flags.log) {
      logs = await showLogs(config, shown, {
        all: flags.logAll ?? false,
        lines: flags.logLines,
        extraKeys: flags.redact,
        timeoutMs: flags.requestTimeout * 1000,
        format,
      }, io);
    } else {
      writeRows(io, shown, COLUMNS, format, { wide: flags.wide ?? false });
    }
    const notes: string[] = [];
    if (flags.html) {
      await page.write(
        statuses,
        flags.wait
          ? finalProgress(statuses, sel.job)
          : sel.job?.live
          ? launchingProgress(statuses, sel.job)
          : undefined,
        new Map(
          statuses.filter((s) => s.stateClass === "failed" && s.id !== null)
            .map((s) => [s.id!, statusReason(s, logs.get(s.id!))]),
        ),
      );
      notes.push(`status page written to ${flags.html}`);
    }
    writeClosing(
      statusClosing(statuses, {
        job: sel.job,
        rerun: rerunFor(input, flags, io.ionrun ?? false),
        logs,
        notes,
      }),
      io,
    );
    return code;
  } catch (error) {
    throw explain(error, config);
  } finally {
    client.close();
  }
}

/** The rerun command of this selection. */
function rerunFor(
  input: string | undefined,
  flags: Flags,
  ionrun: boolean,
): string {
  const args: string[] = [];
  if (input !== undefined) args.push(input);
  for (const r of flags.report) args.push("--report", String(r));
  for (const p of flags.plugin) args.push("--plugin", p);
  if (flags.staleAfter !== STALE_AFTER_MS) {
    args.push("--stale-after", `${Math.round(flags.staleAfter / 1000)}s`);
  }
  if (flags.url) args.push("--url", flags.url);
  const command = rerunCommand(args, { ionrun });
  return input === "-" ? `(the same input) | ${command}` : command;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function collectKey(value: string, previous: number[]): number[] {
  return [...previous, wholeNumber("--report", 1)(value)];
}

/**
 * Runs the command with the given arguments; returns the exit code.
 *
 * @param args The arguments after the command's name.
 * @param io Streams, environment and terminal (default the real ones);
 *   `io.ionrun` when started as `ionrun status`.
 */
export async function main(
  args: string[],
  io: CommandIO = denoIO,
): Promise<number> {
  const run = invocationOf("status.ts", args, io);
  return await runMain(program(run), run);
}

if (import.meta.main) Deno.exitCode = await main(Deno.args);
