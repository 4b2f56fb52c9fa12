// Internals of the bulk launcher, first phase: check the rows (locally and on
// the server, in one pass), look up each pair's newest run, make one task per
// pair, leave out reports not worth launching on, and say which config each
// pair runs with.

import { resolveConfigs } from "./_config.ts";
import type { BulkContext, Task } from "./_context.ts";
import { type ReportChoices, sortOutReports } from "./_reports.ts";
import { decide, type Decisions } from "./_context.ts";
import { InputError, type RowProblem } from "../errors.ts";
import { preflight } from "./preflight.ts";
import type { RunRow } from "../run_rows.ts";
import { pairKey, queueRuns, reportOf, runsOf } from "../api/mod.ts";
import { classifyState, isWaiting, passedSince } from "../states.ts";
import type { RowResult } from "./summary.ts";
import type { PluginResult } from "../types.ts";

/** What the plan phase found. */
export interface Plan {
  /** One result per input row, invalid rows included (input order not kept yet). */
  results: RowResult[];
  /** One task per (report, plugin) pair, in input order. */
  tasks: Task[];
  /**
   * The tasks the plan did not settle (a report still being analysed, a
   * thumbnail), for the guard; in input order.
   */
  candidates: Task[];
  /** The newest run of each pair, by task key. */
  latest: Map<string, PluginResult>;
}

/** Inputs of {@linkcode planBulkRun}. */
export interface PlanInput {
  rows: readonly RunRow[];
  /** Input name used in problems. */
  file: string;
  /** Problems already found while parsing the input. */
  problems: readonly RowProblem[];
  /** Go on with the valid rows when some are invalid. */
  skipInvalid: boolean;
  /** Reports still being analysed, and thumbnails: launch on them or not. */
  reports: ReportChoices;
  /** `"previous"`: rows without a config reuse their pair's newest run's. */
  configFrom: "server" | "previous";
}

/**
 * Validates the rows and checks them against the server (preflight, and the
 * guard's look-up of existing runs, side by side). Throws
 * {@linkcode InputError} when a row is invalid, unless `skipInvalid`: with
 * every problem at once, the rows that can be checked on the server checked
 * even when others are malformed.
 */
export async function planBulkRun(
  ctx: BulkContext,
  input: PlanInput,
): Promise<Plan> {
  const problems = [...input.problems];
  const valid = input.rows.filter((r): r is RunRow & { plugin: string } =>
    r.plugin !== null
  );
  ctx.emit({ type: "phase", phase: "preflight", total: valid.length });
  // Not aborted by Ctrl-C: a plan is quick, and the launch phase reports
  // every pair as not started.
  const [checked, history] = await both(
    preflight(ctx.client, valid, { file: input.file }),
    runsOf(ctx.client, {
      reports: valid.map((r) => r.report),
      plugins: new Set(valid.map((r) => r.plugin)),
    }),
  );
  // The newest run of each pair, and how many of its runs failed (the
  // guard holds back a pair that failed --max-failures times).
  const latest = new Map<string, PluginResult>();
  const failures = new Map<string, { count: number; newest: number }>();
  for (const run of history) {
    const key = pairKey(reportOf(run), run.pluginName);
    const seen = latest.get(key);
    if (!seen || run.id > seen.id) latest.set(key, run);
    if (classifyState(run.state) === "failed") {
      const f = failures.get(key) ?? { count: 0, newest: 0 };
      failures.set(key, {
        count: f.count + 1,
        newest: Math.max(f.newest, run.id),
      });
    }
  }
  ctx.failures = failures;
  ctx.passedAt = await passedAtOf(ctx, history, latest);
  problems.push(...checked.problems);
  problems.sort((a, b) => a.line - b.line);
  if (problems.length > 0 && !input.skipInvalid) {
    throw new InputError(problems);
  }

  const results: RowResult[] = [];
  const badLines = new Map<number, string[]>();
  for (const p of problems) {
    badLines.set(p.line, [...(badLines.get(p.line) ?? []), p.message]);
  }
  const byLine = new Map(input.rows.map((r) => [r.line, r]));
  for (const [line, messages] of badLines) {
    results.push({
      ...rowResult(line, byLine.get(line)),
      outcome: "invalid",
      message: messages.join("; "),
    });
  }

  // One task per pair; later duplicate rows follow the first.
  const tasks = new Map<string, Task>();
  for (const row of valid) {
    if (badLines.has(row.line)) continue;
    const key = pairKey(row.report, row.plugin);
    const result = rowResult(row.line, row);
    results.push(result);
    const task = tasks.get(key);
    if (task) {
      result.outcome = "skipped";
      result.message = `same report and plugin as line ${
        task.rows[0]!.line
      }: launched once`;
      task.rows.push(result);
      ctx.emit({ type: "row", result });
      continue;
    }
    tasks.set(key, {
      key,
      report: row.report,
      plugin: row.plugin,
      given: row.config,
      config: row.config,
      rows: [result],
      before: latest.get(key)?.id ?? 0,
    });
  }
  const all = [...tasks.values()];
  const candidates = await sortOutReports(ctx, all, {
    reports: checked.reports,
    choices: input.reports,
  });
  await resolveConfigs(ctx, candidates, {
    plugins: checked.plugins,
    reports: checked.reports,
    latest,
    configFrom: input.configFrom,
  });
  return { results, tasks: all, candidates, latest };
}

/** What the duplicate guard decided: what to launch, what it skips. */
export interface GuardSplit {
  /** The tasks to launch, each with the guard's reason as its message. */
  toLaunch: Task[];
  /** The tasks it skips, with their outcome, for the caller to record. */
  skipped: Decisions;
}

/**
 * Applies the duplicate guard: splits the tasks into those to launch and
 * those it skips (not recorded here).
 */
export function applyGuard(
  ctx: BulkContext,
  { tasks, latest }: {
    tasks: readonly Task[];
    latest: ReadonlyMap<string, PluginResult>;
  },
): GuardSplit {
  const toLaunch: Task[] = [];
  const skipped: Decisions = [];
  for (const task of tasks) {
    const run = latest.get(task.key);
    const decision = decide(ctx, run, task.key);
    if (decision.launch) {
      task.rows[0]!.message = decision.reason;
      toLaunch.push(task);
    } else {
      skipped.push([task, {
        outcome: "skipped",
        run: run?.id ?? null,
        message: decision.reason,
        state: run?.state,
      }]);
    }
  }
  return { toLaunch, skipped };
}

/** A row's result before anything happened to it. */
function rowResult(line: number, row: RunRow | undefined): RowResult {
  return {
    line,
    report: row?.report ?? null,
    plugin: row?.plugin ?? null,
    outcome: "planned",
    run: null,
    message: "",
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

/**
 * When the queue passed each pair's newest run that still waits: a run
 * passed long ago is held for ever (stale). From the start times of newer
 * runs in the pairs' history, and, when a waiting run is left undated, the
 * server's newest runs of any owner (one request; a subset of the newer
 * runs, so a date from it is never earlier than the truth).
 */
async function passedAtOf(
  ctx: BulkContext,
  history: readonly PluginResult[],
  latest: ReadonlyMap<string, PluginResult>,
): Promise<Map<number, number>> {
  const passed = passedSince(history);
  const undated = [...latest.values()].some((r) =>
    isWaiting(r.state) && !passed.has(r.id)
  );
  if (!undated) return passed;
  try {
    return passedSince([...history, ...await queueRuns(ctx.client)]);
  } catch (error) {
    if (error instanceof TypeError) throw error; // a bug, not the server
    return passed; // the guard then treats them as waiting, as before
  }
}
