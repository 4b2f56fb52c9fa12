/**
 * Plugin runs ("plugin results"): batched look-ups of the newest run per
 * (report, plugin) pair, and waiting for runs to finish.
 *
 * @module
 */

import { isPermanent, type TsClient } from "../http/mod.ts";
import { inBatches, listAll, paginate } from "./paginate.ts";
import { classifyRun, classifyState, passedSince } from "../states.ts";
import type { PluginResult } from "../types.ts";

/** A (report, plugin) pair. */
export interface Pair {
  /** Report primary key. */
  report: number;
  /** Plugin name. */
  plugin: string;
}

/**
 * Key of a pair in maps: `"<report>/<plugin>"`.
 *
 * @param report Report primary key.
 * @param plugin Plugin name.
 * @returns The key.
 */
export function pairKey(report: number, plugin: string): string {
  return `${report}/${plugin}`;
}

/**
 * Report primary key of a plugin result (from its `result` URI).
 *
 * @param run A plugin result.
 * @returns The report key, or `NaN` when the URI is malformed.
 */
export function reportOf(run: Pick<PluginResult, "result">): number {
  const m = /\/results\/(\d+)\/?$/.exec(run.result);
  return m ? Number(m[1]) : NaN;
}

/** Which runs to look up: every pair of these reports and plugins. */
export interface PairsQuery {
  /** Report keys. */
  reports: Iterable<number>;
  /**
   * Plugin names; empty (or absent) for every plugin that ran on the
   * reports.
   */
  plugins?: Iterable<string>;
}

/** Options for {@linkcode runsOf}. */
export interface RunsOfOptions {
  /** Only runs with an id above this one. */
  afterId?: number;
  /** Aborts the look-up. */
  signal?: AbortSignal;
}

/**
 * Fetches every run of the given plugins on the given reports with batched
 * `pluginresult/?result__in=…&plugin__name__in=…` look-ups (about 800 reports
 * and 1000 runs per request), newest first. With no plugin names, every run
 * of any plugin on the reports (`result__in` alone). The filters are verified
 * on every object (the server ignores a filter it does not know).
 *
 * @example
 * ```ts
 * import { createClient } from "../http/client.ts";
 * import { runsOf } from "./runs.ts";
 * import { startSimulator } from "../../simulator/mod.ts";
 * await using server = await startSimulator({ reports: 3 });
 * const [user] = server.users;
 * using client = await createClient({ url: server.url, user: user!.username, apiKey: user!.apiKey });
 * const reports = server.reportIds();
 * const all = await runsOf(client, { reports }); // every plugin
 * const igv = await runsOf(client, { reports, plugins: ["igv"] });
 * if (all.length === 0 || igv.some((r) => r.pluginName !== "igv")) throw new Error();
 * if (new Set(all.map((r) => r.pluginName)).size < 2) throw new Error("one plugin only");
 * ```
 *
 * @param client The API client.
 * @param query Report keys and plugin names (none: every plugin).
 * @param options Lower id bound and signal.
 * @returns The runs, newest first within each batch.
 */
export async function runsOf(
  client: TsClient,
  query: PairsQuery,
  options: RunsOfOptions = {},
): Promise<PluginResult[]> {
  const names = [...new Set(query.plugins ?? [])].sort();
  const ids = [...new Set(query.reports)].sort((a, b) => a - b);
  if (ids.length === 0) return [];
  const nameSet = new Set(names);
  const nameFilter = names.length === 0
    ? undefined
    : names.length === 1
    ? "plugin__name"
    : "plugin__name__in";
  const afterId = options.afterId ?? -Infinity;
  return await inBatches(ids, (batch) => {
    const wanted = new Set(batch);
    return listAll<PluginResult>(client, "pluginresult/", {
      params: {
        result__in: batch,
        ...(nameFilter ? { [nameFilter]: names.join(",") } : {}),
        ...(options.afterId !== undefined ? { id__gt: options.afterId } : {}),
      },
      verify: {
        result__in: (r) => wanted.has(reportOf(r)),
        ...(nameFilter
          ? { [nameFilter]: (r: PluginResult) => nameSet.has(r.pluginName) }
          : {}),
        ...(options.afterId !== undefined
          ? { id__gt: (r: PluginResult) => r.id > afterId }
          : {}),
      },
      ...(options.signal ? { signal: options.signal } : {}),
    });
  });
}

