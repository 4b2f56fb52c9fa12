// The scripts' output: synchronous writes to stdout and stderr, colors, and
// results as a table, JSON, NDJSON or CSV on stdout.

import { stringify } from "csv-stringify/sync";
import type { Format } from "./flags.ts";

const encoder = new TextEncoder();

/** Writes text to a stream synchronously. */
export function write(
  stream: { writeSync(p: Uint8Array): number },
  s: string,
): void {
  const bytes = encoder.encode(s);
  let written = 0;
  while (written < bytes.length) {
    written += stream.writeSync(bytes.subarray(written));
  }
}

/** Prints a line on stdout. */
export function print(line: string): void {
  write(Deno.stdout, `${line}\n`);
}

/**
 * Prints a line on stderr. A stderr that is gone (the terminal of a dropped
 * ssh session) is not an error: results and the summary file matter more.
 */
export function eprint(line: string): void {
  try {
    write(Deno.stderr, `${line}\n`);
  } catch {
    // nowhere to say it
  }
}

/** Whether colors may be used on a stream (terminal and no NO_COLOR). */
export function useColor(stream: { isTerminal(): boolean }): boolean {
  return !Deno.noColor && stream.isTerminal();
}

/** One output column. */
export interface Column<T> {
  /** Header (CSV header and JSON key). */
  name: string;
  /** Extracts the value. */
  value: (row: T) => string | number | boolean | null | undefined;
  /** Align right in tables (numbers). */
  right?: boolean;
  /** Truncate table cells past this width. */
  maxWidth?: number;
}

/** Renders rows in the chosen format on stdout. */
export function writeRows<T>(
  rows: readonly T[],
  columns: readonly Column<T>[],
  format: Format,
): void {
  const records = rows.map((row) =>
    Object.fromEntries(columns.map((c) => [c.name, c.value(row) ?? null]))
  );
  switch (format) {
    case "json":
      print(JSON.stringify(records, null, 2));
      return;
    case "ndjson":
      for (const r of records) print(JSON.stringify(r));
      return;
    case "csv":
      write(
        Deno.stdout,
        stringify(records, {
          header: true,
          columns: columns.map((c) => c.name),
          cast: { boolean: (b) => String(b) },
        }),
      );
      return;
    case "table":
      write(Deno.stdout, renderTable(rows, columns));
  }
}

/** Renders an aligned text table with a header line. */
export function renderTable<T>(
  rows: readonly T[],
  columns: readonly Column<T>[],
): string {
  const cells = rows.map((row) =>
    columns.map((c) => {
      const v = c.value(row);
      const s = v === null || v === undefined ? "" : String(v);
      return c.maxWidth && s.length > c.maxWidth
        ? `${s.slice(0, c.maxWidth - 1)}…`
        : s;
    })
  );
  const widths = columns.map((c, i) =>
    Math.max(c.name.length, ...cells.map((r) => r[i]!.length))
  );
  const line = (values: string[]) =>
    values.map((v, i) =>
      columns[i]!.right ? v.padStart(widths[i]!) : v.padEnd(widths[i]!)
    ).join("  ").trimEnd();
  return [line(columns.map((c) => c.name)), ...cells.map(line)]
    .map((l) => `${l}\n`).join("");
}
