/**
 * Status of plugin runs over many reports, and stopping running ones.
 *
 * @module
 */

import type { TsClient } from "./client.ts";
import {
  getRuns,
  type Pair,
  pairKey,
  type PairsQuery,
  reportOf,
  runsOf,
} from "./runs.ts";
import { parseTsDate } from "./datetime.ts";
import { classifyRun, classifyState, type StateClass } from "./states.ts";
import type { PluginResult } from "./types.ts";

/** The newest run of one (report, plugin) pair. */
export interface PairStatus {
  /** Report key. */
  report: number;
  /** Report name, when a run tells it. */
  reportName: string | null;
  /** Plugin name. */
  plugin: string;
  /** Newest run's state, or `null` when never run. */
  state: string | null;
  /** State group. */
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
  /** Validation errors of the launch config. */
  validationErrors: string[];
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
  pair: Pair & { run: PluginResult | undefined; staleAfterMs?: number },
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
  });
  const until = Number.isNaN(end)
    ? (cls === "running" || cls === "stale" ? now : NaN)
    : end;
  return {
    report,
    reportName: run?.resultName ?? null,
    plugin,
    state: run?.state ?? null,
    stateClass: cls,
    id: run?.id ?? null,
    starttime: run?.starttime ?? null,
    endtime: run?.endtime ?? null,
    durationSeconds: Number.isNaN(start) || Number.isNaN(until)
      ? null
      : Math.max(0, Math.round((until - start) / 1000)),
    url: run?.URL ? new URL(run.URL, `${client.baseUrl}/`).href : null,
    validationErrors: run?.validation_errors?.validation_errors ?? [],
  };
}

/**
 * The newest run of each (report, plugin) pair, with batched look-ups (about
 * 800 reports and 1000 runs per request). With `plugins` empty, every plugin
 * that ever ran on the reports is included.
 *
 * @example
 * ```ts ignore
 * import { pairStatuses } from "./status.ts";
 * const statuses = await pairStatuses(client, {
 *   reports: [1234, 1235],
 *   plugins: ["coverageAnalysis"],
 * });
 * for (const s of statuses) {
 *   console.log(s.report, s.plugin, s.state ?? "never run");
 * }
 * ```
 *
 * @param client The API client.
 * @param query Report keys and plugin names (none for all).
 * @param options Signal.
 * @returns One status per pair, sorted by report then plugin.
 */
export async function pairStatuses(
  client: TsClient,
  query: PairsQuery,
  options: { signal?: AbortSignal; staleAfterMs?: number } = {},
): Promise<PairStatus[]> {
  const reportIds = [...new Set(query.reports)].sort((a, b) => a - b);
  const names = [...new Set(query.plugins ?? [])].sort();
  const runs = await runsOf(
    client,
    { reports: reportIds, plugins: names },
    options,
  );
  const newest = new Map<string, PluginResult>();
  for (const run of runs) {
    const key = pairKey(reportOf(run), run.pluginName);
    const seen = newest.get(key);
    if (!seen || run.id > seen.id) newest.set(key, run);
  }
  const pluginNames = names.length > 0
    ? names
    : [...new Set(runs.map((r) => r.pluginName))].sort();
  const statuses: PairStatus[] = [];
  for (const report of reportIds) {
    for (const plugin of pluginNames) {
      const run = newest.get(pairKey(report, plugin));
      if (names.length === 0 && !run) continue;
      statuses.push(pairStatus(client, {
        report,
        plugin,
        run,
        ...(options.staleAfterMs !== undefined
          ? { staleAfterMs: options.staleAfterMs }
          : {}),
      }));
    }
  }
  return statuses;
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
