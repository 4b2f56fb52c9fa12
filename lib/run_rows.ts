/**
 * Reads the input of the bulk scripts: a list of reports (and optionally the
 * plugin and config for each) from a CSV file, a bare list of keys, the bulk
 * launcher's NDJSON journal or a JSON array such as `summary.json`.
 *
 * @module
 */

import { parse } from "csv-parse/sync";
import { InputError, type RowProblem } from "./errors.ts";
import type { PluginConfig } from "./types.ts";

/**
 * One input row asking to run a plugin on a report: what `readRunRows`
 * returns and `bulkRun` launches.
 */
export interface RunRow {
  /** 1-based physical line in the file where the record starts. */
  line: number;
  /** Report key: primary key of `/rundb/api/v1/results/<pk>/`. */
  report: number;
  /** The row's own plugin, else the default plugin, else `null`. */
  plugin: string | null;
  /** The row's own config (a JSON object), else the default config, else `null`. */
  config: PluginConfig | null;
}

/** Options of {@linkcode parseRunRows}. */
export interface ParseRunRowsOptions {
  /** Display name of the input in problems (`-` for stdin). */
  file: string;
  /** Name of the report-key column, instead of detecting it (implies a header). */
  keyColumn?: string;
  /** Field delimiter (`,`, `;` or `\t`), instead of detecting it. */
  delimiter?: string;
  /** Plugin for rows without their own. */
  plugin?: string;
  /** Config for rows without their own (shared, not copied, between rows). */
  config?: Record<string, unknown>;
  /** Whether a row that ends up without a plugin is a problem (default `true`). */
  requirePlugin?: boolean;
}

/** Result of {@linkcode parseRunRows}: the valid rows and every problem. */
export interface ParsedRunRows {
  /** Valid rows in input order, duplicates included. */
  rows: RunRow[];
  /** Every problem found, in input order. */
  problems: RowProblem[];
}

const KEY_COLUMNS = ["report", "report_key", "result", "pk", "id"];
const PLUGIN_NAME = /^[A-Za-z0-9_.+-]+$/;
const INTEGER = /^[-+]?\d+$/;
const NO_PLUGIN = "no plugin: add a plugin column or pass --plugin NAME";

type Config = Record<string, unknown> | string;

/** Where the format readers send what they find. */
interface Sink {
  options: ParseRunRowsOptions;
  /** Set when a header with a key column was read (so no rows is fine). */
  header: boolean;
  problem(line: number, message: string): void;
  /** Checks one row; `config` is its own config, or why its cell is wrong. */
  add(line: number, key: unknown, plugin: unknown, config?: Config): void;
}

/**
 * Parses report-key input text. Never throws for bad content: every problem
 * is collected with its line. Accepts CSV with or without a header (`,`, `;`
 * or tab delimited, BOM, CRLF, quoted fields), NDJSON and JSON arrays.
 *
 * @param text The whole input.
 * @param options File name for messages, defaults and overrides.
 * @returns The valid rows and every problem.
 *
 * @example Parse a CSV with one bad row
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseRunRows } from "./run_rows.ts";
 *
 * const text = "report,plugin\n7,coverageAnalysis\nabc,coverageAnalysis\n";
 * const { rows, problems } = parseRunRows(text, { file: "in.csv" });
 * assert.deepEqual(rows, [
 *   { line: 2, report: 7, plugin: "coverageAnalysis", config: null },
 * ]);
 * assert.deepEqual(problems, [{
 *   file: "in.csv",
 *   line: 3,
 *   message: 'report key "abc" is not a positive integer',
 * }]);
 * ```
 */
