// The scripts' flag parsers and the flags several scripts share (output
// format, duplicate guard, waiting). Parsers throw UsageError (exit 2).

import { type Command, Option } from "commander";
import { UsageError } from "../../lib/errors.ts";
import type { RerunClass, RerunPolicy } from "../../lib/bulk/mod.ts";
import type { PluginConfig } from "../../lib/types.ts";

/** Output formats of list-like results. */
export const FORMATS = ["table", "json", "ndjson", "csv"] as const;
/** One output format. */
export type Format = typeof FORMATS[number];

/** A commander argument parser for positive numbers. */
export function positiveNumber(flag: string): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isFinite(n) || n <= 0) {
      throw new UsageError(`${flag} must be a positive number, got "${value}"`);
    }
    return n;
  };
}

/** A commander argument parser for whole numbers of at least `min`. */
export function wholeNumber(
  flag: string,
  min = 0,
): (value: string) => number {
  return (value) => {
    if (!/^\d+$/.test(value.trim()) || Number(value) < min) {
      throw new UsageError(
        `${flag} must be a whole number >= ${min}, got "${value}"`,
      );
    }
    return Number(value);
  };
}

/** Parses a duration: `90`, `90s`, `30m`, `2h`, `1h30m`, `2d`. Returns ms. */
export function parseDuration(flag: string): (value: string) => number {
  return (value) => {
    const v = value.trim();
    if (/^\d+(\.\d+)?$/.test(v)) return Number(v) * 1000;
    const m = /^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(v);
    if (!m || v === "") {
      throw new UsageError(
        `${flag} must be a duration like 90s, 30m, 2h or 1h30m, got "${value}"`,
      );
    }
    return (((Number(m[1] ?? 0) * 24 + Number(m[2] ?? 0)) * 60 +
          Number(m[3] ?? 0)) * 60 + Number(m[4] ?? 0)) * 1000;
  };
}

/** Parses `--delimiter`: one character, or `tab` / `\t`. */
export function parseDelimiter(value: string): string {
  const d = value === "\\t" || value.toLowerCase() === "tab" ? "\t" : value;
  if (d.length !== 1) {
    throw new UsageError(
      `--delimiter must be one character (or "tab"), got "${value}"`,
    );
  }
  return d;
}

/**
 * Parses `--config`: inline JSON or `@file.json`; it must be a JSON object.
 */
export async function parseConfigFlag(
  value: string | undefined,
): Promise<PluginConfig | undefined> {
  if (value === undefined) return undefined;
  let text = value;
  let where = "--config";
  if (value.startsWith("@")) {
    where = value.slice(1);
    try {
      text = await Deno.readTextFile(where);
    } catch (error) {
      throw new UsageError(
        `--config ${value}: cannot read ${where}: ${
          error instanceof Error ? error.message : error
        }`,
      );
    }
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new UsageError(
      `${where} is not valid JSON: ${
        error instanceof Error ? error.message : error
      }`,
    );
  }
  if (data === null || typeof data !== "object" || Array.isArray(data)) {
    throw new UsageError(
      `${where} must be a JSON object like {"key": "value"}, got ${
        Array.isArray(data) ? "an array" : data === null ? "null" : typeof data
      }`,
    );
  }
  return data as PluginConfig;
}

/** Adds `-o, --format` (table on a terminal, CSV otherwise). */
export function addFormatOption(command: Command): Command {
  return command.addOption(
    new Option(
      "-o, --format <format>",
      "output format (default: table on a terminal, else csv)",
    ).choices(FORMATS),
  );
}

/** Adds `--wide`: tables with every column, nothing cut. */
export function addWideOption(command: Command): Command {
  return command.option("--wide", "tables: every column, nothing cut");
}

/** The format to use when `--format` is not given. */
export function resolveFormat(
  format: Format | undefined,
  stdout: { isTerminal(): boolean } = Deno.stdout,
): Format {
  return format ?? (stdout.isTerminal() ? "table" : "csv");
}

/** Flags of {@linkcode addGuardOptions}. */
export interface GuardFlags {
  rerun: RerunClass[];
  force?: boolean;
  staleAfter: number;
}

/**
 * Parses `--rerun`: a comma list of `failed`, `cancelled`, `stale`, or
 * `none` (only pairs never run; `missing`, its old name, is still read).
 */
export function parseRerun(value: string): RerunClass[] {
  const classes = new Set<RerunClass>();
  for (const part of value.split(",").map((p) => p.trim().toLowerCase())) {
    if (part === "none" || part === "missing") continue;
    if (part === "failed" || part === "cancelled" || part === "stale") {
      classes.add(part);
    } else {
      throw new UsageError(
        `--rerun takes a list of failed, cancelled, stale, or none; got "${part}"`,
      );
    }
  }
  return [...classes].sort();
}

