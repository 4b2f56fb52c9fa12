/**
 * Reports ("results"): list with filters, get by id, fetch many by id.
 *
 * @module
 */

import type { TsClient } from "../http/mod.ts";
import { parseTsDate } from "../datetime.ts";
import { ApiError, FilterNotAppliedError, UsageError } from "../errors.ts";
import { inBatches, listAll, paginate } from "./paginate.ts";
import type { Report } from "../types.ts";
import { echo, type ParsedRunRows, type RunRow } from "../run_rows.ts";
import type { RowProblem } from "../errors.ts";

/**
 * A report as the list serializes it, with the relations the filters use:
 * its projects (URIs), its experiment (a URI) and its `metaData` (a
 * thumbnail's holds `thumb`).
 */
interface ListedReport extends Report {
  projects?: string[];
}

/** Options for {@linkcode listReports}. */
export interface ListReportsOptions {
  /** Analysis status, e.g. `"Completed"`, in any case (`completed` too). */
  status?: string;
  /** Only reports of the project with this name (any case). */
  project?: string;
  /** Only reports whose run had a sample with this name (any case). */
  sample?: string;
  /** Only reports of runs on this chip type, e.g. `"540"` (any case). */
  chipType?: string;
  /** Only reports of runs of the plan with this name (any case). */
  planName?: string;
  /**
   * `true`: only thumbnail reports (S5/Proton runs have one beside the full
   * one); `false`: no thumbnails; absent: both.
   */
  thumbnails?: boolean;
  /** Case-insensitive substring of the report name. */
  nameContains?: string;
  /** Only reports at or after this time. */
  since?: Date;
  /** Only reports at or before this time. */
  until?: Date;
  /** Stop after this many reports. */
  limit?: number;
  /** Aborts the listing. */
  signal?: AbortSignal;
}

/**
 * Iterates over reports, newest first (the server's default `-id` order).
 * Each filter is checked on the returned objects, so a server that ignored
 * one makes this throw instead of returning everything: the status, name,
 * dates and thumbnail flag on the reports themselves; the project through
 * the `project/` it names (the reports carry only its URI); chip type,
 * sample and plan through the reports' experiments, looked up in batches
 * (`experiment/?id__in=…`, one request per up to 500 reports).
 *
 * @example
 * ```ts
 * import { createClient } from "../http/mod.ts";
 * import { listReports } from "./reports.ts";
 * import { startSimulator } from "../../simulator/mod.ts";
 * await using server = await startSimulator({ reports: 40 });
 * const [user] = server.users;
 * using client = await createClient({ url: server.url, user: user!.username, apiKey: user!.apiKey });
 * let n = 0;
 * for await (const r of listReports(client, { status: "completed", chipType: "540", limit: 10 })) {
 *   console.log(r.id, r.resultsName);
 *   n++;
 * }
 * if (n > 10) throw new Error("the limit holds");
 * ```
 *
 * @param client The API client.
 * @param options Filters and limit.
 * @returns An async iterator of reports.
 */
