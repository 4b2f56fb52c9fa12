// Internals of the bulk launcher, second phase: what an earlier, interrupted
// session of the same journal already launched is settled, not launched again.

import { type BulkContext, settle, type Task } from "./_bulk_context.ts";
import type { JournalPairState } from "./journal.ts";
import type { PluginResult } from "./types.ts";

/** What {@linkcode resumeTasks} left to do. */
export interface Resumed {
  /** Tasks the earlier session did not launch. */
  remaining: Task[];
  /** How many it did launch. */
  resumed: number;
}

/**
 * Settles the tasks an interrupted session launched: those its journal says
 * were launched, and those it sent in doubt for which the server now has a
 * newer run than the one recorded before the launch.
 */
export function resumeTasks(
  ctx: BulkContext,
  { tasks, unfinished, latest }: {
    tasks: readonly Task[];
    /** The journal's unfinished pairs, by task key. */
    unfinished: ReadonlyMap<string, JournalPairState>;
    latest: ReadonlyMap<string, PluginResult>;
  },
): Resumed {
  const remaining: Task[] = [];
  let resumed = 0;
  for (const task of tasks) {
    const earlier = unfinished.get(task.key);
    const run = latest.get(task.key);
    if (
      !earlier ||
      (earlier.status !== "launched" && task.before <= earlier.before)
    ) {
      remaining.push(task);
      continue;
    }
    resumed++;
    const id = earlier.run ??
      (run && run.id > earlier.before ? run.id : null);
    task.before = earlier.before;
    if (earlier.status === "in-doubt") {
      ctx.journal?.appendLater({
        type: "launched",
        report: task.report,
        plugin: task.plugin,
        before: earlier.before,
        run: id,
      });
    }
    settle(ctx, task, {
      outcome: "launched",
      run: id,
      message: "launched by an earlier, interrupted session",
    });
  }
  return { remaining, resumed };
}
