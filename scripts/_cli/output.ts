// The scripts' output: synchronous writes to stdout and stderr, colors, and
// results as a table, JSON, NDJSON or CSV on stdout.

import { stringify } from "csv-stringify/sync";
import type { Format } from "./flags.ts";
import type { CommandIO } from "./io.ts";

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

/** Prints a line on the io's stdout. */
export function print(io: CommandIO, line: string): void {
  write(io.stdout, `${line}\n`);
}

/**
 * Prints a line on stderr. A stderr that is gone (the terminal of a dropped
 * ssh session) is not an error: results and the summary file matter more.
 */
export function eprint(io: CommandIO, line: string): void {
  try {
    write(io.stderr, `${line}\n`);
  } catch {
    // nowhere to say it
  }
}

/** Whether colors may be used on a stream of the io (terminal and no NO_COLOR). */
export function useColor(
  io: Pick<CommandIO, "noColor">,
  stream: { isTerminal(): boolean },
): boolean {
  return !io.noColor && stream.isTerminal();
}

/** A cell's value: a scalar, or a list (JSON keeps it an array). */
export type CellValue =
  | string
  | number
  | boolean
  | null
  | undefined
  | readonly (string | number)[];

/** One output column. */
export interface Column<T> {
  /** Header (CSV header and JSON key). */
  name: string;
  /** Extracts the value. */
  value: (row: T) => CellValue;
  /** Align right in tables (numbers). */
  right?: boolean;
  /** In a table fitted to the terminal, cut cells past this width. */
  maxWidth?: number;
  /** Header in tables, when not `name`. */
  title?: string;
  /** Text in tables, when not the value (a short date, `1h02m`). */
  display?: (row: T) => string;
  /**
   * Fitting to the terminal: the column may be cut down to this width (with
   * `…`); without it, it is never cut.
   */
  minWidth?: number;
  /** Where a cut cell loses its characters: the end (default) or the middle (URLs). */
  cut?: "end" | "middle";
  /**
   * Fitting to the terminal: columns are dropped when cutting is not enough,
   * lowest number first; without it, never dropped.
   */
  drop?: number;
  /** Only in tables, or only in the data formats (JSON, NDJSON, CSV). */
  only?: "table" | "data";
}

/** Options of {@linkcode writeRows}. */
export interface WriteRowsOptions {
  /** Tables: all columns, nothing cut, even on a terminal (`--wide`). */
  wide?: boolean;
  /** Tables: the width to fit; default the terminal's, none when stdout is not one. */
  width?: number;
}

/** The width of the terminal on stdout, or `undefined` when it is not one. */
export function terminalWidth(io: CommandIO): number | undefined {
  return io.stdout.isTerminal() ? io.columns() : undefined;
}

const text = (v: CellValue): string =>
  v === null || v === undefined
    ? ""
    : Array.isArray(v)
    ? v.join("; ")
    : String(v);

/**
 * Renders rows in the chosen format on the io's stdout. JSON is always one valid
 * document (`[]` when there are no rows), with lists as arrays; NDJSON one
 * object a line; CSV with its header even when empty. A table fits the
 * terminal (long columns cut, then dropped) unless `wide`; on anything but a
 * terminal nothing is cut.
 */
export function writeRows<T>(
  io: CommandIO,
  rows: readonly T[],
  columns: readonly Column<T>[],
  format: Format,
  options: WriteRowsOptions = {},
): void {
  const data = columns.filter((c) => c.only !== "table");
  const records = rows.map((row) =>
    Object.fromEntries(data.map((c) => [c.name, c.value(row) ?? null]))
  );
  switch (format) {
    case "json":
      print(io, JSON.stringify(records, null, 2));
      return;
    case "ndjson":
      for (const r of records) print(io, JSON.stringify(r));
      return;
    case "csv":
      write(
        io.stdout,
        stringify(
          records.map((r) =>
            Object.fromEntries(
              Object.entries(r).map((
                [k, v],
              ) => [k, Array.isArray(v) ? text(v) : v]),
            )
          ),
          {
            header: true,
            columns: data.map((c) => c.name),
            cast: { boolean: (b) => String(b) },
          },
        ),
      );
      return;
    case "table": {
      const width = options.wide ? undefined : options.width ??
        terminalWidth(io);
      write(io.stdout, renderTable(rows, columns, { width }));
    }
  }
}

/**
 * Columns a character takes on a terminal: 0 for combining marks and
 * zero-width characters, 2 for East Asian wide and fullwidth characters and
 * emoji, else 1.
 */
function charWidth(cp: number): number {
  if (
    cp === 0x200b || cp === 0x200c || cp === 0x200d || cp === 0xfeff ||
    (cp >= 0x0300 && cp <= 0x036f) || (cp >= 0xfe00 && cp <= 0xfe0f) ||
    (cp >= 0x1ab0 && cp <= 0x1aff) || (cp >= 0x20d0 && cp <= 0x20ff)
  ) return 0;
  if (
    (cp >= 0x1100 && cp <= 0x115f) || (cp >= 0x2e80 && cp <= 0x303e) ||
    (cp >= 0x3041 && cp <= 0x33ff) || (cp >= 0x3400 && cp <= 0x4dbf) ||
    (cp >= 0x4e00 && cp <= 0x9fff) || (cp >= 0xa000 && cp <= 0xa4cf) ||
    (cp >= 0xac00 && cp <= 0xd7a3) || (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0xfe30 && cp <= 0xfe4f) || (cp >= 0xff00 && cp <= 0xff60) ||
    (cp >= 0xffe0 && cp <= 0xffe6) || (cp >= 0x1f300 && cp <= 0x1f64f) ||
    (cp >= 0x1f900 && cp <= 0x1f9ff) || (cp >= 0x20000 && cp <= 0x3fffd)
  ) return 2;
  return 1;
}