export async function* listReports(
  client: TsClient,
  options: ListReportsOptions = {},
): AsyncGenerator<Report, void, undefined> {
  const params: Record<string, string> = {};
  const verify: Record<string, (r: ListedReport) => boolean> = {};
  const lower = (s: string) => s.toLowerCase();
  if (options.status !== undefined) {
    const status = lower(options.status);
    params.status__iexact = options.status;
    verify.status__iexact = (r) => lower(r.status) === status;
  }
  if (options.nameContains !== undefined) {
    const needle = lower(options.nameContains);
    params.resultsName__icontains = options.nameContains;
    verify.resultsName__icontains = (r) =>
      lower(r.resultsName).includes(needle);
  }
  if (options.since !== undefined) {
    const since = options.since.getTime();
    params.timeStamp__gte = options.since.toISOString();
    verify.timeStamp__gte = (r) => parseTsDate(r.timeStamp) >= since;
  }
  if (options.until !== undefined) {
    const until = options.until.getTime();
    params.timeStamp__lte = options.until.toISOString();
    verify.timeStamp__lte = (r) => parseTsDate(r.timeStamp) <= until;
  }
  if (options.thumbnails !== undefined) {
    const want = options.thumbnails;
    params.isThumbnail = want ? "yes" : "no";
    verify.isThumbnail = (r) => isThumbnail(r) === want;
  }
  const signal = options.signal ? { signal: options.signal } : {};
  if (options.project !== undefined) {
    const uris = await idsNamed(
      client,
      "project/",
      "name",
      options.project,
      signal,
    ).catch((error) => {
      // A server without projects: said as such, not as a wrong TS_URL.
      if (error instanceof ApiError && error.status === 404) {
        throw new UsageError(
          `--project: this server has no project list (project/ answered 404), so reports cannot be selected by project here: select them with --name-contains, --since or --plan instead`,
        );
      }
      throw error;
    });
    if (uris.size === 0) return;
    params.projects__name__iexact = options.project;
    verify.projects__name__iexact = (r) =>
      (r.projects ?? []).some((uri) => uris.has(idOf(uri)));
  }
  const viaExperiment = await experimentChecks(client, options, params, signal);
  if (viaExperiment === null) return;
  const reports = paginate<ListedReport>(client, "results/", {
    params,
    verify,
    ...(options.limit !== undefined ? { max: options.limit } : {}),
    ...signal,
  });
  if (viaExperiment.length === 0) {
    yield* reports;
    return;
  }
  let batch: ListedReport[] = [];
  const flush = async function* () {
    const ids = [...new Set(batch.map((r) => idOf(r.experiment ?? "")))];
    const wanted = new Set(ids);
    const found = new Map<number, Experiment>();
    for (
      const e of await inBatches(
        ids,
        (chunk) =>
          listAll<Experiment>(client, "experiment/", {
            params: { id__in: chunk },
            verify: { id__in: (x) => wanted.has(x.id) },
            expectAtMost: chunk.length,
            ...signal,
          }),
      )
    ) found.set(e.id, e);
    for (const r of batch) {
      const e = found.get(idOf(r.experiment ?? ""));
      for (const check of viaExperiment) {
        if (!e || !check.test(e)) {
          throw new FilterNotAppliedError(
            check.filter,
            `${client.baseUrl}/rundb/api/v1/results/`,
            `got report ${r.id}, whose run does not match`,
          );
        }
      }
      yield r;
    }
    batch = [];
  };
  for await (const r of reports) {
    batch.push(r);
    if (batch.length >= EXPERIMENT_BATCH) yield* flush();
  }
  yield* flush();
}

/** Reports whose experiments are looked up at once to check a filter. */
const EXPERIMENT_BATCH = 500;

/** The fields of an experiment the filters check. */
interface Experiment {
  id: number;
  chipType?: string;
  samples?: string[];
  plan?: string | null;
}

/** The id at the end of a resource URI (`/rundb/api/v1/project/4/` → 4). */
function idOf(uri: string): number {
  const m = /\/(\d+)\/?$/.exec(uri);
  return m ? Number(m[1]) : NaN;
}

/** Whether a report is a thumbnail (`metaData` holds `thumb`, as `isThumbnail` tests). */
function isThumbnail(r: ListedReport): boolean {
  // Read loosely: older servers send it as a JSON text, newer as an object.
  const meta = (r as { metaData?: unknown }).metaData;
  return (typeof meta === "string" ? meta : JSON.stringify(meta ?? {}))
    .includes("thumb");
}

/** Ids of the objects of a resource whose `field` is `value` in any case (verified). */
async function idsNamed(
  client: TsClient,
  path: string,
  field: string,
  value: string,
  signal: { signal?: AbortSignal },
): Promise<Set<number>> {
  const want = value.toLowerCase();
  const found = await listAll<Record<string, unknown> & { id: number }>(
    client,
    path,
    {
      params: { [`${field}__iexact`]: value },
      verify: {
        [`${field}__iexact`]: (o) =>
          String(o[field] ?? "").toLowerCase() === want,
      },
      ...signal,
    },
  );
  return new Set(found.map((o) => o.id));
}

/**
 * Adds the chip, sample and plan filters (relations through the report's
 * experiment) and returns how to check each on an experiment; `null` when
 * no sample or plan has the name (nothing can match).
 */
