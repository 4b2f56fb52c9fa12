// status.ts --stop: the runs it would stop, listed before asking, then
// stopped (a finished run is never touched: stopping it relabels it
// Cancelled).

import type { TsClient } from "../../lib/http/mod.ts";
import { parseTsDate } from "../../lib/datetime.ts";
import { UsageError } from "../../lib/errors.ts";
import { pairKey } from "../../lib/api/mod.ts";
import {
  formatDuration,
  type PairStatus,
  stopRuns,
} from "../../lib/status/mod.ts";
import type { Format } from "./flags.ts";
import { type Column, eprint, renderTable, writeRows } from "./output.ts";
import { EXIT } from "./program.ts";
import { type CommandIO, denoIO } from "./io.ts";
import { stateText } from "./status_columns.ts";

/** Age of a run for the stop list: since it started, else since its launch. */
function age(
  s: PairStatus,
  now: number,
  launchedAt: number | undefined,
): string {
  const since = s.starttime ? parseTsDate(s.starttime) : launchedAt ?? NaN;
  return Number.isFinite(since)
    ? formatDuration(Math.max(0, (now - since) / 1000))
    : "queued";
}

/** How {@linkcode stop} asks and prints. */
export interface StopOptions {
  /** Do not ask (`--yes`). */
  yes: boolean;
  /** Only show what would be stopped (`--dry-run`). */
  dryRun: boolean;
  /** Tables: every column. */
  wide: boolean;
  /** Output format. */
  format: Format;
  /** Launch times from a journal, by pair key (the age of a queued run). */
  launchedAt?: ReadonlyMap<string, number>;
  /** Where it prints and asks; default the real streams. */
  io?: CommandIO;
}

/**
 * `status.ts --stop`: lists the running (and stale) runs among the
 * selection (report, plugin, id, state, age), asks on a terminal unless
 * `yes`, stops them (never a finished one) and prints what was done.
 */
export async function stop(
  client: TsClient,
  statuses: readonly PairStatus[],
  options: StopOptions,
): Promise<number> {
  const running = statuses.filter((s) =>
    s.stateClass === "running" || s.stateClass === "stale"
  );
  const { format } = options;
  const io = options.io ?? denoIO;
  const launched = (s: PairStatus) =>
    options.launchedAt?.get(pairKey(s.report, s.plugin));
  if (running.length === 0) {
    eprint(io, "nothing to stop: no selected run is running");
    writeRows(io, [], STOP_COLUMNS, format);
    return EXIT.ok;
  }
  const now = client.now();
  if (!options.dryRun && !options.yes) {
    eprint(io, `${running.length} run(s) would be stopped:`);
    const table = renderTable(running, [
      { name: "report", value: (s) => s.report, right: true },
      { name: "name", value: (s) => s.reportName, minWidth: 12, drop: 1 },
      { name: "plugin", value: (s) => s.plugin },
      { name: "run", value: (s) => s.id, right: true },
      { name: "state", value: stateText },
      { name: "age", value: (s) => age(s, now, launched(s)), right: true },
    ], { width: io.stderr.isTerminal() ? io.columns() : undefined });
    for (const line of table.trimEnd().split("\n")) eprint(io, `  ${line}`);
    if (!io.stdin.isTerminal()) {
      throw new UsageError(
        `refusing to stop ${running.length} run(s) without confirmation: pass --yes (or --dry-run to preview)`,
      );
    }
    if (!io.confirm(`Stop these ${running.length} run(s)?`)) {
      eprint(io, "nothing stopped");
      writeRows(io, [], STOP_COLUMNS, format);
      return EXIT.ok;
    }
  }
  const result = await stopRuns(client, running.map((s) => s.id!), {
    dryRun: options.dryRun,
  });
  const verb = options.dryRun ? "would stop" : "stopped";
  const byId = new Map(running.map((s) => [s.id!, s]));
  const rows = [
    ...result.stopped.map((id) => ({ ...byId.get(id)!, action: verb })),
    ...result.finished.map((f) => ({
      ...byId.get(f.id)!,
      state: f.state,
      action: `left alone: already ${f.state}`,
    })),
    ...result.missing.map((id) => ({
      ...byId.get(id)!,
      action: "not found on the server",
    })),
  ].map((r) => ({ ...r, age: age(r, now, launched(r)) }));
  writeRows(io, rows, STOP_COLUMNS, format, { wide: options.wide });
  eprint(
    io,
    `${result.stopped.length} run(s) ${verb}; ${result.finished.length} already finished`,
  );
  return EXIT.ok;
}

const STOP_COLUMNS: Column<PairStatus & { action: string; age: string }>[] = [
  { name: "report", value: (s) => s.report, right: true },
  {
    name: "report_name",
    title: "name",
    value: (s) => s.reportName,
    minWidth: 12,
    drop: 1,
  },
  { name: "plugin", value: (s) => s.plugin },
  { name: "plugin_result_id", title: "run", value: (s) => s.id, right: true },
  { name: "state", value: (s) => s.state },
  { name: "age", value: (s) => s.age, right: true },
  { name: "action", value: (s) => s.action },
];
