/**
 * The duplicate guard: Torrent Suite starts another run for every launch
 * request, even while one is running, so the toolkit decides per (report,
 * plugin) pair from the newest existing run.
 *
 * @module
 */

import { formatIso, parseTsDate } from "../datetime.ts";
import { classifyRun, type StateClass } from "../states.ts";
import type { PluginResult } from "../types.ts";

/** A class of existing runs that `--rerun` may launch again. */
export type RerunClass = "failed" | "cancelled" | "stale";

/**
 * Which pairs to (re)launch. Pairs never run are always launched; a list
 * names the classes of existing runs to launch again (`--rerun
 * failed,cancelled,stale`; the empty list is `--rerun none`: only pairs
 * never run); `"always"` (`--force`) launches every pair, even one running.
 */
export type RerunPolicy = "always" | readonly RerunClass[];

/** The default: relaunch pairs whose newest run failed. */
export const DEFAULT_RERUN: readonly RerunClass[] = ["failed"];

/** The guard's verdict on one pair. */
export interface GuardDecision {
  /** Whether to launch. */
  launch: boolean;
  /** Why, in words a user reads in the summary. */
  reason: string;
  /** The class of the pair's newest run (`missing`: never run). */
  class: StateClass;
  /** Not relaunched: it failed `maxFailures` times or more. */
  heldBack?: boolean;
}

/** What {@linkcode guard} knows besides the run. */
export interface GuardOptions {
  /** The rerun policy; default {@linkcode DEFAULT_RERUN}. */
  policy?: RerunPolicy;
  /** Now, in ms. */
  now: number;
  /** A run running longer than this is stale; default 25 h. */
  staleAfterMs?: number;
  /** When this toolkit launched the run (ms), if it knows (a queued run has no start). */
  launchedAt?: number;
  /** When the queue passed the run, if it still waits (see `passedSince`). */
  passedAt?: number | undefined;
  /** How many runs of the pair failed in its history (the newest included). */
  failures?: number;
  /**
   * `failed` reruns only a pair that failed fewer times than this; default
   * Infinity (no limit).
   */
  maxFailures?: number;
}

/**
 * Decides whether to launch a pair given its newest run.
 *
 * @example
 * ```ts
 * import { guard } from "./guard.ts";
 * const now = Date.now();
 * const d = guard({ id: 7, state: "Started", starttime: null }, { now });
 * if (d.launch) throw new Error("a running pair must be skipped");
 * ```
 *
 * @param latest The pair's newest run, or `undefined`.
 * @param options The policy and the stale rule.
 * @returns Launch or skip, and why.
 */
export function guard(
  latest: Pick<PluginResult, "id" | "state" | "starttime"> | undefined,
  options: GuardOptions,
): GuardDecision {
  const policy = options.policy ?? DEFAULT_RERUN;
  const cls = classifyRun(latest, {
    now: options.now,
    ...(options.staleAfterMs !== undefined
      ? { staleAfterMs: options.staleAfterMs }
      : {}),
    launchedAt: options.launchedAt,
    passedAt: options.passedAt,
  });
  if (!latest) {
    return { launch: true, reason: "first run on this report", class: cls };
  }
  const which = `run ${latest.id} is ${latest.state}`;
  if (policy === "always") {
    return { launch: true, reason: `forced (${which})`, class: cls };
  }
  const again = (c: RerunClass) => policy.includes(c);
  switch (cls) {
    case "running":
      return { launch: false, reason: `already running: ${which}`, class: cls };
    case "completed":
      return {
        launch: false,
        reason: `already completed: ${which}`,
        class: cls,
      };
    case "stale":
      return again("stale")
        ? {
          launch: true,
          reason: `rerun: ${which} since ${since(latest)}, stale`,
          class: cls,
        }
        : {
          launch: false,
          reason: `stale: ${which} since ${
            since(latest)
          } (its job is gone; --rerun stale launches it again)`,
          class: cls,
        };
    case "cancelled":
      return again("cancelled")
        ? { launch: true, reason: `rerun: ${which}`, class: cls }
        : {
          launch: false,
          reason:
            `cancelled by a user: ${which} (--rerun cancelled launches it again)`,
          class: cls,
        };
    default:
      if (
        again("failed") &&
        (options.failures ?? 0) >= (options.maxFailures ?? Infinity)
      ) {
        return {
          launch: false,
          reason: `failed ${options.failures} times: read the log (${which})`,
          class: cls,
          heldBack: true,
        };
      }
      return again("failed")
        ? { launch: true, reason: `rerun: ${which}`, class: cls }
        : {
          launch: false,
          reason: `already run: ${which} (--rerun failed launches it again)`,
          class: cls,
        };
  }
}

/**
 * Since when a stale run has been in its state, as ISO 8601 UTC with ms
 * (Tastypie's raw string puts milliseconds where microseconds go).
 */
function since(run: Pick<PluginResult, "starttime">): string {
  const at = run.starttime ? formatIso(parseTsDate(run.starttime)) : null;
  return at ?? "its launch";
}
