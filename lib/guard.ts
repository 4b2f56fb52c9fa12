/**
 * The duplicate guard: Torrent Suite starts another run for every launch
 * request, even while one is running, so the toolkit decides per (report,
 * plugin) pair from the newest existing run.
 *
 * @module
 */

import { classifyState } from "./states.ts";
import type { PluginResult } from "./types.ts";

/**
 * Which pairs to (re)launch:
 * - `"failed"` (default): pairs never run, or whose newest run failed;
 * - `"missing"`: only pairs never run;
 * - `"always"` (`--force`): every pair, even with a run in progress.
 */
export type RerunPolicy = "failed" | "missing" | "always";

/** The guard's verdict on one pair. */
export interface GuardDecision {
  /** Whether to launch. */
  launch: boolean;
  /** Why, in words a user reads in the summary. */
  reason: string;
}

/**
 * Decides whether to launch a pair given its newest run.
 *
 * @example
 * ```ts
 * import { guard } from "./guard.ts";
 * const d = guard({ id: 7, state: "Started" }, "failed");
 * if (d.launch) throw new Error("a running pair must be skipped");
 * ```
 *
 * @param latest The pair's newest run (`id` and `state`), or `undefined`.
 * @param policy The rerun policy.
 * @returns Launch or skip, and why.
 */
export function guard(
  latest: Pick<PluginResult, "id" | "state"> | undefined,
  policy: RerunPolicy,
): GuardDecision {
  if (!latest) return { launch: true, reason: "first run on this report" };
  const which = `run ${latest.id} is ${latest.state}`;
  if (policy === "always") return { launch: true, reason: `forced (${which})` };
  switch (classifyState(latest.state)) {
    case "running":
      return { launch: false, reason: `already running: ${which}` };
    case "completed":
      return { launch: false, reason: `already completed: ${which}` };
    default:
      return policy === "failed"
        ? { launch: true, reason: `rerun: ${which}` }
        : {
          launch: false,
          reason:
            `already run: ${which} (--rerun missing launches only never-run pairs)`,
        };
  }
}