/** Adds the duplicate-guard flags `--rerun`, `--stale-after` and `--force`. */
export function addGuardOptions(command: Command): Command {
  return command
    .addOption(
      new Option(
        "--rerun <classes>",
        "which existing runs to launch again: a list of failed, cancelled, stale, or none",
      ).argParser(parseRerun).default(["failed"], "failed"),
    )
    .addOption(
      new Option(
        "--stale-after <duration>",
        "a run running longer than this is stale (its job is gone)",
      ).argParser(parseDuration("--stale-after")).default(
        25 * 3_600_000,
        "25h",
      ),
    )
    .option("--force", "launch every pair, even one running or completed");
}

/** The rerun policy the guard flags ask for. */
export function rerunPolicy(flags: GuardFlags): RerunPolicy {
  return flags.force ? "always" : flags.rerun;
}

/** Flags of {@linkcode addWaitOptions}. */
export interface WaitFlags {
  wait?: boolean;
  timeout: number;
  poll: number;
}

/** Adds `--wait`, `--timeout` and `--poll`. */
export function addWaitOptions(command: Command, what: string): Command {
  return command
    .option("--wait", `follow ${what} until they finish`)
    .addOption(
      new Option(
        "--timeout <duration>",
        "with --wait: give up waiting after this long (e.g. 90m, 6h)",
      ).argParser(parseDuration("--timeout")).default(6 * 3600_000, "6h"),
    )
    .option(
      "--poll <seconds>",
      "with --wait: seconds between status checks",
      positiveNumber("--poll"),
      10,
    );
}

/** The wait settings for the library, or none without `--wait`. */
export function waitSettings(
  flags: WaitFlags,
): { wait: { timeoutMs: number; pollMs: number } } | Record<never, never> {
  return flags.wait
    ? { wait: { timeoutMs: flags.timeout, pollMs: flags.poll * 1000 } }
    : {};
}

/**
 * Checks before any launch that a file the run will write can be written
 * (an unwritable `--summary` found after the launches loses the summary).
 * A file that did not exist is created and removed again.
 */
export async function checkWritable(path: string, flag: string): Promise<void> {
  let existed = true;
  try {
    await Deno.stat(path);
  } catch {
    existed = false;
  }
  try {
    const file = await Deno.open(path, {
      write: true,
      create: true,
      append: true,
    });
    file.close();
    // Another launcher checking the same path at the same instant may have
    // removed it already.
    if (!existed) {
      await Deno.remove(path).catch((e) => {
        if (!(e instanceof Deno.errors.NotFound)) throw e;
      });
    }
  } catch (error) {
    const why = error instanceof Deno.errors.NotFound
      ? "its folder does not exist"
      : error instanceof Deno.errors.PermissionDenied ||
          error instanceof Deno.errors.NotCapable
      ? "permission denied"
      : error instanceof Error
      ? error.message
      : String(error);
    throw new UsageError(`${flag} ${path}: cannot write it: ${why}`);
  }
}

/**
 * A `--since`/`--until` date: `2026-01-31` (the day's start, or its end
 * with `endOfDay`), an ISO date-time, or a time ago: `7d`, `12h`, `30m`,
 * `2w` (before `now`).
 */
export function parseDate(
  flag: string,
  value: string,
  endOfDay = false,
  now: number = Date.now(),
): Date {
  const ago = /^\s*(\d+(?:\.\d+)?)\s*(w|d|h|m)\s*$/i.exec(value);
  if (ago) {
    const unit = { w: 7 * 86_400_000, d: 86_400_000, h: 3_600_000, m: 60_000 }[
      ago[2]!.toLowerCase() as "w" | "d" | "h" | "m"
    ];
    return new Date(now - Number(ago[1]) * unit);
  }
  const dateOnly = /^\d{4}-\d{2}-\d{2}$/.test(value);
  const date = new Date(
    dateOnly ? `${value}T${endOfDay ? "23:59:59.999" : "00:00:00"}Z` : value,
  );
  if (Number.isNaN(date.getTime())) {
    throw new UsageError(
      `${flag} must be a date like 2026-01-31 or 2026-01-31T12:00:00Z, or a time ago like 7d or 12h, got "${value}"`,
    );
  }
  return date;
}

/** Levenshtein distance, for "did you mean". */
export function distance(a: string, b: string): number {
  const d = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = d[0]!;
    d[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const here = d[j]!;
      d[j] = Math.min(
        d[j]! + 1,
        d[j - 1]! + 1,
        prev + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
      prev = here;
    }
  }
  return d[b.length]!;
}
