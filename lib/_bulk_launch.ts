// Internals of the bulk launcher: the launch worker pool. Workers take tasks
// from a source: unpaced, tasks are made ready in chunks (guard view
// refreshed when older than a few seconds, pairs claimed, intents synced to
// the journal); paced (`maxActive`), one at a time once the pacer lets one
// more run be active. A launch whose answer was lost is in doubt and handed
// to the settler, never resent; one that certainly did not reach the server
// is retried with backoff.

import {
  type BulkContext,
  type LaunchResult,
  resultOf,
  settle,
  type Task,
} from "./_bulk_context.ts";
import type { Pacer } from "./_bulk_pace.ts";
import { type GuardView, prepare } from "./_bulk_prepare.ts";
import type { Settler } from "./_bulk_settle.ts";
import { backoffMs, isPermanent, mayHaveLaunched } from "./_retry.ts";
import { AuthError, RedirectError } from "./errors.ts";
import { JournalWriteError } from "./errors.ts";
import { postLaunch } from "./launch.ts";

/**
 * Tasks per chunk: one registry claim and one journal sync. Small, because
 * after a kill every intent without an outcome is in doubt (and waits out the
 * settle window); twice the concurrency keeps the sync off the critical path.
 */
const chunkSize = (concurrency: number) =>
  Math.min(64, Math.max(4, 2 * concurrency));

/** Where the workers take their tasks from. */
interface TaskSource {
  /** The next task ready to launch, or `undefined` when there is none (or stopped). */
  next(): Promise<Task | undefined>;
  /** A task's launch ended. */
  done(task: Task, result: LaunchResult | "fatal"): void;
  /** Ready (intent journaled, not sent) and never prepared tasks left. */
  left(): { ready: Task[]; queued: Task[] };
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
}

/**
 * Launches tasks with bounded concurrency (and, given a pacer, at most its
 * limit of runs active on the server). When launch after launch fails on
 * network or server errors (the server is down), it stops starting new ones:
 * those are reported `not-started`. Auth and redirect errors, and a journal
 * that cannot be written, stop it at once (`stoppedBy`).
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
  const launchedSince: Task[] = [];
  let fatal: unknown;
  const n = Math.max(1, Math.min(ctx.concurrency, tasks.length));
  // Launches that ended in trouble in a row: past `giveUpAfter`, the server
  // is down and the rest waits for a later invocation.
  const giveUpAfter = Math.max(5, 2 * n);
  let troubleStreak = 0;
  let serverDown: string | undefined;
  const stopped = () =>
    ctx.signal?.aborted || fatal !== undefined || serverDown !== undefined;
  const onFatal = (error: unknown) => void (fatal ??= error);
  const source = pacer
    ? pacedSource(ctx, { tasks, view, pacer, stopped, onFatal })
    : chunkedSource(ctx, { tasks, view, n, stopped, onFatal });
  const chunk = chunkSize(n);

  const worker = async () => {
    while (!stopped()) {
      const task = await source.next();
      if (!task) break;
      try {
        const result = await launchOne(ctx, task, settler);
        source.done(task, result);
        troubleStreak = result === "trouble" || result === "in-doubt"
          ? troubleStreak + 1
          : 0;
        if (troubleStreak >= giveUpAfter) serverDown ??= resultOf(task).message;
        if (result === "launched") {
          launchedSince.push(task);
          if (launchedSince.length >= chunk) {
            ctx.registry?.launched(launchedSince.splice(0).map(pairOf(null)))
              .catch(() => {}); // the final record below retries
          }
        }
      } catch (error) {
        fatal ??= error; // auth, redirect, journal: every other launch would fail too
        source.done(task, "fatal");
        settle(ctx, task, {
          outcome: "failed",
          run: null,
          message: error instanceof Error ? error.message : String(error),
        });
      }
    }
  };
  await Promise.all(Array.from({ length: n }, worker));
  await source.settled();
  await ctx.registry?.launched(launchedSince.map(pairOf(null)));

  // Prepared but never sent: their intents are on disk; say they did not go.
  const { ready, queued } = source.left();
  const left = [...ready, ...queued];
  for (const t of ready) {
    ctx.journal?.appendLater({
      type: "not-sent",
      report: t.report,
      plugin: t.plugin,
    });
  }
  await ctx.journal?.flush().catch((e) => void (fatal ??= e));
  await ctx.registry?.release(left.filter((t) => t.claimed).map(pairOf(null)));
  for (const t of left) {
    settle(ctx, t, {
      outcome: "not-started",
      run: null,
      message: fatal
        ? `not launched: stopped after: ${
          fatal instanceof Error ? fatal.message : String(fatal)
        }`
        : serverDown !== undefined
        ? `not launched: the last ${giveUpAfter} launches failed on network or server errors (${serverDown}); run the same command again when the server is back`
        : "not launched: interrupted",
    });
  }
  return {
    interrupted: left.length > 0 && serverDown === undefined &&
      fatal === undefined,
    stoppedBy: fatal === undefined
      ? undefined
      : fatal instanceof Error
      ? fatal
      : new Error(String(fatal)),
  };
}

/** What both sources are made of. */
interface SourceInputs {
  tasks: readonly Task[];
  view: GuardView;
  stopped: () => boolean;
  /** An error that stops every launch (the registry, the journal). */
  onFatal: (error: unknown) => void;
}

