/**
 * **ionrun**: launch, follow and rerun Ion Torrent Torrent Suite analysis
 * plugins on many reports, through the server's REST API (`/rundb/api/v1/`).
 *
 * The library handles what the API makes easy to get wrong: the trailing
 * slash, redirects that turn a launch into a no-op, pagination capped at 1000,
 * filters the server silently ignores, launches that answer 202 with no id,
 * and the absence of any duplicate check on the server.
 *
 * ```ts
 * import { bulkRun, createClient, listPlugins, parseRunRows } from "./mod.ts";
 * import { startSimulator } from "./simulator/mod.ts";
 *
 * // Against a real server: `createClient(await loadConfig())` reads TS_URL,
 * // TS_USER and TS_API_KEY. Here, the toolkit's simulator of a server.
 * await using server = await startSimulator({ reports: 20 });
 * const [admin] = server.users;
 * using client = await createClient({
 *   url: server.url,
 *   user: admin!.username,
 *   apiKey: admin!.apiKey,
 * });
 *
 * const plugins = await listPlugins(client); // the launchable ones
 * if (!plugins.some((p) => p.name === "igv")) throw new Error("no igv");
 *
 * const [a, b] = server.reportIds();
 * const { rows, problems } = parseRunRows(`report\n${a}\n${b}\n`, {
 *   file: "inline",
 *   plugin: "igv",
 * });
 * // Each pair is launched unless its newest run is running or completed (the
 * // duplicate guard); at most 2 of the job's runs are active on the server.
 * const summary = await bulkRun(client, rows, {
 *   file: "inline",
 *   problems,
 *   maxActive: 2,
 * });
 * for (const r of summary.results) console.log(r.report, r.outcome, r.message);
 * if (summary.results.length !== 2) throw new Error("one result per row");
 * ```
 *
 * This is the recipe author's library. The rest has doors of its own:
 * `ionrun/http` (the client and its transport), `ionrun/api` (resources,
 * pagination, runs), `ionrun/bulk` (the bulk launcher, its journal and
 * summary), `ionrun/claims` (the claims registry), `ionrun/status`
 * (status, logs, the status page), `ionrun/doctor` and `ionrun/simulator`.
 * The scripts in `scripts/` are thin command-line fronts over them.
 *
 * @module
 */

// Errors and the API's wire types.
export {
  ApiError,
  AuthError,
  type CredentialForm,
  InputError,
  NetworkError,
  type NetworkFailure,
  PaginationError,
  type RowProblem,
  UsageError,
} from "./lib/errors.ts";
export type {
  Plugin,
  PluginConfig,
  PluginResult,
  PluginResultJob,
  Report,
} from "./lib/types.ts";

// Connecting: settings and the client.
export {
  type ConfigFlags,
  type ConnectionConfig,
  loadConfig,
  type LoadConfigOptions,
} from "./lib/config.ts";
export { createClient, TsClient } from "./lib/http/mod.ts";

// Plugins, reports and their runs.
export {
  findPlugin,
  getReports,
  latestRuns,
  listAll,
  listPlugins,
  listReports,
  paginate,
  type Pair,
  runsOf,
  waitForRuns,
  type WaitOptions,
} from "./lib/api/mod.ts";
export { classifyState, type StateClass } from "./lib/states.ts";
export { parseTsDate } from "./lib/datetime.ts";

// Launching many from an input file.
export {
  type NamedRow,
  type ParsedRunRows,
  parseRunRows,
  type ParseRunRowsOptions,
  readRunRows,
  type RunRow,
} from "./lib/run_rows.ts";
export {
  bulkRun,
  type BulkRunOptions,
  type BulkSummary,
  formatSummary,
  type Outcome,
  type RerunPolicy,
  type RowResult,
} from "./lib/bulk/mod.ts";
export { defaultRegistryDir } from "./lib/claims/mod.ts";

// Following runs: status, stop, why a run failed (its log, redacted).
export {
  createLogReader,
  type PairStatus,
  pairStatuses,
  readRunLogs,
  type RunLog,
  stopRuns,
} from "./lib/status/mod.ts";
export { redactConfig, type RedactOptions, redactText } from "./lib/redact.ts";
