/**
 * The bulk launcher: launches plugins on many reports exactly once, with a
 * duplicate guard, bounded concurrency, retries that never double-launch, a
 * durable journal to resume from, and a per-row summary.
 *
 * @module
 */

import { resolveRuns, waitAll } from "./_bulk_follow.ts";
import { launchAll, settle, type Task } from "./_bulk_launch.ts";
import type { TsClient } from "./client.ts";
import { InputError, type RowProblem } from "./errors.ts";
import { guard, type RerunPolicy } from "./guard.ts";
import {
  Journal,
  type JournalPairState,
  readJournal,
  unfinishedPairs,
} from "./journal.ts";
import { preflight } from "./preflight.ts";
import { latestRuns, pairKey } from "./runs.ts";
import { VERSION } from "./version.ts";

/** One input row (see `parseRunRows`). */
export interface BulkRow {
  /** 1-based line in the input. */
  line: number;
  /** Report key. */
  report: number;
  /** Plugin name (`null` = missing, which is a problem). */
  plugin: string | null;
  /** Launch config. */
  config: Record<string, unknown> | null;
}

/**
 * What happened to a row: `launched`, `skipped` (guard, duplicate row),
 * `failed`, `invalid` (with `skipInvalid`), `planned` (dry run: would
 * launch), `not-started` (interrupted first).
 */
export type Outcome =
  | "launched"
  | "skipped"
  | "failed"
  | "invalid"
  | "planned"
  | "not-started";

/** The result of one input row. */
export interface RowResult {
  /** 1-based line in the input. */
  line: number;
  /** Report key, or `null` when the row had none. */
  report: number | null;
  /** Plugin name, or `null` when the row had none. */
  plugin: string | null;
  /** What happened. */
  outcome: Outcome;
  /** The plugin-result id launched (or the existing run that caused a skip). */
  run: number | null;
  /** Why, in words. */
  message: string;
  /** Final state after waiting (`--wait`), or the run's state when skipped. */
  state: string | null;
}

/** Progress events of {@linkcode bulkRun}. */
export type BulkEvent =
  | {
    type: "phase";
    phase: "preflight" | "guard" | "launch" | "resolve" | "wait";
    total: number;
  }
  | { type: "row"; result: RowResult }
  | {
    type: "retry";
    report: number;
    plugin: string;
    attempt: number;
    error: string;
    delayMs: number;
  }
  | { type: "wait"; running: number; completed: number; failed: number }
  | { type: "warning"; message: string };

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

/** The summary of a bulk run. */
export interface BulkSummary {
  /** One result per input row, in input order. */
  results: RowResult[];
  /** Rows per outcome. */
  counts: Record<Outcome, number>;
  /** True when stopped by the signal before the end. */
  interrupted: boolean;
  /** Pairs found launched by an earlier, unfinished session. */
  resumed: number;
  /** Launched runs still running when `wait` timed out. */
  pendingAfterWait: number;
}

/**
 * Launches plugins on the rows' reports. Throws {@linkcode InputError} before
 * any launch when a row is invalid (unless `skipInvalid`). Each (report,
 * plugin) pair launches at most once, even across crashes and retries.
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
 * @param rows Parsed input rows.
 * @param options Policy, concurrency, journal, wait, progress.
 * @returns One result per row.
 */
