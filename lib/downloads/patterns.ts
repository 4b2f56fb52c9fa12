/**
 * Which files of a run to fetch: patterns as in `.gitignore`. A pattern
 * without `/` matches a file's name at any depth (`*.vcf.gz`); one with `/`
 * matches the path inside the run folder (`IonXpress_*\/*.amplicon.cov.xls`),
 * `**` any number of folders. Paths that could leave the run folder are
 * refused.
 *
 * @module
 */

import { UsageError } from "../errors.ts";

/** A compiled `--files` pattern. */
export interface FilePattern {
  /** The pattern as typed. */
  text: string;
  /** Whether it matches a path relative to the run folder. */
  test(path: string): boolean;
}

/**
 * Compiles a pattern: `*` (no `/`), `?`, `[abc]`, `**` (any folders).
 *
 * @example
 * ```ts
 * import { compilePattern } from "./patterns.ts";
 * const vcf = compilePattern("*.vcf.gz");
 * if (!vcf.test("IonXpress_001/TSVC_variants_IonXpress_001.vcf.gz")) throw new Error();
 * if (vcf.test("IonXpress_001/TSVC_variants.vcf.gz.tbi")) throw new Error();
 * const top = compilePattern("/*.xls");
 * if (!top.test("run.bc_summary.xls") || top.test("IonXpress_001/a.xls")) throw new Error();
 * ```
 *
 * @param text The pattern.
 * @returns The matcher.
 * @throws {UsageError} For an empty pattern, `..` or an absolute path.
 */
export function compilePattern(text: string): FilePattern {
  const trimmed = text.trim();
  if (trimmed === "" || trimmed === "/") {
    throw new UsageError(`--files ${JSON.stringify(text)}: empty pattern`);
  }
  if (trimmed.split("/").includes("..")) {
    throw new UsageError(`--files ${text}: '..' cannot be in a pattern`);
  }
  const anchored = trimmed.includes("/");
  const body = trimmed.replace(/^\/+/, "").replace(/\/+$/, "");
  const re = new RegExp(`^${anchored ? "" : "(?:.*/)?"}${globToRegex(body)}$`);
  return { text, test: (path) => re.test(path) };
}

function globToRegex(glob: string): string {
  let out = "";
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === "*") {
      if (glob[i + 1] === "*") {
        // `**/` any folders (none too); a trailing `**` anything below.
        const slash = glob[i + 2] === "/";
        out += slash ? "(?:.*/)?" : ".*";
        i += slash ? 2 : 1;
      } else out += "[^/]*";
    } else if (c === "?") out += "[^/]";
    else if (c === "[") {
      const end = glob.indexOf("]", i + 1);
      if (end === -1) out += "\\[";
      else {
        const set = glob.slice(i + 1, end).replace(/\\/g, "\\\\");
        out += `[${set.startsWith("!") ? `^${set.slice(1)}` : set}]`;
        i = end;
      }
    } else out += c.replace(/[.+^${}()|\\]/g, "\\$&");
  }
  return out;
}

/**
 * Checks a file's path inside a run folder, as found in a store or a
 * listing: relative, no `..`, no empty part, no backslash.
 *
 * @param path The path.
 * @returns The reason it is refused, or `null` when it is safe.
 */
export function unsafePath(path: string): string | null {
  if (path === "") return "an empty name";
  if (path.startsWith("/")) return "an absolute path";
  if (path.includes("\\")) return "a backslash";
  // deno-lint-ignore no-control-regex
  if (/[\x00-\x1f]/.test(path)) return "a control character";
  const parts = path.split("/");
  if (parts.includes("..") || parts.includes(".")) return "a '..' or '.' part";
  if (parts.includes("")) return "an empty folder name";
  return null;
}

/**
 * The path of a web path inside a run's folder URL, or `null` when it lies
 * outside (a store may name files anywhere on the server).
 *
 * @example
 * ```ts
 * import { insideRun } from "./patterns.ts";
 * const run = "/output/Home/R_1_001/plugin_out/variantCaller_out.7/";
 * if (insideRun(run, `${run}IonXpress_001/TSVC_variants.vcf.gz`) !== "IonXpress_001/TSVC_variants.vcf.gz") throw new Error();
 * if (insideRun(run, "/output/Home/R_1_001/rawlib.bam") !== null) throw new Error();
 * ```
 *
 * @param runUrl The run's `URL` (path only, with its trailing slash).
 * @param path A web path, possibly percent-encoded.
 * @returns The relative path, or `null`.
 */
export function insideRun(runUrl: string, path: string): string | null {
  const base = runUrl.endsWith("/") ? runUrl : `${runUrl}/`;
  let decoded: string;
  try {
    decoded = decodeURIComponent(new URL(path, "http://x").pathname);
  } catch {
    return null;
  }
  const root = decodeURIComponent(base);
  if (!decoded.startsWith(root)) return null;
  const rel = decoded.slice(root.length);
  return unsafePath(rel) === null ? rel : null;
}
