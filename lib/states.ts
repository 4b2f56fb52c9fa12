/**
 * Plugin-run states of Torrent Suite and how the toolkit groups them.
 *
 * @module
 */

/** States of a run that has not finished (`RUNNING_STATES` in Torrent Suite). */
export const RUNNING_STATES: readonly string[] = [
  "Pending",
  "Queued",
  "Started",
];

/** The one state that means success. */
export const SUCCESS_STATE = "Completed";

/** How the toolkit groups a state: still running, succeeded, failed, or never run. */
export type StateClass = "running" | "completed" | "failed" | "missing";

/**
 * Groups a plugin-run state. Everything that is neither running nor
 * `Completed` is a failure: `Error`, `Failed Validation`, `Timed Out`,
 * `Cancelled`, `Declined`, `Resource`, `Unknown`, `Archived`, and any state a
 * newer server may add.
 *
 * @example
 * ```ts
 * import { classifyState } from "./states.ts";
 * if (classifyState("Queued") !== "running") throw new Error();
 * if (classifyState("Failed Validation") !== "failed") throw new Error();
 * if (classifyState(null) !== "missing") throw new Error();
 * ```
 *
 * @param state A run's state, or `null`/`undefined` when there is no run.
 * @returns The group.
 */
export function classifyState(state: string | null | undefined): StateClass {
  if (state === null || state === undefined) return "missing";
  if (RUNNING_STATES.includes(state)) return "running";
  if (state === SUCCESS_STATE) return "completed";
  return "failed";
}

/** How many runs are running, completed and failed. */
export interface StateCounts {
  /** Runs still in a running state. */
  running: number;
  /** Runs that completed. */
  completed: number;
  /** Runs that ended in any other state. */
  failed: number;
}

/**
 * Counts runs per state group.
 *
 * @example
 * ```ts
 * import { countStates } from "./states.ts";
 * const n = countStates([{ state: "Started" }, { state: "Error" }]);
 * if (n.running !== 1 || n.failed !== 1) throw new Error();
 * ```
 *
 * @param runs Runs (anything with a `state`).
 * @returns The counts.
 */
export function countStates(
  runs: Iterable<{ state: string | null | undefined }>,
): StateCounts {
  const counts: StateCounts = { running: 0, completed: 0, failed: 0 };
  for (const run of runs) {
    const group = classifyState(run.state);
    if (group !== "missing") counts[group]++;
  }
  return counts;
}
