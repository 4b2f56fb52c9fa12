/**
 * Status of plugin runs over many reports, and stopping running ones.
 *
 * @module
 */

import type { TsClient } from "../http/mod.ts";
import {
  getReports,
  getRuns,
  type Pair,
  pairKey,
  type PairsQuery,
  reportOf,
  runsOf,
} from "../api/mod.ts";
import { formatIso, parseTsDate } from "../datetime.ts";
import { runLogUrl } from "./logs.ts";
import {
  classifyRun,
  classifyState,
  passedSince,
  type StateClass,
} from "../states.ts";
import type { PluginResult } from "../types.ts";

/** The newest run of one (report, plugin) pair. */
export interface PairStatus {
  /** Report key. */
  report: number;
  /** Report name, when the server or a run tells it. */
  reportName: string | null;
  /**
   * Whether the server has the report; `false`: no such report (then the
   * state is `null` too). Absent: not checked.
   */
  reportFound?: boolean;
  /**
   * Plugin name; `""` on the one row of a report on which no plugin ever
   * ran (or that does not exist) when every plugin was asked for.
   */
  plugin: string;
  /** Newest run's state, or `null` when never run. */
  state: string | null;
  /** State group (`missing`: never run). */
  stateClass: StateClass;
  /** Newest run's id. */
  id: number | null;
  /** Start time (ISO), if started. */
  starttime: string | null;
  /** End time (ISO), if ended. */
  endtime: string | null;
  /** Run time in seconds (until now when still running), if started. */
  durationSeconds: number | null;
  /** Absolute URL of the run's output on the server. */
  url: string | null;
  /**
   * Absolute URL of the report's page on the server (its `reportLink`, or
   * the part of the run's output URL before `plugin_out/`), when known.
   */
  reportUrl?: string | null;
  /** Absolute URL of the run's log (`drmaa_stdout.txt` in its output folder). */
  logUrl?: string | null;
  /** Validation errors of the launch config. */
  validationErrors: string[];
  /**
   * A pair of a bulk job that has not launched it yet (see `jobView`):
   * `waiting` while the job is launching, `stopped` when its launcher is
   * gone first. Its state is then `null` (not "never run").
   */
  launch?: "waiting" | "stopped";
}

/**
 * Builds the status of a pair from its newest run.
 *
 * @param client The API client (for the base URL and clock).
 * @param pair Report key and plugin name, and its newest run, if any.
 * @returns The pair's status.
 */
export function pairStatus(
  client: TsClient,
  pair: Pair & {
    run: PluginResult | undefined;
    staleAfterMs?: number | undefined;
    launchedAt?: number | undefined;
    /** When the queue passed the run, if it waits (`passedSince`). */
    passedAt?: number | undefined;
    reportName?: string | null;
    reportFound?: boolean;
    reportLink?: string | null;
  },
): PairStatus {
  const { report, plugin, run } = pair;
  const start = run?.starttime ? parseTsDate(run.starttime) : NaN;
  const end = run?.endtime ? parseTsDate(run.endtime) : NaN;
  const now = client.now();
  const cls = classifyRun(run, {
    now,
    ...(pair.staleAfterMs !== undefined
      ? { staleAfterMs: pair.staleAfterMs }
      : {}),
    launchedAt: pair.launchedAt,
    passedAt: pair.passedAt,
  });
  const until = Number.isNaN(end)
    ? (cls === "running" || cls === "stale" ? now : NaN)
    : end;
  const folder = run ? runFolderUrl(run) : null;
  const url = folder ? new URL(folder, `${client.baseUrl}/`).href : null;
  const link = pair.reportLink ??
    (url && url.includes("/plugin_out/")
      ? url.slice(0, url.lastIndexOf("/plugin_out/") + 1)
      : null);
  const reportUrl = link ? new URL(link, `${client.baseUrl}/`).href : null;
  return {
    report,
    reportName: pair.reportName ?? run?.resultName ?? null,
    ...(pair.reportFound !== undefined
      ? { reportFound: pair.reportFound }
      : {}),
    plugin,
    state: run?.state ?? null,
    stateClass: cls,
    id: run?.id ?? null,
    starttime: isoTime(run?.starttime),
    endtime: isoTime(run?.endtime),
    durationSeconds: Number.isNaN(start) || Number.isNaN(until)
      ? null
      : Math.max(0, Math.round((until - start) / 1000)),
    url,
    ...(reportUrl ? { reportUrl } : {}),
    logUrl: url ? runLogUrl(url) : null,
    validationErrors: run?.validation_errors?.validation_errors ?? [],
  };
}

/**
 * A Torrent Suite time as ISO 8601 UTC with milliseconds (its six-digit
 * fraction is milliseconds: `.000597` = 597 ms); text that is not a time is
 * kept as it is.
 */
function isoTime(text: string | null | undefined): string | null {
  if (!text) return null;
  return formatIso(parseTsDate(text)) ?? text;
}

/**
 * The web path of a run's output folder: its `URL` (5.4+), else, on older
 * servers, the report's `reportLink` plus `plugin_out/<folder of path>/`
 * (`<Name>_out.<id>`, or `<Name>_out` before 4.4).
 */
