// Internals of the bulk launcher: the launch worker pool. Workers take tasks
// from a source: unpaced, tasks are made ready in chunks (guard view
// refreshed when older than a few seconds); paced (`maxActive`), one at a
// time once the pacer lets one more run be active. Right before each send,
// the gate claims the pair and syncs its intent (shared with the sends of
// the same moment). A launch whose answer was lost is in doubt and handed to
// the settler, never resent by this invocation before the settle window has
// passed; one that certainly did not reach the server is retried with
// backoff. A pair another live job is sending waits and is tried again.

import {
  type BulkContext,
  recordOutcome,
  resultOf,
  type SendOutcome,
  type Task,
} from "./_context.ts";
import type { Pacer } from "./_pace.ts";
import { gate, type GuardView, prepare, refreshAfter } from "./_prepare.ts";
import type { Settler } from "./_settle.ts";
import { backoffMs, isPermanent, mayHaveLaunched } from "../http/mod.ts";
import { AuthError, RedirectError } from "../errors.ts";
import { JournalWriteError } from "../errors.ts";
import { postLaunch } from "../api/mod.ts";

/**
 * Tasks per chunk made ready ahead (their guard view refreshed): twice the
 * concurrency keeps the look-up off the critical path.
 */
const chunkSize = (concurrency: number) =>
  Math.min(64, Math.max(4, 2 * concurrency));

/** Where the workers take their tasks from. */
interface TaskSource {
  /** The next task ready to launch, or `undefined` when there is none (or stopped). */
  next(): Promise<Task | undefined>;
  /** A task's launch ended (or it was settled, or deferred, at the gate). */
  done(task: Task, result: SendOutcome | "fatal"): void;
  /** Hands a deferred task back, to be taken again at `at` (ms). */
  defer(task: Task, at: number): void;
  /** Keeps a task that is given up for this invocation, for `left()`. */
  keep(task: Task): void;
  /** Tasks never sent: made ready, never prepared, deferred. */
  left(): Task[];
  /** Waits for work in progress (a chunk being prepared). */
  settled(): Promise<void>;
}

/** What {@linkcode launchAll} did. */
export interface LaunchOutcome {
  /** Stopped by the signal before the end. */
  interrupted: boolean;
  /**
   * The error that stopped every launch (auth, a redirect, the journal that
   * cannot be written), if one did.
   */
  stoppedBy: Error | undefined;
  /**
   * Why launching stopped early when the server stopped answering (said
   * once, not on every row): the rest is `not-started`.
   */
  serverDown: string | undefined;
}

/**
 * For bench/run.ts only (undocumented, not a user setting): launches with
 * no registry claims, so the benchmark can print the registry's own cost.
 */
function benchWithoutRegistry(): boolean {
  try {
    return Deno.env.get("TS_BENCH_NO_REGISTRY") === "1";
  } catch {
    return false; // no permission to read it: the registry as configured
  }
}

/** How long a pair another live job is sending is waited for, at most. */
const DEFER_LIMIT_MS = 10 * 60_000;
/** Tries of a pair held by a process that does not answer (stopped, hung). */
const STOPPED_TRIES = 4;

/**
 * Launches tasks with bounded concurrency (and, given a pacer, at most its
 * limit of runs active on the server). When launch after launch certainly
 * fails on network or server errors, or more launches are in doubt than
 * can be followed and none of their runs shows (the server is down), it
 * stops starting new ones: those are reported `not-started`. Auth and
 * redirect errors, and a journal that cannot be written, stop it at once
 * (`stoppedBy`).
 */
