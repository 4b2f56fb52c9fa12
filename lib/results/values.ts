/**
 * A store value as a table cell. Torrent Suite hands back every float of a
 * plugin's `results.json` as text (it loads stored JSON with
 * `parse_float=Decimal`, and Tastypie serialises a Decimal as a string), and
 * most coverageAnalysis values are text with units (`"98.50%"`): the cells
 * are parsed so that a spreadsheet sorts them as numbers.
 *
 * @module
 */

/** A cell: missing is `null`, never zero. */
export type Cell = string | number | boolean | null;

const NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;
const GROUPED = /^[-+]?\d{1,3}(,\d{3})+(\.\d+)?$/;
const PERCENT = /^([-+]?(\d+\.?\d*|\.\d+))\s*%$/;
const MISSING = new Set([
  "",
  "nan",
  "n/a",
  "na",
  "none",
  "null",
  "-inf",
  "inf",
]);

/**
 * Parses a store value: `"98.50%"` → 98.5, numeric text (also `"1,234,567"`)
 * → a number, `"true"`/`"false"` → a boolean, `"NaN"` or an empty text →
 * `null`; nested objects and lists become their JSON text.
 *
 * @example
 * ```ts
 * import { parseCell } from "./values.ts";
 * if (parseCell("98.50%") !== 98.5) throw new Error();
 * if (parseCell("1,234") !== 1234 || parseCell("0.75") !== 0.75) throw new Error();
 * if (parseCell("NaN") !== null || parseCell(undefined) !== null) throw new Error();
 * if (parseCell("false") !== false || parseCell("M-1234") !== "M-1234") throw new Error();
 * ```
 *
 * @param value A value of a store.
 * @returns The cell.
 */
export function parseCell(value: unknown): Cell {
  if (value === undefined || value === null) return null;
  if (typeof value === "number") return Number.isFinite(value) ? value : null;
  if (typeof value === "boolean") return value;
  if (typeof value !== "string") return JSON.stringify(value);
  const text = value.trim();
  if (MISSING.has(text.toLowerCase())) return null;
  if (text === "true" || text === "false") return text === "true";
  const percent = PERCENT.exec(text);
  if (percent) return Number(percent[1]);
  if (NUMBER.test(text)) return Number(text);
  if (GROUPED.test(text)) return Number(text.replaceAll(",", ""));
  return value;
}

/**
 * A store value as the server wrote it (`--raw`): text as is, other values
 * as their JSON text; missing is `null`.
 *
 * @param value A value of a store.
 * @returns The cell.
 */
export function rawCell(value: unknown): Cell {
  if (value === undefined || value === null) return null;
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return value;
  return JSON.stringify(value);
}

/**
 * Whether a store value is a percentage (`"98.50%"`).
 *
 * @param value A value of a store.
 * @returns `true` for text ending in `%` around a number.
 */
export function isPercent(value: unknown): boolean {
  return typeof value === "string" && PERCENT.test(value.trim());
}
