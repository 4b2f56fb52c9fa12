// Simulator internals: how a report's `status` maps to the four groups the
// API shows in `i18nstatus.state` (and the data page filters on).
//
// The table is `CompositeExperimentResource.get_status_mappings` in
// iontorrent/TS dbReports/iondb/rundb/api.py ("gathered by querying internal
// servers": `SELECT DISTINCT status from rundb_results`). Note that
// "Completed with N error(s)" is an Error there, not Completed. Statuses
// missing from the table show as Other. The `i18n` half is the status as
// displayed; with the English locale it is the status itself.

const ERROR = "Error";
const COMPLETED = "Completed";
const PROGRESS = "Progress";
const OTHER = "Other";

const PROGRESS_STATES = [
  "Alignment",
  "Base Calling",
  "Beadfind",
  "Create Download Links",
  "Create Statistics",
  "Create Stats",
  "Create Zip Files",
  "Flow Space Recalibration",
  "Generating Alignment metrics",
  "Merge Alignment Results",
  "Merge Bam Files",
  "Merge Basecaller Results",
  "Merge Heatmaps",
  "Merge Statistics",
  "Merging BAM files",
  "Process Unfiltered BAM",
  "Processing barcodes",
  "Signal Processing",
  "Started",
  "TF Processing",
];
const ERROR_STATES = [
  "Checksum Error",
  "CoreDump",
  "ERROR",
  "Error",
  "Error in Alignment",
  "Error in alignmentQC.pl",
  "Error in Analysis",
  "Error in BaseCaller",
  "Error in Basecaller",
  "Error in Beadfind",
  "Error in BeadmaskParse",
  "Error in MergeBarcodedBasecallerBamsUntrimmed",
  "Error in Pre Alignment Step",
  "Error in Pre Basecalling Step",
  "Error in Reads recalibration",
  "Error in Reads sampling with samtools",
  "Error in Recalibration",
  "Failed to contact job server.",
  "MissingFile",
  "No Live Beads",
  "Separator Abort",
];
const OTHER_STATES = [
  "Importing",
  "Moved",
  "PGM Operation Error",
  "Pending",
  "TERMINATED",
];

const MAP = new Map<string, string>([
  ["Completed", COMPLETED],
  ...PROGRESS_STATES.map((s) => [s, PROGRESS] as [string, string]),
  ...ERROR_STATES.map((s) => [s, ERROR] as [string, string]),
  ...OTHER_STATES.map((s) => [s, OTHER] as [string, string]),
]);

/** The display group of a report status: Completed, Error, Progress or Other. */
export function statusGroup(status: string): string {
  const hit = MAP.get(status);
  if (hit) return hit;
  // The source lists "Completed with %i error(s)" (and "errors", "error")
  // for 0..99.
  if (/^Completed with \d{1,2} error(\(s\)|s)?$/.test(status)) return ERROR;
  return OTHER;
}

/** The report's `i18nstatus` field. */
export function i18nStatus(status: string): { i18n: string; state: string } {
  return { i18n: status, state: statusGroup(status) };
}