export function parseRunRows(
  text: string,
  options: ParseRunRowsOptions,
): ParsedRunRows {
  const out: ParsedRunRows = { rows: [], problems: [] };
  const sink: Sink = {
    options,
    header: false,
    problem: (line, message) =>
      out.problems.push({ file: options.file, line, message }),
    add(line, key, plugin, config) {
      const before = out.problems.length;
      const report = checkKey(key);
      if (typeof report === "string") this.problem(line, report);
      const own = typeof plugin === "string" ? plugin.trim() : plugin ?? "";
      const name = own !== "" ? own : options.plugin?.trim() || null;
      if (name === null) {
        if (options.requirePlugin ?? true) {
          this.problem(line, NO_PLUGIN);
        }
      } else if (typeof name !== "string" || !PLUGIN_NAME.test(name)) {
        this.problem(line, `plugin name ${JSON.stringify(name)} is not valid`);
      }
      if (typeof config === "string") this.problem(line, config);
      if (typeof report === "string" || out.problems.length > before) return;
      const settings = isObject(config) ? config : options.config ?? null;
      out.rows.push({
        line,
        report,
        plugin: name as string | null,
        config: settings,
      });
    },
  };
  const first = text.trimStart()[0]; // trimStart() also drops a BOM
  if (first === "{" || first === "[") parseJson(text, first === "[", sink);
  else parseCsv(text, sink);
  // A header alone is a valid, empty list (e.g. `status.ts --failed` when
  // nothing failed); an input with nothing at all is a mistake.
  if (out.rows.length === 0 && out.problems.length === 0 && !sink.header) {
    sink.problem(1, "no report keys found");
  }
  return out;
}

/**
 * Reads a file (or `-` = all of stdin) and parses it with
 * {@linkcode parseRunRows}, using the path as the file name in problems. The
 * bytes are decoded as UTF-8 (or UTF-16 when the file starts with a UTF-16
 * byte-order mark, as Excel's "Unicode Text" does).
 *
 * @param path File path, or `-` for stdin.
 * @param options Defaults and overrides, as for {@linkcode parseRunRows}.
 * @returns The valid rows and every problem.
 * @throws {InputError} When the file cannot be read; the message is
 * `file: cannot read: <reason>` and the one problem has line 0.
 *
 * @example Report a file that cannot be read
 * ```ts
 * import assert from "node:assert/strict";
 * import { InputError } from "./errors.ts";
 * import { readRunRows } from "./run_rows.ts";
 *
 * await assert.rejects(
 *   readRunRows("no-such-file.csv", { plugin: "coverageAnalysis" }),
 *   (e) =>
 *     e instanceof InputError &&
 *     e.message.startsWith("no-such-file.csv: cannot read: "),
 * );
 * ```
 */
export async function readRunRows(
  path: string,
  options: Omit<ParseRunRowsOptions, "file">,
): Promise<ParsedRunRows> {
  const text = await readInputText(path);
  return parseRunRows(text, { ...options, file: path });
}

/**
 * Reads an input file (`-`: stdin) as text: UTF-8, or UTF-16 with a BOM
 * (spreadsheets save "Unicode text" that way). A file that cannot be read
 * throws `InputError` with `file: cannot read: <reason>`.
 *
 * @param path The file, or `-`.
 * @returns Its text.
 */
export async function readInputText(path: string): Promise<string> {
  let bytes: Uint8Array;
  try {
    bytes = path === "-"
      ? new Uint8Array(await new Response(Deno.stdin.readable).arrayBuffer())
      : await Deno.readFile(path);
  } catch (e) {
    const message = `cannot read: ${readFailure(e)}`;
    const err = new InputError([{ file: path, line: 0, message }]);
    err.message = `${path}: ${message}`;
    throw err;
  }
  const encoding = bytes[0] === 0xff && bytes[1] === 0xfe
    ? "utf-16le"
    : bytes[0] === 0xfe && bytes[1] === 0xff
    ? "utf-16be"
    : "utf-8";
  return new TextDecoder(encoding).decode(bytes);
}

