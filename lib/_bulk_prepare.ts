// Internals of the bulk launcher: getting tasks ready to launch. Right
// before its launch, a pair's guard view is refreshed when older than a few
// seconds (another launcher, maybe on another machine, may have started it
// since the plan), the pair is claimed in the registry, and its intent is
// synced to the journal: after a kill, a pair without an intent was certainly
// not sent.

import {
  type BulkContext,
  decide,
  resultOf,
  settle,
  type Task,
} from "./_bulk_context.ts";
import { newRuns } from "./_bulk_settle.ts";
import { latestRuns } from "./runs.ts";
import type { PluginResult } from "./types.ts";

/** A guard view older than this is looked up again before launching. */
export const REFRESH_MS = 5_000;

/** Pairs looked up per refresh of the guard's view (one request). */
export const REFRESH_BATCH = 500;

/** The guard's view of the pairs' newest runs, and when each was read. */
export interface GuardView {
  latest: Map<string, PluginResult>;
  /** When each pair was last looked up (ms), by task key. */
  checkedAt: Map<string, number>;
}

/**
 * Makes a chunk ready to launch: refreshes the guard's view when stale,
 * claims the pairs, journals the intents. Returns the tasks to launch; the
 * others are settled (skipped, in doubt) here.
 */
export async function prepare(
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
  if (ctx.registry) tasks = await claim(ctx, tasks, view);
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
    const decision = decide(ctx, run, t.key);
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
async function claim(
  ctx: BulkContext,
  tasks: Task[],
  view: GuardView,
): Promise<Task[]> {
  const claims = await ctx.registry!.claim(
    tasks.map((t) => ({
      report: t.report,
      plugin: t.plugin,
      before: t.before,
      ...(view.checkedAt.has(t.key)
        ? { seenAt: view.checkedAt.get(t.key)! }
        : {}),
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
