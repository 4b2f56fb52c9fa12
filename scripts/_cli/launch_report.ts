// What run.ts and bulk_run.ts report after launching: the per-row result
// columns (the same as the summary file) and the exit code.

import { AuthError } from "../../lib/errors.ts";
import type { BulkSummary, RowResult } from "../../lib/bulk/mod.ts";
import type { Column } from "./output.ts";
import { EXIT } from "./program.ts";

/** Columns of the per-row results on stdout (same as the summary file). */
export const RESULT_COLUMNS: Column<RowResult>[] = [
  { name: "line", value: (r) => r.line, right: true },
  { name: "report", value: (r) => r.report, right: true },
  { name: "plugin", value: (r) => r.plugin, minWidth: 10 },
  { name: "outcome", value: (r) => r.outcome },
  {
    name: "plugin_result_id",
    title: "run",
    value: (r) => r.run,
    right: true,
  },
  { name: "state", value: (r) => r.state, minWidth: 9 },
  // Cut only to fit the terminal: an in-doubt message is an instruction.
  { name: "message", value: (r) => r.message, minWidth: 16 },
  // Not "config": this output is valid input, where a config column would
  // be read as the rows' configs.
  {
    name: "config_source",
    title: "config",
    value: (r) => r.configSource ?? null,
    drop: 2,
  },
  {
    name: "warnings",
    value: (r) => r.warnings ?? [],
    maxWidth: 60,
    minWidth: 12,
    drop: 1,
  },
];

/**
 * The exit code of a launch summary: 130 interrupted; 3 stopped by an
 * authentication failure; 2 invalid rows and nothing launched; 1 some rows
 * failed, were not started, are in doubt, were launched twice, or still run
 * after --wait, or rows were refused beside launched ones; else 0.
 */
export function launchExitCode(
  summary: Pick<
    BulkSummary,
    | "interrupted"
    | "pendingAfterWait"
    | "staleAfterWait"
    | "counts"
    | "duplicates"
    | "stoppedBy"
  >,
): number {
  const c = summary.counts;
  if (summary.interrupted) return EXIT.interrupted;
  if (summary.stoppedBy instanceof AuthError) return EXIT.auth;
  if (
    c.failed > 0 || c["not-started"] > 0 || c["in-doubt"] > 0 ||
    summary.duplicates > 0 || summary.pendingAfterWait > 0 ||
    (summary.staleAfterWait ?? 0) > 0 ||
    summary.stoppedBy !== undefined
  ) return EXIT.failed;
  if (c.invalid > 0) return c.launched > 0 ? EXIT.failed : EXIT.usage;
  return EXIT.ok;
}
