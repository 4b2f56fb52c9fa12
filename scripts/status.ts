#!/usr/bin/env -S deno run --allow-net --allow-read --allow-write --allow-sys=hostname --allow-env=TS_*,HOME,XDG_*,NO_COLOR,FORCE_COLOR,CLICOLOR_FORCE,HTTP*,ALL_PROXY,NO_PROXY,http*,all_proxy,no_proxy,UNDICI_*,JEST_WORKER_ID
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
import type { TsClient } from "../lib/client.ts";
import type { ConnectionConfig } from "../lib/config.ts";
import { InputError, UsageError } from "../lib/errors.ts";
import {
  createLogReader,
  DEFAULT_LOG_LINES,
  readRunLogs,
  type RunLog,
} from "../lib/logs.ts";
import { parseRunRows } from "../lib/run_rows.ts";
import { waitForRuns } from "../lib/runs.ts";
import { countStates, STALE_AFTER_MS } from "../lib/states.ts";
import {
  journalLaunchTimes,
  type PairStatus,
  pairStatus,
  pairStatuses,
  stopRuns,
} from "../lib/status.ts";
import { formatDuration, renderStatusPage } from "../lib/status_page.ts";
import type { PluginResult } from "../lib/types.ts";
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
import { rerunCommand, statusClosing, writeClosing } from "./_cli/closing.ts";
import { connect, explain } from "./_cli/connect.ts";
import {
  type Column,
  eprint,
  print,
  renderTable,
  useColor,
  writeRows,
} from "./_cli/output.ts";
import { type CommonFlags, EXIT, newProgram, runMain } from "./_cli/program.ts";
import { Progress } from "./_cli/progress.ts";

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
  wide?: boolean;
  staleAfter: number;
  format?: Format;
}

/** Logs shown without `--log-all`. */
const LOG_LIMIT = 20;

/** `2026-03-01 12:05` in local time, for tables. */
function shortTime(iso: string | null): string {
  if (!iso) return "";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${
    p(d.getHours())
  }:${p(d.getMinutes())}`;
}

/** What the state column says, for people. */
function stateText(s: PairStatus): string {
  if (s.reportFound === false) return "no such report";
  if (s.state === null) return s.plugin === "" ? "no plugin ran" : "never run";
  return s.stateClass === "stale" ? `${s.state} (stale)` : s.state;
}

const COLUMNS: Column<PairStatus>[] = [
  { name: "report", value: (s) => s.report, right: true },
  {
    name: "report_name",
    title: "name",
    value: (s) => s.reportName,
    minWidth: 14,
    drop: 5,
  },
  { name: "report_found", value: (s) => s.reportFound ?? null, only: "data" },
  { name: "plugin", value: (s) => s.plugin },
  { name: "state", value: (s) => s.state, display: stateText },
  { name: "state_class", value: (s) => s.stateClass, only: "data" },
  {
    name: "never_run",
    value: (s) => s.state === null && s.reportFound !== false,
    only: "data",
  },
  { name: "plugin_result_id", title: "run", value: (s) => s.id, right: true },
  {
    name: "started",
    value: (s) => s.starttime,
    display: (s) => shortTime(s.starttime),
    drop: 3,
  },
  {
    name: "ended",
    value: (s) => s.endtime,
    display: (s) => shortTime(s.endtime),
    drop: 2,
  },
  {
    name: "duration_s",
    title: "took",
    value: (s) => s.durationSeconds,
    display: (s) => formatDuration(s.durationSeconds),
    right: true,
    drop: 4,
  },
  {
    name: "validation_errors",
    title: "why",
    value: (s) => s.validationErrors,
    minWidth: 16,
    drop: 6,
  },
  {
    name: "url",
    value: (s) => s.url,
    minWidth: 24,
    cut: "middle",
    drop: 1,
  },
  { name: "log_url", value: (s) => s.logUrl ?? null, only: "data" },
];

const HELP = `
Input: the same CSV forms as bulk_run.ts (a bulk_run journal or summary works
too), or --report KEY (repeatable). Plugins: --plugin NAME (repeatable), else
the input's plugin column, else every plugin that ran on those reports (its
newest run each). A report the server does not have is listed as such.