function runFolderUrl(
  run: PluginResult & { reportLink?: string },
): string | null {
  if (run.URL) return run.URL.endsWith("/") ? run.URL : `${run.URL}/`;
  const folder = run.path?.replace(/\/+$/, "").split("/").pop();
  if (run.reportLink && folder && /_out(\.\d+)?$/.test(folder)) {
    return `${run.reportLink.replace(/\/?$/, "/")}plugin_out/${folder}/`;
  }
  return null;
}

/** Options of {@linkcode pairStatuses}. */
export interface PairStatusesOptions {
  /** Aborts the look-ups. */
  signal?: AbortSignal;
  /** A run running longer than this is stale; default 25 h. */
  staleAfterMs?: number;
  /**
   * When this toolkit launched each pair (ms, by {@linkcode pairKey}), from
   * a journal: a run still queued since a launch that long ago is stale.
   */
  launchedAt?: ReadonlyMap<string, number>;
  /**
   * Look up the reports without any run (batched, a request per ~800
   * reports): rows then say whether each report exists and carry its name.
   * Default true.
   */
  checkReports?: boolean;
}

/**
 * The newest run of each (report, plugin) pair, with batched look-ups (about
 * 800 reports and 1000 runs per request). With `plugins` empty, the newest
 * run of every plugin that ran on the reports, and one row (plugin `""`) for
 * a report on which none ran. Reports without any run are looked up too
 * (unless `checkReports: false`; a report with a run exists): a report the
 * server does not have gets rows with `reportFound: false`, never "never
 * run".
 *
 * @example
 * ```ts
 * import { createClient } from "../http/mod.ts";
 * import { pairStatuses } from "./status.ts";
 * import { startSimulator } from "../../simulator/mod.ts";
 * await using server = await startSimulator({ reports: 3 });
 * const [user] = server.users;
 * await using client = await createClient({ url: server.url, user: user!.username, apiKey: user!.apiKey });
 * const [a, b] = server.reportIds();
 * server.addPluginResult(a!, "coverageAnalysis", "Completed");
 * const statuses = await pairStatuses(client, {
 *   reports: [a!, b!],
 *   plugins: ["coverageAnalysis"],
 * });
 * for (const s of statuses) {
 *   console.log(s.report, s.plugin, s.state ?? "never run");
 * }
 * if (statuses.length !== 2 || statuses[0]!.state !== "Completed") throw new Error();
 * ```
 *
 * @param client The API client.
 * @param query Report keys and plugin names (none for all).
 * @param options Signal, stale limit, launch times, report check.
 * @returns One status per pair, sorted by report then plugin.
 */
export async function pairStatuses(
  client: TsClient,
  query: PairsQuery,
  options: PairStatusesOptions = {},
): Promise<PairStatus[]> {
  const reportIds = [...new Set(query.reports)].sort((a, b) => a - b);
  const names = [...new Set(query.plugins ?? [])].sort();
  const signal = options.signal ? { signal: options.signal } : {};
  // No names: every plugin's runs on these reports (runsOf drops the
  // plugin filter), still one request per ~800 reports.
  const runs = await runsOf(
    client,
    { reports: reportIds, plugins: names },
    signal,
  );
  const newest = new Map<string, PluginResult>();
  const ran = new Map<number, Set<string>>();
  // A waiting run that newer ones passed long ago is held for ever: stale.
  const passed = passedSince(runs);
  for (const run of runs) {
    const report = reportOf(run);
    const key = pairKey(report, run.pluginName);
    const seen = newest.get(key);
    if (!seen || run.id > seen.id) newest.set(key, run);
    let set = ran.get(report);
    if (!set) ran.set(report, set = new Set());
    set.add(run.pluginName);
  }
  // A report with a run exists; only the others are looked up.
  const unseen = reportIds.filter((r) => !ran.has(r));
  const reports = options.checkReports === false || unseen.length === 0
    ? undefined
    : await getReports(client, unseen, signal);
  const found = (report: number): boolean | undefined =>
    ran.has(report)
      ? true
      : options.checkReports === false
      ? undefined
      : reports?.has(report) ?? false;
  const statuses: PairStatus[] = [];
  for (const report of reportIds) {
    const exists = found(report);
    const pluginNames = names.length > 0
      ? names
      : [...(ran.get(report) ?? [])].sort();
    for (const plugin of pluginNames.length > 0 ? pluginNames : [""]) {
      const run = newest.get(pairKey(report, plugin));
      statuses.push(pairStatus(client, {
        report,
        plugin,
        run,
        staleAfterMs: options.staleAfterMs,
        launchedAt: options.launchedAt?.get(pairKey(report, plugin)),
        passedAt: run ? passed.get(run.id) : undefined,
        ...(reports?.has(report)
          ? {
            reportName: reports.get(report)!.resultsName,
            reportLink: reports.get(report)!.reportLink ?? null,
          }
          : {}),
        ...(exists !== undefined ? { reportFound: exists } : {}),
      }));
    }
  }
  return statuses;
}

