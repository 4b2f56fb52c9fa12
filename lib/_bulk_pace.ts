// Internals of the bulk launcher: pacing. The plugin queue of a Torrent Suite
// server has 1 slot (S5) or 2 (towers), shared with the plugins of every new
// sequencing run: a job that queues 800 runs at once holds the lab's
// production analyses up for days. So at most `maxActive` of the job's runs
// are Queued or Started at once; the next is launched as an earlier one
// finishes. Active runs are polled in one batched request per poll (which
// also refreshes the guard's view of the next pairs), at a pace that follows
// how fast they finish. The limit also counts this user's active runs of
// other jobs on this machine and server (from the registry).

import type { BulkContext, LaunchResult, Task } from "./_bulk_context.ts";
import type { GuardView } from "./_bulk_prepare.ts";
import { newRuns } from "./_bulk_settle.ts";
import { classifyState } from "./states.ts";

/** How many runs this user's other jobs have active; publishes this job's. */
export interface ActiveBoard {
  /** Records this job's active count for the others. */
  publish(active: number): Promise<void>;
  /** The others' active runs, summed. */
  others(): Promise<number>;
}

/** What the pacer reports to the progress display. */
export interface PaceCounts {
  /** This job's runs Queued or Started now (launches in flight included). */
  active: number;
  /** Other jobs' active runs (same user, machine and server). */
  others: number;
  /** Runs of this job that finished while it was pacing. */
  done: number;
}

/** Pairs of the queue looked at in each poll (their guard view refreshed). */
const LOOKAHEAD = 8;

/** Keeps at most `maxActive` of the job's runs active. */
export class Pacer {
  #ctx: BulkContext;
  #max: number;
  #board: ActiveBoard | undefined;
  #active = new Set<Task>();
  #done = 0;
  #othersNow = 0;
  /** Starts short: the first runs may be quick; it doubles while none finish. */
  #pollMs = 500;
  #maxPollMs: number;
  /** Finished runs per ms, smoothed; 0 until one finished. */
  #rate = 0;
  #lastPoll = 0;
  #onChange: (counts: PaceCounts) => void;

  /**
   * @param ctx The bulk run's context.
   * @param options The limit, the longest poll interval (from the plugins'
   *   typical run time), the board of other jobs, and a progress callback.
   */
  constructor(
    ctx: BulkContext,
    options: {
      maxActive: number;
      /** The longest interval between polls (a third of the typical run time). */
      maxPollMs: number;
      board?: ActiveBoard | undefined;
      onChange?: (counts: PaceCounts) => void;
    },
  ) {
    this.#ctx = ctx;
    this.#max = options.maxActive;
    this.#maxPollMs = clamp(options.maxPollMs);
    this.#lastPoll = ctx.now(); // the first poll comes an interval after the start
    this.#board = options.board;
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

  /**
   * Waits until one more run may be active; polls the active ones (and the
   * next pairs of `upcoming`, refreshing their guard view) meanwhile.
   */
  async acquire(
    { upcoming, view }: { upcoming: readonly Task[]; view: GuardView },
  ): Promise<void> {
    for (;;) {
      if (this.#ctx.signal?.aborted) return;
      if (this.#board) {
        this.#othersNow = await this.#board.others().catch(() =>
          this.#othersNow
        );
      }
      if (this.#active.size + this.#othersNow < this.#max) return;
      const wait = this.#lastPoll + this.#pollMs - this.#ctx.now();
      if (wait > 0) {
        await this.#ctx.client.sleep(wait, this.#ctx.signal).catch(() => {});
        if (this.#ctx.signal?.aborted) return;
      }
      try {
        await this.poll({ upcoming: upcoming.slice(0, LOOKAHEAD), view });
      } catch {
        // The server is busy: look again after the interval.
        this.#lastPoll = this.#ctx.now();
      }
    }
  }

  /** A task is about to be launched: it takes a place at once. */
  launching(task: Task): void {
    this.#active.add(task);
    this.#changed();
  }

  /** Its launch ended: a refused or failed one frees its place again. */
  ended(task: Task, result: LaunchResult | "fatal"): void {
    if (result !== "launched" && result !== "in-doubt") {
      this.#active.delete(task);
      this.#changed();
    }
  }

  /**
   * Looks at every active run in one request (and at `upcoming`, updating
   * the view); drops the runs that finished.
   */
  async poll(
    { upcoming = [], view }: {
      upcoming?: readonly Task[];
      view?: GuardView;
    } = {},
  ): Promise<void> {
    const active = [...this.#active];
    const look = [...active, ...upcoming.filter((t) => !this.#active.has(t))];
    if (look.length === 0) return;
    const start = this.#ctx.now();
    const found = await newRuns(this.#ctx, look);
    for (const task of upcoming) {
      const runs = found.get(task.key);
      if (view && runs) view.latest.set(task.key, runs.at(-1)!);
      view?.checkedAt.set(task.key, start);
    }
    let finished = 0;
    for (const task of active) {
      const run = found.get(task.key)?.[0];
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
    const since = start - this.#lastPoll;
    this.#lastPoll = start;
    this.#done += finished;
    if (finished === 0) {
      // Nothing finished: look less often, up to a third of the typical run
      // time (a minute at most). Runs of an hour cost a request a minute.
      this.#pollMs = clamp(Math.min(2 * this.#pollMs, this.#maxPollMs));
    } else if (since > 0) {
      const rate = finished / since;
      this.#rate = this.#rate === 0 ? rate : 0.6 * this.#rate + 0.4 * rate;
      // The active runs last about active / rate; polling at a bit more
      // than half of that refills the queue before it runs dry, with a few
      // runs finished per poll. (A poll that finds them all finished saw a
      // rate its own interval limited: the interval shrinks.)
      this.#pollMs = clamp(
        Math.min(
          0.6 * Math.max(1, this.#active.size) / this.#rate,
          this.#maxPollMs,
        ),
      );
    }
    this.#changed();
  }

  #changed(): void {
    this.#board?.publish(this.#active.size).catch(() => {});
    this.#onChange(this.counts);
  }
}

/**
 * Between 250 ms and a minute. The short end is reached only while runs
 * finish as fast as they are polled (seconds-long plugins); real runs take
 * minutes and are polled about a minute apart.
 */
function clamp(ms: number): number {
  return Math.min(60_000, Math.max(250, Number.isFinite(ms) ? ms : 60_000));
}
