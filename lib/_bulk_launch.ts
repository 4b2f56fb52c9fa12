// Internals of the bulk launcher: the launch worker pool. Tasks go out in
// chunks: each chunk's guard view is refreshed when it is older than a few
// seconds, its pairs are claimed in the registry, its intents are synced to
// the journal, then its POSTs are sent. A launch whose answer was lost is in
// doubt and handed to the settler, never resent; one that certainly did not
// reach the server is retried with backoff.

import {
  type BulkContext,
  decide,
  resultOf,
  settle,
  type Task,
} from "./_bulk_context.ts";
import { newRuns, type Settler } from "./_bulk_settle.ts";
import { backoffMs, isPermanent, mayHaveLaunched } from "./_retry.ts";
import { AuthError, RedirectError } from "./errors.ts";
import { JournalWriteError } from "./errors.ts";
import { postLaunch } from "./launch.ts";
import { latestRuns } from "./runs.ts";
import type { PluginResult } from "./types.ts";

/**
 * Tasks per chunk: one registry claim and one journal sync. Small, because
 * after a kill every intent without an outcome is in doubt (and waits out the
 * settle window); twice the concurrency keeps the sync off the critical path.
 */
const chunkSize = (concurrency: number) =>
  Math.min(64, Math.max(4, 2 * concurrency));

/** A guard view older than this is looked up again before launching. */
const REFRESH_MS = 5_000;

/** Pairs looked up per refresh of the guard's view (one request). */
const REFRESH_BATCH = 500;

