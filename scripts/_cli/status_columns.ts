// The columns of status.ts's rows (shared by its stop list): what each
// format shows and how a table fits the terminal.

import { formatDuration, type PairStatus } from "../../lib/status/mod.ts";
import type { Column } from "./output.ts";

/** `2026-03-01 12:05` in local time, for tables. */
export function shortTime(iso: string | null): string {
  if (!iso) return "";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${
    p(d.getHours())
  }:${p(d.getMinutes())}`;
}

/** What the state column says, for people. */
export function stateText(s: PairStatus): string {
  if (s.reportFound === false) return "no such report";
  if (s.launch === "waiting") return "waiting to launch";
  if (s.launch === "stopped") return "not launched (job stopped)";
  if (s.state === null) return s.plugin === "" ? "no plugin ran" : "never run";
  return s.stateClass === "stale" ? `${s.state} (stale)` : s.state;
}

/**
 * The columns of `status.ts`: in a table the report's name comes first (what
 * a lab recognises), long columns are cut or dropped to fit the terminal
 * (the URL first); the data formats keep every field, `report` first (the
 * column `bulk_run.ts` reads), lists as arrays.
 */
export const COLUMNS: Column<PairStatus>[] = [
  {
    name: "name",
    value: (s) => s.reportName,
    minWidth: 14,
    drop: 5,
    only: "table",
  },
  { name: "report", value: (s) => s.report, right: true },
  { name: "report_name", value: (s) => s.reportName, only: "data" },
  { name: "report_found", value: (s) => s.reportFound ?? null, only: "data" },
  { name: "plugin", value: (s) => s.plugin },
  { name: "state", value: (s) => s.state, display: stateText },
  { name: "state_class", value: (s) => s.stateClass, only: "data" },
  {
    name: "never_run",
    value: (s) =>
      s.state === null && s.reportFound !== false && s.launch === undefined,
    only: "data",
  },
  // A bulk job's pair not launched yet: "waiting" (or "stopped": the job's
  // launcher is gone), empty otherwise.
  { name: "launch", value: (s) => s.launch ?? null, only: "data" },
  { name: "plugin_result_id", title: "run", value: (s) => s.id, right: true },
  {
    name: "started",
    value: (s) => s.starttime,
    display: (s) => shortTime(s.starttime),
    drop: 3,
  },
  {
    name: "ended",
    value: (s) => s.endtime,
    display: (s) => shortTime(s.endtime),
    drop: 2,
  },
  {
    name: "duration_s",
    title: "took",
    value: (s) => s.durationSeconds,
    display: (s) => formatDuration(s.durationSeconds),
    right: true,
    drop: 4,
  },
  {
    name: "validation_errors",
    title: "why",
    value: (s) => s.validationErrors,
    minWidth: 16,
    drop: 6,
  },
  // Never cut (half a URL opens nothing): dropped first when it does not fit.
  { name: "url", value: (s) => s.url, drop: 1 },
  { name: "log_url", value: (s) => s.logUrl ?? null, only: "data" },
];
