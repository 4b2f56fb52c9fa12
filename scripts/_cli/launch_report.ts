// What run.ts and bulk_run.ts report after launching: the per-row result
// columns (the same as the summary file) and the exit code.

import type { BulkSummary, RowResult } from "../../lib/summary.ts";
import type { Column } from "./output.ts";
import { EXIT } from "./program.ts";

/** Columns of the per-row results on stdout (same as the summary file). */
export const RESULT_COLUMNS: Column<RowResult>[] = [
  { name: "line", value: (r) => r.line, right: true },
  { name: "report", value: (r) => r.report, right: true },
  { name: "plugin", value: (r) => r.plugin },
  { name: "outcome", value: (r) => r.outcome },
  { name: "plugin_result_id", value: (r) => r.run, right: true },
  { name: "state", value: (r) => r.state },
  { name: "message", value: (r) => r.message, maxWidth: 90 },
];

/** The exit code of a launch summary: 130, 1, 2 or 0. */
export function launchExitCode(
  summary: Pick<BulkSummary, "interrupted" | "pendingAfterWait" | "counts">,
): number {
  const c = summary.counts;
  if (summary.interrupted) return EXIT.interrupted;
  if (c.failed > 0 || c["not-started"] > 0 || summary.pendingAfterWait > 0) {
    return EXIT.failed;
  }
  return c.invalid > 0 ? EXIT.usage : EXIT.ok;
}
