/**
 * The bulk launcher's door: `bulkRun` (plan, guard, claims, journal,
 * pacing, lost answers settled from the server, the summary), the duplicate
 * guard's policy, the journal, and the summary's types and formats.
 *
 * @module
 */

export { bulkRun, type BulkRunOptions } from "./bulk_run.ts";
export type { RowProblem } from "../errors.ts";
export {
  DEFAULT_RERUN,
  guard,
  type GuardDecision,
  type GuardOptions,
  type RerunClass,
  type RerunPolicy,
} from "./guard.ts";
export {
  Journal,
  type JournalRecord,
  type NewJournalRecord,
  readJournal,
} from "./journal.ts";
export {
  type JournalState,
  type PairRecord,
  replayJournal,
} from "./journal_replay.ts";
export {
  type BulkEvent,
  type BulkSummary,
  type ConfigSource,
  countOutcomes,
  formatSummary,
  type JobEstimate,
  type Outcome,
  type PluginEstimate,
  type RowResult,
} from "./summary.ts";
