/**
 * The status door: the newest run of each (report, plugin) pair, stopping
 * runs, the run logs behind Torrent Suite's web login (redacted), and the
 * self-contained status page.
 *
 * @module
 */

export {
  journalLaunchTimes,
  type PairStatus,
  pairStatus,
  pairStatuses,
  type PairStatusesOptions,
  type StopResult,
  stopRuns,
} from "./status.ts";
export { type JobView, jobView, markWaiting } from "./job.ts";
export {
  createLogReader,
  DEFAULT_LOG_LINES,
  type LogReader,
  type LogReaderOptions,
  type LogStatus,
  type LogTarget,
  readRunLogs,
  type RunLog,
} from "./logs.ts";
export type { RedactOptions } from "../redact.ts";
export {
  formatDuration,
  type PageProgress,
  renderStatusPage,
  type StatusPageInput,
} from "./status_page.ts";
