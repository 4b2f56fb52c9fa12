/**
 * Which run of each (report, plugin) pair holds the results to read: the
 * newest `Completed` one by default, looked up in `pluginresult/` (never in
 * `pluginStore`, which shows the newest run whatever its state, so a failed
 * rerun there hides the last good results).
 *
 * Shared by the results table and the downloads: both read the chosen run,
 * and both list the pairs without one with their reason.
 *
 * @module
 */

import type { TsClient } from "../http/mod.ts";
import { batchIds, paginate } from "./paginate.ts";
import { pairKey, reportOf } from "./runs.ts";
import { classifyState } from "../states.ts";
import type { PluginResult } from "../types.ts";

/**
 * Which run to read per pair: `"completed"` (the newest `Completed` run),
 * `"newest"` (the newest finished run, whatever its state) or a run id.
 */
export type RunPick = "completed" | "newest" | number;

/**
 * Why a pair has no run to read:
 * - `no-run`: the plugin never ran on the report;
 * - `only-failed`: every finished run failed or was cancelled;
 * - `running`: its only runs have not finished;
 * - `not-found`: the run id asked for is not a run of this pair.
 */
export type NoRunReason = "no-run" | "only-failed" | "running" | "not-found";

/** The run chosen for one (report, plugin) pair. */
export interface RunChoice {
  /** Report primary key. */
  report: number;
  /** Report name, from the runs (empty when the pair has none). */
  reportName: string;
  /** Plugin name. */
  plugin: string;
  /** The chosen run, or `null` (see {@linkcode RunChoice.reason}). */
  run: PluginResult | null;
  /** Why there is no run; `null` when there is one. */
  reason: NoRunReason | null;
  /**
   * Runs newer than the chosen one that were passed over (a failed or
   * running rerun), newest first: they are flagged beside the results,
   * never hidden.
   */
  newer: PluginResult[];
}

/** Options for {@linkcode chooseRuns}. */
export interface ChooseRunsOptions {
  /** Which run per pair; default `"completed"`. */
  pick?: RunPick;
  /**
   * Reports per look-up. A run's `store` can be 100 KB (96 barcodes), so
   * batches are smaller than for bare run look-ups; default 100.
   */
  batchSize?: number;
  /** Aborts the look-ups. */
  signal?: AbortSignal;
}

/**
 * Chooses the run to read for every (report, plugin) pair, batch by batch:
 * each batch of 100 reports costs one `pluginresult/?result__in=…` look-up
 * (more pages only for reports with many runs), and choices are yielded as
 * soon as their batch is read, so a caller that streams its output keeps
 * memory flat whatever the number of reports. Pairs come in the order of
 * `reports`, then of `plugins`.
 *
 * @example
 * ```ts
 * import { createClient } from "../http/mod.ts";
 * import { chooseRuns } from "./selection.ts";
 * import { startSimulator } from "../../simulator/mod.ts";
 * await using server = await startSimulator({ reports: 3 });
 * const [user] = server.users;
 * using client = await createClient({ url: server.url, user: user!.username, apiKey: user!.apiKey });
 * for await (const c of chooseRuns(client, server.reportIds(), ["igv"])) {
 *   if (c.run === null && c.reason === null) throw new Error("a reason is always given");
 * }
 * ```
 *
 * @param client The API client.
 * @param reports Report keys (duplicates are read once).
 * @param plugins Plugin names.
 * @param options Which run, batch size, signal.
 * @returns The choices, one per pair.
 */
export async function* chooseRuns(
  client: TsClient,
  reports: Iterable<number>,
  plugins: readonly string[],
  options: ChooseRunsOptions = {},
): AsyncGenerator<RunChoice, void, undefined> {
  const ids = [...new Set(reports)];
  const names = [...new Set(plugins)];
  if (ids.length === 0 || names.length === 0) return;
  const pick = options.pick ?? "completed";
  const size = Math.max(1, options.batchSize ?? 100);
  const batches = batchIds(ids).flatMap((b) => chunk(b, size));
  // One batch read ahead: the next look-up overlaps with the caller's work.
  let ahead = batches.length
    ? runsOfBatch(client, batches[0]!, names, options)
    : null;
  for (let i = 0; i < batches.length; i++) {
    const runs = await ahead!;
    ahead = i + 1 < batches.length
      ? runsOfBatch(client, batches[i + 1]!, names, options)
      : null;
    // A rejected read-ahead must not go unhandled while this batch yields.
    ahead?.catch(() => {});
    const byPair = new Map<string, PluginResult[]>();
    for (const run of runs) {
      const key = pairKey(reportOf(run), run.pluginName);
      byPair.set(key, [...(byPair.get(key) ?? []), run]);
    }
    for (const report of batches[i]!) {
      for (const plugin of names) {
        const list = (byPair.get(pairKey(report, plugin)) ?? [])
          .sort((a, b) => b.id - a.id);
        yield choose(report, plugin, list, pick);
      }
    }
  }
}

/**
 * Picks one pair's run from its runs, newest first.
 *
 * @param report Report key.
 * @param plugin Plugin name.
 * @param runs The pair's runs, newest first.
 * @param pick Which run.
 * @returns The choice.
 */
export function choose(
  report: number,
  plugin: string,
  runs: readonly PluginResult[],
  pick: RunPick,
): RunChoice {
  const reportName = runs[0]?.resultName ?? "";
  const base = { report, reportName, plugin };
  if (runs.length === 0) {
    return { ...base, run: null, reason: "no-run", newer: [] };
  }
  const at = runs.findIndex((r) =>
    typeof pick === "number"
      ? r.id === pick
      : pick === "completed"
      ? classifyState(r.state) === "completed"
      : classifyState(r.state) !== "running"
  );
  if (at === -1) {
    const reason: NoRunReason = typeof pick === "number"
      ? "not-found"
      : runs.every((r) => classifyState(r.state) === "running")
      ? "running"
      : "only-failed";
    return { ...base, run: null, reason, newer: [...runs] };
  }
  return { ...base, run: runs[at]!, reason: null, newer: runs.slice(0, at) };
}

/** Every run of the plugins on one batch of reports. */
async function runsOfBatch(
  client: TsClient,
  batch: readonly number[],
  names: readonly string[],
  options: ChooseRunsOptions,
): Promise<PluginResult[]> {
  const wanted = new Set(batch);
  const nameSet = new Set(names);
  const filter = names.length === 1 ? "plugin__name" : "plugin__name__in";
  const runs: PluginResult[] = [];
  for await (
    const run of paginate<PluginResult>(client, "pluginresult/", {
      params: { result__in: [...batch], [filter]: names.join(",") },
      verify: {
        result__in: (r) => wanted.has(reportOf(r)),
        [filter]: (r) => nameSet.has(r.pluginName),
      },
      ...(options.signal ? { signal: options.signal } : {}),
    })
  ) runs.push(run);
  return runs;
}

function chunk<T>(list: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
  return out;
}

/**
 * Says why a pair has no usable run, in a few words.
 *
 * @param c The choice.
 * @returns E.g. `"only failed runs (newest 812: Error)"`.
 */
export function reasonText(c: RunChoice): string {
  const newest = c.newer[0];
  switch (c.reason) {
    case "no-run":
      return "no run";
    case "running":
      return `running (run ${newest?.id}: ${newest?.state})`;
    case "only-failed":
      return `only failed runs (newest ${newest?.id}: ${newest?.state})`;
    case "not-found":
      return "no such run of this plugin on this report";
    default:
      return "";
  }
}
