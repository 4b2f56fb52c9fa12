/**
 * Threshold rules of the results table (`--flag 'uniformity_pct<90'`): a
 * rule that holds for a cell marks it, in colour on the page and in the
 * `flags` column of the other formats.
 *
 * @module
 */

import { UsageError } from "../errors.ts";
import type { Cell } from "./values.ts";

/** A comparison of a column's cells with a value. */
export interface FlagRule {
  /** The rule as typed. */
  text: string;
  /** Column name. */
  column: string;
  /** Comparison. */
  op: "<" | "<=" | ">" | ">=" | "==" | "!=";
  /** Number or text to compare with. */
  value: number | string;
}

const RULE = /^\s*([^<>=!]+?)\s*(<=|>=|==|!=|<|>|=)\s*(.+?)\s*$/;

/**
 * Parses a rule: `<column><op><value>` with `<`, `<=`, `>`, `>=`, `=`
 * (or `==`) and `!=`; the value is a number, or text for `=`/`!=`
 * (`sampleID.gender!=F`).
 *
 * @example
 * ```ts
 * import { parseFlagRule } from "./flags.ts";
 * const rule = parseFlagRule("uniformity_pct<90");
 * if (rule.column !== "uniformity_pct" || rule.value !== 90) throw new Error();
 * ```
 *
 * @param text The rule as typed.
 * @param columns The table's columns, to check the name.
 * @returns The rule.
 * @throws {UsageError} For a malformed rule or an unknown column.
 */
export function parseFlagRule(
  text: string,
  columns?: readonly string[],
): FlagRule {
  const m = RULE.exec(text);
  if (!m) {
    throw new UsageError(
      `--flag ${text}: expected <column><op><value>, e.g. 'uniformity_pct<90' (ops < <= > >= = !=)`,
    );
  }
  const [, column, rawOp, rawValue] = m;
  const op = (rawOp === "=" ? "==" : rawOp) as FlagRule["op"];
  const number = Number(rawValue!.replace(/%$/, ""));
  const numeric = rawValue!.trim() !== "" && Number.isFinite(number);
  if (!numeric && op !== "==" && op !== "!=") {
    throw new UsageError(
      `--flag ${text}: ${op} needs a number, not ${rawValue}`,
    );
  }
  if (columns && !columns.includes(column!)) {
    throw new UsageError(
      `--flag ${text}: no column ${column} in this table (columns: ${
        columns.join(", ")
      })`,
    );
  }
  return { text, column: column!, op, value: numeric ? number : rawValue! };
}

/**
 * Whether a rule holds for a cell. An empty cell never fires: missing is not
 * a low value.
 *
 * @param rule The rule.
 * @param cell The cell.
 * @returns `true` when the cell is flagged.
 */
export function fires(rule: FlagRule, cell: Cell): boolean {
  if (cell === null) return false;
  if (typeof rule.value === "string") {
    const equal = String(cell) === rule.value;
    return rule.op === "==" ? equal : !equal;
  }
  if (typeof cell !== "number") return false;
  switch (rule.op) {
    case "<":
      return cell < rule.value;
    case "<=":
      return cell <= rule.value;
    case ">":
      return cell > rule.value;
    case ">=":
      return cell >= rule.value;
    case "==":
      return cell === rule.value;
    case "!=":
      return cell !== rule.value;
  }
}

/**
 * The rules that fire on a row, as typed.
 *
 * @param rules The rules.
 * @param row The row's cells by column.
 * @returns The texts of the rules that hold.
 */
export function firedRules(
  rules: readonly FlagRule[],
  row: Readonly<Record<string, Cell>>,
): string[] {
  return rules.filter((r) => fires(r, row[r.column] ?? null)).map((r) =>
    r.text
  );
}