/** A readable reason why a file could not be read. */
function readFailure(e: unknown): string {
  if (e instanceof Deno.errors.NotFound) return "no such file";
  if (e instanceof Deno.errors.IsADirectory) return "is a directory";
  if (e instanceof Deno.errors.PermissionDenied) return "permission denied";
  if (e instanceof Deno.errors.NotCapable) {
    return "no read permission (run with --allow-read)";
  }
  return e instanceof Error ? e.message : String(e);
}

/** Reads CSV, with or without a header. */
function parseCsv(text: string, sink: Sink): void {
  const { options, problem } = sink;
  // csv-parse's `info.lines` is where a record ends, and it counts a CRLF
  // inside a quoted field as two lines; so lines are counted here from the
  // byte offset (`info.bytes`, UTF-8, BOM included) where each record ends.
  const bytes = new TextEncoder().encode(text);
  let counted = 0;
  let line = 1;
  const lineOfRecordAfter = (end: number): number => {
    let at = end;
    while (at < bytes.length && [9, 10, 13, 32].includes(bytes[at]!)) at++;
    for (; counted < at; counted++) {
      const b = bytes[counted];
      if (b === 10 || (b === 13 && bytes[counted + 1] !== 10)) line++;
    }
    return line;
  };
  const records: { line: number; fields: string[] }[] = [];
  let end = 0;
  let failure: unknown;
  try {
    parse(text, {
      bom: true,
      delimiter: options.delimiter ?? detectDelimiter(text),
      relax_column_count: true,
      relax_quotes: true,
      record_delimiter: ["\r\n", "\n", "\r"], // also when mixed in a file
      skip_empty_lines: true,
      trim: true,
      on_record: (fields: string[], info) => {
        if (fields.some((f) => f !== "")) {
          records.push({ line: lineOfRecordAfter(end), fields });
        }
        end = info.bytes;
        return null;
      },
    });
  } catch (e) {
    failure = e;
  }
  let data = records;
  let [keyAt, pluginAt, configAt] = [0, 1, 2];
  const head = records[0];
  if (
    head &&
    (options.keyColumn !== undefined || !INTEGER.test(head.fields[0]!.trim()))
  ) {
    data = records.slice(1);
    const names = head.fields.map((f) => f.trim().toLowerCase());
    const found = head.fields.map((f) => f.trim()).filter((f) => f).join(", ");
    const wanted = options.keyColumn?.trim().toLowerCase();
    const key = wanted ?? KEY_COLUMNS.find((k) => names.includes(k));
    keyAt = key ? names.indexOf(key) : -1; // never the "" of a trailing delimiter
    if (keyAt < 0) {
      const expected = wanted === undefined
        ? `no report-key column: expected one of ${KEY_COLUMNS.join(", ")}` +
          " (or --key-column NAME)"
        : `no column ${JSON.stringify(options.keyColumn)} in the header`;
      return problem(head.line, `${expected}; found: ${found}`);
    }
    pluginAt = names.indexOf("plugin");
    configAt = names.indexOf("config");
    sink.header = true;
  }
  for (const { line, fields } of data) {
    const cell = (fields[configAt] ?? "").trim();
    const config = cell === "" ? undefined : parseConfig(cell);
    sink.add(line, fields[keyAt] ?? "", fields[pluginAt], config);
  }
  if (failure !== undefined) {
    problem(lineOfRecordAfter(end), csvFailure(failure));
  }
}

/** The delimiter among `,` `;` tab seen most outside quotes on the first non-blank line. */
function detectDelimiter(text: string): string {
  const counts: Record<string, number> = { ",": 0, ";": 0, "\t": 0 };
  let quoted = false;
  for (let i = text.search(/\S/); i >= 0 && i < text.length; i++) {
    const ch = text[i]!;
    if (ch === '"') quoted = !quoted;
    else if (!quoted && (ch === "\n" || ch === "\r")) break;
    else if (!quoted && ch in counts) counts[ch]!++;
  }
  return Object.keys(counts).reduce((a, b) => counts[b]! > counts[a]! ? b : a);
}