/**
 * Unpaced: chunks of twice the concurrency made ready ahead, the next chunk
 * prepared while the current one is sent.
 */
function chunkedSource(
  ctx: BulkContext,
  { tasks, view, n, stopped, onFatal }: SourceInputs & { n: number },
): TaskSource {
  const queue = [...tasks];
  const ready: Task[] = [];
  const chunk = chunkSize(n);
  let preparing: Promise<void> | undefined;
  const prepareNext = () =>
    preparing ??= prepare(ctx, queue.splice(0, chunk), { view, queue })
      .then((chunk) => void ready.push(...chunk))
      .catch(onFatal)
      .finally(() => preparing = undefined);
  return {
    async next() {
      // A chunk may still be on its way even when the queue is empty.
      while (
        ready.length === 0 && (queue.length > 0 || preparing) && !stopped()
      ) await (preparing ?? prepareNext());
      if (stopped()) return undefined;
      const task = ready.shift();
      if (task && ready.length < n && queue.length > 0) prepareNext();
      return task;
    },
    done() {},
    left: () => ({ ready, queued: queue }),
    settled: async () => await preparing,
  };
}

/**
 * Paced: one task at a time, made ready only once the pacer lets one more
 * run be active (a task made ready hours ahead would be in doubt after a
 * kill). The pacer's polls look at the next pairs too, so their guard view
 * is fresh when their turn comes, without a request of its own.
 */
function pacedSource(
  ctx: BulkContext,
  { tasks, view, pacer, stopped, onFatal }: SourceInputs & { pacer: Pacer },
): TaskSource {
  const queue = [...tasks];
  let turn: Promise<unknown> = Promise.resolve();
  const take = async (): Promise<Task | undefined> => {
    while (queue.length > 0 && !stopped()) {
      await pacer.acquire({ upcoming: queue, view });
      if (stopped()) return undefined;
      const task = queue.shift()!;
      try {
        const [ready] = await prepare(ctx, [task], { view, queue });
        if (!ready) continue; // settled there: skipped or in doubt
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
    left: () => ({ ready: [], queued: queue }),
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
): Promise<LaunchResult> {
  const { client, journal, retry } = ctx;
  const { report, plugin, before } = task;
  for (let attempt = 0;; attempt++) {
    if (attempt > 0) {
      await journal?.append({ type: "intent", report, plugin, before });
    }
    const sentAt = ctx.now();
    try {
      await postLaunch(client, { report, plugin }, { config: task.config });
      // Not synced now: until it is, the intent says "in doubt", which a
      // resume settles from the server. The next launch need not wait.
      journal?.appendLater({
        type: "launched",
        report,
        plugin,
        before,
        run: null,
      });
      settle(ctx, task, {
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
        settle(ctx, task, {
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
