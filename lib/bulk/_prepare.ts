// Internals of the bulk launcher: getting tasks ready to launch. A chunk
// ahead of the launches, each pair's guard view is refreshed when older than
// a few seconds (another launcher, maybe on another machine, may have started
// it since the plan). Then, right before each launch is sent (the gate), the
// pair is claimed in the registry and its intent is synced to the journal,
// both shared with the launches sent at the same moment: after a kill, a pair
// without an intent was certainly not sent, and one with an intent was sent
// no earlier than the intent's time.

import type { ClaimResult } from "../claims/mod.ts";
import {
  type BulkContext,
  decide,
  recordOutcome,
  resultOf,
  type Task,
} from "./_context.ts";
import type { Settler } from "./_settle.ts";
import { readJournal } from "./journal.ts";
import { type PairRecord, replayJournal } from "./journal_replay.ts";
import { latestRuns, newRuns } from "../api/mod.ts";
import type { PluginResult } from "../types.ts";

/** A guard view older than this is looked up again before launching. */
export const REFRESH_MS = 5_000;

/**
 * How old a pair's view may be at its launch: 5 s, or half the settle
 * window when that is shorter. The registry keeps another job's launch off
 * limits for the settle window; past it, the view must show that run, so
 * the view must be younger than the window.
 */
export function refreshAfter(ctx: Pick<BulkContext, "settleMs">): number {
  return Math.min(REFRESH_MS, ctx.settleMs / 2);
}

/** Pairs looked up per refresh of the guard's view (one request). */
export const REFRESH_BATCH = 500;

/** The guard's view of the pairs' newest runs, and when each was read. */
export interface GuardView {
  latest: Map<string, PluginResult>;
  /** When each pair was last looked up (ms), by task key. */
  checkedAt: Map<string, number>;
}

/**
 * Makes a chunk ready to launch: refreshes the guard's view when stale and
 * applies it. Returns the tasks to launch; the others are settled (skipped)
 * here. Nothing is claimed or journaled yet: that is the gate's, right
 * before each launch.
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
    now - (view.checkedAt.get(t.key) ?? 0) > refreshAfter(ctx);
  if (chunk.some(stale)) {
    const ahead = queue.slice(0, REFRESH_BATCH - chunk.length).filter(stale);
    await refreshView(ctx, [...chunk, ...ahead], view);
  }
  return applyView(ctx, chunk, view);
}

/**
 * What the gate decided: send the launch now; nothing to send (the task
 * is settled, or in the settler's hands); or try again later (another live
 * job is sending this very pair).
 */
export type GateResult =
  | { go: true }
  | { go: false; deferred?: undefined }
  | {
    go: false;
    deferred: { holder: string; pid: number; stopped: boolean };
  };

/**
 * The last step before a launch is sent: claims the pair (another job may
 * hold it) and syncs its intent to the journal. Concurrent launches share
 * one registry pass and one journal sync.
 */
export async function gate(
  ctx: BulkContext,
  task: Task,
  { view, settler }: { view: GuardView; settler: Settler },
): Promise<GateResult> {
  if (ctx.registry) {
    const c = await ctx.registry.claimOne({
      report: task.report,
      plugin: task.plugin,
      before: task.before,
      ...(view.checkedAt.has(task.key)
        ? { seenAt: view.checkedAt.get(task.key)! }
        : {}),
    });
    switch (c.status) {
      case "claimed":
        task.claimed = true;
        break;
      case "busy":
        return {
          go: false,
          deferred: { holder: c.owner, pid: c.pid, stopped: c.stopped },
        };
      case "launched":
        recordOutcome(ctx, task, {
          outcome: "skipped",
          run: c.run,
          message: `launched by another job${
            c.live ? " still running" : ""
          } (${c.owner}) at ${c.at}${c.run === null ? "" : `: run ${c.run}`}`,
        });
        return { go: false };
      case "orphan":
        task.claimed = true;
        if (!(await takeOver(ctx, task, c, settler))) return { go: false };
        break;
    }
  }
  await ctx.journal?.append({
    type: "intent",
    report: task.report,
    plugin: task.plugin,
    before: task.before,
  });
  return { go: true };
}