/**
 * The newest run of each pair, looked up in batches (never one request per
 * report).
 *
 * @example
 * ```ts
 * import { createClient } from "../http/mod.ts";
 * import { launchPlugin } from "./launch.ts";
 * import { latestRuns, pairKey } from "./runs.ts";
 * import { startSimulator } from "../../simulator/mod.ts";
 * await using server = await startSimulator({ reports: 3 });
 * const [user] = server.users;
 * using client = await createClient({ url: server.url, user: user!.username, apiKey: user!.apiKey });
 * const reports = server.reportIds();
 * const { run } = await launchPlugin(client, { report: reports[0]!, plugin: "coverageAnalysis" });
 * const latest = await latestRuns(client, {
 *   reports,
 *   plugins: ["coverageAnalysis"],
 * });
 * console.log(latest.get(pairKey(reports[0]!, "coverageAnalysis"))?.state);
 * if (latest.get(pairKey(reports[0]!, "coverageAnalysis"))?.id !== run!.id) throw new Error();
 * ```
 *
 * @param client The API client.
 * @param query Report keys and plugin names (none: every plugin that ran).
 * @param options Lower id bound and signal.
 * @returns The newest run per {@linkcode pairKey}; pairs never run are absent.
 */
export async function latestRuns(
  client: TsClient,
  query: PairsQuery,
  options: RunsOfOptions = {},
): Promise<Map<string, PluginResult>> {
  const latest = new Map<string, PluginResult>();
  for (const run of await runsOf(client, query, options)) {
    const key = pairKey(reportOf(run), run.pluginName);
    const seen = latest.get(key);
    if (!seen || run.id > seen.id) latest.set(key, run);
  }
  return latest;
}

/** A pair and the newest run id it had before a launch (0 when none). */
export interface PairSince extends Pair {
  /** Only runs with an id above this one are new. */
  before: number;
}

/**
 * The new runs of each pair (id above its own `before`), oldest first, with
 * batched look-ups bounded below by the lowest `before`: what a launch
 * created, or two runs where a pair was launched twice.
 *
 * @example
 * ```ts
 * import { createClient } from "../http/client.ts";
 * import { launchPlugin } from "./launch.ts";
 * import { latestRun, newRuns, pairKey } from "./runs.ts";
 * import { startSimulator } from "../../simulator/mod.ts";
 * await using server = await startSimulator({ reports: 2 });
 * const [user] = server.users;
 * using client = await createClient({ url: server.url, user: user!.username, apiKey: user!.apiKey });
 * const [report] = server.reportIds();
 * const pair = { report: report!, plugin: "sampleID" };
 * const before = (await latestRun(client, pair))?.id ?? 0;
 * await launchPlugin(client, pair);
 * const found = await newRuns(client, [{ ...pair, before }]);
 * if (found.get(pairKey(report!, "sampleID"))?.length !== 1) throw new Error();
 * ```
 *
 * @param client The API client.
 * @param pairs Each pair with its lower id bound.
 * @returns The new runs by {@linkcode pairKey}; pairs without one are absent.
 */
export async function newRuns(
  client: TsClient,
  pairs: readonly PairSince[],
): Promise<Map<string, PluginResult[]>> {
  const found = new Map<string, PluginResult[]>();
  if (pairs.length === 0) return found;
  const byKey = new Map(pairs.map((p) => [pairKey(p.report, p.plugin), p]));
  const runs = await runsOf(client, {
    reports: pairs.map((p) => p.report),
    plugins: new Set(pairs.map((p) => p.plugin)),
  }, { afterId: Math.min(...pairs.map((p) => p.before)) });
  for (const run of runs) {
    const key = pairKey(reportOf(run), run.pluginName);
    const pair = byKey.get(key);
    if (!pair || run.id <= pair.before) continue;
    found.set(key, [...(found.get(key) ?? []), run]);
  }
  for (const list of found.values()) list.sort((a, b) => a.id - b.id);
  return found;
}

/** How many of the server's newest runs {@linkcode queueRuns} looks at by default. */
export const QUEUE_LOOK = 50;