--failed prints only failed pairs (not cancelled, not stale); as CSV it is
bulk_run.ts input, so "rerun what failed" is one pipe:
  status.ts runs.csv --failed --format csv | bulk_run.ts -
A run running (or queued since a journaled launch) for longer than
--stale-after is stale: its job is gone and the server never ends it.

--log prints the last lines of each failed run's log (drmaa_stdout.txt; the
first 20 unless --log-all), secrets redacted, error lines highlighted on a
terminal. Logs are served behind Torrent Suite's web login, which takes a
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

/** Builds the command-line program. */
export function program(): Command {
  const cmd = newProgram(
    "status.ts",
    "Show the newest plugin run of each (report, plugin) pair, and why the failed ones failed.",
  )
    .argument("[input]", 'CSV of report keys, or "-" for standard input')
    .option("--plugin <name>", "plugin to show (repeatable)", collect, [])
    .option("--report <key>", "report key (repeatable)", collectKey, [])
    .option("--failed", "only failed pairs (CSV of them feeds bulk_run.ts)")
    .option("--log", "print the last lines of each failed run's log")
    .option("--log-all", `with --log: every failed run (default: ${LOG_LIMIT})`)
    .addOption(
      new Option("--log-lines <n>", "with --log: lines per log")
        .argParser(wholeNumber("--log-lines", 1)).default(DEFAULT_LOG_LINES),
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
      Deno.exitCode = await run(input, command.opts<Flags>());
    });
  addWaitOptions(cmd, "running runs");
  return addFormatOption(cmd);
}

/** Reads the input as text, as `readRunRows` would (UTF-8, or UTF-16 with a BOM). */
async function readInput(path: string): Promise<string> {
  let bytes: Uint8Array;
  try {
    bytes = path === "-"
      ? new Uint8Array(await new Response(Deno.stdin.readable).arrayBuffer())
      : await Deno.readFile(path);
  } catch (e) {
    const why = e instanceof Deno.errors.NotFound
      ? "no such file"
      : e instanceof Deno.errors.IsADirectory
      ? "is a directory"
      : e instanceof Error
      ? e.message
      : String(e);
    const err = new InputError([{
      file: path,
      line: 0,
      message: `cannot read: ${why}`,
    }]);
    err.message = `${path}: cannot read: ${why}`;
    throw err;
  }
  const encoding = bytes[0] === 0xff && bytes[1] === 0xfe
    ? "utf-16le"
    : bytes[0] === 0xfe && bytes[1] === 0xff
    ? "utf-16be"
    : "utf-8";
  return new TextDecoder(encoding).decode(bytes);
}

/** What to look up: reports for every plugin, and (report, plugin) pairs. */
interface Selection {
  allPlugins: number[];
  pairs: Map<number, Set<string>>;
  launchedAt: Map<string, number>;
}

async function select(
  input: string | undefined,
  flags: Flags,
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
    const text = await readInput(input);
    const parsed = parseRunRows(text, { file: input, requirePlugin: false });
    const empty = parsed.rows.length === 0 && parsed.problems.length === 1 &&
      parsed.problems[0]!.message === "no report keys found";
    if (empty || (parsed.rows.length === 0 && parsed.problems.length === 0)) {
      eprint(`${input}: no report keys: nothing to show`);
    } else if (parsed.problems.length > 0) {
      throw new InputError(parsed.problems);
    }
    for (const row of parsed.rows) add(row.report, row.plugin);
    sel.launchedAt = journalLaunchTimes(text);
  }
  return sel;
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

