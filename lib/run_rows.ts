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
  /**
   * Whether report names may stand for keys (default `false`): a key that
   * starts with a letter, or a `name`/`report_name`/`resultsName` column
   * when there is no key column, goes to `named` instead of being a
   * problem, for `resolveNamedRows` (API door) to look up.
   */
  names?: boolean;
}

/** A row that names its report instead of giving its key. */
export interface NamedRow extends Omit<RunRow, "report"> {
  /** The report name (`resultsName`) as written, trimmed. */
  name: string;
}

/** Result of {@linkcode parseRunRows}: the valid rows and every problem. */
export interface ParsedRunRows {
  /** Valid rows in input order, duplicates included. */
  rows: RunRow[];
  /** Every problem found, in input order. */
  problems: RowProblem[];
  /** With `names`: the rows that name their report, in input order. */
  named?: NamedRow[];
}

const KEY_COLUMNS = ["report", "report_key", "result", "pk", "id"];
/** Columns holding report names, used when there is no key column. */
const NAME_COLUMNS = ["report_name", "resultsname", "results_name", "name"];
/** A report name as Torrent Suite makes them: `Auto_user_…`, `R_2026_…`. */
const REPORT_NAME = /^[A-Za-z][\w.+-]*_[\w.+-]*$/;
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
  /**
   * Checks one row; `config` is its own config, or why its cell is wrong;
   * `byName`: the key cell is a report name whatever it holds.
   */
  add(
    line: number,
    key: unknown,
    plugin: unknown,
    config?: Config,
    byName?: boolean,
  ): void;
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
  if (options.names) out.named = [];
  const sink: Sink = {
    options,
    header: false,
    problem: (line, message) =>
      out.problems.push({ file: options.file, line, message }),
    add(line, key, plugin, config, byName = false) {
      const before = out.problems.length;
      const text = typeof key === "string" ? key.trim() : "";
      const named = options.names === true &&
        (byName ? text !== "" : looksLikeName(text));
      const report = named ? 0 : checkKey(byName ? "" : key);
      if (typeof report === "string") {
        this.problem(line, byName ? "report name is empty" : report);
      }
      const own = typeof plugin === "string" ? plugin.trim() : plugin ?? "";
      const name = own !== "" ? own : options.plugin?.trim() || null;
      if (name === null) {
        if (options.requirePlugin ?? true) {
          this.problem(line, NO_PLUGIN);
        }
      } else if (typeof name !== "string" || !PLUGIN_NAME.test(name)) {
        this.problem(
          line,
          `plugin name ${
            typeof name === "string"
              ? echo(name)
              : cutEscaped(JSON.stringify(name) ?? String(name))
          } is not valid`,
        );
      }
      if (typeof config === "string") this.problem(line, config);
      if (typeof report === "string" || out.problems.length > before) return;
      const settings = isObject(config) ? config : options.config ?? null;
      const row = { line, plugin: name as string | null, config: settings };
      if (named) out.named!.push({ ...row, name: text });
      else out.rows.push({ ...row, report });
    },
  };
  const first = text.trimStart()[0]; // trimStart() also drops a BOM
  if (first === "{" || first === "[") parseJson(text, first === "[", sink);
  else parseCsv(text, sink);
  // A header alone is a valid, empty list (e.g. `status.ts --failed` when
  // nothing failed); an input with nothing at all is a mistake.
  const none = out.rows.length === 0 && (out.named ?? []).length === 0;
  if (none && out.problems.length === 0 && !sink.header) {
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
    if (path === "-") bytes = await readBounded(Deno.stdin.readable, path);
    else {
      using file = await Deno.open(path);
      bytes = await readBounded(file.readable, path);
    }
  } catch (e) {
    if (e instanceof InputError) throw e;
    throw inputError(path, `cannot read: ${readFailure(e)}`);
  }
  return decodeInput(bytes, path);
}

/**
 * Most bytes an input may have: a list of report keys is far smaller (a
 * million rows fit in 20 MB); a bigger input is a wrong file (`/dev/zero`).
 */
export const MAX_INPUT_BYTES = 64 * 1024 * 1024;

/** An `InputError` of one line, `file: message`. */
function inputError(file: string, message: string): InputError {
  const err = new InputError([{ file, line: 0, message }]);
  err.message = `${file}: ${message}`;
  return err;
}

/**
 * Reads a stream to its end, at most {@linkcode MAX_INPUT_BYTES}; a longer
 * one (or one without end) is refused with `InputError`.
 *
 * @param stream The bytes.
 * @param file Its name in the message.
 * @returns The bytes.
 */
export async function readBounded(
  stream: ReadableStream<Uint8Array>,
  file: string,
): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = stream.getReader();
  try {
    while (true) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.length;
      if (size > MAX_INPUT_BYTES) {
        throw inputError(
          file,
          `too large: more than ${
            MAX_INPUT_BYTES / 1024 / 1024
          } MiB (an input is a list of report keys; is this the right file?)`,
        );
      }
      chunks.push(value);
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    bytes.set(c, at);
    at += c.length;
  }
  return bytes;
}

/**
 * Decodes an input's bytes: UTF-8, or UTF-16 with a byte-order mark. What
 * is not text is refused in one line (`InputError`): a compressed file or
 * an archive, NUL bytes, UTF-16 without a BOM (with the hint), bytes that
 * are not UTF-8 (with the line).
 *
 * @param bytes The input.
 * @param file Its name in messages.
 * @returns The text.
 */
