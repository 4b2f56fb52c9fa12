// Internals of the bulk launcher: pacing. The plugin queue of a Torrent Suite
// server has 1 slot (S5) or 2 (towers), shared with the plugins of every new
// sequencing run: a job that queues 800 runs at once holds the lab's
// production analyses up for days. So at most `maxActive` of the job's runs
// are Queued or Started at once; the next is launched as an earlier one
// finishes. Active runs are polled in one batched request per poll, at a
// pace that follows how fast they finish; the limit also counts this user's
// active runs of other jobs on this machine and server (from their beacons).

import type { BulkContext, Task } from "./_bulk_context.ts";
import { newRuns } from "./_bulk_settle.ts";
import { classifyState } from "./states.ts";

/** Reads how many runs other jobs of this user have active on the server. */
export type OthersActive = () => Promise<number>;

/** What the pacer reports to the progress display. */
export interface PaceCounts {
  /** This job's runs Queued or Started now. */
  active: number;
  /** Other jobs' active runs (same user, machine and server). */
  others: number;
  /** Runs of this job that finished while it was pacing. */
  done: number;
}

/** Keeps at most `maxActive` of the job's runs active. */
export class Pacer {
  #ctx: BulkContext;
  #max: number;
  #others: OthersActive;
  #active = new Set<Task>();
  #done = 0;
  #othersNow = 0;
  #pollMs: number;
  /** Finished runs per ms, smoothed; 0 until one finished. */
  #rate = 0;
  #lastPoll = 0;
  #onChange: (counts: PaceCounts) => void;

  /**
   * @param ctx The bulk run's context.
   * @param options The limit, the first poll interval (from the plugin's
   *   typical run time), what other jobs have active, and a progress callback.
   */
  constructor(
    ctx: BulkContext,
    options: {
      maxActive: number;
      initialPollMs: number;
      othersActive?: OthersActive;
      onChange?: (counts: PaceCounts) => void;
    },
  ) {
    this.#ctx = ctx;
    this.#max = options.maxActive;
    this.#pollMs = clamp(options.initialPollMs);
    this.#others = options.othersActive ?? (() => Promise.resolve(0));
    this.#onChange = options.onChange ?? (() => {});
  }

  /** The counts now. */
  get counts(): PaceCounts {
    return {
      active: this.#active.size,
      others: this.#othersNow,
      done: this.#done,
    };
  }

  /** Counts a run of the job that is active already (an earlier invocation's). */
  adopt(task: Task): void {
    this.#active.add(task);
  }

  /** Waits until one more run may be active; polls the active ones meanwhile. */
  async acquire(): Promise<void> {
    for (;;) {
      if (this.#ctx.signal?.aborted) return;
      this.#othersNow = await this.#others().catch(() => this.#othersNow);
      if (this.#active.size + this.#othersNow < this.#max) return;
      const wait = this.#lastPoll + this.#pollMs - this.#ctx.now();
      if (wait > 0) {
        await this.#ctx.client.sleep(wait, this.#ctx.signal).catch(() => {});
      }
      await this.poll().catch(() => {}); // the server is busy: try again later
    }
  }

  /** A launch went out (accepted, or in doubt): its run counts as active. */
  launched(task: Task): void {
    this.#active.add(task);
    this.#onChange(this.counts);
  }

  /** Looks at every active run in one request; drops those that finished. */
  async poll(): Promise<void> {
    const tasks = [...this.#active];
    if (tasks.length === 0) return;
    const start = this.#ctx.now();
    const found = await newRuns(this.#ctx, tasks);
    let finished = 0;
    for (const task of tasks) {
      const runs = found.get(task.key);
      const run = runs?.[0];
      if (run && task.rows[0]!.run === null) {
        for (const r of task.rows) r.run = run.id; // known early: resolved
      }
      // No run (yet, or ever): an accepted launch's run exists at once, so
      // only an in-doubt one has none; it counts as active for its grace
      // period, then no longer (it would block the queue of a whole job).
      if (run && classifyState(run.state) !== "running") {
        this.#active.delete(task);
        finished++;
      } else if (
        !run && task.sentAt !== undefined &&
        start > task.sentAt + this.#ctx.graceMs
      ) {
        this.#active.delete(task);
      }
    }
    const since = this.#lastPoll ? start - this.#lastPoll : 0;
    this.#lastPoll = start;
    this.#done += finished;
    if (since > 0) {
      const rate = finished / since;
      this.#rate = this.#rate === 0 ? rate : 0.6 * this.#rate + 0.4 * rate;
    }
    if (this.#rate > 0) {
      // Poll before the queue could run dry: the active runs last about
      // active / rate; a little more than half of that keeps it fed.
      this.#pollMs = clamp(0.7 * Math.max(1, this.#active.size) / this.#rate);
    }
    this.#onChange(this.counts);
  }
}

/** Between 1 s and a minute. */
function clamp(ms: number): number {
  return Math.min(60_000, Math.max(1_000, Number.isFinite(ms) ? ms : 2_000));
}
