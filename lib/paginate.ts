/**
 * Pagination over Tastypie list endpoints.
 *
 * @module
 */

import { redactUrl, shortUrl } from "./_http.ts";
import type { QueryParams, TsClient } from "./client.ts";
import { FilterNotAppliedError, PaginationError } from "./errors.ts";
import type { ListPage } from "./types.ts";

/** The largest page a Torrent Suite server returns (`limit=0` is capped to it too). */
export const MAX_PAGE_SIZE = 1000;

/** Options for {@linkcode paginate}. */
export interface PaginateOptions<T> {
  /** Query parameters (filters, `order_by`); `limit`/`offset` are managed here. */
  params?: QueryParams;
  /** Stop after this many objects. */
  max?: number;
  /** Page size to ask for; default (and at most) 1000. */
  pageSize?: number;
  /**
   * Checks per filter name: real servers silently ignore filter names they
   * do not know, so every returned object is checked and a mismatch throws
   * {@linkcode FilterNotAppliedError}.
   */
  verify?: Record<string, (object: T) => boolean>;
  /** Aborts the iteration. */
  signal?: AbortSignal;
}

/**
 * Iterates over every object of a list endpoint, following `meta.next`
 * (a path-only URL) until it is `null`, with pages of up to 1000 objects.
 *
 * @example Every Completed report (the `status` filter is verified)
 * ```ts ignore
 * import { paginate } from "./paginate.ts";
 * for await (const report of paginate(client, "results/", {
 *   params: { status: "Completed" },
 *   verify: { status: (r) => r.status === "Completed" },
 * })) console.log(report.id);
 * ```
 *
 * @param client The API client.
 * @param path List endpoint under the API, e.g. `"results/"`.
 * @param options Filters, checks and limits.
 * @returns An async iterator over the objects, in server order.
 * @throws {FilterNotAppliedError} When an object does not match a verified filter.
 * @throws {PaginationError} When `meta.next` repeats, goes backwards or
 *   runs past `total_count`: following it would never end.
 */
export async function* paginate<T>(
  client: TsClient,
  path: string,
  options: PaginateOptions<T> = {},
): AsyncGenerator<T, void, undefined> {
  const max = options.max ?? Infinity;
  const pageSize = Math.min(
    options.pageSize ?? MAX_PAGE_SIZE,
    MAX_PAGE_SIZE,
    Number.isFinite(max) ? Math.max(1, max) : MAX_PAGE_SIZE,
  );
  const checks = Object.entries(options.verify ?? {});
  let next: string | null = path;
  let params: QueryParams = { ...options.params, limit: pageSize, offset: 0 };
  let count = 0;
  let offset = -1;
  const seen = new Set<string>();
  while (next !== null && count < max) {
    const page: ListPage<T> = await client.get<ListPage<T>>(next, {
      params,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    if (!page || !Array.isArray(page.objects) || !page.meta) {
      throw new TypeError(
        `${redactUrl(client.url(next, params))} did not answer a Tastypie list`,
      );
    }
    for (const object of page.objects) {
      for (const [filter, matches] of checks) {
        if (!matches(object)) {
          throw new FilterNotAppliedError(
            filter,
            redactUrl(client.url(next, params)),
            `got ${describe(object)}`,
          );
        }
      }
      yield object;
      if (++count >= max) return;
    }
    const here = redactUrl(client.url(next, params));
    seen.add(here);
    offset = Math.max(offset, page.meta.offset ?? offset);
    next = page.meta.next;
    params = {}; // meta.next carries the query string
    if (next !== null) {
      checkProgress(client, { next, seen, offset, meta: page.meta });
    }
  }
}

/**
 * Collects every object of a list endpoint into an array.
 *
 * @param client The API client.
 * @param path List endpoint under the API.
 * @param options As for {@linkcode paginate}.
 * @returns All objects, in server order.
 */
export async function listAll<T>(
  client: TsClient,
  path: string,
  options: PaginateOptions<T> = {},
): Promise<T[]> {
  const all: T[] = [];
  for await (const object of paginate(client, path, options)) all.push(object);
  return all;
}

/** Throws when following `next` would not make progress through the list. */
function checkProgress(
  client: TsClient,
  page: {
    next: string;
    seen: ReadonlySet<string>;
    offset: number;
    meta: ListPage<unknown>["meta"];
  },
): void {
  const url = redactUrl(client.url(page.next));
  const nextOffset = Number(new URL(url).searchParams.get("offset") ?? NaN);
  const problem = page.seen.has(url)
    ? "repeats a page already read"
    : nextOffset <= page.offset
    ? `goes backwards (offset ${nextOffset} after ${page.offset})`
    : nextOffset >= page.meta.total_count
    ? `runs past the end (offset ${nextOffset} of total_count ${page.meta.total_count})`
    : undefined;
  if (problem) {
    throw new PaginationError(
      `the server's list does not end: meta.next ${problem}: ${shortUrl(url)}`,
      { url },
    );
  }
}

function describe(object: unknown): string {
  if (object && typeof object === "object") {
    const o = object as Record<string, unknown>;
    const id = o.id ?? o.resource_uri ?? "?";
    return `an object with id ${id} that does not match`;
  }
  return "an unexpected object";
}

/** Most characters of ids in one `__in` filter: keeps URLs far below 8 KB. */
export const MAX_IN_CHARS = 4000;

/**
 * Splits ids into batches whose comma-joined length stays under
 * {@linkcode MAX_IN_CHARS}, so that `__in` URLs stay short, and that hold at
 * most {@linkcode MAX_PAGE_SIZE} ids, so that a look-up by primary key
 * answers in one page.
 *
 * @param ids Ids to split.
 * @returns Batches, in order.
 */
export function batchIds(ids: readonly number[]): number[][] {
  const batches: number[][] = [];
  let current: number[] = [];
  let chars = 0;
  for (const id of ids) {
    const len = String(id).length + 1;
    if (
      current.length > 0 &&
      (chars + len > MAX_IN_CHARS || current.length === MAX_PAGE_SIZE)
    ) {
      batches.push(current);
      current = [];
      chars = 0;
    }
    current.push(id);
    chars += len;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

/** `__in` look-ups in flight at once. */
const BATCH_CONCURRENCY = 3;

/**
 * Runs a look-up per batch of ids ({@linkcode batchIds}), a few batches at a
 * time, and joins the results in batch order.
 *
 * @param ids Ids to look up.
 * @param lookUp Fetches the objects of one batch.
 * @returns Every batch's objects, in batch order.
 */
export async function inBatches<T>(
  ids: readonly number[],
  lookUp: (batch: number[]) => Promise<T[]>,
): Promise<T[]> {
  const batches = batchIds(ids);
  const results: T[][] = [];
  let next = 0;
  const worker = async () => {
    while (next < batches.length) {
      const i = next++;
      results[i] = await lookUp(batches[i]!);
    }
  };
  await Promise.all(
    Array.from({ length: Math.min(BATCH_CONCURRENCY, batches.length) }, worker),
  );
  return results.flat();
}