/**
 * The server's newest plugin runs, any owner, any plugin, newest first, in
 * one request (`pluginresult/?order_by=-id&limit=N`): the plugin queue as
 * far as it shows. The runs still waiting or running are among them (a run
 * older than the newest `limit` that is still queued is not seen); the
 * finished ones tell which runs the FIFO queue has passed. Not filtered on
 * the server by state: a run's state is computed (not filterable), and a
 * filter through its jobs is not allowed on every version.
 *
 * @example
 * ```ts
 * import { createClient } from "../http/client.ts";
 * import { launchPlugin } from "./launch.ts";
 * import { queueRuns } from "./runs.ts";
 * import { startSimulator } from "../../simulator/mod.ts";
 * await using server = await startSimulator({ reports: 2 });
 * const [user] = server.users;
 * using client = await createClient({ url: server.url, user: user!.username, apiKey: user!.apiKey });
 * const { run } = await launchPlugin(client, { report: server.reportIds()[0]!, plugin: "igv" });
 * const queue = await queueRuns(client, { limit: 10 });
 * if (queue[0]?.id !== run!.id) throw new Error("newest first");
 * ```
 *
 * @param client The API client.
 * @param options How many runs (default {@linkcode QUEUE_LOOK}) and a signal.
 * @returns The runs, newest first.
 */
