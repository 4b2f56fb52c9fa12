/**
 * Reports ("results"): list with filters, get by id, fetch many by id.
 *
 * @module
 */

import type { TsClient } from "./client.ts";
import { inBatches, listAll, paginate } from "./paginate.ts";
import type { Report } from "./types.ts";

/** Options for {@linkcode listReports}. */
export interface ListReportsOptions {
  /** Exact analysis status, e.g. `"Completed"`. */
  status?: string;
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
 * Each filter is checked on the returned objects, so a server that ignored one
 * makes this throw instead of returning everything.
 *
 * @example
 * ```ts ignore
 * import { listReports } from "./reports.ts";
 * for await (const r of listReports(client, { status: "Completed", limit: 10 })) {
 *   console.log(r.id, r.resultsName);
 * }
 * ```
 *
 * @param client The API client.
 * @param options Filters and limit.
 * @returns An async iterator of reports.
 */
export function listReports(
  client: TsClient,
  options: ListReportsOptions = {},
): AsyncGenerator<Report, void, undefined> {
  const params: Record<string, string> = {};
  const verify: Record<string, (r: Report) => boolean> = {};
  if (options.status !== undefined) {
    const status = options.status;
    params.status = status;
    verify.status = (r) => r.status === status;
  }
  if (options.nameContains !== undefined) {
    const needle = options.nameContains.toLowerCase();
    params.resultsName__icontains = options.nameContains;
    verify.resultsName__icontains = (r) =>
      r.resultsName.toLowerCase().includes(needle);
  }
  if (options.since !== undefined) {
    const since = options.since.getTime();
    params.timeStamp__gte = options.since.toISOString();
    verify.timeStamp__gte = (r) => Date.parse(r.timeStamp) >= since;
  }
  if (options.until !== undefined) {
    const until = options.until.getTime();
    params.timeStamp__lte = options.until.toISOString();
    verify.timeStamp__lte = (r) => Date.parse(r.timeStamp) <= until;
  }
  return paginate<Report>(client, "results/", {
    params,
    verify,
    ...(options.limit !== undefined ? { max: options.limit } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
}

/**
 * Gets one report by primary key.
 *
 * @param client The API client.
 * @param id Report primary key.
 * @returns The report (an `ApiError` with status 404 when unknown).
 */
export function getReport(client: TsClient, id: number): Promise<Report> {
  return client.get<Report>(`results/${id}/`, {
    params: { noplugin: "true" },
  });
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
      ...(options.signal ? { signal: options.signal } : {}),
    });
  });
  for (const report of reports) found.set(report.id, report);
  return found;
}