export async function launchAll(
  ctx: BulkContext,
  { tasks, view, settler, pacer }: {
    tasks: readonly Task[];
    view: GuardView;
    settler: Settler;
    pacer?: Pacer | undefined;
  },
): Promise<LaunchOutcome> {
  if (ctx.registry && benchWithoutRegistry()) ctx.registry = undefined;
  /** Launched, not yet recorded in the registry. */
  const unrecorded = new Set<Task>();
  let fatal: unknown;
  const n = Math.max(1, Math.min(ctx.concurrency, tasks.length));
  const health = new ServerHealth(ctx, settler, Math.max(5, 2 * n));
  let serverDown: string | undefined;
  const stopped = () =>
    ctx.signal?.aborted || fatal !== undefined || serverDown !== undefined;
  const onFatal = (error: unknown) => void (fatal ??= error);
  const source = pacer
    ? pacedSource(ctx, { tasks, view, pacer, stopped, onFatal })
    : chunkedSource(ctx, { tasks, view, n, stopped, onFatal });
  const worker = async () => {
    while (!stopped()) {
      await health.calm();
      serverDown ??= health.down();
      if (serverDown !== undefined) break;
      const task = await source.next();
      if (!task) break;
      try {
        const g = await gate(ctx, task, { view, settler });
        if (!g.go) {
          if (g.deferred) {
            const at = deferUntil(ctx, task, g.deferred);
            if (at === undefined) source.keep(task);
            else source.defer(task, at);
            source.done(task, "deferred");
          } else source.done(task, "settled");
          continue;
        }
        const result = await launchOne(ctx, task, settler);
        health.sent(task, result);
        source.done(task, result);
        if (result === "launched") {
          // At once (shared with the launches of the same moment): another
          // job waiting on this pair learns it is launched.
          unrecorded.add(task);
          ctx.registry?.launchedOne(pairOf(null)(task)).then(
            () => unrecorded.delete(task),
            () => {}, // the final record below retries
          );
        }
      } catch (error) {
        fatal ??= error; // auth, redirect, journal: every other launch would fail too
        source.done(task, "fatal");
        if (task.claimed) {
          await ctx.registry?.release([task]).catch(() => {});
        }
        recordOutcome(ctx, task, {
          outcome: "failed",
          run: null,
          message: error instanceof Error ? error.message : String(error),
        });
      }
    }
  };
  await Promise.all(Array.from({ length: n }, worker));
  await source.settled();
  await ctx.registry?.launched([...unrecorded].map(pairOf(null)));
  await ctx.journal?.flush().catch((e) => void (fatal ??= e));

  // Never sent: nothing of them is on disk but what they were.
  const left = source.left();
  for (const t of left) {
    recordOutcome(ctx, t, {
      outcome: "not-started",
      run: null,
      message: t.heldBy !== undefined && fatal === undefined &&
          serverDown === undefined && !ctx.signal?.aborted
        ? t.heldBy
        : fatal
        ? `not launched: stopped after: ${
          fatal instanceof Error ? fatal.message : String(fatal)
        }`
        : serverDown !== undefined
        ? "not launched: the server stopped answering (run the same command again when it is back)"
        : "not launched: interrupted",
    });
  }
  return {
    interrupted: left.length > 0 && serverDown === undefined &&
      fatal === undefined && (ctx.signal?.aborted ?? false),
    stoppedBy: fatal === undefined
      ? undefined
      : fatal instanceof Error
      ? fatal
      : new Error(String(fatal)),
    serverDown,
  };
}

/**
 * How the server is doing, from this call's launches: a streak of launches
 * that certainly failed, or were lost (no answer, and no run on the server
 * by the end of their grace period), means it is down. A launch in doubt
 * whose run shows up counts as launched: a slow server is not a dead one.
 * While most recent launches are lost and many are still being looked for,
 * no more are sent: a slow server is not hammered.
 */
class ServerHealth {
  #ctx: BulkContext;
  #settler: Settler;
  #limit: number;
  /** Lost answers still within their grace period, not found yet. */
  #doubted = new Set<Task>();
  /** Whether each of the last sends went in doubt. */
  #recent: boolean[] = [];
  #streak = 0;
  #last = "";