/** The guard's view of the pairs' newest runs, and when each was read. */
export interface GuardView {
  latest: Map<string, PluginResult>;
  /** When each pair was last looked up (ms), by task key. */
  checkedAt: Map<string, number>;
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
 * Launches tasks with bounded concurrency. When launch after launch fails on
 * network or server errors (the server is down), it stops starting new ones:
 * those are reported `not-started`. Auth and redirect errors, and a journal
 * that cannot be written, stop it at once (`stoppedBy`).
 */
export async function launchAll(
  ctx: BulkContext,
  { tasks, view, settler }: {
    tasks: readonly Task[];
    view: GuardView;
    settler: Settler;
  },
): Promise<LaunchOutcome> {
  const queue = [...tasks];
  const ready: Task[] = [];
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

  let preparing: Promise<void> | undefined;
  const chunk = chunkSize(n);
  const prepareNext = () =>
    preparing ??= prepare(ctx, queue.splice(0, chunk), { view, queue })
      .then((chunk) => void ready.push(...chunk))
      .catch((error) => void (fatal ??= error))
      .finally(() => preparing = undefined);

  const worker = async () => {
    while (!stopped()) {
      // A chunk may still be on its way even when the queue is empty.
      while (
        ready.length === 0 && (queue.length > 0 || preparing) && !stopped()
      ) await (preparing ?? prepareNext());
      const task = ready.shift();
      if (!task || stopped()) {
        if (task) ready.unshift(task);
        break;
      }
      if (ready.length < n && queue.length > 0) prepareNext();
      try {
        const result = await launchOne(ctx, task, settler);
        troubleStreak = result === "trouble" ? troubleStreak + 1 : 0;
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
        settle(ctx, task, {
          outcome: "failed",
          run: null,
          message: error instanceof Error ? error.message : String(error),
        });
      }
    }
  };
  await Promise.all(Array.from({ length: n }, worker));
  await preparing;
  await ctx.registry?.launched(launchedSince.map(pairOf(null)));

  // Prepared but never sent: their intents are on disk; say they did not go.
  const left = [...ready, ...queue];
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

const pairOf = (run: number | null) => (t: Task) => ({
  report: t.report,
  plugin: t.plugin,
  run,
});

/**
 * Makes a chunk ready to launch: refreshes the guard's view when stale,
 * claims the pairs, journals the intents. Returns the tasks to launch; the
 * others are settled (skipped, in doubt) here.
 */
async function prepare(
  ctx: BulkContext,
  chunk: Task[],
  { view, queue }: {
    view: GuardView;
    /** The tasks after this chunk: looked up in the same request when stale. */
    queue: readonly Task[];
  },
): Promise<Task[]> {
  if (chunk.length === 0) return [];
  const now = ctx.now();
  const stale = (t: Task) =>
    now - (view.checkedAt.get(t.key) ?? 0) > REFRESH_MS;
  if (chunk.some(stale)) {
    const ahead = queue.slice(0, REFRESH_BATCH - chunk.length).filter(stale);
    await refreshView(ctx, [...chunk, ...ahead], view);
  }
  let tasks = applyView(ctx, chunk, view);
  if (ctx.registry) tasks = await claim(ctx, tasks);
  if (ctx.journal) {
    for (const t of tasks) {
      ctx.journal.appendLater({
        type: "intent",
        report: t.report,
        plugin: t.plugin,
        before: t.before,
      });
    }
    await ctx.journal.flush();
  }
  return tasks;
}

/**
 * Looks at pairs again (one batched request): another launcher, maybe on
 * another machine, may have started one since the plan.
 */
async function refreshView(
  ctx: BulkContext,
  tasks: readonly Task[],
  view: GuardView,
): Promise<void> {
  let latest: Map<string, PluginResult>;
  try {
    latest = await latestRuns(ctx.client, {
      reports: tasks.map((t) => t.report),
      plugins: new Set(tasks.map((t) => t.plugin)),
    });
  } catch {
    return; // the launch itself will meet the trouble
  }
  const now = ctx.now();
  for (const t of tasks) {
    const run = latest.get(t.key);
    if (run) view.latest.set(t.key, run);
    view.checkedAt.set(t.key, now);
  }
}

/** Applies the guard to pairs whose view shows a run newer than planned. */
function applyView(
  ctx: BulkContext,
  tasks: readonly Task[],
  view: GuardView,
): Task[] {
  const keep: Task[] = [];
  for (const t of tasks) {
    const run = view.latest.get(t.key);
    if (!run || run.id <= t.before) {
      keep.push(t);
      continue;
    }
    const decision = decide(ctx, run);
    if (!decision.launch) {
      settle(ctx, t, {
        outcome: "skipped",
        run: run.id,
        message: `since the plan, ${decision.reason}`,
        state: run.state,
      });
      continue;
    }
    t.before = run.id;
    keep.push(t);
  }
  return keep;
}

/** Claims the pairs; settles those another job has, returns the rest. */
async function claim(ctx: BulkContext, tasks: Task[]): Promise<Task[]> {
  const claims = await ctx.registry!.claim(
    tasks.map((t) => ({
      report: t.report,
      plugin: t.plugin,
      before: t.before,
    })),
  );
  const keep: Task[] = [];
  const orphans: Task[] = [];
  for (const t of tasks) {
    const c = claims.get(t.key)!;
    switch (c.status) {
      case "claimed":
        t.claimed = true;
        keep.push(t);
        break;
      case "busy":
        settle(ctx, t, {
          outcome: "skipped",
          run: null,
          message: `being launched by ${c.owner} (another job)`,
        });
        break;
      case "launched":
        settle(ctx, t, {
          outcome: "skipped",
          run: c.run,
          message: `launched by another job (${c.owner}) at ${c.at}${
            c.run === null ? "" : `: run ${c.run}`
          }`,
        });
        break;
      case "orphan":
        // Claimed now, but another job's launch may still land.
        t.claimed = true;
        t.before = c.before;
        t.sentAt = Date.parse(c.since);
        resultOf(t).message =
          `sent at ${c.since} by another job (${c.owner}) that stopped before its answer`;
        orphans.push(t);
        break;
    }
  }
  if (orphans.length > 0) {
    const found = await newRuns(ctx, orphans);
    const now = ctx.now();
    for (const t of orphans) {
      const runs = found.get(t.key);
      if (runs) {
        await ctx.registry!.launched([{
          report: t.report,
          plugin: t.plugin,
          run: runs[0]!.id,
        }]);
        settle(ctx, t, {
          outcome: "skipped",
          run: runs[0]!.id,
          message: `launched by another job: run ${runs[0]!.id}`,
        });
      } else if ((t.sentAt ?? 0) + ctx.settleMs <= now) {
        delete t.sentAt;
        keep.push(t);
      } else {
        settle(ctx, t, {
          outcome: "in-doubt",
          run: null,
          message: `${
            resultOf(t).message
          }; no run on the server yet: run the same command after ${
            new Date((t.sentAt ?? 0) + ctx.settleMs).toISOString()
          } to settle it`,
        });
      }
    }
  }
  return keep;
}

/**
 * Launches one task, retrying failures that certainly did not reach the
 * server. `"trouble"`: it ended on network or server errors (a sign the
 * server is down).
 */
async function launchOne(
  ctx: BulkContext,
  task: Task,
  settler: Settler,
): Promise<"launched" | "refused" | "trouble"> {
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
      const message = error instanceof Error ? error.message : String(error);
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
        return "trouble";
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