export async function queueRuns(
  client: TsClient,
  options: { limit?: number; signal?: AbortSignal } = {},
): Promise<PluginResult[]> {
  const runs = await listAll<PluginResult>(client, "pluginresult/", {
    params: { order_by: "-id" },
    max: options.limit ?? QUEUE_LOOK,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  return runs.sort((a, b) => b.id - a.id);
}

/**
 * The newest run of one pair, with one request.
 *
 * @example
 * ```ts
 * import { createClient } from "../http/mod.ts";
 * import { launchPlugin } from "./launch.ts";
 * import { latestRun } from "./runs.ts";
 * import { startSimulator } from "../../simulator/mod.ts";
 * await using server = await startSimulator({ reports: 1 });
 * const [user] = server.users;
 * using client = await createClient({ url: server.url, user: user!.username, apiKey: user!.apiKey });
 * const [report] = server.reportIds();
 * const { run: launched } = await launchPlugin(client, { report: report!, plugin: "igv" });
 * const run = await latestRun(client, { report: report!, plugin: "igv" });
 * console.log(run?.state ?? "never run");
 * if (run?.id !== launched!.id) throw new Error();
 * ```
 *
 * @param client The API client.
 * @param pair Report key and plugin name.
 * @param options Signal.
 * @returns The newest run, or `undefined` when the pair was never run.
 */
export async function latestRun(
  client: TsClient,
  pair: Pair,
  options: { signal?: AbortSignal } = {},
): Promise<PluginResult | undefined> {
  const { report, plugin } = pair;
  for await (
    const run of paginate<PluginResult>(client, "pluginresult/", {
      params: { result: report, plugin__name: plugin, order_by: "-id" },
      max: 1,
      verify: {
        result: (r) => reportOf(r) === report,
        plugin__name: (r) => r.pluginName === plugin,
      },
      ...(options.signal ? { signal: options.signal } : {}),
    })
  ) return run;
  return undefined;
}

/**
 * Fetches runs by id in batches.
 *
 * @param client The API client.
 * @param ids Plugin-result ids.
 * @param options Signal.
 * @returns The runs found, by id.
 */
export async function getRuns(
  client: TsClient,
  ids: Iterable<number>,
  options: { signal?: AbortSignal } = {},
): Promise<Map<number, PluginResult>> {
  const found = new Map<number, PluginResult>();
  const unique = [...new Set(ids)].sort((a, b) => a - b);
  const runs = await inBatches(unique, (batch) => {
    const wanted = new Set(batch);
    return listAll<PluginResult>(client, "pluginresult/", {
      params: { id__in: batch },
      verify: { id__in: (r) => wanted.has(r.id) },
      expectAtMost: batch.length,
      ...(options.signal ? { signal: options.signal } : {}),
    });
  });
  for (const run of runs) found.set(run.id, run);
  return found;
}

/** Options for {@linkcode waitForRuns}. */
export interface WaitOptions {
  /** Give up after this many milliseconds; default 6 hours. */
  timeoutMs?: number;
  /** Time between polls; default 10 s. */
  pollMs?: number;
  /** Called after each poll with every run seen so far. */
  onPoll?: (runs: ReadonlyMap<number, PluginResult>) => void;
  /**
   * Called when a poll fails on a network or server error; the wait goes on
   * (a server restart does not end hours of waiting). Other errors end it.
   */
  onPollError?: (message: string, error: unknown) => void;
  /** Aborts the wait (the promise rejects with the signal's reason). */
  signal?: AbortSignal;
  /**
   * A run still running longer than this (see `classifyRun`: `Started`
   * that long, or `Queued` that long since newer runs of these passed it) is
   * no longer followed: its grid job is gone or held (a server reboot leaves
   * runs `Started` for ever) and it will never end. Default: follow every
   * run to the end.
   */
  staleAfterMs?: number;
  /**
   * When each run was launched (ms), where known: a run still `Queued` that
   * long after its launch is stale too (with `staleAfterMs`).
   */
  launchedAt?: ReadonlyMap<number, number>;
}

/** The outcome of {@linkcode waitForRuns}. */
export interface WaitResult {
  /** Last seen state of every run, by id. */
  runs: Map<number, PluginResult>;
  /** Ids still running when the timeout hit (empty when all finished). */
  pending: number[];
  /** Ids the server no longer has. */
  missing: number[];
  /** Message of the last poll, if it failed (states are then older). */
  lastError?: string;
  /** Ids left running past `staleAfterMs` (no longer followed). */
  stale: number[];
}

/**
 * Polls runs (batched by id) until none is running or the timeout passes.
 *
 * @example
 * ```ts
 * import { createClient } from "../http/mod.ts";
 * import { launchPlugin } from "./launch.ts";
 * import { waitForRuns } from "./runs.ts";
 * import { startSimulator } from "../../simulator/mod.ts";
 * await using server = await startSimulator({ reports: 2 });
 * const [user] = server.users;
 * using client = await createClient({ url: server.url, user: user!.username, apiKey: user!.apiKey });
 * const ids: number[] = [];
 * for (const report of server.reportIds()) {
 *   ids.push((await launchPlugin(client, { report, plugin: "sampleID" })).run!.id);
 * }
 * const { runs, pending } = await waitForRuns(client, ids, { timeoutMs: 3_600_000, pollMs: 50 });
 * if (pending.length > 0 || runs.size !== ids.length) throw new Error();
 * ```
 *
 * @param client The API client (its `now` and `sleep` are used).
 * @param ids Plugin-result ids to follow.
 * @param options Timeout, poll interval, progress callback.
 * @returns Final (or last seen) runs and what is still pending.
 */
export async function waitForRuns(
  client: TsClient,
  ids: Iterable<number>,
  options: WaitOptions = {},
): Promise<WaitResult> {
  const timeoutMs = options.timeoutMs ?? 6 * 3600_000;
  const pollMs = options.pollMs ?? 10_000;
  const deadline = client.now() + timeoutMs;
  const runs = new Map<number, PluginResult>();
  const missing: number[] = [];
  const stale: number[] = [];
  let open = [...new Set(ids)];
  const signal = options.signal ? { signal: options.signal } : {};
  let lastError: string | undefined;
  while (true) {
    let found: Map<number, PluginResult> | undefined;
    try {
      found = await getRuns(client, open, signal);
      lastError = undefined;
    } catch (error) {
      if (options.signal?.aborted || isPermanent(error)) throw error;
      lastError = error instanceof Error ? error.message : String(error);
      options.onPollError?.(lastError, error);
    }
    if (found) {
      const still: number[] = [];
      // A waiting run that newer ones passed is held (see passedSince).
      const passed = options.staleAfterMs === undefined
        ? undefined
        : passedSince([...runs.values(), ...found.values()]);
      for (const id of open) {
        const run = found.get(id);
        if (!run) {
          missing.push(id);
          continue;
        }
        runs.set(id, run);
        if (classifyState(run.state) !== "running") continue;
        if (
          options.staleAfterMs !== undefined &&
          classifyRun(run, {
              now: client.now(),
              staleAfterMs: options.staleAfterMs,
              passedAt: passed?.get(id),
              launchedAt: options.launchedAt?.get(id),
            }) === "stale"
        ) stale.push(id);
        else still.push(id);
      }
      open = still;
      options.onPoll?.(runs);
    }
    if (open.length === 0 || client.now() + pollMs > deadline) break;
    await client.sleep(pollMs, options.signal);
  }
  return {
    runs,
    pending: open,
    missing,
    stale,
    ...(lastError ? { lastError } : {}),
  };
}