async function experimentChecks(
  client: TsClient,
  options: ListReportsOptions,
  params: Record<string, string>,
  signal: { signal?: AbortSignal },
): Promise<{ filter: string; test: (e: Experiment) => boolean }[] | null> {
  const checks: { filter: string; test: (e: Experiment) => boolean }[] = [];
  if (options.chipType !== undefined) {
    const chip = options.chipType.toLowerCase();
    params.experiment__chipType__iexact = options.chipType;
    checks.push({
      filter: "experiment__chipType__iexact",
      test: (e) => (e.chipType ?? "").toLowerCase() === chip,
    });
  }
  if (options.sample !== undefined) {
    const ids = await idsNamed(
      client,
      "sample/",
      "name",
      options.sample,
      signal,
    );
    if (ids.size === 0) return null;
    params.experiment__samples__name__iexact = options.sample;
    checks.push({
      filter: "experiment__samples__name__iexact",
      test: (e) => (e.samples ?? []).some((uri) => ids.has(idOf(uri))),
    });
  }
  if (options.planName !== undefined) {
    const ids = await idsNamed(
      client,
      "plannedexperiment/",
      "planName",
      options.planName,
      signal,
    );
    if (ids.size === 0) return null;
    params.experiment__plan__planName__iexact = options.planName;
    checks.push({
      filter: "experiment__plan__planName__iexact",
      test: (e) => e.plan ? ids.has(idOf(e.plan)) : false,
    });
  }
  return checks;
}

/**
 * The statuses of the newest reports, with how many have each (most first):
 * what to suggest when a `status` filter finds nothing.
 *
 * @param client The API client.
 * @param options How many of the newest reports to look at (default 200).
 * @returns Status and count, most frequent first.
 */
