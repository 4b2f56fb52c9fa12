/**
 * Version comparison as Torrent Suite does it: Python 2's
 * `distutils.version.LooseVersion`, which the server uses to pick the highest
 * version of a plugin name. The client must use the very same rule, or it
 * would check one version while the server launches another.
 *
 * @module
 */

/** One parsed component: a number, or any other run of characters. */
type Part = number | string;

// LooseVersion.component_re: numbers, lowercase words and dots. Text that
// matches none of them (upper case, "-", "_") stays as a component of its own.
const COMPONENT = /(\d+|[a-z]+|\.)/;

/** LooseVersion.parse: split, drop empty parts and dots, numbers as ints. */
function parse(version: string): Part[] {
  return version.split(COMPONENT)
    .filter((part) => part !== "" && part !== ".")
    .map((part) => /^\d+$/.test(part) ? Number(part) : part);
}

/** Python 2 ordering: ints numerically, strings by code unit, any int below any string. */
function comparePart(a: Part, b: Part): number {
  if (typeof a === "number" && typeof b === "number") return a - b;
  if (typeof a === "number") return -1;
  if (typeof b === "number") return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Compares two version strings with Python 2's LooseVersion rule: the
 * components (runs of digits, runs of lowercase letters, any other text;
 * dots separate) compare left to right; numbers numerically, text by
 * character code (so `B` < `b`), and a number is lower than any text (so
 * `5.1` < `5.a` and `5.12.0.1` < `5.12.0.rc1`); a version that is a prefix
 * of another is the lower one.
 *
 * @example
 * ```ts
 * import { compareLooseVersion } from "./loose_version.ts";
 * if (compareLooseVersion("5.10.0.18", "5.9.1") <= 0) throw new Error("5.10 > 5.9");
 * if (compareLooseVersion("5.1", "5.a") >= 0) throw new Error("numbers sort first");
 * ```
 *
 * @param a First version.
 * @param b Second version.
 * @returns Negative, zero or positive, as for `Array.prototype.sort`.
 */
export function compareLooseVersion(a: string, b: string): number {
  const pa = parse(a);
  const pb = parse(b);
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    const c = comparePart(pa[i]!, pb[i]!);
    if (c !== 0) return Math.sign(c);
  }
  return Math.sign(pa.length - pb.length);
}
