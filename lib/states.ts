/**
 * Plugin-run states of Torrent Suite and how the toolkit groups them.
 *
 * @module
 */

import { parseTsDate } from "./datetime.ts";

/** States of a run that has not finished (`RUNNING_STATES` in Torrent Suite). */
export const RUNNING_STATES: readonly string[] = [
  "Pending",
  "Queued",
  "Started",
];

/** The one state that means success. */
export const SUCCESS_STATE = "Completed";

/** The state of a run a user stopped. */
export const CANCELLED_STATE = "Cancelled";

/**
 * How the toolkit groups a run: still running, succeeded, failed, stopped by
 * a user (cancelled), running for longer than any job can (stale: its node
 * died, and the server never sweeps such runs), or never run (missing).
 */
export type StateClass =
  | "running"
  | "completed"
  | "failed"
  | "cancelled"
  | "stale"
  | "missing";

/**
 * Groups a plugin-run state. `Cancelled` is a class of its own (a user
 * stopped it on purpose); everything else that is neither running nor
 * `Completed` is a failure: `Error`, `Failed Validation`, `Timed Out`,
 * `Declined`, `Resource`, `Unknown`, `Archived`, and any state a newer server
 * may add. A state alone never says stale: see {@linkcode classifyRun}.
 *
 * @example
 * ```ts
 * import { classifyState } from "./states.ts";
 * if (classifyState("Queued") !== "running") throw new Error();
 * if (classifyState("Failed Validation") !== "failed") throw new Error();
 * if (classifyState("Cancelled") !== "cancelled") throw new Error();
 * if (classifyState(null) !== "missing") throw new Error();
 * ```
 *
 * @param state A run's state, or `null`/`undefined` when there is no run.
 * @returns The group.
 */
export function classifyState(
  state: string | null | undefined,
): Exclude<StateClass, "stale"> {
  if (state === null || state === undefined) return "missing";
  if (RUNNING_STATES.includes(state)) return "running";
  if (state === SUCCESS_STATE) return "completed";
  if (state === CANCELLED_STATE) return "cancelled";
  return "failed";
}

/** The default of {@linkcode StaleRule.staleAfterMs}: 25 h, past the grid's 24 h job limit. */
export const STALE_AFTER_MS = 25 * 3_600_000;

/** When a running run counts as stale. */
export interface StaleRule {
  /** Now, in ms. */
  now: number;
  /** Running longer than this is stale; default {@linkcode STALE_AFTER_MS}. */
  staleAfterMs?: number;
  /**
   * When this toolkit launched the run, in ms, if it knows (a journal): a
   * queued run has no start time on the server, so this is its age.
   */
  launchedAt?: number | undefined;
  /**
   * For a run still waiting (`Queued`/`Pending`): when the server's FIFO
   * queue passed it, i.e. the start time (by the server's clock) of the
   * first newer run that started (see {@linkcode passedSince}). A waiting
   * run passed longer ago than the limit is held for ever (a crash between
   * the grid's hold and release, a missing launch script).
   */
  passedAt?: number | undefined;
}

const WAITING_STATES = new Set(["Pending", "Queued"]);

/**
 * Whether a run's state says it waits for a slot (`Pending`, `Queued`): a
 * running state without a start.
 *
 * @param state The run's state.
 * @returns True for `Pending` and `Queued`.
 */
export function isWaiting(state: string): boolean {
  return WAITING_STATES.has(state);
}

/**
 * When the queue passed each waiting run among `runs`: the earliest start
 * time of a run with a higher id (the queue is first in, first out, so a
 * newer run starting first means this one is held). Runs that started, and
 * waiting runs nothing newer has passed, are absent.
 *
 * @example
 * ```ts
 * import { passedSince } from "./states.ts";
 * const passed = passedSince([
 *   { id: 1, state: "Queued", starttime: null },
 *   { id: 2, state: "Completed", starttime: "2026-03-01T10:00:00+00:00" },
 * ]);
 * if (passed.get(1) !== Date.parse("2026-03-01T10:00:00Z")) throw new Error();
 * ```
 *
 * @param runs Runs as the server lists them (any order).
 * @returns Run id → when it was passed, in ms.
 */
export function passedSince(
  runs: Iterable<{ id: number; state: string; starttime?: string | null }>,
): Map<number, number> {
  const sorted = [...runs].sort((a, b) => b.id - a.id);
  const passed = new Map<number, number>();
  let earliest = Infinity; // earliest start among the runs seen (newer ids)
  for (const run of sorted) {
    const start = run.starttime ? parseTsDate(run.starttime) : NaN;
    if (Number.isFinite(start)) earliest = Math.min(earliest, start);
    else if (
      isWaiting(run.state) && Number.isFinite(earliest)
    ) passed.set(run.id, earliest);
  }
  return passed;
}

/**
 * Groups a run with its times: a run `Started` longer ago than the stale
 * limit (25 h by default, past the grid's 24 h job limit), or `Queued`/
 * `Pending` since a launch that long ago or passed by the queue that long
 * ago (see {@linkcode passedSince}), is stale: its job is gone, and the
 * server never sweeps it. Otherwise as {@linkcode classifyState}.
 *
 * @example
 * ```ts
 * import { classifyRun } from "./states.ts";
 * const now = Date.parse("2026-03-02T12:00:00Z");
 * const run = { state: "Started", starttime: "2026-03-01T00:00:00+00:00" };
 * if (classifyRun(run, { now }) !== "stale") throw new Error("36 h running");
 * if (classifyRun(run, { now, staleAfterMs: 48 * 3600_000 }) !== "running") {
 *   throw new Error();
 * }
 * ```
 *
 * @param run The run's state and start time (TS datetime), or `undefined`.
 * @param rule Now, the limit, and when it was launched, if known.
 * @returns The group.
 */
export function classifyRun(
  run: { state: string; starttime?: string | null } | undefined,
  rule: StaleRule,
): StateClass {
  const cls = classifyState(run?.state);
  if (cls !== "running") return cls;
  const limit = rule.staleAfterMs ?? STALE_AFTER_MS;
  const started = run?.starttime ? parseTsDate(run.starttime) : NaN;
  // Not started: waiting since its launch, or held since the queue passed
  // it, whichever is known and earlier.
  const since = Number.isFinite(started)
    ? started
    : Math.min(rule.launchedAt ?? Infinity, rule.passedAt ?? Infinity);
  return Number.isFinite(since) && rule.now - since > limit ? "stale" : cls;
}

/** How many runs are in each group. */
export interface StateCounts {
  /** Runs still in a running state. */
  running: number;
  /** Runs that completed. */
  completed: number;
  /** Runs that ended in any other state but Cancelled. */
  failed: number;
  /** Runs a user stopped. */
  cancelled: number;
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
  const counts: StateCounts = {
    running: 0,
    completed: 0,
    failed: 0,
    cancelled: 0,
  };
  for (const run of runs) {
    const group = classifyState(run.state);
    if (group !== "missing") counts[group]++;
  }
  return counts;
}
