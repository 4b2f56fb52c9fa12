/**
 * The results door: one QC table across reports from each plugin run's
 * `store`, per barcode. The run read per (report, plugin) is the newest
 * `Completed` one from `pluginresult/` (a newer failed or running rerun is
 * noted beside it, never hides it); values are parsed (`"98.50%"` → 98.5,
 * numeric text → numbers) unless asked raw; columns are built-in aliases or
 * any store key path.
 *
 * @example A QC pass/fail per barcode
 * ```ts
 * import { createClient } from "../http/mod.ts";
 * import { parseFlagRule, resolveColumns, resultRows } from "./mod.ts";
 * import { startSimulator } from "../../simulator/mod.ts";
 * await using server = await startSimulator({ reports: 2 });
 * const [user] = server.users;
 * using client = await createClient({ url: server.url, user: user!.username, apiKey: user!.apiKey });
 * const plugins = ["coverageAnalysis"];
 * const columns = resolveColumns(plugins, ["uniformity", "mean_depth"]);
 * const low = parseFlagRule("uniformity_pct<90");
 * for await (const { row } of resultRows(client, server.reportIds(), { plugins, columns })) {
 *   const value = row.uniformity_pct;
 *   if (value !== null && typeof value !== "number") throw new Error("parsed");
 *   void low;
 * }
 * ```
 *
 * @module
 */

export {
  type Alias,
  ALIASES,
  type KeyPath,
  leafPaths,
  parseKeyPath,
  resolveColumns,
  valueAt,
  type ValueColumn,
} from "./columns.ts";
export { firedRules, fires, type FlagRule, parseFlagRule } from "./flags.ts";
export { renderResultsPage, type ResultsPageInput } from "./page.ts";
export {
  countKeys,
  LEADING_COLUMNS,
  type ResultRow,
  type ResultRowEvent,
  resultRows,
  type ResultRowsOptions,
  rowsOfReport,
  RUN_FIELDS,
  type StorePart,
  storeParts,
  tableHeader,
} from "./rows.ts";
export { type Cell, isPercent, parseCell, rawCell } from "./values.ts";
