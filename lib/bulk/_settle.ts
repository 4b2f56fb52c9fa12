// Internals of the bulk launcher: pairs in doubt. A launch whose answer was
// lost (timeout, dropped connection, 5xx, an unreadable 2xx) may have created
// its run, now or minutes later: the invocation that sent it never sends it
// again. It looks on the server for a new run of the pair (batched across
// pairs, with backoff) while the job works and at least a grace period after
// the launch; a pair still without a run at the end is reported in doubt, for
// a later invocation to settle once the settle window has passed.

import {
  type BulkContext,
  recordOutcome,
  resultOf,
  type Task,
} from "./_context.ts";
import { backoffMs } from "../http/mod.ts";
import { newRuns } from "../api/mod.ts";
import type { PluginResult } from "../types.ts";

/** Marks a task launched because its run was found on the server. */
export function confirmLaunched(
  ctx: BulkContext,
  task: Task,
  runs: readonly PluginResult[],
  why: string,
): void {
  const run = runs[0]!;
  ctx.journal?.appendLater({
    type: "launched",
    report: task.report,
    plugin: task.plugin,
    before: task.before,
    run: run.id,
  });
  delete task.sentAt;
  recordOutcome(ctx, task, {
    outcome: "launched",
    run: run.id,
    message: runs.length > 1 ? twice(task, runs) : why,
  });
}

/** The message of a pair launched twice: it is said plainly. */
export function twice(task: Task, runs: readonly PluginResult[]): string {
  return `report ${task.report} ${task.plugin}: launched ${
    runs.length === 2 ? "twice" : `${runs.length} times`
  }, runs ${runs.map((r) => r.id).join(" and ")}`;
}

/** Follows the pairs in doubt of one invocation. */
export class Settler {
  #ctx: BulkContext;
  #open = new Set<Task>();
  #stopped = false;
  #wakeup = new AbortController();
  #loop: Promise<void> | undefined;
  #running = false;
  #added = false;

  /** @param ctx The bulk run's context. */
  constructor(ctx: BulkContext) {
    this.#ctx = ctx;
  }

  /** Pairs still in doubt. */
  get open(): ReadonlySet<Task> {
    return this.#open;
  }

  /** Adds a pair whose launch was sent at `task.sentAt` and whose answer was lost. */
  add(task: Task): void {
    this.#open.add(task);
    this.#added = true; // its run may show in a second: look soon again
    if (!this.#running) this.#loop = this.#run();
    else {
      const sleeping = this.#wakeup;
      this.#wakeup = new AbortController();
      sleeping.abort(); // end a long backoff sleep
    }
  }

  /** Stops following a pair (settled elsewhere, or sent again). */
  drop(task: Task): void {
    this.#open.delete(task);
  }

  /** Looks once for the open pairs' runs; settles those found. */
  async check(): Promise<void> {
    const tasks = [...this.#open];
    if (tasks.length === 0) return;
    const found = await newRuns(this.#ctx.client, tasks);
    for (const task of tasks) {
      const runs = found.get(task.key);
      if (!runs) continue;
      this.#open.delete(task);
      confirmLaunched(
        this.#ctx,
        task,
        runs,
        `launched (its answer was lost; run ${
          runs[0]!.id
        } found on the server)`,
      );
    }
  }

  /** Looks again and again, each time a little later, until done. */
  async #run(): Promise<void> {
    this.#running = true;
    try {
      await this.#poll();
    } finally {
      this.#running = false;
    }
  }

  async #poll(): Promise<void> {
    for (let attempt = 0; this.#open.size > 0; attempt++) {
      if (this.#added) {
        this.#added = false;
        attempt = 0;
      }
      const untilGrace = this.#graceEnd() - this.#ctx.now();
      if (this.#stopped && untilGrace <= 0) return;
      const delay = this.#stopped
        ? Math.max(50, Math.min(2_000, untilGrace))
        : Math.min(backoffMs(attempt, 500, this.#ctx.retry.random), 15_000);
      await this.#ctx.client.sleep(delay, this.#wakeup.signal).catch(() => {});
      try {
        await this.check();
      } catch {
        // the server is busy or down: look again later
      }
    }
  }

  /** When the last open pair's grace period ends (ms). */
  #graceEnd(): number {
    let end = 0;
    for (const t of this.#open) {
      end = Math.max(end, (t.sentAt ?? 0) + this.#ctx.graceMs);
    }
    return end;
  }

  /**
   * Goes on looking until every open pair is past its grace period, then
   * reports what is still in doubt.
   */
  async finish(): Promise<void> {
    this.#stopped = true;
    const sleeping = this.#wakeup;
    this.#wakeup = new AbortController();
    sleeping.abort(); // end a long backoff sleep: the pace changes now
    await this.#loop;
    for (const task of this.#open) {
      const after = (task.sentAt ?? 0) + this.#ctx.settleMs;
      // Never a time already past: then the same command settles it now.
      const when = after <= this.#ctx.now()
        ? "run the same command again now to settle it"
        : `run the same command after ${
          new Date(after).toISOString()
        } to settle it`;
      recordOutcome(this.#ctx, task, {
        outcome: "in-doubt",
        run: null,
        message: `${
          resultOf(task).message || "its answer was lost"
        }; no run on the server yet: ${when} (it launches it only if the server still shows no run)`,
      });
    }
  }
}
