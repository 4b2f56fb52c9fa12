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
 * The scripts in `scripts/` (`list.ts`, `run.ts`, `bulk_run.ts`,
 * `status.ts`, `doctor.ts`) are thin command-line fronts over these
 * functions.
 *
 * @module
 */

// Errors and the API's wire types.
export {
  ApiError,
  AuthError,
  type CredentialForm,
  FilterNotAppliedError,
  InputError,
  JobLockedError,
  JournalWriteError,
  NetworkError,
  type NetworkFailure,
  PaginationError,
  RedirectError,
  type RowProblem,
  UnreadableAnswerError,
  UsageError,
} from "./lib/errors.ts";
export type {
  ListMeta,
  ListPage,
  Plugin,
  PluginConfig,
  PluginResult,
  PluginResultJob,
  Report,
} from "./lib/types.ts";

// Connecting: settings, the client, pagination.
export {
  type ConfigFlags,
  type ConnectionConfig,
  loadConfig,
  type LoadConfigOptions,
} from "./lib/config.ts";
export {
  type ApiResponse,
  type ClientOptions,
  createClient,
  type QueryParams,
  type ReadRetry,
  type RequestOptions,
  TsClient,
} from "./lib/client.ts";
export type {
  Transport,
  TransportRequest,
  TransportResponse,
} from "./lib/transport.ts";
export { listAll, paginate, type PaginateOptions } from "./lib/paginate.ts";

// Plugins, reports and their runs.
export {
  findPlugin,
  listPlugins,
  type ListPluginsOptions,
} from "./lib/plugins.ts";
export {
  getReport,
  getReports,
  listReports,
  type ListReportsOptions,
} from "./lib/reports.ts";
export { classifyState, type StateClass } from "./lib/states.ts";
export { parseTsDate } from "./lib/datetime.ts";
export {
  latestRun,
  type Pair,
  type PairsQuery,
  waitForRuns,
  type WaitOptions,
  type WaitResult,
} from "./lib/runs.ts";

// Launching one run, and many from an input file.
export {
  type LaunchOptions,
  launchPlugin,
  type LaunchResult,
} from "./lib/launch.ts";
export {
  type ParsedRunRows,
  parseRunRows,
  type ParseRunRowsOptions,
  readRunRows,
  type RunRow,
} from "./lib/run_rows.ts";
export { type RerunClass, type RerunPolicy } from "./lib/guard.ts";
export { bulkRun, type BulkRunOptions } from "./lib/bulk_run.ts";
export { defaultRegistryDir } from "./lib/registry.ts";
export {
  type BulkEvent,
  type BulkSummary,
  type ConfigSource,
  formatSummary,
  type JobEstimate,
  type Outcome,
  type PluginEstimate,
  type RowResult,
} from "./lib/summary.ts";

// Following runs: status, stop, the status page.
export {
  type PairStatus,
  pairStatuses,
  type PairStatusesOptions,
  type StopResult,
  stopRuns,
} from "./lib/status.ts";

// Why a run failed: its log, redacted.
export {
  createLogReader,
  type LogReader,
  type LogReaderOptions,
  type LogStatus,
  type LogTarget,
  readRunLogs,
  type RunLog,
} from "./lib/logs.ts";
export { redactConfig, type RedactOptions, redactText } from "./lib/redact.ts";
export {
  type PageProgress,
  renderStatusPage,
  type StatusPageInput,
} from "./lib/status_page.ts";

// Checking a connection, step by step, with a fix for each failure.
export {
  type CheckStatus,
  type DoctorCheck,
  type DoctorOptions,
  type DoctorReport,
  runDoctor,
} from "./lib/doctor.ts";