  constructor(ctx: BulkContext, settler: Settler, limit: number) {
    this.#ctx = ctx;
    this.#settler = settler;
    this.#limit = limit;
  }

  /** A launch was sent and ended so. */
  sent(task: Task, result: SendOutcome): void {
    if (result === "launched") this.#streak = 0;
    if (result === "trouble") {
      this.#streak++;
      this.#last = resultOf(task).message;
    }
    if (result === "in-doubt") this.#doubted.add(task);
    this.#recent.push(result === "in-doubt");
    if (this.#recent.length > 2 * this.#limit) this.#recent.shift();
  }

  /** Counts the lost answers whose fate is known by now. */
  #account(): void {
    const now = this.#ctx.now();
    for (const t of this.#doubted) {
      if (!this.#settler.open.has(t)) {
        this.#doubted.delete(t); // its run was found: launched
        this.#streak = 0;
      } else if (now >= (t.sentAt ?? 0) + this.#ctx.graceMs) {
        this.#doubted.delete(t); // lost, as far as this call can tell
        this.#streak++;
        this.#last = "no answer, and no run on the server";
      }
    }
  }

  /** Why the server counts as down, if it does. */
  down(): string | undefined {
    this.#account();
    return this.#streak >= this.#limit
      ? `the last ${this.#limit} launches failed or were lost (${this.#last})`
      : undefined;
  }