export function decodeInput(bytes: Uint8Array, file: string): string {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) {
    return new TextDecoder("utf-16le").decode(bytes);
  }
  if (bytes[0] === 0xfe && bytes[1] === 0xff) {
    return new TextDecoder("utf-16be").decode(bytes);
  }
  const magic: [number[], string][] = [
    [[0x1f, 0x8b], "gzip-compressed (gunzip it first)"],
    [[0x50, 0x4b, 0x03, 0x04], "a zip archive (a spreadsheet? save it as CSV)"],
    [[0x42, 0x5a, 0x68], "bzip2-compressed (bunzip2 it first)"],
    [[0xfd, 0x37, 0x7a, 0x58, 0x5a], "xz-compressed (unxz it first)"],
    [[0x28, 0xb5, 0x2f, 0xfd], "zstd-compressed (unzstd it first)"],
    [[0x25, 0x50, 0x44, 0x46], "a PDF"],
  ];
  for (const [m, what] of magic) {
    if (m.every((b, i) => bytes[i] === b)) {
      throw inputError(file, `not a text file: ${what}`);
    }
  }
  const head = bytes.subarray(0, 4096);
  const nul = head.indexOf(0);
  if (nul >= 0) {
    // Text with every other byte NUL: UTF-16 saved without its BOM.
    let even = 0;
    let odd = 0;
    for (let i = 0; i < head.length; i++) {
      if (head[i] === 0) i % 2 === 0 ? even++ : odd++;
    }
    const half = head.length / 2;
    if (head.length >= 4 && (even >= half * 0.9 || odd >= half * 0.9)) {
      throw inputError(
        file,
        "looks like UTF-16 without a byte-order mark: save it as UTF-8 (or UTF-16 with a BOM)",
      );
    }
    throw inputError(file, "not a text file (it holds NUL bytes)");
  }
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    // Where the first byte that is not UTF-8 is: its line.
    let good = 0;
    const probe = new TextDecoder("utf-8", { fatal: true });
    for (let size = 1 << 20; good < bytes.length;) {
      const end = Math.min(bytes.length, good + size);
      try {
        probe.decode(bytes.subarray(good, end), { stream: true });
        good = end;
      } catch {
        if (size === 1) break;
        size = Math.max(1, size >> 4);
      }
    }
    let line = 1;
    for (let i = 0; i < good && i < bytes.length; i++) {
      if (bytes[i] === 0x0a) line++;
    }
    throw inputError(
      file,
      `not UTF-8 text (line ${line}): save it as UTF-8 (in a spreadsheet: CSV UTF-8)`,
    );
  }
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
  // With names allowed, a first row that is a report name and no column
  // title is data: a bare list of names has no header.
  const namesWithoutHeader = (head: { fields: string[] }) => {
    if (!options.names) return false;
    const first = head.fields[0]!.trim();
    const title = first.toLowerCase();
    return REPORT_NAME.test(first) && !KEY_COLUMNS.includes(title) &&
      !NAME_COLUMNS.includes(title) && title !== "plugin";
  };
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
  let byName = false;
  const head = records[0];
  if (
    head &&
    (options.keyColumn !== undefined ||
      !(INTEGER.test(head.fields[0]!.trim()) || namesWithoutHeader(head)))
  ) {
    data = records.slice(1);
    const names = head.fields.map((f) => f.trim().toLowerCase());
    const found = cutEscaped(
      head.fields.map((f) => f.trim()).filter((f) => f).join(", "),
    );
    const twice = names.findIndex((n, i) => n !== "" && names.indexOf(n) < i);
    if (twice >= 0) {
      return problem(
        head.line,
        `column ${
          echo(head.fields[twice]!.trim())
        } appears twice in the header (columns ${
          names.indexOf(names[twice]!) + 1
        } and ${twice + 1})`,
      );
    }
    const wanted = options.keyColumn?.trim().toLowerCase();
    const key = wanted ?? KEY_COLUMNS.find((k) => names.includes(k));
    keyAt = key ? names.indexOf(key) : -1; // never the "" of a trailing delimiter
    const nameColumn = options.names && wanted === undefined && keyAt < 0
      ? NAME_COLUMNS.find((k) => names.includes(k))
      : undefined;
    if (nameColumn !== undefined) {
      keyAt = names.indexOf(nameColumn);
      byName = true;
    }
    if (keyAt < 0) {
      const expected = wanted === undefined
        ? `no report-key column: expected one of ${KEY_COLUMNS.join(", ")}` +
          (options.names ? ", or report names in a report_name column" : "") +
          " (or --key-column NAME)"
        : `no column ${echo(options.keyColumn!)} in the header`;
      return problem(head.line, `${expected}; found: ${found}`);
    }
    pluginAt = names.indexOf("plugin");
    configAt = names.indexOf("config");
    sink.header = true;
  }
  for (const { line, fields } of data) {
    const cell = (fields[configAt] ?? "").trim();
    const config = cell === "" ? undefined : parseConfig(cell);
    sink.add(line, fields[keyAt] ?? "", fields[pluginAt], config, byName);
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

/**
 * Whether a key cell holds a report name rather than a mistyped key: it
 * starts with a letter (`Auto_user_…`, `R_2026_…`); `12x` stays a bad key.
 *
 * @param text The cell, trimmed.
 * @returns `true` for a name.
 */
export function looksLikeName(text: string): boolean {
  return /^\p{L}/u.test(text);
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
  const name = REPORT_NAME.test(text);
  return `report key ${echo(text)} is not a positive integer${
    name
      ? `: a report name? The keys are the numbers "list reports --name-contains NAME --format csv" prints (its report column)`
      : ""
  }`;
}

/** Escapes a text for a message (no quotes) and cuts it to 60 characters. */
function cutEscaped(text: string): string {
  const quoted = echo(text);
  return quoted.replace(/^"/, "").replace(/"( \(\d+ characters\))?$/, "$1")
    .replaceAll('\\"', '"');
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
