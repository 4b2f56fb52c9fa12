// Internals of the bulk launcher: which reports are worth launching on. The
// server accepts a launch on any report, but a plugin on a report still being
// analysed reads files that are not there yet, a report whose analysis failed
// gives results to look at twice, and an S5 run's thumbnail report (a small
// central region, analysed first) beside its full report doubles the work on
// a queue of one or two slots. Fields the server does not expose (status
// group, thumbnail flag) are unknown, and unknown launches.

import { warn } from "./_config.ts";
import { type BulkContext, recordOutcome, type Task } from "./_context.ts";
import { inBatches, listAll } from "../api/mod.ts";
import type { Report } from "../types.ts";

/** Whether a report's analysis is still going, failed, or is done. */
export type ReportReadiness = "unfinished" | "error" | "done" | "unknown";

/**
 * Statuses of an analysis still going, for servers without `i18nstatus`
 * (it groups them as `Progress`); from the server's status mapping.
 */
const GOING =
  /^(Pending|Started|Importing|Beadfind|Signal Processing|Base Calling|Alignment|TF Processing|Create |Merg|Process|Generating |Flow Space)/;

/**
 * How far a report's analysis got: from `i18nstatus.state` (Completed,
 * Error, Progress, Other) when the server has it, else from `status`.
 * "Completed with N error(s)" counts as an error, as the server groups it.
 */
export function reportReadiness(report: Report): ReportReadiness {
  const group = report.i18nstatus?.state;
  if (group === "Progress") return "unfinished";
  if (group === "Error") return "error";
  if (group === "Completed") return "done";
  const status = report.status ?? "";
  if (group === undefined || group === "Other") {
    if (status === "Pending" || status === "Importing") return "unfinished";
    if (group === "Other") return "unknown";
    if (/^Completed$/.test(status)) return "done";
    if (/error|^TERMINATED$|^MissingFile$|^CoreDump$/i.test(status)) {
      return "error";
    }
    if (GOING.test(status)) return "unfinished";
  }
  return "unknown";
}

/** Whether a report is a thumbnail (`metaData.thumb`); `undefined`: not exposed. */
export function isThumbnail(report: Report): boolean | undefined {
  if (report.metaData === undefined) return undefined;
  return Boolean(report.metaData?.thumb);
}

/** The id in an experiment URI, or `NaN`. */
function experimentId(report: Report): number {
  const m = report.experiment
    ? /\/experiment\/(\d+)\/?$/.exec(report.experiment)
    : null;
  return m ? Number(m[1]) : NaN;
}

/** Options of {@linkcode sortOutReports}. */
export interface ReportChoices {
  /** Launch on reports still being analysed or whose analysis failed too. */
  includeUnfinished: boolean;
  /** Launch on thumbnail reports even when their full report exists. */
  includeThumbnails: boolean;
}

/**
 * Skips the tasks whose report is not worth launching on (settled as
 * skipped, with the reason) and flags those on a failed analysis. Returns
 * the tasks left.
 */
export async function sortOutReports(
  ctx: BulkContext,
  tasks: readonly Task[],
  { reports, choices }: {
    reports: ReadonlyMap<number, Report>;
    choices: ReportChoices;
  },
): Promise<Task[]> {
  const keep: Task[] = [];
  const thumbs: Task[] = [];
  for (const task of tasks) {
    const report = reports.get(task.report);
    if (!report) {
      keep.push(task);
      continue;
    }
    const readiness = reportReadiness(report);
    if (readiness === "unfinished" && !choices.includeUnfinished) {
      recordOutcome(ctx, task, {
        outcome: "skipped",
        run: null,
        message:
          `report ${task.report} is still being analysed (${report.status}); --include-unfinished launches on it anyway`,
      });
      continue;
    }
    if (readiness === "error") {
      // A real server accepts the launch (202) and the plugin then fails on
      // what is missing: a "rerun the failed ones" loop would relaunch it
      // for ever. Refused unless asked for.
      if (!choices.includeUnfinished) {
        recordOutcome(ctx, task, {
          outcome: "skipped",
          run: null,
          message:
            `report ${task.report}'s analysis ended in error (${report.status}): the plugin would fail on it; --include-unfinished launches on it anyway`,
        });
        continue;
      }
      warn(
        task,
        `report ${task.report}'s analysis ended in error (${report.status})`,
      );
    }
    if (!choices.includeThumbnails && isThumbnail(report)) thumbs.push(task);
    else keep.push(task);
  }
  if (thumbs.length === 0) return keep;

  const full = await fullReportsOf(
    ctx,
    thumbs.map((t) => reports.get(t.report)!),
    reports,
  );
  for (const task of thumbs) {
    const report = reports.get(task.report)!;
    const other = full.get(experimentId(report));
    if (other === undefined) {
      keep.push(task); // no full report (or it cannot be told): launch
      continue;
    }
    recordOutcome(ctx, task, {
      outcome: "skipped",
      run: null,
      message:
        `report ${task.report} is the thumbnail of report ${other} (same run); --include-thumbnails launches on it too`,
    });
  }
  return keep;
}

/**
 * The full (non-thumbnail) report of each thumbnail's experiment: from the
 * input's reports, else one batched look-up (`isThumbnail=no`; the flag is
 * checked on every object since an older server ignores the filter).
 */
async function fullReportsOf(
  ctx: BulkContext,
  thumbs: readonly Report[],
  known: ReadonlyMap<number, Report>,
): Promise<Map<number, number>> {
  const full = new Map<number, number>();
  const isFull = (r: Report) => isThumbnail(r) === false;
  for (const r of known.values()) {
    const exp = experimentId(r);
    if (isFull(r) && Number.isFinite(exp)) full.set(exp, r.id);
  }
  const missing = [
    ...new Set(
      thumbs.map(experimentId).filter((e) =>
        Number.isFinite(e) && !full.has(e)
      ),
    ),
  ];
  if (missing.length === 0) return full;
  try {
    const found = await inBatches(missing, (batch) => {
      const wanted = new Set(batch);
      return listAll<Report>(ctx.client, "results/", {
        params: { experiment__in: batch, isThumbnail: "no", noplugin: "true" },
        // Not isThumbnail: a server without that filter still says which
        // are thumbnails, and they are left out here.
        verify: { experiment__in: (r) => wanted.has(experimentId(r)) },
      });
    });
    for (const r of found.filter(isFull)) full.set(experimentId(r), r.id);
  } catch (error) {
    if (error instanceof TypeError) throw error; // a bug, not the server
    ctx.emit({
      type: "warning",
      message:
        `cannot look up the full reports of thumbnails (launching on them): ${
          error instanceof Error ? error.message : String(error)
        }`,
    });
  }
  return full;
}