  /** Waits while most recent launches are lost and many are looked for. */
  async calm(): Promise<void> {
    for (;;) {
      this.#account();
      const lost = this.#recent.filter(Boolean).length;
      if (
        this.#doubted.size < this.#limit ||
        4 * lost < 3 * this.#recent.length ||
        this.#ctx.signal?.aborted || this.#streak >= this.#limit
      ) return;
      let next = Infinity;
      for (const t of this.#doubted) {
        next = Math.min(next, (t.sentAt ?? 0) + this.#ctx.graceMs);
      }
      const wait = Math.max(50, Math.min(500, next - this.#ctx.now()));
      await this.#ctx.client.sleep(wait, this.#ctx.signal).catch(() => {});
    }
  }
}

/**
 * A pair another live job holds goes back to the source, to be claimed
 * again a little later: that job's launch is due to end (launched: then it
 * is skipped; failed: then it is launched here). A holder that does not
 * answer (stopped with Ctrl-Z, or hung) is given a few tries; then the pair
 * is left for a later invocation, with what to do.
 */
function deferUntil(
  ctx: BulkContext,
  task: Task,
  holder: { holder: string; pid: number; stopped: boolean },
): number | undefined {
  const now = ctx.now();
  task.deferredSince ??= now;
  task.deferrals = (task.deferrals ?? 0) + 1;
  task.heldBy = holder.stopped
    ? `not launched: held by ${holder.holder} (another job), which does not answer: stopped (Ctrl-Z: "fg" in its terminal, or kill -CONT ${holder.pid}) or hung (kill ${holder.pid}); then run this command again`
    : `not launched: still being launched by ${holder.holder} (another job) after ${
      Math.round(DEFER_LIMIT_MS / 60_000)
    } minutes; run this command again later`;
  if (holder.stopped) task.stoppedTries = (task.stoppedTries ?? 0) + 1;
  else delete task.stoppedTries;
  if (
    (task.stoppedTries ?? 0) >= STOPPED_TRIES ||
    now - task.deferredSince > DEFER_LIMIT_MS
  ) {
    return undefined; // given up: left() reports it with `heldBy`
  }
  const delay = Math.min(250 * 2 ** (task.deferrals - 1), 5_000);
  ctx.emit({
    type: "note",
    message:
      `report ${task.report} ${task.plugin}: being launched by ${holder.holder} (another job)${
        holder.stopped ? ", which does not answer" : ""
      }; trying again in ${(delay / 1000).toFixed(1)} s`,
  });
  return now + delay;
}

/** What both sources are made of. */
interface SourceInputs {
  tasks: readonly Task[];
  view: GuardView;
  stopped: () => boolean;
  /** An error that stops every launch (the registry, the journal). */
  onFatal: (error: unknown) => void;
}

/** Tasks handed back by the gate, each with the time to take it again. */
class Deferred {
  #items: { task: Task; at: number }[] = [];
  /** Tasks given up for this invocation, for `left()`. */
  #gaveUp: Task[] = [];

  add(task: Task, at: number): void {
    this.#items.push({ task, at });
  }

  keep(task: Task): void {
    this.#gaveUp.push(task);
  }

  get size(): number {
    return this.#items.length;
  }

  /** The next task once its time has come (waiting for it); none when stopped. */
  async take(
    ctx: BulkContext,
    stopped: () => boolean,
  ): Promise<Task | undefined> {
    if (this.#items.length === 0) return undefined;
    this.#items.sort((a, b) => a.at - b.at);
    const first = this.#items.shift()!;
    const wait = first.at - ctx.now();
    if (wait > 0) {
      await ctx.client.sleep(wait, ctx.signal).catch(() => {});
    }
    if (stopped()) {
      this.#items.unshift(first);
      return undefined;
    }
    return first.task;
  }

  left(): Task[] {
    return [...this.#items.map((i) => i.task), ...this.#gaveUp];
  }
}

/**
 * Unpaced: chunks of twice the concurrency made ready ahead, the next chunk
 * prepared while the current one is sent; deferred tasks once the rest is
 * done (or while nothing else is ready).
 */
function chunkedSource(
  ctx: BulkContext,
  { tasks, view, n, stopped, onFatal }: SourceInputs & { n: number },
): TaskSource {
  const queue = [...tasks];
  const ready: Task[] = [];
  const deferred = new Deferred();
  const chunk = chunkSize(n);
  let preparing: Promise<void> | undefined;
  const prepareNext = () => {
    if (preparing) return preparing;
    const taken = queue.splice(0, chunk);
    return preparing = prepare(ctx, taken, { view, queue })
      .then((chunk) => void ready.push(...chunk))
      .catch((error) => {
        queue.unshift(...taken); // never sent: left() reports them
        onFatal(error);
      })
      .finally(() => preparing = undefined);
  };
  return {
    async next() {
      for (;;) {
        // A chunk may still be on its way even when the queue is empty.
        while (
          ready.length === 0 && (queue.length > 0 || preparing) && !stopped()
        ) await (preparing ?? prepareNext());
        if (stopped()) return undefined;
        const task = ready.shift() ?? await deferred.take(ctx, stopped);
        if (!task) {
          if (stopped() || deferred.size === 0) return undefined;
          continue;
        }
        // Made ready a while ago (the process was stopped, a deferral, a
        // slow server): its view is looked at again, with the rest ready.
        if (
          ctx.now() - (view.checkedAt.get(task.key) ?? 0) > refreshAfter(ctx)
        ) {
          const again = await prepare(ctx, [task, ...ready.splice(0)], {
            view,
            queue,
          });
          ready.unshift(...again);
          continue;
        }
        if (ready.length < n && queue.length > 0) prepareNext();
        return task;
      }
    },
    done() {},
    defer: (task, at) => deferred.add(task, at),
    keep: (task) => deferred.keep(task),
    left: () => [...ready, ...queue, ...deferred.left()],
    settled: async () => await preparing,
  };
}

/**
 * Paced: one task at a time, made ready only once the pacer lets one more
 * run be active (a task claimed hours ahead would hold its pair for other
 * jobs). The pacer's polls look at the next pairs too, so their guard view
 * is fresh when their turn comes, without a request of its own.
 */
function pacedSource(
  ctx: BulkContext,
  { tasks, view, pacer, stopped, onFatal }: SourceInputs & { pacer: Pacer },
): TaskSource {
  const queue = [...tasks];
  const deferred = new Deferred();
  let turn: Promise<unknown> = Promise.resolve();
  const take = async (): Promise<Task | undefined> => {
    while ((queue.length > 0 || deferred.size > 0) && !stopped()) {
      await pacer.acquire({ upcoming: queue, view });
      if (stopped()) return undefined;
      const task = queue.shift() ?? await deferred.take(ctx, stopped);
      if (!task) return undefined;
      try {
        const [ready] = await prepare(ctx, [task], { view, queue });
        if (!ready) continue; // settled there: skipped
        pacer.launching(ready);
        return ready;
      } catch (error) {
        queue.unshift(task);
        onFatal(error);
        return undefined;
      }
    }
    return undefined;
  };
  return {
    next() {
      // One worker at a time asks the pacer: two could otherwise both take
      // the last free place.
      const mine = turn.then(take);
      turn = mine.catch(() => {});
      return mine;
    },
    done(task, result) {
      pacer.ended(task, result);
    },
    defer: (task, at) => deferred.add(task, at),
    keep: (task) => deferred.keep(task),
    left: () => [...queue, ...deferred.left()],
    settled: async () => void await turn,
  };
}

const pairOf = (run: number | null) => (t: Task) => ({
  report: t.report,
  plugin: t.plugin,
  run,
});

/**
 * Launches one task, retrying failures that certainly did not reach the
 * server. `"trouble"`: it ended on network or server errors (a sign the
 * server is down); `"in-doubt"`: sent, its answer lost (also trouble).
 */
async function launchOne(
  ctx: BulkContext,
  task: Task,
  settler: Settler,
): Promise<SendOutcome> {
  const { client, journal, retry } = ctx;
  const { report, plugin, before } = task;
  for (let attempt = 0;; attempt++) {
    if (attempt > 0) {
      await journal?.append({ type: "intent", report, plugin, before });
    }
    const sentAt = ctx.now();
    try {
      await postLaunch(client, { report, plugin }, { config: task.config });
      task.acceptedAt = sentAt;
      // Not synced now: until it is, the intent says "in doubt", which a
      // resume settles from the server. The next launch need not wait.
      journal?.appendLater({
        type: "launched",
        report,
        plugin,
        before,
        run: null,
      });
      recordOutcome(ctx, task, {
        outcome: "launched",
        run: null,
        message: resultOf(task).message,
      });
      return "launched";
    } catch (error) {
      if (
        error instanceof AuthError || error instanceof RedirectError ||
        error instanceof JournalWriteError
      ) throw error;
      const text = error instanceof Error ? error.message : String(error);
      const message = ctx.redact ? ctx.redact(text) : text;
      if (mayHaveLaunched(error)) {
        task.sentAt = sentAt;
        await journal?.append({
          type: "in-doubt",
          report,
          plugin,
          before,
          error: message,
          sentAt: new Date(sentAt).toISOString(),
        });
        resultOf(task).message = `sent at ${
          new Date(sentAt).toISOString()
        }, its answer lost (${message})`;
        settler.add(task);
        return "in-doubt";
      }
      if (
        isPermanent(error) || attempt >= retry.retries || ctx.signal?.aborted
      ) {
        await journal?.append({
          type: "failed",
          report,
          plugin,
          error: message,
        });
        await ctx.registry?.release([{ report, plugin }]);
        recordOutcome(ctx, task, {
          outcome: "failed",
          run: null,
          message: isPermanent(error) ? message : `not launched: ${message}`,
        });
        return isPermanent(error) ? "refused" : "trouble";
      }
      const delayMs = backoffMs(attempt, retry.baseDelayMs, retry.random);
      ctx.emit({
        type: "retry",
        report,
        plugin,
        attempt: attempt + 1,
        error: message,
        delayMs,
      });
      await client.sleep(delayMs);
    }
  }
}