export async function bulkRun(
  client: TsClient,
  rows: readonly BulkRow[],
  options: BulkRunOptions,
): Promise<BulkSummary> {
  const emit = options.onEvent ?? (() => {});
  const stop = options.signal;
  const problems = [...(options.problems ?? [])];
  const results: RowResult[] = [];
  const valid = rows.filter((r): r is BulkRow & { plugin: string } =>
    r.plugin !== null
  );

  if (problems.length > 0 && !options.skipInvalid) {
    throw new InputError(problems);
  }
  emit({ type: "phase", phase: "preflight", total: valid.length });
  // The guard's look-up of existing runs goes along with the preflight.
  const [checked, latest] = await both(
    preflight(client, valid, options.file),
    latestRuns(
      client,
      valid.map((r) => r.report),
      new Set(valid.map((r) => r.plugin)),
    ),
  );
  problems.push(...checked.problems);
  if (checked.problems.length > 0 && !options.skipInvalid) {
    throw new InputError(sortProblems(problems));
  }
  const badLines = new Map<number, string[]>();
  for (const p of sortProblems(problems)) {
    badLines.set(p.line, [...(badLines.get(p.line) ?? []), p.message]);
  }
  const byLine = new Map(rows.map((r) => [r.line, r]));
  for (const [line, messages] of badLines) {
    results.push(
      rowResult(line, byLine.get(line), "invalid", messages.join("; ")),
    );
  }

  // One task per (report, plugin) pair; later duplicate rows follow the first.
  const tasks = new Map<string, Task>();
  for (const row of valid) {
    if (badLines.has(row.line)) continue;
    const key = pairKey(row.report, row.plugin);
    const task = tasks.get(key);
    const result = rowResult(row.line, row, "planned", "");
    results.push(result);
    if (task) {
      result.outcome = "skipped";
      result.message = `same report and plugin as line ${
        task.rows[0]!.line
      }: launched once`;
      task.rows.push(result);
      emit({ type: "row", result });
      continue;
    }
    tasks.set(key, { key, ...row, rows: [result], before: 0 });
  }

  const journal = options.dryRun || options.journal === undefined
    ? undefined
    : await Journal.open(options.journal);
  const resume = journal
    ? unfinishedPairs(await readJournal(journal.path))
    : new Map<string, JournalPairState>();
  try {
    await journal?.append({
      type: "start",
      input: options.file,
      version: VERSION,
    });
    emit({ type: "phase", phase: "guard", total: tasks.size });
    const toLaunch: Task[] = [];
    let resumed = 0;
    for (const task of tasks.values()) {
      const run = latest.get(task.key);
      task.before = run?.id ?? 0;
      const earlier = resume.get(task.key);
      if (
        earlier &&
        (earlier.status === "launched" || task.before > earlier.before)
      ) {
        // Launched by the interrupted session (in doubt: a newer run exists).
        resumed++;
        const id = earlier.run ??
          (run && run.id > earlier.before ? run.id : null);
        task.before = earlier.before;
        if (earlier.status === "in-doubt") {
          journal?.appendLater({
            type: "launched",
            report: task.report,
            plugin: task.plugin,
            before: earlier.before,
            run: id,
          });
        }
        settle(
          task,
          "launched",
          id,
          "launched by an earlier, interrupted session",
          emit,
        );
        continue;
      }
      const decision = guard(run, options.policy ?? "failed");
      if (!decision.launch) {
        settle(
          task,
          "skipped",
          run?.id ?? null,
          decision.reason,
          emit,
          run?.state,
        );
      } else {
        task.rows[0]!.message = decision.reason;
        toLaunch.push(task);
      }
    }

    let interrupted = false;
    if (options.dryRun) {
      for (const t of toLaunch) {
        settle(t, "planned", null, `would launch: ${t.rows[0]!.message}`, emit);
      }
    } else {
      emit({ type: "phase", phase: "launch", total: toLaunch.length });
      interrupted = await launchAll(client, toLaunch, journal, options, emit);
      const open = [...tasks.values()].filter((t) =>
        t.rows[0]!.outcome === "launched" && t.rows[0]!.run === null
      );
      if (open.length > 0) {
        emit({ type: "phase", phase: "resolve", total: open.length });
        await resolveRuns(client, open, journal, { final: true }).catch(
          (error) => {
            if (error instanceof TypeError) throw error; // a bug, not the server
            // The launches happened; only their run ids are unknown.
            const why = error instanceof Error ? error.message : String(error);
            emit({
              type: "warning",
              message: `cannot look up the new runs: ${why}`,
            });
            for (const t of open) {
              t.rows[0]!.message =
                "launched (run id not known: the server did not answer the look-up)";
            }
          },
        );
      }
    }

    let pendingAfterWait = 0;
    if (options.wait && !options.dryRun && !stop?.aborted) {
      pendingAfterWait = await waitAll(
        client,
        tasks,
        journal,
        options.wait,
        options.signal,
        emit,
      );
    }
    interrupted ||= stop?.aborted ?? false;
    // A launch whose outcome could not be checked keeps the journal open, so
    // that the next run settles it from the server before anything else.
    const unsettled = [...tasks.values()].some((t) => t.inDoubt);
    await journal?.append(
      interrupted || unsettled ? { type: "interrupted" } : { type: "end" },
    );
    results.sort((a, b) => a.line - b.line);
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

function rowResult(
  line: number,
  row: BulkRow | undefined,
  outcome: Outcome,
  message: string,
): RowResult {
  return {
    line,
    report: row?.report ?? null,
    plugin: row?.plugin ?? null,
    outcome,
    run: null,
    message,
    state: null,
  };
}

/** Awaits two promises; rejects with the first error once both settled. */
async function both<A, B>(a: Promise<A>, b: Promise<B>): Promise<[A, B]> {
  const [x, y] = await Promise.allSettled([a, b]);
  if (x.status === "rejected") throw x.reason;
  if (y.status === "rejected") throw y.reason;
  return [x.value, y.value];
}

function sortProblems(problems: RowProblem[]): RowProblem[] {
  return [...problems].sort((a, b) => a.line - b.line);
}

function countOutcomes(results: RowResult[]): Record<Outcome, number> {
  const counts: Record<Outcome, number> = {
    launched: 0,
    skipped: 0,
    failed: 0,
    invalid: 0,
    planned: 0,
    "not-started": 0,
  };
  for (const r of results) counts[r.outcome]++;
  return counts;
}
