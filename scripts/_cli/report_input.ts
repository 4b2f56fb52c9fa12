// Which reports a command reads (results, download): a CSV of report keys
// (a bulk_run journal or summary works too), "-" for standard input,
// --report KEY, or the report filters of `list reports`. Shared so that every
// command that reads across reports takes them the same way.

import { type Command, Option } from "commander";
import type { TsClient } from "../../lib/http/mod.ts";
import { InputError, UsageError } from "../../lib/errors.ts";
import {
  listReports,
  type ListReportsOptions,
  resolveNamedRows,
} from "../../lib/api/mod.ts";
import {
  type ParsedRunRows,
  parseRunRows,
  readInputText,
} from "../../lib/run_rows.ts";
import { parseDate, wholeNumber } from "./flags.ts";
import { type CommandIO, readInput } from "./io.ts";
import { eprint } from "./output.ts";

/** Flags of {@linkcode addReportOptions}. */
export interface ReportInputFlags {
  report: number[];
  status?: string;
  project?: string;
  sample?: string;
  chipType?: string;
  plan?: string;
  nameContains?: string;
  since?: string;
  until?: string;
  limit?: number;
  thumbnails?: boolean;
}

/** Adds `--report` and the report filters of `list reports`. */
export function addReportOptions(command: Command): Command {
  return command
    .option("--report <key>", "report key (repeatable)", collectKey, [])
    .option("--status <status>", "reports with this analysis status (filter)")
    .option("--project <name>", "reports of this project (filter)")
    .option("--sample <name>", "reports of runs with this sample (filter)")
    .option("--chip-type <type>", "reports of runs on this chip type (filter)")
    .option("--plan <name>", "reports of runs of this plan (filter)")
    .option("--name-contains <text>", "report names containing this (filter)")
    .option("--since <date>", "reports at or after this date (filter)")
    .option("--until <date>", "reports at or before this date (filter)")
    .addOption(
      new Option("--limit <n>", "with filters: at most this many reports")
        .argParser(wholeNumber("--limit", 1)),
    )
    .option("--thumbnails", "with filters: thumbnail reports too");
}

function collectKey(value: string, previous: number[]): number[] {
  return [...previous, wholeNumber("--report", 1)(value)];
}

/** The filters given, as `listReports` options; `null` when none is. */
function filtersOf(flags: ReportInputFlags): ListReportsOptions | null {
  const f: ListReportsOptions = {};
  if (flags.status !== undefined) f.status = flags.status;
  if (flags.project !== undefined) f.project = flags.project;
  if (flags.sample !== undefined) f.sample = flags.sample;
  if (flags.chipType !== undefined) f.chipType = flags.chipType;
  if (flags.plan !== undefined) f.planName = flags.plan;
  if (flags.nameContains !== undefined) f.nameContains = flags.nameContains;
  if (flags.since !== undefined) f.since = parseDate("--since", flags.since);
  if (flags.until !== undefined) {
    f.until = parseDate("--until", flags.until, true);
  }
  if (Object.keys(f).length === 0) {
    if (flags.limit !== undefined || flags.thumbnails) {
      throw new UsageError("--limit and --thumbnails go with a report filter");
    }
    return null;
  }
  if (flags.limit !== undefined) f.limit = flags.limit;
  // Thumbnail reports (S5/Proton) carry their own plugin runs: left out
  // unless asked for.
  if (!flags.thumbnails) f.thumbnails = false;
  return f;
}

/**
 * Checks that some reports are named, before anything connects.
 *
 * @throws {UsageError} When there is neither input, --report nor a filter.
 */
export function requireReports(
  input: string | undefined,
  flags: ReportInputFlags,
): void {
  if (input === undefined && flags.report.length === 0 && !filtersOf(flags)) {
    throw new UsageError(
      "give a CSV of report keys (or -), --report KEY, or report filters (--project, --status, --since, ...)",
    );
  }
}

/**
 * The report keys, in the order given (CSV rows, then --report, then the
 * filters' reports, newest first), each once.
 *
 * @throws {InputError} For CSV problems, as `file:line: what is wrong`.
 */
export async function selectReports(
  io: CommandIO,
  client: TsClient,
  input: string | undefined,
  flags: ReportInputFlags,
): Promise<number[]> {
  const keys: number[] = [];
  if (input !== undefined) {
    const text = await readInput(io, input, readInputText);
    const parsed = await resolveNames(
      io,
      client,
      parseRunRows(text, { file: input, requirePlugin: false, names: true }),
      input,
    );
    const empty = parsed.rows.length === 0 &&
      (parsed.problems.length === 0 ||
        (parsed.problems.length === 1 &&
          parsed.problems[0]!.message === "no report keys found"));
    if (empty) eprint(io, `${input}: no report keys`);
    else if (parsed.problems.length > 0) throw new InputError(parsed.problems);
    for (const row of parsed.rows) keys.push(row.report);
  }
  keys.push(...flags.report);
  const filters = filtersOf(flags);
  if (filters) {
    for await (const r of listReports(client, filters)) keys.push(r.id);
  }
  return [...new Set(keys)];
}

/**
 * Looks up the reports that rows name instead of giving their key, saying on
 * stderr how many names it looked up (about one request per 100 names).
 *
 * @param io Where the note goes.
 * @param client The API client.
 * @param parsed What `parseRunRows` returned (with `names: true`).
 * @param file The input's name for problems.
 * @returns Rows with keys and problems (unknown and shared names among them).
 */
export async function resolveNames(
  io: CommandIO,
  client: TsClient,
  parsed: ParsedRunRows,
  file: string,
): Promise<ParsedRunRows> {
  const named = parsed.named?.length ?? 0;
  if (named === 0) return parsed;
  const resolved = await resolveNamedRows(client, parsed, { file });
  const found = resolved.rows.length - parsed.rows.length;
  eprint(
    io,
    `report names in ${file}: ${named} looked up, ${found} found${
      found < named ? `, ${named - found} not (see below)` : ""
    }`,
  );
  return resolved;
}

/** `--run`: `completed` (the default), `newest`, or a run id. */
export function parsePick(
  value: string | undefined,
): "completed" | "newest" | number {
  if (value === undefined || value === "completed") return "completed";
  if (value === "newest") return "newest";
  if (/^\d+$/.test(value) && Number(value) > 0) return Number(value);
  throw new UsageError(
    `--run must be completed, newest or a run id, got ${JSON.stringify(value)}`,
  );
}