async function run(input: string | undefined, flags: Flags): Promise<number> {
  if (input === undefined && flags.report.length === 0) {
    throw new UsageError("give a CSV file (or -) or at least one --report KEY");
  }
  if (flags.htmlRefresh !== undefined && !flags.html) {
    throw new UsageError("--html-refresh needs --html FILE");
  }
  if ((flags.logAll || flags.logLines !== DEFAULT_LOG_LINES) && !flags.log) {
    throw new UsageError("--log-all and --log-lines go with --log");
  }
  const sel = await select(input, flags);
  const { config, client } = await connect(flags);
  try {
    let statuses = sel.allPlugins.length + sel.pairs.size > 0
      ? await lookUp(client, sel, flags)
      : [];
    const holes = sel.allPlugins.length > 0 ? "never" : "unchecked";
    const page = pageWriter(client, flags, holes);
    if (flags.stop) return await stop(client, statuses, flags);
    let code: number = EXIT.ok;
    if (flags.wait) {
      statuses = await follow(client, statuses, flags, page);
      if (
        statuses.some((s) =>
          s.stateClass === "failed" || s.stateClass === "running" ||
          s.stateClass === "stale"
        )
      ) code = EXIT.failed;
    }
    if (statuses.some((s) => s.reportFound === false)) code = EXIT.failed;

    const shown = flags.failed
      ? statuses.filter((s) => s.stateClass === "failed")
      : statuses;
    const format = resolveFormat(flags.format);
    let logs = new Map<number, RunLog>();
    if (flags.log) {
      logs = await showLogs(config, shown, flags, format);
    } else {
      writeRows(shown, COLUMNS, format, { wide: flags.wide ?? false });
    }
    const notes: string[] = [];
    if (flags.html) {
      await page.write(
        statuses,
        flags.wait ? finalProgress(statuses) : undefined,
      );
      notes.push(`status page written to ${flags.html}`);
    }
    writeClosing(statusClosing(statuses, {
      rerun: rerunFor(input, flags),
      logs,
      notes,
    }));
    return code;
  } catch (error) {
    throw explain(error, config);
  } finally {
    client.close();
  }
}

/** The rerun command of this selection. */
function rerunFor(input: string | undefined, flags: Flags): string {
  const args: string[] = [];
  if (input !== undefined) args.push(input);
  for (const r of flags.report) args.push("--report", String(r));
  for (const p of flags.plugin) args.push("--plugin", p);
  if (flags.staleAfter !== STALE_AFTER_MS) {
    args.push("--stale-after", `${Math.round(flags.staleAfter / 1000)}s`);
  }
  if (flags.url) args.push("--url", flags.url);
  const command = rerunCommand(args);
  return input === "-" ? `(the same input) | ${command}` : command;
}

/** Writes the page atomically: a temporary file renamed over it. */
function pageWriter(
  client: TsClient,
  flags: Flags,
  holes: "never" | "unchecked",
) {
  return {
    async write(
      statuses: readonly PairStatus[],
      progress:
        | { done: number; total: number; final: boolean; note?: string }
        | undefined,
    ): Promise<void> {
      if (!flags.html) return;
      const html = renderStatusPage({
        server: client.baseUrl,
        generatedAt: new Date(client.now()),
        statuses,
        holes,
        progress,
        refreshSeconds: flags.htmlRefresh,
      });
      const tmp = `${flags.html}.${Deno.pid}.tmp`;
      await Deno.writeTextFile(tmp, html);
      await Deno.rename(tmp, flags.html);
    },
  };
}

function finalProgress(statuses: readonly PairStatus[]) {
  const open = statuses.filter((s) => s.stateClass === "running").length;
  const total = statuses.filter((s) => s.id !== null).length;
  return {
    done: total - open,
    total,
    final: true,
    ...(open > 0
      ? { note: `the wait ended with ${open} run(s) still running` }
      : {}),
  };
}

