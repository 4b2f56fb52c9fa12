// status.ts --log: the last lines of the failed runs' logs, read over the
// web login with a password (redacted, error lines highlighted on a
// terminal), or their URLs when only an API key is set; as a table, CSV
// (one row a line) or JSON/NDJSON (one object a log).

import type { ConnectionConfig } from "../../lib/config.ts";
import {
  createLogReader,
  type PairStatus,
  readRunLogs,
  type RunLog,
} from "../../lib/status/mod.ts";
import type { Format } from "./flags.ts";
import { eprint, print, useColor, writeRows } from "./output.ts";
import { type CommandIO, denoIO } from "./io.ts";

/** Logs shown without `--log-all`. */
export const LOG_LIMIT = 20;

/** How {@linkcode showLogs} reads and prints. */
export interface ShowLogsOptions {
  /** Every failed run, not only the first {@linkcode LOG_LIMIT}. */
  all: boolean;
  /** Lines per log. */
  lines: number;
  /** More key names whose values are redacted (`--redact KEY`). */
  extraKeys: readonly string[];
  /** Per-request timeout in ms. */
  timeoutMs: number;
  /** Output format. */
  format: Format;
}

/**
 * Prints the failed runs' logs among `shown` (or, with only an API key, one
 * line saying what logs need and each log's URL); returns them by run id.
 */
export async function showLogs(
  config: ConnectionConfig,
  shown: readonly PairStatus[],
  options: ShowLogsOptions,
  io: CommandIO = denoIO,
): Promise<Map<number, RunLog>> {
  const { format } = options;
  const failed = shown.filter((s) => s.stateClass === "failed");
  const picked = options.all ? failed : failed.slice(0, LOG_LIMIT);
  await using reader = await createLogReader({
    ...config,
    timeoutMs: options.timeoutMs,
    redact: { extraKeys: options.extraKeys },
  });
  if (!reader.canRead && picked.length > 0) eprint(io, reader.needs);
  const logs = await readRunLogs(reader, picked, { lines: options.lines });
  const byId = new Map<number, RunLog>();
  logs.forEach((l) => l.id !== null && byId.set(l.id, l));
  const rows = picked.map((s, i) => ({ s, log: logs[i]! }));
  if (format === "table") {
    const color = useColor(io, io.stdout);
    const paint = (code: string, t: string) =>
      color ? `\x1b[${code}m${t}\x1b[0m` : t;
    if (rows.length === 0) {
      print(io, "no failed run among the selection: no log to show");
    }
    for (const { s, log } of rows) {
      const who = [s.report, s.reportName ?? "", s.plugin, `#${s.id}`, s.state]
        .filter(Boolean).join("  ");
      if (log.status === "needs-password") {
        print(io, `${who}  ${log.url ?? ""}`);
        continue;
      }
      print(io, paint("1", `── ${who}`));
      if (log.url) print(io, log.url);
      if (log.status !== "ok") {
        print(io, `  (${log.message})`);
        continue;
      }
      if (log.truncated) print(io, `  … (the last ${log.lines.length} lines)`);
      const errors = new Set(log.errorLines);
      log.lines.forEach((line, i) =>
        print(io, errors.has(i) ? paint("1;31", `  ${line}`) : `  ${line}`)
      );
    }
  } else if (format === "csv") {
    writeRows(
      io,
      rows.flatMap(({ s, log }) =>
        log.status === "ok"
          ? log.lines.map((line, i) => ({
            s,
            log,
            line,
            error: log.errorLines.includes(i),
          }))
          : [{ s, log, line: log.message, error: false }]
      ),
      [
        { name: "report", value: (r) => r.s.report },
        { name: "plugin", value: (r) => r.s.plugin },
        { name: "plugin_result_id", value: (r) => r.s.id },
        { name: "state", value: (r) => r.s.state },
        { name: "log_url", value: (r) => r.log.url },
        { name: "log_status", value: (r) => r.log.status },
        { name: "error", value: (r) => r.error },
        { name: "line", value: (r) => r.line },
      ],
      format,
    );
  } else {
    writeRows(io, rows, [
      { name: "report", value: (r) => r.s.report },
      { name: "report_name", value: (r) => r.s.reportName },
      { name: "plugin", value: (r) => r.s.plugin },
      { name: "plugin_result_id", value: (r) => r.s.id },
      { name: "state", value: (r) => r.s.state },
      { name: "log_url", value: (r) => r.log.url },
      { name: "log_status", value: (r) => r.log.status },
      { name: "message", value: (r) => r.log.message },
      { name: "truncated", value: (r) => r.log.truncated },
      { name: "lines", value: (r) => r.log.lines },
      { name: "error_lines", value: (r) => r.log.errorLines },
    ], format);
  }
  if (failed.length > picked.length) {
    eprint(
      io,
      `logs of the first ${picked.length} of ${failed.length} failed runs; --log-all for every one`,
    );
  }
  return byId;
}
