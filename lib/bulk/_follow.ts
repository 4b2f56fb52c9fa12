// Internals of the bulk launcher, last phase: finding the run each launch
// created (and saying so plainly when a pair shows two), and following the
// runs to their end.

import { type BulkContext, resultOf, type Task } from "./_context.ts";
import { twice } from "./_settle.ts";
import { newRuns, waitForRuns } from "../api/mod.ts";
import { classifyState, countStates } from "../states.ts";

/**
 * Finds the run each launched task created, with batched look-ups. A task
 * accepted (202) with no new run failed on the server before starting; one
 * with two new runs was launched twice. Returns how many were launched twice.
 */
export async function resolveRuns(
  ctx: BulkContext,
  launched: readonly Task[],
): Promise<number> {
  if (launched.length === 0) return 0;
  const found = await newRuns(ctx.client, launched);
  let doubles = 0;
  const records: { report: number; plugin: string; run: number | null }[] = [];
  for (const task of launched) {
    const runs = found.get(task.key);
    const row = resultOf(task);
    if (!runs) {
      if (row.run !== null) continue; // known already (resumed)
      row.outcome = "failed";
      row.message =
        "the server accepted the launch (202) but created no plugin run: it failed before starting (see the server's ionPlugin log)";
      ctx.journal?.appendLater({
        type: "failed",
        report: task.report,
        plugin: task.plugin,
        error: "accepted, no run created",
      });
      continue;
    }
    const id = row.run ?? runs[0]!.id;
    for (const r of task.rows) r.run = id;
    if (runs.length > 1) {
      doubles++;
      row.message = twice(task, runs);
    }
    records.push({ report: task.report, plugin: task.plugin, run: id });
    ctx.journal?.appendLater({
      type: "resolved",
      report: task.report,
      plugin: task.plugin,
      run: id,
    });
  }
  await ctx.registry?.launched(records);
  return doubles;
}

/**
 * Follows launched runs to their end (a stale one, past `--stale-after`, is
 * left: it never ends); returns how many still ran at the timeout, and how
 * many were left stale.
 */
export async function waitAll(
  ctx: BulkContext,
  tasks: readonly Task[],
  wait: { timeoutMs: number; pollMs: number },
): Promise<{ pending: number; stale: number }> {
  const { client, journal, signal, emit } = ctx;
  const byRun = new Map<number, Task>();
  const launchedAt = new Map<number, number>();
  for (const t of tasks) {
    const row = resultOf(t);
    if (row.outcome === "launched" && row.run !== null) {
      byRun.set(row.run, t);
      // A Queued run that long after its launch is held: stale.
      const earlier = ctx.launchedAt?.get(t.key);
      const at = t.acceptedAt ?? t.sentAt ??
        (earlier?.run === row.run ? earlier.at : undefined);
      if (at !== undefined) launchedAt.set(row.run, at);
    }
  }
  emit({ type: "phase", phase: "wait", total: byRun.size });
  let outcome;
  try {
    outcome = await waitForRuns(client, byRun.keys(), {
      ...wait,
      // A run left Started by a reboot never ends: stop following it.
      staleAfterMs: ctx.staleAfterMs,
      launchedAt,
      ...(signal ? { signal } : {}),
      onPoll: (runs) => emit({ type: "wait", ...countStates(runs.values()) }),
      onPollError: (message) =>
        emit({
          type: "warning",
          message: `status check failed, still waiting: ${message}`,
        }),
    });
  } catch (error) {
    if (signal?.aborted) return { pending: byRun.size, stale: 0 };
    throw error;
  }
  const pending = new Set(outcome.pending);
  const stale = new Set(outcome.stale);
  const lastError = outcome.lastError
    ? ` (the last status check failed: ${outcome.lastError})`
    : "";
  for (const [id, task] of byRun) {
    const run = outcome.runs.get(id);
    if (!run && pending.has(id)) {
      resultOf(task).message = `run ${id}: state not known${lastError}`;
      continue;
    }
    const state = run?.state ?? "Unknown";
    for (const r of task.rows) r.state = state;
    const row = resultOf(task);
    const cls = classifyState(state);
    if (cls === "failed") {
      const errors = run?.validation_errors?.validation_errors ?? [];
      row.outcome = "failed";
      row.message = `run ${id} ended ${state}${
        errors.length ? `: ${errors.join("; ")}` : ""
      }`;
    } else if (stale.has(id)) {
      row.message =
        `run ${id} is stale: ${state} for longer than --stale-after, its grid job gone (as after a server reboot); --rerun stale relaunches it`;
    } else if (cls === "running") {
      row.message =
        `run ${id} still ${state} when --timeout passed${lastError}`;
    }
    if (cls !== "running") {
      journal?.appendLater({
        type: "final",
        report: task.report,
        plugin: task.plugin,
        run: id,
        state,
      });
    }
  }
  await journal?.flush();
  return { pending: outcome.pending.length, stale: outcome.stale.length };
}