async function follow(
  client: TsClient,
  statuses: PairStatus[],
  flags: Flags,
  page: ReturnType<typeof pageWriter>,
): Promise<PairStatus[]> {
  const running = statuses.filter((s) => s.stateClass === "running");
  if (running.length === 0) return statuses;
  const progress = new Progress();
  progress.handle({ type: "phase", phase: "wait", total: running.length });
  let current = statuses;
  let writing: Promise<void> = Promise.resolve();
  const update = (seen: ReadonlyMap<number, PluginResult>) =>
    statuses.map((s) => {
      const run = s.id === null ? undefined : seen.get(s.id);
      return run
        ? pairStatus(client, {
          ...s,
          run,
          staleAfterMs: flags.staleAfter,
          ...(s.reportName ? { reportName: s.reportName } : {}),
          ...(s.reportFound !== undefined
            ? { reportFound: s.reportFound }
            : {}),
        })
        : s;
    });
  await page.write(current, { done: 0, total: running.length, final: false });
  const { runs } = await waitForRuns(client, running.map((s) => s.id!), {
    timeoutMs: flags.timeout,
    pollMs: flags.poll * 1000,
    onPoll: (seen) => {
      const counts = countStates(seen.values());
      progress.handle({ type: "wait", ...counts });
      current = update(seen);
      const done = running.length - counts.running;
      writing = writing.then(() =>
        page.write(current, { done, total: running.length, final: false })
      ).catch((e) =>
        eprint(
          `cannot write ${flags.html}: ${e instanceof Error ? e.message : e}`,
        )
      );
    },
    onPollError: (message) =>
      progress.handle({
        type: "warning",
        message: `status check failed, still waiting: ${message}`,
      }),
  });
  await writing;
  progress.finish();
  return update(runs);
}

/** Prints the failed runs' logs (or their URLs); returns them by run id. */
async function showLogs(
  config: ConnectionConfig,
  shown: readonly PairStatus[],
  flags: Flags,
  format: Format,
): Promise<Map<number, RunLog>> {
  const failed = shown.filter((s) => s.stateClass === "failed");
  const picked = flags.logAll ? failed : failed.slice(0, LOG_LIMIT);
  await using reader = await createLogReader({
    ...config,
    timeoutMs: flags.requestTimeout * 1000,
  });
  if (!reader.canRead && picked.length > 0) eprint(reader.needs);
  const logs = await readRunLogs(reader, picked, { lines: flags.logLines });
  const byId = new Map<number, RunLog>();
  logs.forEach((l) => l.id !== null && byId.set(l.id, l));
  const rows = picked.map((s, i) => ({ s, log: logs[i]! }));
  if (format === "table") {
    const color = useColor(Deno.stdout);
    const paint = (code: string, t: string) =>
      color ? `\x1b[${code}m${t}\x1b[0m` : t;
    if (rows.length === 0) {
      print("no failed run among the selection: no log to show");
    }
    for (const { s, log } of rows) {
      const who = [s.report, s.reportName ?? "", s.plugin, `#${s.id}`, s.state]
        .filter(Boolean).join("  ");
      if (log.status === "needs-password") {
        print(`${who}  ${log.url ?? ""}`);
        continue;
      }
      print(paint("1", `── ${who}`));
      if (log.url) print(log.url);
      if (log.status !== "ok") {
        print(`  (${log.message})`);
        continue;
      }
      if (log.truncated) print(`  … (the last ${log.lines.length} lines)`);
      const errors = new Set(log.errorLines);
      log.lines.forEach((line, i) =>
        print(errors.has(i) ? paint("1;31", `  ${line}`) : `  ${line}`)
      );
    }
  } else if (format === "csv") {
    writeRows(
      rows.flatMap(({ s, log }) =>
        log.status === "ok"
          ? log.lines.map((line, i) => ({
            s,
            log,
            line,
            error: log.errorLines.includes(i),
          }))
          : [{ s, log, line: log.message, error: false }]
      ),
      [
        { name: "report", value: (r) => r.s.report },
        { name: "plugin", value: (r) => r.s.plugin },
        { name: "plugin_result_id", value: (r) => r.s.id },
        { name: "state", value: (r) => r.s.state },
        { name: "log_url", value: (r) => r.log.url },
        { name: "log_status", value: (r) => r.log.status },
        { name: "error", value: (r) => r.error },
        { name: "line", value: (r) => r.line },
      ],
      format,
    );
  } else {
    writeRows(rows, [
      { name: "report", value: (r) => r.s.report },
      { name: "report_name", value: (r) => r.s.reportName },
      { name: "plugin", value: (r) => r.s.plugin },
      { name: "plugin_result_id", value: (r) => r.s.id },
      { name: "state", value: (r) => r.s.state },
      { name: "log_url", value: (r) => r.log.url },
      { name: "log_status", value: (r) => r.log.status },
      { name: "message", value: (r) => r.log.message },
      { name: "truncated", value: (r) => r.log.truncated },
      { name: "lines", value: (r) => r.log.lines },
      { name: "error_lines", value: (r) => r.log.errorLines },
    ], format);
  }
  if (failed.length > picked.length) {
    eprint(
      `logs of the first ${picked.length} of ${failed.length} failed runs; --log-all for every one`,
    );
  }
  return byId;
}

