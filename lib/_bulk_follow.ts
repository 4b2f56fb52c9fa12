// Internals of the bulk launcher, last phase: finding the run each launch
// created, and following the runs to their end.

import type { BulkContext, Task } from "./_bulk_context.ts";
import { pairKey, reportOf, runsOf, waitForRuns } from "./runs.ts";
import { classifyState, countStates } from "./states.ts";

/**
 * Finds the run each launched pair created, with batched look-ups. In the
 * final pass, a pair with no new run is marked failed.
 */
export async function resolveRuns(
  ctx: BulkContext,
  open: readonly Task[],
  options: { final: boolean },
): Promise<void> {
  if (open.length === 0) return;
  const byKey = new Map(open.map((t) => [t.key, t]));
  const minBefore = Math.min(...open.map((t) => t.before));
  const runs = await runsOf(ctx.client, {
    reports: open.map((t) => t.report),
    plugins: new Set(open.map((t) => t.plugin)),
  }, { afterId: minBefore });
  const found = new Map<string, number>();
  for (const run of runs) {
    const key = pairKey(reportOf(run), run.pluginName);
    const task = byKey.get(key);
    if (!task || run.id <= task.before) continue;
    const seen = found.get(key);
    if (seen === undefined || run.id < seen) found.set(key, run.id);
  }
  for (const task of open) {
    const id = found.get(task.key);
    const row = task.rows[0]!;
    if (id === undefined) {
      if (!options.final) continue;
      row.outcome = "failed";
      row.message =
        "the server accepted the launch (202) but created no plugin run: it failed before starting (see the server's ionPlugin log)";
      continue;
    }
    for (const r of task.rows) r.run = id;
    ctx.journal?.appendLater({
      type: "resolved",
      report: task.report,
      plugin: task.plugin,
      run: id,
    });
  }
}

/** Follows launched runs to their end; returns how many still run. */
export async function waitAll(
  ctx: BulkContext,
  tasks: readonly Task[],
  wait: { timeoutMs: number; pollMs: number },
): Promise<number> {
  const { client, journal, signal, emit } = ctx;
  const byRun = new Map<number, Task>();
  for (const t of tasks) {
    const row = t.rows[0]!;
    if (row.outcome === "launched" && row.run !== null) byRun.set(row.run, t);
  }
  emit({ type: "phase", phase: "wait", total: byRun.size });
  let outcome;
  try {
    outcome = await waitForRuns(client, byRun.keys(), {
      ...wait,
      ...(signal ? { signal } : {}),
      onPoll: (runs) => emit({ type: "wait", ...countStates(runs.values()) }),
      onPollError: (message) =>
        emit({
          type: "warning",
          message: `status check failed, still waiting: ${message}`,
        }),
    });
  } catch (error) {
    if (signal?.aborted) return byRun.size;
    throw error;
  }
  const pending = new Set(outcome.pending);
  const lastError = outcome.lastError
    ? ` (the last status check failed: ${outcome.lastError})`
    : "";
  for (const [id, task] of byRun) {
    const run = outcome.runs.get(id);
    if (!run && pending.has(id)) {
      task.rows[0]!.message = `run ${id}: state not known${lastError}`;
      continue;
    }
    const state = run?.state ?? "Unknown";
    for (const r of task.rows) r.state = state;
    const row = task.rows[0]!;
    const cls = classifyState(state);
    if (cls === "failed") {
      const errors = run?.validation_errors?.validation_errors ?? [];
      row.outcome = "failed";
      row.message = `run ${id} ended ${state}${
        errors.length ? `: ${errors.join("; ")}` : ""
      }`;
    } else if (cls === "running") {
      row.message =
        `run ${id} still ${state} when --timeout passed${lastError}`;
    }
    if (cls !== "running") {
      await journal?.append({
        type: "final",
        report: task.report,
        plugin: task.plugin,
        run: id,
        state,
      });
    }
  }
  return outcome.pending.length;
}
