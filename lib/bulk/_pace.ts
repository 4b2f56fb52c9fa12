// Internals of the bulk launcher: pacing. The plugin queue of a Torrent Suite
// server has 1 slot (S5) or 2 (towers), shared with the plugins of every new
// sequencing run: a job that queues 800 runs at once holds the lab's
// production analyses up for days. So at most `maxActive` of the job's runs
// are Queued or Started at once; the next is launched as an earlier one
// finishes. Active runs are polled in one batched request per poll (which
// also refreshes the guard's view of the next pairs), at a pace that follows
// how fast they finish. The limit also counts this user's active runs of
// other jobs on this machine and server (from the registry).
//
// Yielding to production (on unless `yieldToOthers: false`): each poll also
// looks at the server's newest runs of any owner (one request) and no launch
// goes out while a run of another user is waiting (Queued or Pending) ahead:
// the lab's pipeline and other users come first, the job takes the slots
// they leave. A waiting run that the FIFO queue has passed (a newer run has
// started: a held job, a missing launch script) does not count.

import {
  type BulkContext,
  resultOf,
  type SendOutcome,
  type Task,
} from "./_context.ts";
import type { Plan } from "./_plan.ts";
import type { GuardView } from "./_prepare.ts";
import { newRuns, QUEUE_LOOK, queueRuns } from "../api/mod.ts";
import { parseTsDate } from "../datetime.ts";
import {
  classifyRun,
  classifyState,
  isWaiting,
  passedSince,
} from "../states.ts";
import type { JobEstimate } from "./summary.ts";
import type { PluginResult } from "../types.ts";

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
  /** Other users' runs Started on the server at the last look (yielding only). */
  foreignActive?: number;
  /** Other users' runs waiting (Queued, Pending) at the last look (yielding only). */
  foreignWaiting?: number;
}

/** What the server's queue held at a look, apart from this job. */
export interface ForeignQueue {
  /** Other users' runs Started. */
  active: number;
  /** Other users' runs Queued or Pending that the queue has not passed. */
  waiting: number;
}

/** A look at the queue is good for launches this long (ms). */
const QUEUE_FRESH_MS = 1_000;

/**
 * Reads the queue from the server's newest runs: the runs not this user's
 * (`owner` not `ownOwner`, or, while that is unknown, not among `ownIds`)
 * that are running; waiting ones count only once `ownOwner` is known (before
 * it, a run of this very user cannot be told apart). A waiting one with a lower id than any run with a start
 * time (the FIFO queue passed it: held) is not waiting ahead.
 *
 * @param runs The newest runs, any order.
 * @param mine Which runs are this user's.
 * @returns The counts, and the highest id seen with a start time.
 */
