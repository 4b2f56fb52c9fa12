/**
 * The bulk launcher's summary file: one record per input row, as CSV or JSON.
 * The CSV is valid input for `bulk_run.ts` and `status.ts` (its `report` and
 * `plugin` columns).
 *
 * @module
 */

import { stringify } from "csv-stringify/sync";
import type { RowResult } from "./bulk_run.ts";

/** Column order of the summary. */
export const SUMMARY_COLUMNS = [
  "line",
  "report",
  "plugin",
  "outcome",
  "plugin_result_id",
  "state",
  "message",
] as const;

/** One summary record. */
export type SummaryRecord = Record<
  typeof SUMMARY_COLUMNS[number],
  string | number | null
>;

/**
 * Converts row results to summary records.
 *
 * @param results Row results of a bulk run.
 * @returns One record per row.
 */
export function summaryRecords(results: readonly RowResult[]): SummaryRecord[] {
  return results.map((r) => ({
    line: r.line,
    report: r.report,
    plugin: r.plugin,
    outcome: r.outcome,
    plugin_result_id: r.run,
    state: r.state,
    message: r.message,
  }));
}

/**
 * Formats a summary as CSV (with a header) or JSON (an array).
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
  const records = summaryRecords(results);
  if (format === "json") return `${JSON.stringify(records, null, 2)}\n`;
  return stringify(records, { header: true, columns: [...SUMMARY_COLUMNS] });
}