/** Counts and run times of one plugin's pairs (the page's column header). */
export interface PluginTotals {
  /** Plugin name. */
  plugin: string;
  /** Pairs per state group. */
  counts: Record<StateClass, number>;
  /** All pairs of the plugin. */
  total: number;
  /** Median run time of its finished runs, in seconds, or `null`. */
  medianSeconds: number | null;
  /** Longest run time of its runs (running ones too), in seconds, or `null`. */
  longestSeconds: number | null;
}

/** Zero counts for every state group. */
export function emptyCounts(): Record<StateClass, number> {
  return {
    completed: 0,
    failed: 0,
    running: 0,
    stale: 0,
    cancelled: 0,
    missing: 0,
  };
}

/**
 * Totals per plugin, in plugin-name order (rows of reports without any run,
 * plugin `""`, are left out).
 *
 * @example
 * ```ts
 * import { pluginTotals, type PairStatus } from "./status.ts";
 * const row = (stateClass: PairStatus["stateClass"], d: number | null): PairStatus => ({
 *   report: 1, reportName: null, plugin: "igv", state: null, stateClass,
 *   id: null, starttime: null, endtime: null, durationSeconds: d, url: null,
 *   validationErrors: [],
 * });
 * const [igv] = pluginTotals([row("completed", 60), row("completed", 100), row("failed", 5)]);
 * if (igv!.counts.completed !== 2 || igv!.medianSeconds !== 60) throw new Error();
 * ```
 *
 * @param statuses Pair statuses.
 * @returns One entry per plugin.
 */
export function pluginTotals(
  statuses: readonly PairStatus[],
): PluginTotals[] {
  const by = new Map<string, PairStatus[]>();
  for (const s of statuses) {
    if (s.plugin === "") continue;
    let list = by.get(s.plugin);
    if (!list) by.set(s.plugin, list = []);
    list.push(s);
  }
  return [...by.keys()].sort().map((plugin) => {
    const list = by.get(plugin)!;
    const counts = emptyCounts();
    for (const s of list) counts[s.stateClass]++;
    const finished = list.filter((s) =>
      s.durationSeconds !== null && s.stateClass !== "running" &&
      s.stateClass !== "stale"
    ).map((s) => s.durationSeconds!).sort((a, b) => a - b);
    const all = list.map((s) => s.durationSeconds).filter((d): d is number =>
      d !== null
    );
    return {
      plugin,
      counts,
      total: list.length,
      medianSeconds: finished.length
        ? finished[Math.floor((finished.length - 1) / 2)]!
        : null,
      longestSeconds: all.length ? Math.max(...all) : null,
    };
  });
}

/**
 * When each pair was launched, from the text of a bulk_run journal
 * (`<input>.journal.ndjson`): the time of its last launch intent, by
 * {@linkcode pairKey}. Text that is not a journal gives an empty map.
 *
 * @param text The journal's text.
 * @returns Launch time in ms per pair.
 */
export function journalLaunchTimes(text: string): Map<string, number> {
  const times = new Map<string, number>();
  for (const line of text.split(/\r?\n/)) {
    if (!line.startsWith("{")) continue;
    let record: unknown;
    try {
      record = JSON.parse(line);
    } catch {
      continue;
    }
    const r = record as {
      type?: unknown;
      time?: unknown;
      report?: unknown;
      plugin?: unknown;
    };
    if (
      (r.type === "intent" || r.type === "launched") &&
      typeof r.time === "string" && typeof r.report === "number" &&
      typeof r.plugin === "string"
    ) {
      const ms = Date.parse(r.time);
      const key = pairKey(r.report, r.plugin);
      if (Number.isFinite(ms) && (r.type === "intent" || !times.has(key))) {
        times.set(key, ms);
      }
    }
  }
  return times;
}

/** What {@linkcode stopRuns} did. */
export interface StopResult {
  /** Ids stopped. */
  stopped: number[];
  /** Runs left alone because they had already finished, with their state. */
  finished: { id: number; state: string }[];
  /** Ids the server does not have. */
  missing: number[];
}

/**
 * Stops runs that are still running, via `GET pluginresult/<id>/stop/`.
 * Each run's state is read again first (batched) and finished runs are never
 * touched: stopping one would relabel it `Cancelled`.
 *
 * @param client The API client.
 * @param ids Plugin-result ids.
 * @param options `dryRun` reads states only; signal.
 * @returns Stopped, finished and missing ids.
 */
export async function stopRuns(
  client: TsClient,
  ids: Iterable<number>,
  options: { dryRun?: boolean; signal?: AbortSignal } = {},
): Promise<StopResult> {
  const wanted = [...new Set(ids)];
  const signal = options.signal ? { signal: options.signal } : {};
  const runs = await getRuns(client, wanted, signal);
  const result: StopResult = { stopped: [], finished: [], missing: [] };
  for (const id of wanted) {
    const run = runs.get(id);
    if (!run) result.missing.push(id);
    else if (classifyState(run.state) !== "running") {
      result.finished.push({ id, state: run.state });
    } else {
      if (!options.dryRun) {
        await client.request("GET", `pluginresult/${id}/stop/`, signal);
      }
      result.stopped.push(id);
    }
  }
  return result;
}