export function readQueue(
  runs: readonly PluginResult[],
  mine: { ownOwner?: string | undefined; ownIds: ReadonlySet<number> },
  passedBelow = 0,
): ForeignQueue & { passedBelow: number } {
  let passed = passedBelow;
  for (const r of runs) if (r.starttime && r.id > passed) passed = r.id;
  let active = 0;
  let waiting = 0;
  for (const r of runs) {
    const own = mine.ownIds.has(r.id) ||
      (mine.ownOwner !== undefined && r.owner === mine.ownOwner);
    // Until the job's own runs show their owner, this user's own older
    // runs (another job's, a launch by hand) cannot be told from another
    // user's: yielding to them could wait on ourselves for ever, so only
    // the first launch goes out unyielded; the next ones know the owner.
    if (own || mine.ownOwner === undefined) continue;
    if (classifyState(r.state) !== "running") continue;
    if (r.state === "Started") active++;
    else if (r.id > passed) waiting++;
  }
  return { active, waiting, passedBelow: passed };
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
  /** Run times of this job's finished runs (the last 50), in ms. */
  #durations: number[] = [];
  /** The most of the job's runs seen holding a slot at one poll. */
  #slotsSeen = 0;
  #lastPoll = 0;
  #onChange: (counts: PaceCounts) => void;
  #yield: boolean;
  #foreign: ForeignQueue | undefined;
  #queueAt = -Infinity;
  #passedBelow = 0;
  #ownOwner: string | undefined;
  #ownIds = new Set<number>();
  /** When the queue passed each waiting run seen (held: no slot taken). */
  #passed = new Map<number, number>();

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
      /** Never launch while another user's run waits; default true. */
      yieldToOthers?: boolean;
    },
  ) {
    this.#yield = options.yieldToOthers ?? true;
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
      ...(this.#foreign
        ? {
          foreignActive: this.#foreign.active,
          foreignWaiting: this.#foreign.waiting,
        }
        : {}),
    };
  }

  /** The queue at the last look (yielding only), else `undefined`. */
  get foreign(): ForeignQueue | undefined {
    return this.#foreign;
  }

  /**
   * Looks at the server's queue (one request): how many runs of other users
   * are active and waiting.
   */
  async lookAtQueue(): Promise<ForeignQueue> {
    return (await this.#lookAtQueue()).foreign;
  }

  async #lookAtQueue(): Promise<
    { foreign: ForeignQueue; runs: PluginResult[] }
  > {
    const at = this.#ctx.now();
    const runs = await queueRuns(this.#ctx.client, {
      limit: QUEUE_LOOK,
      ...(this.#ctx.signal ? { signal: this.#ctx.signal } : {}),
    });
    for (const t of this.#active) {
      const id = t.rows[0]?.run;
      if (typeof id === "number") this.#ownIds.add(id);
    }
    if (this.#ownOwner === undefined) {
      this.#ownOwner = runs.find((r) => this.#ownIds.has(r.id))?.owner;
    }
    for (const [id, at] of passedSince(runs)) {
      if (!this.#passed.has(id)) this.#passed.set(id, at);
    }
    const q = readQueue(runs, {
      ownOwner: this.#ownOwner,
      ownIds: this.#ownIds,
    }, this.#passedBelow);
    this.#passedBelow = q.passedBelow;
    this.#foreign = { active: q.active, waiting: q.waiting };
    this.#queueAt = at;
    return { foreign: this.#foreign, runs };
  }

  /**
   * The job's active runs as a queue look shows them, and whether one of
   * them ended (or no longer holds a slot: held, stale). `undefined` when
   * one is not in the look (older than its newest runs) or a launch's run
   * is not known yet: then only a look at the runs themselves can tell.
   */
  #fromLook(
    runs: readonly PluginResult[],
    active: readonly Task[],
  ): { found: Map<string, PluginResult[]>; ended: boolean } | undefined {
    const byId = new Map(runs.map((r) => [r.id, r]));
    const found = new Map<string, PluginResult[]>();
    let ended = false;
    for (const task of active) {
      const id = task.rows[0]?.run;
      const run = typeof id === "number" ? byId.get(id) : undefined;
      if (!run) return undefined;
      found.set(task.key, [run]);
      ended ||= classifyState(run.state) !== "running" ||
        (isWaiting(run.state) && this.#passed.has(run.id)) ||
        classifyRun(run, {
            now: this.#ctx.now(),
            staleAfterMs: this.#ctx.staleAfterMs,
          }) === "stale";
    }
    return { found, ended };
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
      if (this.#active.size + this.#othersNow < this.#max) {
        if (!this.#yield) return;
        if (this.#ctx.now() - this.#queueAt > QUEUE_FRESH_MS) {
          try {
            await this.lookAtQueue();
            this.#changed();
          } catch {
            // Unknown: launch as without yielding rather than stall the job.
            return;
          }
        }
        if ((this.#foreign?.waiting ?? 0) === 0) return;
      }
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
  ended(task: Task, result: SendOutcome | "fatal"): void {
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
    if (look.length === 0) {
      if (this.#yield) {
        this.#lastPoll = this.#ctx.now();
        await this.lookAtQueue();
        this.#pollMs = clamp(Math.min(2 * this.#pollMs, this.#maxPollMs));
        this.#changed();
      }
      return;
    }
    const start = this.#ctx.now();
    // Yielding, the queue look comes first, and it shows the job's active
    // runs too. When no launch can follow this poll (none of them ended, or
    // another user's run waits, which the job lets go first), that one
    // request is the whole poll: the next pairs' view is refreshed by the
    // poll that frees a place, or by the launch itself. Otherwise (or when
    // a run of the job is not in the look) the runs and the next pairs are
    // looked at as without yielding.
    let found: Map<string, PluginResult[]> | undefined;
    let refreshed = false;
    if (this.#yield) {
      const queue = await this.#lookAtQueue().catch(() => undefined);
      const seen = queue ? this.#fromLook(queue.runs, active) : undefined;
      if (seen && (!seen.ended || queue!.foreign.waiting > 0)) {
        found = seen.found;
      }
    }
    if (found === undefined) {
      found = await newRuns(this.#ctx.client, look);
      refreshed = true;
    }
    for (const task of refreshed ? upcoming : []) {
      const runs = found.get(task.key);
      if (view && runs) view.latest.set(task.key, runs.at(-1)!);
      view?.checkedAt.set(task.key, start);
    }
    let finished = 0;
    const started: number[] = []; // start times (ms) of the job's runs holding a slot
    let waiting = 0; // the job's runs still Queued
    for (const task of active) {
      const run = found.get(task.key)?.[0];
      if (run && task.rows[0]!.run === null) {
        for (const r of task.rows) r.run = run.id; // known early: resolved
      }
      if (run) {
        this.#ownIds.add(run.id);
        if (run.owner) this.#ownOwner ??= run.owner;
      }
      // No run (yet, or ever): an accepted launch's run exists at once, so
      // only an in-doubt one has none; it counts as active for its grace
      // period, then no longer (it would block the queue of a whole job).
      if (run && classifyState(run.state) !== "running") {
        this.#active.delete(task);
        finished++;
        this.#learn(run);
      } else if (
        run && (
          // Held: the queue passed it, so it takes no slot (a crash between
          // the grid's hold and release leaves it Queued for ever).
          (isWaiting(run.state) && this.#passed.has(run.id)) ||
          // Its grid job is gone (a reboot): it never ends.
          classifyRun(run, {
              now: start,
              staleAfterMs: this.#ctx.staleAfterMs,
            }) === "stale"
        )
      ) {
        this.#active.delete(task);
      } else if (
        !run && task.sentAt !== undefined &&
        start > task.sentAt + this.#ctx.graceMs
      ) {
        this.#active.delete(task);
      } else if (run?.state === "Started" && run.starttime) {
        started.push(parseTsDate(run.starttime));
      } else waiting++;
    }
    this.#lastPoll = start;
    this.#done += finished;
    this.#pollMs = this.#nextInterval({ start, started, waiting, finished });
    this.#changed();
  }

  /** Keeps the run time of a run of this job that finished. */
  #learn(run: PluginResult): void {
    if (run.state !== "Completed" || !run.starttime || !run.endtime) return;
    const ms = parseTsDate(run.endtime) - parseTsDate(run.starttime);
    if (!(ms > 0)) return;
    this.#durations.push(ms);
    if (this.#durations.length > 50) this.#durations.shift();
  }

  /**
   * When to look next. Once runs of this job have finished, their median
   * run time says when the queue would run dry: the job's running runs end
   * on their slots, its waiting ones (and those launched right after this
   * poll, up to the limit) follow on the same slots, and the next poll comes
   * a margin before the first slot would go idle. A poll then launches
   * nearly as many runs as the limit allows, and the queue never waits for
   * the job. Before that (or with none of its runs holding a slot, behind
   * other users' runs), the interval doubles while nothing finishes and
   * halves when everything had finished (it may have run dry).
   */
  #nextInterval(
    { start, started, waiting, finished }: {
      start: number;
      started: number[];
      waiting: number;
      finished: number;
    },
  ): number {
    const d = median(this.#durations);
    if (d !== undefined && started.length > 0) {
      const refill = Math.max(
        0,
        this.#max - this.#othersNow - this.#active.size,
      );
      // As many slots as the job has been seen to hold at once: one that is
      // free now (or taken by another user) counts as free: looking early
      // is the safe side.
      this.#slotsSeen = Math.max(this.#slotsSeen, started.length);
      const free = started.map((s) => Math.max(start, s + d));
      while (free.length < this.#slotsSeen) free.push(start);
      for (let i = 0; i < waiting + refill; i++) {
        free.sort((a, b) => a - b);
        free[0] = free[0]! + d;
      }
      // A new run waits a little before it starts (grid submission, the
      // scheduler's interval): a fifth of a run, half a second at least.
      const margin = Math.max(500, 0.2 * d);
      // Inside the margin, this polls every 250 ms until a run ends: in the
      // production benchmark, looking only when the first run was due (then
      // less and less often) saved 10% of the requests but launched 10 s
      // later per run (median): the job took 1.29-1.42x the ideal, not
      // 1.22-1.26x.
      return clamp(
        Math.min(Math.min(...free) - start - margin, this.#maxPollMs),
      );
    }
    if (finished === 0) {
      return clamp(Math.min(2 * this.#pollMs, this.#maxPollMs));
    }
    if (this.#active.size === 0 || finished >= this.#max) {
      return clamp(this.#pollMs / 2);
    }
    return this.#pollMs;
  }

  #changed(): void {
    this.#board?.publish(this.#active.size).catch(() => {});
    this.#onChange(this.counts);
  }
}

/** The median, or `undefined` of none. */
function median(values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/**
 * Between 250 ms and a minute. The short end is reached only while runs
 * finish as fast as they are polled (seconds-long plugins); real runs take
 * minutes and are polled about a minute apart.
 */
function clamp(ms: number): number {
  return Math.min(60_000, Math.max(250, Number.isFinite(ms) ? ms : 60_000));
}

/**
 * The queue as the plan sees it (when the job yields to other users): one
 * look at the server's newest runs; runs of the plan's pairs this job
 * launched (the journal's) are its own, every other run counts as another
 * user's until the job's own runs show their owner. `undefined` when not
 * yielding or when the server did not answer.
 */
export async function observeQueue(
  ctx: BulkContext,
  plan: Plan,
): Promise<ForeignQueue | undefined> {
  if (ctx.yieldToOthers === false) return undefined;
  const ownIds = new Set<number>();
  for (const t of plan.candidates) {
    const id = resultOf(t).run;
    if (typeof id === "number") ownIds.add(id);
  }
  try {
    const q = readQueue(await queueRuns(ctx.client), { ownIds });
    return { active: q.active, waiting: q.waiting };
  } catch (error) {
    if (error instanceof TypeError) throw error;
    return undefined;
  }
}

/**
 * The pacer of a job with a limit: its runs already active (launched by an
 * earlier invocation, still running) count from the start.
 */
export function pacerFor(
  ctx: BulkContext,
  { plan, toLaunch, remaining, maxActive, board, estimate, yieldToOthers }: {
    plan: Plan;
    toLaunch: readonly Task[];
    remaining: readonly Task[];
    maxActive: number;
    board: ActiveBoard | undefined;
    estimate: JobEstimate | undefined;
    yieldToOthers?: boolean;
  },
): Pacer {
  // At most a third of the typical run time; a minute when unknown.
  const medians = estimate?.plugins.flatMap((p) => p.medianMs ?? []) ?? [];
  const pacer = new Pacer(ctx, {
    maxActive,
    maxPollMs: medians.length ? Math.min(...medians) / 3 : 60_000,
    board,
    yieldToOthers: yieldToOthers ?? ctx.yieldToOthers ?? true,
    onChange: (counts) =>
      ctx.emit({
        type: "pace",
        ...counts,
        waiting: toLaunch.filter((t) => resultOf(t).outcome === "planned")
          .length,
      }),
  });
  const open = new Set(remaining);
  for (const t of plan.candidates) {
    const run = plan.latest.get(t.key);
    if (
      !open.has(t) && run && run.id === resultOf(t).run &&
      classifyState(run.state) === "running"
    ) pacer.adopt(t);
  }
  return pacer;
}