/** The columns a text takes on a terminal (wide characters count 2). */
export function displayWidth(s: string): number {
  let w = 0;
  for (const ch of s) w += charWidth(ch.codePointAt(0)!);
  return w;
}

/** The longest start of `s` that takes at most `width` columns. */
function headOf(s: string, width: number): string {
  let w = 0;
  let out = "";
  for (const ch of s) {
    const cw = charWidth(ch.codePointAt(0)!);
    if (w + cw > width) break;
    w += cw;
    out += ch;
  }
  return out;
}

/** The longest end of `s` that takes at most `width` columns. */
function tailOf(s: string, width: number): string {
  const chars = [...s];
  let w = 0;
  let i = chars.length;
  while (i > 0) {
    const cw = charWidth(chars[i - 1]!.codePointAt(0)!);
    if (w + cw > width) break;
    w += cw;
    i--;
  }
  return chars.slice(i).join("");
}

/** Pads `s` with spaces to `width` display columns, at the end or the start. */
export function padDisplay(s: string, width: number, start = false): string {
  const pad = " ".repeat(Math.max(0, width - displayWidth(s)));
  return start ? pad + s : s + pad;
}

/**
 * Cuts a cell to `width` display columns (wide characters count 2) with
 * `…`, at the end or in the middle.
 */
export function cutText(
  s: string,
  width: number,
  where: "end" | "middle" = "end",
): string {
  if (displayWidth(s) <= width) return s;
  if (width <= 1) return "…".slice(0, width);
  if (where === "middle") {
    const tail = Math.floor((width - 1) / 2);
    return `${headOf(s, width - 1 - tail)}…${tailOf(s, tail)}`;
  }
  return `${headOf(s, width - 1)}…`;
}

/**
 * Renders an aligned text table with a header line. With a `width` (the
 * terminal's), it fits: droppable columns with nothing in them are left
 * out, then droppable columns that cannot be cut (lowest rank first) until
 * the rest fits whole; then cells of columns with a `maxWidth` are cut to it,
 * then columns with a `minWidth` are cut down towards it, then columns with
 * a `drop` rank are left out (lowest first) until the lines fit. Without a
 * width nothing is cut.
 */
export function renderTable<T>(
  rows: readonly T[],
  columns: readonly Column<T>[],
  options: { width?: number | undefined } = {},
): string {
  const shown = columns.filter((c) => c.only !== "data");
  const all = rows.map((row) =>
    shown.map((c) => c.display ? c.display(row) : text(c.value(row)))
  );
  const natural = shown.map((c, i) =>
    Math.max(
      displayWidth(c.title ?? c.name),
      ...all.map((r) => displayWidth(r[i]!)),
    )
  );
  const fit = options.width;
  let keep = shown.map((_, i) => i);
  let widths = [...natural];
  if (fit !== undefined) {
    // An optional column with nothing in it only takes room.
    keep = keep.filter((i) =>
      shown[i]!.drop === undefined || all.some((r) => r[i] !== "")
    );
    const capped = natural.map((w, i) => {
      const c = shown[i]!;
      const cap = Math.max(c.maxWidth ?? w, displayWidth(c.title ?? c.name));
      return Math.min(w, cap);
    });
    const total = (idx: number[], ws: number[]) =>
      idx.reduce((sum, i) => sum + ws[i]!, 0) + 2 * (idx.length - 1);
    let dropOrder = shown.map((c, i) => ({ i, rank: c.drop }))
      .filter((x) => x.rank !== undefined && keep.includes(x.i))
      .sort((a, b) => a.rank! - b.rank! || b.i - a.i).map((x) => x.i);
    // Optional columns that cannot be cut (times, URLs) go before any
    // column is cut: a whole name and reason say more than a start time.
    for (const i of dropOrder.filter((i) => shown[i]!.minWidth === undefined)) {
      if (total(keep, capped) <= fit) break;
      keep = keep.filter((k) => k !== i);
      dropOrder = dropOrder.filter((k) => k !== i);
    }
    while (true) {
      widths = shrink(keep, capped, shown, fit, total);
      if (total(keep, widths) <= fit || dropOrder.length === 0) break;
      const gone = dropOrder.shift()!;
      keep = keep.filter((i) => i !== gone);
    }
  }
  const line = (values: string[]) =>
    keep.map((i) => {
      const c = shown[i]!;
      const v = cutText(values[i]!, widths[i]!, c.cut);
      return padDisplay(v, widths[i]!, c.right);
    }).join("  ").trimEnd();
  return [line(shown.map((c) => c.title ?? c.name)), ...all.map(line)]
    .map((l) => `${l}\n`).join("");
}

/** Widths with the cuttable columns narrowed (widest first) until the total fits. */
function shrink<T>(
  keep: number[],
  capped: number[],
  columns: readonly Column<T>[],
  fit: number,
  total: (idx: number[], ws: number[]) => number,
): number[] {
  const ws = [...capped];
  let over = total(keep, ws) - fit;
  while (over > 0) {
    let best = -1;
    for (const i of keep) {
      const c = columns[i]!;
      const floor = Math.max(
        c.minWidth ?? ws[i]!,
        displayWidth(c.title ?? c.name),
      );
      if (ws[i]! > floor && (best < 0 || ws[i]! > ws[best]!)) best = i;
    }
    if (best < 0) break;
    ws[best]!--;
    over--;
  }
  return ws;
}