export async function recentStatuses(
  client: TsClient,
  options: { reports?: number; signal?: AbortSignal } = {},
): Promise<[string, number][]> {
  const counts = new Map<string, number>();
  for await (
    const r of paginate<Report>(client, "results/", {
      max: options.reports ?? 200,
      ...(options.signal ? { signal: options.signal } : {}),
    })
  ) counts.set(r.status, (counts.get(r.status) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
}

/**
 * Gets one report by primary key.
 *
 * @param client The API client.
 * @param id Report primary key.
 * @returns The report (an `ApiError` with status 404, "report N is not on
 *   this server", when unknown).
 */
export async function getReport(
  client: TsClient,
  id: number,
): Promise<Report> {
  try {
    return await client.get<Report>(`results/${id}/`, {
      params: { noplugin: "true" },
    });
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) {
      // Said as such, not as a raw 404 (the same error class and status).
      throw new ApiError(`report ${id} is not on this server`, {
        method: error.method,
        url: error.url,
        status: 404,
        serverMessage: error.serverMessage,
        cause: error,
      });
    }
    throw error;
  }
}

/**
 * Fetches many reports by id with batched `id__in` look-ups.
 *
 * @param client The API client.
 * @param ids Report primary keys (duplicates are fine).
 * @param options Abort signal.
 * @returns The reports found, by id; ids missing from the map do not exist.
 */
export async function getReports(
  client: TsClient,
  ids: Iterable<number>,
  options: { signal?: AbortSignal } = {},
): Promise<Map<number, Report>> {
  const unique = [...new Set(ids)].sort((a, b) => a - b);
  const found = new Map<number, Report>();
  const reports = await inBatches(unique, (batch) => {
    const wanted = new Set(batch);
    return listAll<Report>(client, "results/", {
      params: { id__in: batch },
      verify: { id__in: (r) => wanted.has(r.id) },
      expectAtMost: batch.length,
      ...(options.signal ? { signal: options.signal } : {}),
    });
  });
  for (const report of reports) found.set(report.id, report);
  return found;
}

/**
 * Finds reports by their exact name (`resultsName`), with batched
 * `resultsName__in` look-ups. Names are not unique on a server (a reanalysis
 * keeps its name): each name maps to every report that has it, newest first,
 * and the caller decides what an ambiguous name means. A name holding a
 * comma cannot go in an `__in` list (Tastypie splits on commas), so it is
 * looked up on its own.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createClient } from "../http/mod.ts";
 * import { findReportsByName, getReport } from "./reports.ts";
 * import { startSimulator } from "../../simulator/mod.ts";
 * await using server = await startSimulator({ reports: 5 });
 * const [user] = server.users;
 * using client = await createClient({ url: server.url, user: user!.username, apiKey: user!.apiKey });
 * const report = await getReport(client, server.reportIds()[0]!);
 * const found = await findReportsByName(client, [report.resultsName, "nope"]);
 * assert.ok(found.get(report.resultsName)?.some((r) => r.id === report.id));
 * assert.deepEqual(found.get("nope"), []);
 * ```
 *
 * @param client The API client.
 * @param names Report names, as written (duplicates are fine).
 * @param options Abort signal.
 * @returns Every name given, with the reports of that exact name (an empty
 *   list when none has it).
 */
export async function findReportsByName(
  client: TsClient,
  names: Iterable<string>,
  options: { signal?: AbortSignal } = {},
): Promise<Map<string, Report[]>> {
  const unique = [...new Set(names)];
  const found = new Map<string, Report[]>(unique.map((n) => [n, []]));
  const signal = options.signal ? { signal: options.signal } : {};
  const listed = unique.filter((n) => n.includes(","));
  const batched = unique.filter((n) => !n.includes(","));
  const reports = [
    ...await inBatches(batched, (batch) => {
      const wanted = new Set(batch);
      return listAll<Report>(client, "results/", {
        params: { resultsName__in: batch, noplugin: "true" },
        verify: { resultsName__in: (r) => wanted.has(r.resultsName) },
        ...signal,
      });
    }),
    ...(await Promise.all(
      listed.map((name) =>
        listAll<Report>(client, "results/", {
          params: { resultsName: name, noplugin: "true" },
          verify: { resultsName: (r) => r.resultsName === name },
          ...signal,
        })
      ),
    )).flat(),
  ];
  for (const report of reports) found.get(report.resultsName)?.push(report);
  for (const list of found.values()) list.sort((a, b) => b.id - a.id);
  return found;
}

/** Most reports an ambiguous name's problem lists. */
const AMBIGUOUS_SHOWN = 5;

/**
 * Turns the rows that name their report (`parseRunRows` with `names`) into
 * rows with its key, looked up by {@linkcode findReportsByName}. A name no
 * report has, or that several reports share (a reanalysis keeps its name),
 * becomes a `file:line` problem; an ambiguous one lists the reports that
 * have it, newest first, with their dates, so the user can pick a key.
 *
 * @param client The API client.
 * @param parsed What `parseRunRows` returned.
 * @param options The input's name for problems, and an abort signal.
 * @returns The rows and problems, each in line order, without `named`.
 */
export async function resolveNamedRows(
  client: TsClient,
  parsed: ParsedRunRows,
  options: { file: string; signal?: AbortSignal },
): Promise<ParsedRunRows> {
  const named = parsed.named ?? [];
  if (named.length === 0) {
    return { rows: parsed.rows, problems: parsed.problems };
  }
  const found = await findReportsByName(
    client,
    named.map((n) => n.name),
    options.signal ? { signal: options.signal } : {},
  );
  const rows: RunRow[] = [...parsed.rows];
  const problems: RowProblem[] = [...parsed.problems];
  for (const { name, ...row } of named) {
    const reports = found.get(name) ?? [];
    if (reports.length === 1) {
      rows.push({ ...row, report: reports[0]!.id });
      continue;
    }
    const quoted = echo(name);
    const shown = reports.slice(0, AMBIGUOUS_SHOWN).map((r) =>
      `${r.id} (${String(r.timeStamp).slice(0, 10)})`
    ).join(", ");
    const more = reports.length > AMBIGUOUS_SHOWN
      ? ` and ${reports.length - AMBIGUOUS_SHOWN} more`
      : "";
    problems.push({
      file: options.file,
      line: row.line,
      message: reports.length === 0
        ? `no report named ${quoted} on this server`
        : `report name ${quoted} is shared by ${reports.length} reports: ${shown}${more}; give the key instead`,
    });
  }
  rows.sort((a, b) => a.line - b.line);
  problems.sort((a, b) => a.line - b.line);
  return { rows, problems };
}
