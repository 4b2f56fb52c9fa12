// Bulk launcher internals: the end of a job. The runs its launches created
// are looked up (a failed look-up is a warning: the launches happened), and
// the summary is put together, also for a job that had already finished.

import {
  type BulkContext,
  recordOutcome,
  resultOf,
  type Task,
} from "./_context.ts";
import { resolveRuns } from "./_follow.ts";
import { twice } from "./_settle.ts";
import { newRuns } from "../api/mod.ts";
import type { PluginResult } from "../types.ts";
import type { OpenedJob } from "./_job.ts";
import type { Plan } from "./_plan.ts";
import { type BulkSummary, countOutcomes } from "./summary.ts";

/** Looks up the runs the launches created; returns the pairs launched twice. */
export async function findNewRuns(
  ctx: BulkContext,
  tasks: readonly Task[],
): Promise<number> {
  const launched = tasks.filter((t) => resultOf(t).outcome === "launched");
  if (launched.length === 0) return 0;
  ctx.emit({ type: "phase", phase: "resolve", total: launched.length });
  try {
    return await resolveRuns(ctx, launched);
  } catch (error) {
    if (error instanceof TypeError) throw error; // a bug, not the server
    // The launches happened; only their run ids are unknown.
    const why = error instanceof Error ? error.message : String(error);
    ctx.emit({
      type: "warning",
      message: `cannot look up the new runs: ${why}`,
    });
    for (const t of launched) {
      if (resultOf(t).run === null) {
        resultOf(t).message =
          "launched (run id not known: the server did not answer the look-up)";
      }
    }
    return 0;
  }
}

/**
 * The job had finished: nothing is launched; each row says what it had. The
 * pairs it sent again after a lost answer are looked at once more: should
 * the first send have created its run after all (later than the settle
 * window), the pair shows two runs, and that is said (exit 1), not hidden
 * behind "the job finished".
 */
export async function finished(
  ctx: BulkContext,
  plan: Plan,
  job: OpenedJob,
): Promise<BulkSummary> {
  const ended = job.state.ended!;
  const relaunched = plan.tasks.filter((t) => {
    const record = job.state.pairs.get(t.key);
    if (!record?.relaunched) return false;
    t.before = Math.min(t.before, record.before);
    return true;
  });
  let found = new Map<string, PluginResult[]>();
  try {
    found = await newRuns(ctx.client, relaunched);
  } catch (error) {
    ctx.emit({
      type: "warning",
      message:
        `cannot look for second runs of the ${relaunched.length} pair(s) this job relaunched: ${
          error instanceof Error ? error.message : String(error)
        }`,
    });
  }
  let duplicates = 0;
  for (const task of plan.tasks) {
    const record = job.state.pairs.get(task.key);
    const runs = found.get(task.key) ?? [];
    if (runs.length > 1) duplicates++;
    recordOutcome(ctx, task, {
      outcome: "skipped",
      run: record?.run ?? null,
      message: runs.length > 1
        ? `${
          twice(task, runs)
        }: a launch whose answer was lost created its run later than the settle window (--settle)`
        : `the job finished at ${ended.time}${
          record ? ` (this pair: ${record.status})` : ""
        }`,
      state: record?.state,
    });
  }
  return {
    ...summarize(plan, { resumed: 0, duplicates }),
    finished: { at: ended.time, counts: ended.counts },
  };
}

/** The job's summary: results in input order, counts, when to settle. */
export function summarize(
  plan: Plan,
  extra: {
    resumed: number;
    duplicates: number;
    pendingAfterWait?: number;
    staleAfterWait?: number;
    interrupted?: boolean;
    settleMs?: number;
  },
): BulkSummary {
  const results = plan.results.sort((a, b) => a.line - b.line);
  const settleAfter = plan.tasks
    .filter((t) => resultOf(t).outcome === "in-doubt" && t.sentAt !== undefined)
    .map((t) => t.sentAt! + (extra.settleMs ?? 0))
    .sort((a, b) => b - a)[0];
  return {
    results,
    counts: countOutcomes(results),
    interrupted: extra.interrupted ?? false,
    resumed: extra.resumed,
    pendingAfterWait: extra.pendingAfterWait ?? 0,
    staleAfterWait: extra.staleAfterWait ?? 0,
    duplicates: extra.duplicates,
    ...(settleAfter !== undefined
      ? { settleAfter: new Date(settleAfter).toISOString() }
      : {}),
  };
}
