/**
 * What a bulk run reports: the outcome of every input row, the progress
 * events on the way, the summary, and the summary file (CSV or JSON). The
 * CSV is valid input for `bulk_run.ts` and `status.ts` (its `report` and
 * `plugin` columns).
 *
 * @module
 */

import { stringify } from "csv-stringify/sync";

/**
 * What happened to a row: `launched`, `skipped` (guard, duplicate row,
 * another job's launch), `failed`, `in-doubt` (the launch was sent, its
 * answer lost, and the server shows no run yet: the same command settles it
 * later), `invalid` (with `skipInvalid`), `planned` (dry run: would launch),
 * `not-started` (stopped first).
 */
export type Outcome =
  | "launched"
  | "skipped"
  | "failed"
  | "in-doubt"
  | "invalid"
  | "planned"
  | "not-started";

/**
 * Which config a row's launch runs with: `given` (the row's or `--config`,
 * replacing the server's), `previous` (the pair's newest run's), `global`
 * (the plugin's global config on the server), `plan` (the report's plan
 * settings: "as planned"), `none`, or `unknown` (the server does not expose
 * enough to say; it still applies its own).
 */
export type ConfigSource =
  | "given"
  | "previous"
  | "global"
  | "plan"
  | "none"
  | "unknown";

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
  /** Which config the launch runs with (pairs that got to the plan's config step). */
  configSource?: ConfigSource;
  /**
   * Flags that do not change the outcome or the exit code: a report whose
   * analysis ended in Error, a plugin that needs a config the server lacks.
   */
  warnings?: string[];
}

/** One plugin's part of a {@linkcode JobEstimate}. */
export interface PluginEstimate {
  /** Plugin name. */
  plugin: string;
  /** Runs of it to launch. */
  runs: number;
  /** Its recent completed runs the estimate is based on. */
  samples: number;
  /** Their median run time in ms; `null` without any. */
  medianMs: number | null;
}

/** How long a job will take, from the plugins' recent run times on the server. */
export interface JobEstimate {
  /** Runs to launch. */
  runs: number;
  /**
   * Runs at a time: `maxActive` (what the job keeps on the queue), or
   * without a limit as many as ran at once in the recent runs.
   */
  parallel: number;
  /** The whole job in ms; `null` when a plugin has no completed run to go by. */
  totalMs: number | null;
  /** Per plugin. */
  plugins: PluginEstimate[];
  /**
   * Of the runs, those that will fail validation: the plugin requires a
   * configuration and none is given or on the server (0 or absent: none).
   */
  failValidation?: number;
  /**
   * The queue when the job was planned (when yielding to other users):
   * their runs Started and waiting, and the slots that leaves the job.
   */
  production?: { active: number; waiting: number; freeSlots: number };
}

/** Progress events of {@linkcode bulkRun}. */
export type BulkEvent =
  | {
    type: "phase";
    phase: "preflight" | "guard" | "launch" | "settle" | "resolve" | "wait";
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
  | { type: "estimate"; estimate: JobEstimate }
  | {
    type: "pace";
    /** This job's runs Queued or Started (launches in flight included). */
    active: number;
    /** Other jobs' active runs (same user, machine and server). */
    others: number;
    /** Pairs still to launch. */
    waiting: number;
    /** Paced runs that finished. */
    done: number;
    /** Other users' runs Started at the last look at the queue (yielding). */
    foreignActive?: number;
    /** Other users' runs waiting at the last look (yielding: none launches meanwhile). */
    foreignWaiting?: number;
  }
  | { type: "warning"; message: string }
  | { type: "note"; message: string };

/** The summary of a bulk run. */
export interface BulkSummary {
  /** One result per input row, in input order. */
  results: RowResult[];
  /** Rows per outcome. */
  counts: Record<Outcome, number>;
  /** True when stopped by the signal before the end. */
  interrupted: boolean;
  /** Pairs found launched by an earlier invocation of the same job. */
  resumed: number;
  /** Launched runs still running when `wait` timed out. */
  pendingAfterWait: number;
  /**
   * Launched runs left running past the stale limit during `wait` (their
   * grid job gone, as after a server reboot): no longer followed.
   */
  staleAfterWait?: number;
  /** Pairs that show two or more new runs (launched twice). */
  duplicates: number;
  /**
   * Why launching stopped early when the server stopped answering (said
   * once here; those rows are `not-started`).
   */
  serverDown?: string;
  /**
   * Set when the job had already finished: nothing was launched, and this
   * says when it ended and what it launched then.
   */
  finished?: { at: string; counts: Record<string, number> };
  /** The job's estimate, when there was something to launch. */
  estimate?: JobEstimate;
  /** Set when the `confirm` callback declined the job: nothing was launched. */
  declined?: boolean;
  /** When in-doubt pairs can next be settled (ISO), if any are. */
  settleAfter?: string;
  /**
   * The error that stopped every launch before the end (an auth failure, a
   * redirect, a journal that cannot be written), if one did.
   */
  stoppedBy?: Error;
}

/** Column order of the summary file. */
const SUMMARY_COLUMNS = [
  "line",
  "report",
  "plugin",
  "outcome",
  "plugin_result_id",
  "state",
  "message",
  "config_source",
  "warnings",
] as const;

/**
 * Counts rows per outcome (every outcome present, zero or not).
 *
 * @param results Row results.
 * @returns Rows per outcome.
 */
export function countOutcomes(
  results: readonly RowResult[],
): Record<Outcome, number> {
  const counts: Record<Outcome, number> = {
    launched: 0,
    skipped: 0,
    failed: 0,
    "in-doubt": 0,
    invalid: 0,
    planned: 0,
    "not-started": 0,
  };
  for (const r of results) counts[r.outcome]++;
  return counts;
}

/**
 * Formats a summary as CSV (with a header) or JSON (an array), one record
 * per row: line, report, plugin, outcome, plugin_result_id, state, message,
 * config_source, warnings.
 *
 * @example
 * ```ts
 * import { formatSummary } from "./summary.ts";
 * const csv = formatSummary([{
 *   line: 2, report: 7, plugin: "igv", outcome: "launched",
 *   run: 41, message: "first run on this report", state: null,
 * }], "csv");
 * if (!csv.startsWith("line,report,plugin,outcome")) throw new Error(csv);
 * ```
 *
 * @param results Row results.
 * @param format `"csv"` or `"json"`.
 * @returns The file's text.
 */
export function formatSummary(
  results: readonly RowResult[],
  format: "csv" | "json",
): string {
  const records = results.map((r) => ({
    line: r.line,
    report: r.report,
    plugin: r.plugin,
    outcome: r.outcome,
    "plugin_result_id": r.run,
    state: r.state,
    message: r.message,
    // Not "config": this file is valid input, and a config column would
    // be read as the rows' configs.
    "config_source": r.configSource ?? null,
    warnings: format === "json"
      ? r.warnings ?? []
      : (r.warnings ?? []).join("; "),
  }));
  if (format === "json") return `${JSON.stringify(records, null, 2)}\n`;
  return stringify(records, { header: true, columns: [...SUMMARY_COLUMNS] });
}
