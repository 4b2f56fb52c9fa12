/**
 * The API door: Torrent Suite's resources as the toolkit reads them:
 * pagination that never trusts `limit=0` and never loops, plugins, reports,
 * plan settings, plugin runs (batched look-ups, waiting) and the launch
 * request itself.
 *
 * @module
 */

export {
  inBatches,
  listAll,
  paginate,
  type PaginateOptions,
} from "./paginate.ts";
export {
  findPlugin,
  getPlugin,
  listPlugins,
  type ListPluginsOptions,
  pickLaunchVersion,
} from "./plugins.ts";
export {
  findReportsByName,
  getReport,
  getReports,
  listReports,
  type ListReportsOptions,
  recentStatuses,
  resolveNamedRows,
} from "./reports.ts";
export { isNonEmptyObject, plannedConfigs } from "./plans.ts";
export {
  getRuns,
  latestRun,
  latestRuns,
  newRuns,
  type Pair,
  pairKey,
  type PairSince,
  type PairsQuery,
  QUEUE_LOOK,
  queueRuns,
  reportOf,
  runsOf,
  type RunsOfOptions,
  waitForRuns,
  type WaitOptions,
  type WaitResult,
} from "./runs.ts";
export {
  type LaunchOptions,
  launchPlugin,
  type LaunchResult,
  postLaunch,
} from "./launch.ts";
export {
  choose,
  chooseRuns,
  type ChooseRunsOptions,
  type NoRunReason,
  reasonText,
  type RunChoice,
  type RunPick,
} from "./selection.ts";