/** A readable message for an error thrown by csv-parse. */
function csvFailure(e: unknown): string {
  const code = isObject(e) ? e.code : undefined;
  if (code === "CSV_QUOTE_NOT_CLOSED") {
    return "unclosed quote: a quoted field in this row never ends";
  }
  if (
    code === "CSV_INVALID_CLOSING_QUOTE" ||
    code === "CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE"
  ) {
    return "text after a closing quote: a quoted field must end at a delimiter or the end of the line";
  }
  const message = e instanceof Error ? e.message : String(e);
  return `cannot parse CSV: ${message.replace(/ (at|on) line \d+/g, "")}`;
}

/** Parses a config cell into an object, or says why it is not one. */
function parseConfig(cell: string): Config {
  let value: unknown;
  try {
    value = JSON.parse(cell);
  } catch (e) {
    return `config is not valid JSON: ${(e as Error).message}`;
  }
  return isObject(value)
    ? value
    : `config must be a JSON object, got ${kindOf(value)}`;
}

/** Reads NDJSON (one object a line) or a JSON array (problems at line 1). */
function parseJson(text: string, array: boolean, sink: Sink): void {
  const lines = array ? [text] : text.split(/\r\n|\r|\n/);
  lines.forEach((source, i) => {
    if (source.trim() === "") return; // trim() also drops a BOM
    let value: unknown;
    try {
      value = JSON.parse(source.trim());
    } catch {
      return sink.problem(i + 1, "not valid JSON");
    }
    for (const item of array ? value as unknown[] : [value]) {
      if (!isObject(item)) {
        sink.problem(i + 1, `expected a JSON object, got ${kindOf(item)}`);
        continue;
      }
      const key = item[sink.options.keyColumn ?? "report"];
      if (key === undefined) continue; // e.g. a journal's start/end records
      const config = isObject(item.config) ? item.config : undefined;
      sink.add(i + 1, key, item.plugin, config);
    }
  });
}

/** Returns the positive integer key, or the problem with it. */
function checkKey(value: unknown): number | string {
  const text = typeof value === "string"
    ? value.trim()
    : typeof value === "number"
    ? String(value)
    : value ?? "";
  if (text === "") return "report key is empty";
  if (typeof text === "string" && /^\d+$/.test(text)) {
    const n = Number(text);
    if (n > 0 && Number.isSafeInteger(n)) return n;
  }
  return keyProblem(String(text));
}

/**
 * The problem with a report key that is not a positive integer; a name
 * (`Auto_user_…`) is pointed to `list reports`, which gives the keys.
 *
 * @param text The key as given.
 * @returns The message.
 */
export function keyProblem(text: string): string {
  // Torrent Suite's report names: Auto_user_S5-00391-12-chip_123, R_2026_…
  const name = /^[A-Za-z][\w.+-]*_[\w.+-]*$/.test(text);
  return `report key ${echo(text)} is not a positive integer${
    name
      ? `: a report name? The keys are the numbers "list reports --name-contains NAME --format csv" prints (its report column)`
      : ""
  }`;
}

/** Longest echo of an input value in a message. */
const ECHO_MAX = 60;

/**
 * An input value as messages show it: quoted and escaped (control
 * characters, quotes), cut to its first 60 characters.
 *
 * @param value The value.
 * @returns Its quoted, escaped, cut form.
 */
export function echo(value: string): string {
  const chars = [...value];
  const cut = chars.length > ECHO_MAX;
  const shown = JSON.stringify(cut ? chars.slice(0, ECHO_MAX).join("") : value)
    // Invisible and direction-changing characters, written as escapes.
    .replace(
      /[\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff\ufffd]/g,
      (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
    );
  return cut ? `${shown.slice(0, -1)}…" (${chars.length} characters)` : shown;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function kindOf(value: unknown): string {
  return value === null
    ? "null"
    : Array.isArray(value)
    ? "array"
    : typeof value;
}
