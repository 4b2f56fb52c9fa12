/**
 * The bulk launcher: launches plugins on many reports exactly once, with a
 * duplicate guard, bounded concurrency, retries that never double-launch, a
 * durable journal to resume from, and a per-row summary.
 *
 * @module
 */

import { type BulkContext, settle, type Task } from "./_bulk_context.ts";
import { resolveRuns, waitAll } from "./_bulk_follow.ts";
import { launchAll } from "./_bulk_launch.ts";
import { applyGuard, planBulkRun } from "./_bulk_plan.ts";
import { resumeTasks } from "./_bulk_resume.ts";
import type { TsClient } from "./client.ts";
import type { RowProblem } from "./errors.ts";
import type { RerunPolicy } from "./guard.ts";
import { Journal, readJournal, unfinishedPairs } from "./journal.ts";
import type { RunRow } from "./run_rows.ts";
import { type BulkEvent, type BulkSummary, countOutcomes } from "./summary.ts";
import { VERSION } from "./version.ts";

/** Options for {@linkcode bulkRun}. */
export interface BulkRunOptions {
  /** Input name used in problems (`file:line: …`). */
  file: string;
  /** Problems already found while parsing the input. */
  problems?: readonly RowProblem[];
  /** Launch the valid rows even when some are invalid; default false. */
  skipInvalid?: boolean;
  /** Rerun policy of the duplicate guard; default `"failed"`. */
  policy?: RerunPolicy;
  /** Launches in flight at once; default 4. */
  concurrency?: number;
  /** Retries of a transient failure; default 3. */
  retries?: number;
  /** First retry delay in ms (doubles each time, with jitter); default 1000. */
  retryDelayMs?: number;
  /** Plan only: validate, preflight and guard, launch nothing. */
  dryRun?: boolean;
  /** Journal file for crash-safe resume; none when absent (or `dryRun`). */
  journal?: string;
  /** Follow launched runs to their end. */
  wait?: { timeoutMs: number; pollMs: number };
  /** Stops starting launches (Ctrl-C); those in flight finish. */
  signal?: AbortSignal;
  /** Progress callback. */
  onEvent?: (event: BulkEvent) => void;
  /** Random source for jitter; default `Math.random`. */
  random?: () => number;
}

/**
 * Launches plugins on the rows' reports. Throws `InputError` before any
 * launch when a row is invalid (unless `skipInvalid`). Each (report, plugin)
 * pair launches at most once, even across crashes and retries.
 *
 * It goes plan (check the rows locally and on the server, look up each
 * pair's newest run) → resume (settle what an interrupted session of the
 * same journal launched) → guard → launch → follow (find the new runs and,
 * with `wait`, follow them to their end).
 *
 * @example
 * ```ts ignore
 * import { bulkRun } from "./bulk_run.ts";
 * const summary = await bulkRun(client, rows, {
 *   file: "reports.csv",
 *   journal: "reports.csv.journal.ndjson",
 *   concurrency: 8,
 * });
 * console.log(summary.counts);
 * ```
 *
 * @param client The API client.
 * @param rows Parsed input rows (`readRunRows`).
 * @param options Policy, concurrency, journal, wait, progress.
 * @returns One result per row.
 */
export async function bulkRun(
  client: TsClient,
  rows: readonly RunRow[],
  options: BulkRunOptions,
): Promise<BulkSummary> {
  const ctx: BulkContext = {
    client,
    journal: undefined,
    emit: options.onEvent ?? (() => {}),
    signal: options.signal,
    retry: {
      retries: options.retries ?? 3,
      baseDelayMs: options.retryDelayMs ?? 1000,
      random: options.random ?? Math.random,
    },
    concurrency: options.concurrency ?? 4,
  };
  const plan = await planBulkRun(ctx, {
    rows,
    file: options.file,
    problems: options.problems ?? [],
    skipInvalid: options.skipInvalid ?? false,
  });

  const journal = options.dryRun || options.journal === undefined
    ? undefined
    : await Journal.open(options.journal);
  ctx.journal = journal;
  try {
    const unfinished = journal
      ? unfinishedPairs(await readJournal(journal.path))
      : new Map();
    await journal?.append({
      type: "start",
      input: options.file,
      version: VERSION,
    });
    ctx.emit({ type: "phase", phase: "guard", total: plan.tasks.length });
    const { remaining, resumed } = resumeTasks(ctx, {
      tasks: plan.tasks,
      unfinished,
      latest: plan.latest,
    });
    const toLaunch = applyGuard(ctx, {
      tasks: remaining,
      latest: plan.latest,
      policy: options.policy ?? "failed",
    });

    let interrupted = false;
    if (options.dryRun) {
      for (const t of toLaunch) {
        settle(ctx, t, {
          outcome: "planned",
          run: null,
          message: `would launch: ${t.rows[0]!.message}`,
        });
      }
    } else {
      ctx.emit({ type: "phase", phase: "launch", total: toLaunch.length });
      interrupted = await launchAll(ctx, toLaunch);
      await findNewRuns(ctx, plan.tasks);
    }

    let pendingAfterWait = 0;
    if (options.wait && !options.dryRun && !ctx.signal?.aborted) {
      pendingAfterWait = await waitAll(ctx, plan.tasks, options.wait);
    }
    interrupted ||= ctx.signal?.aborted ?? false;
    // A launch whose outcome could not be checked keeps the journal open, so
    // that the next run settles it from the server before anything else.
    const unsettled = plan.tasks.some((t) => t.inDoubt);
    await journal?.append(
      interrupted || unsettled ? { type: "interrupted" } : { type: "end" },
    );
    const results = plan.results.sort((a, b) => a.line - b.line);
    return {
      results,
      counts: countOutcomes(results),
      interrupted,
      resumed,
      pendingAfterWait,
    };
  } finally {
    await journal?.close();
  }
}

/** Looks up the runs of launches not yet resolved (the last batch, mostly). */
async function findNewRuns(
  ctx: BulkContext,
  tasks: readonly Task[],
): Promise<void> {
  const open = tasks.filter((t) =>
    t.rows[0]!.outcome === "launched" && t.rows[0]!.run === null
  );
  if (open.length === 0) return;
  ctx.emit({ type: "phase", phase: "resolve", total: open.length });
  try {
    await resolveRuns(ctx, open, { final: true });
  } catch (error) {
    if (error instanceof TypeError) throw error; // a bug, not the server
    // The launches happened; only their run ids are unknown.
    const why = error instanceof Error ? error.message : String(error);
    ctx.emit({
      type: "warning",
      message: `cannot look up the new runs: ${why}`,
    });
    for (const t of open) {
      t.rows[0]!.message =
        "launched (run id not known: the server did not answer the look-up)";
    }
  }
}
