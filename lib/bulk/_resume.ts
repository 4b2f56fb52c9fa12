// Internals of the bulk launcher: resuming a job. What the job's journal says
// it launched is never launched again by this job, whatever its run's state
// now; what it sent without an answer is settled from the server first.

import { type BulkContext, recordOutcome, type Task } from "./_context.ts";
import { confirmLaunched } from "./_settle.ts";
import { newRuns } from "../api/mod.ts";
import type { JournalState } from "./journal_replay.ts";
import type { PluginResult } from "../types.ts";

/** What {@linkcode resumeTasks} left to do. */
export interface Resumed {
  /** Tasks to go through the guard and launch. */
  remaining: Task[];
  /** How many the job had launched already. */
  resumed: number;
  /**
   * Pairs it sent whose answer was lost, with no run yet and the settle
   * window not passed: still in doubt, for the settler to follow.
   */
  inDoubt: Task[];
}

/**
 * Settles what the journal says was launched; looks on the server for the
 * pairs it left in doubt (all pairs without a settled outcome, when a record
 * is unreadable). A pair in doubt with no run yet is launched again only
 * once the settle window since its launch has passed; until then it stays in
 * doubt (`inDoubt`, for the settler).
 */
export async function resumeTasks(
  ctx: BulkContext,
  { tasks, state, latest }: {
    tasks: readonly Task[];
    state: Omit<JournalState, "torn">;
    latest: ReadonlyMap<string, PluginResult>;
  },
): Promise<Resumed> {
  const remaining: Task[] = [];
  const doubt: Task[] = [];
  let resumed = 0;
  const damaged = state.damaged.length > 0;
  for (const task of tasks) {
    const record = state.pairs.get(task.key);
    if (record?.status === "launched") {
      const run = latest.get(task.key);
      resumed++;
      recordOutcome(ctx, task, {
        outcome: "launched",
        run: record.run ?? (run && run.id > record.before ? run.id : null),
        message: "launched by an earlier invocation of this job",
      });
    } else if (record?.status === "in-doubt") {
      task.before = record.before;
      task.sentAt = record.sentAt;
      doubt.push(task);
    } else if (!record && damaged) {
      // It may be what the unreadable record said: any run newer than the
      // job's start may be its launch.
      task.before = Math.min(task.before, state.job?.maxBefore ?? 0);
      task.sentAt = state.latest;
      doubt.push(task);
    } else {
      remaining.push(task);
    }
  }
  if (doubt.length === 0) return { remaining, resumed, inDoubt: [] };
  const inOrder = (done: Set<Task>) => tasks.filter((t) => done.has(t));
  const toDo = new Set(remaining);
  const inDoubt: Task[] = [];

  ctx.emit({ type: "phase", phase: "settle", total: doubt.length });
  const found = await newRuns(ctx.client, doubt);
  const now = ctx.now();
  for (const task of doubt) {
    const runs = found.get(task.key);
    if (runs) {
      resumed++;
      confirmLaunched(
        ctx,
        task,
        runs,
        `launched by an earlier invocation of this job (run ${
          runs[0]!.id
        } found on the server)`,
      );
    } else if ((task.sentAt ?? 0) + ctx.settleMs <= now) {
      // Long enough ago that a late run would be there: it did not launch.
      task.before = latest.get(task.key)?.id ?? task.before;
      delete task.sentAt;
      toDo.add(task);
    } else {
      task.rows[0]!.message = `sent at ${
        new Date(task.sentAt ?? 0).toISOString()
      } by an earlier invocation, its answer lost`;
      inDoubt.push(task);
    }
  }
  return { remaining: inOrder(toDo), resumed, inDoubt };
}