/** Age of a run for the stop list: since it started, else since its launch. */
function age(
  s: PairStatus,
  now: number,
  launchedAt: number | undefined,
): string {
  const since = s.starttime ? Date.parse(s.starttime) : launchedAt ?? NaN;
  return Number.isFinite(since)
    ? formatDuration(Math.max(0, (now - since) / 1000))
    : "queued";
}

async function stop(
  client: TsClient,
  statuses: PairStatus[],
  flags: Flags,
): Promise<number> {
  const running = statuses.filter((s) =>
    s.stateClass === "running" || s.stateClass === "stale"
  );
  const format = resolveFormat(flags.format);
  if (running.length === 0) {
    eprint("nothing to stop: no selected run is running");
    writeRows([], STOP_COLUMNS, format);
    return EXIT.ok;
  }
  const now = client.now();
  if (!flags.dryRun && !flags.yes) {
    eprint(`${running.length} run(s) would be stopped:`);
    const table = renderTable(running, [
      { name: "report", value: (s) => s.report, right: true },
      { name: "name", value: (s) => s.reportName, minWidth: 12, drop: 1 },
      { name: "plugin", value: (s) => s.plugin },
      { name: "run", value: (s) => s.id, right: true },
      { name: "state", value: stateText },
      { name: "age", value: (s) => age(s, now, undefined), right: true },
    ], { width: Deno.stderr.isTerminal() ? consoleWidth() : undefined });
    for (const line of table.trimEnd().split("\n")) eprint(`  ${line}`);
    if (!Deno.stdin.isTerminal()) {
      throw new UsageError(
        `refusing to stop ${running.length} run(s) without confirmation: pass --yes (or --dry-run to preview)`,
      );
    }
    if (!confirm(`Stop these ${running.length} run(s)?`)) {
      eprint("nothing stopped");
      writeRows([], STOP_COLUMNS, format);
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
  ].map((r) => ({ ...r, age: age(r, now, undefined) }));
  writeRows(rows, STOP_COLUMNS, format, { wide: flags.wide ?? false });
  eprint(
    `${result.stopped.length} run(s) ${verb}; ${result.finished.length} already finished`,
  );
  return EXIT.ok;
}

const STOP_COLUMNS: Column<PairStatus & { action: string; age: string }>[] = [
  { name: "report", value: (s) => s.report, right: true },
  {
    name: "report_name",
    title: "name",
    value: (s) => s.reportName,
    minWidth: 12,
    drop: 1,
  },
  { name: "plugin", value: (s) => s.plugin },
  { name: "plugin_result_id", title: "run", value: (s) => s.id, right: true },
  { name: "state", value: (s) => s.state },
  { name: "age", value: (s) => s.age, right: true },
  { name: "action", value: (s) => s.action },
];

function consoleWidth(): number | undefined {
  try {
    return Deno.consoleSize().columns;
  } catch {
    return undefined;
  }
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