/**
 * A pair another job's dead process claimed: what its journal says that
 * process did decides. Never sent (no intent) or certainly failed: launch
 * it. Launched: skip it. Sent without an answer (or the journal is
 * gone): look for its run; none yet, it is launched only once the settle
 * window since its send has passed. Returns whether to launch now.
 */
async function takeOver(
  ctx: BulkContext,
  task: Task,
  c: Extract<ClaimResult, { status: "orphan" }>,
  settler: Settler,
): Promise<boolean> {
  const record = await deadJobRecord(ctx, c.job, task.key);
  const since = Date.parse(c.since);
  if (record === null || record?.status === "failed") return true;
  if (record?.status === "launched") {
    const run = record.run;
    await ctx.registry!.launched([{
      report: task.report,
      plugin: task.plugin,
      run,
    }]);
    recordOutcome(ctx, task, {
      outcome: "skipped",
      run,
      message: `launched by another job (${c.owner}, no longer running)${
        run === null ? "" : `: run ${run}`
      }`,
    });
    return false;
  }
  // In doubt: sent at its intent's time (or, without its journal, at the claim).
  const sentAt = record?.sentAt ?? since;
  task.before = Math.min(task.before, c.before, record?.before ?? Infinity);
  const found = (await newRuns(ctx.client, [task])).get(task.key);
  if (found) {
    await ctx.registry!.launched([{
      report: task.report,
      plugin: task.plugin,
      run: found[0]!.id,
    }]);
    recordOutcome(ctx, task, {
      outcome: "skipped",
      run: found[0]!.id,
      message: `launched by another job (${c.owner}, no longer running): run ${
        found[0]!.id
      }`,
    });
    return false;
  }
  if (sentAt + ctx.settleMs <= ctx.now()) return true; // it never landed
  task.sentAt = sentAt;
  resultOf(task).message = `sent at ${
    new Date(sentAt).toISOString()
  } by another job (${c.owner}) that stopped before its answer`;
  settler.add(task);
  return false;
}

/**
 * What a dead job's journal says about a pair: `null` when it never sent
 * it, `undefined` when the journal cannot tell (gone, or another job's by
 * now). Each journal is read once per invocation.
 */
async function deadJobRecord(
  ctx: BulkContext,
  job: string,
  key: string,
): Promise<PairRecord | null | undefined> {
  const hash = job.lastIndexOf("#");
  if (hash < 0) return undefined; // a job without a journal
  const path = job.slice(0, hash);
  const id = job.slice(hash + 1);
  ctx.deadJobs ??= new Map();
  let state = ctx.deadJobs.get(job);
  if (!state) {
    state = readJournal(path).then((read) => {
      const replayed = replayJournal(read.records, read.damaged);
      return replayed.job?.id === id && replayed.damaged.length === 0
        ? replayed.pairs
        : undefined;
    }).catch(() => undefined);
    ctx.deadJobs.set(job, state);
  }
  const pairs = await state;
  if (!pairs) return undefined;
  return pairs.get(key) ?? null;
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
  // The look's start: a launch another job recorded while the request was
  // out may be missing from its answer (see ClaimRequest.seenAt).
  const start = ctx.now();
  let latest: Map<string, PluginResult>;
  try {
    latest = await latestRuns(ctx.client, {
      reports: tasks.map((t) => t.report),
      plugins: new Set(tasks.map((t) => t.plugin)),
    });
  } catch {
    return; // the launch itself will meet the trouble
  }
  for (const t of tasks) {
    const run = latest.get(t.key);
    if (run) view.latest.set(t.key, run);
    view.checkedAt.set(t.key, start);
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
      recordOutcome(ctx, t, {
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
