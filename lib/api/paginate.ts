/**
 * Pagination over Tastypie list endpoints.
 *
 * @module
 */

import {
  type QueryParams,
  redactUrl,
  shortUrl,
  type TsClient,
} from "../http/mod.ts";
import { FilterNotAppliedError, PaginationError } from "../errors.ts";
import type { ListPage } from "../types.ts";

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
  /**
   * The most objects the look-up can possibly return: an `id__in` look-up
   * of n distinct ids returns at most n. A page whose `total_count` exceeds
   * it, or a `meta.next` that would need more than
   * `ceil(expectAtMost / pageSize)` pages, throws
   * {@linkcode PaginationError} instead of being followed.
   */
  expectAtMost?: number;
}

/**
 * Iterates over every object of a list endpoint, following `meta.next`
 * (a path-only URL) until it is `null`, with pages of up to 1000 objects.
 *
 * Objects already yielded (by their numeric or string `id`) are not yielded
 * again: with offset paging over a list ordered newest first, objects
 * created meanwhile shift the list and a page legitimately repeats a few of
 * the previous page's last objects.
 *
 * @example Every Completed report (the `status` filter is verified)
 * ```ts
 * import { createClient } from "../http/mod.ts";
 * import { paginate } from "./paginate.ts";
 * import type { Report } from "../types.ts";
 * import { startSimulator } from "../../simulator/mod.ts";
 * await using server = await startSimulator({ reports: 30 });
 * const [user] = server.users;
 * using client = await createClient({ url: server.url, user: user!.username, apiKey: user!.apiKey });
 * const ids: number[] = [];
 * for await (const report of paginate<Report>(client, "results/", {
 *   params: { status: "Completed" },
 *   verify: { status: (r) => r.status === "Completed" },
 * })) ids.push(report.id);
 * if (ids.length === 0 || new Set(ids).size !== ids.length) throw new Error();
 * ```
 *
 * @param client The API client.
 * @param path List endpoint under the API, e.g. `"results/"`.
 * @param options Filters, checks and limits.
 * @returns An async iterator over the objects, in server order.
 * @throws {FilterNotAppliedError} When an object does not match a verified filter.
 * @throws {PaginationError} When following `meta.next` would never end or
 *   reads more than the list holds: `meta.next` repeats a page, goes
 *   backwards or runs past `total_count`; `total_count` grows past
 *   T0 + max(pageSize, T0) while paging (T0: the first page's, so the list
 *   more than doubled); a page holds only objects already read; or
 *   `total_count` or the number of pages exceeds what `expectAtMost` allows.
 * @throws {RangeError} When `expectAtMost` is not a non-negative number.
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
  const atMost = options.expectAtMost;
  if (atMost !== undefined && !(atMost >= 0)) {
    throw new RangeError(`expectAtMost must be >= 0, got ${atMost}`);
  }
  const maxPages = atMost === undefined
    ? Infinity
    : Math.max(1, Math.ceil(atMost / pageSize));
  const checks = Object.entries(options.verify ?? {});
  let next: string | null = path;
  let params: QueryParams = { ...options.params, limit: pageSize, offset: 0 };
  let count = 0;
  let offset = -1;
  let pages = 0;
  let firstTotal: number | undefined;
  const seen = new Set<string>();
  const seenIds = new Set<string | number>();
  while (next !== null && count < max) {
    const page: ListPage<T> = await client.get<ListPage<T>>(next, {
      params,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    const here = redactUrl(client.url(next, params));
    if (!page || !Array.isArray(page.objects) || !page.meta) {
      throw new TypeError(`${here} did not answer a Tastypie list`);
    }
    pages++;
    const total = page.meta.total_count;
    firstTotal ??= total;
    checkTotal(here, { total, firstTotal, pageSize, atMost });
    let repeats = 0;
    for (const object of page.objects) {
      const id = idOf(object);
      if (id !== undefined && seenIds.has(id)) {
        repeats++;
        continue;
      }
      for (const [filter, matches] of checks) {
        if (!matches(object)) {
          throw new FilterNotAppliedError(
            filter,
            here,
            `got ${describe(object)}`,
          );
        }
      }
      if (id !== undefined) seenIds.add(id);
      yield object;
      if (++count >= max) return;
    }
    if (page.objects.length > 0 && repeats === page.objects.length) {
      throw new PaginationError(
        `the server's list does not end: meta.next repeats objects already read (all ${repeats} objects of this page): ${
          shortUrl(here)
        }`,
        { url: here },
      );
    }
    seen.add(here);
    offset = Math.max(offset, page.meta.offset ?? offset);
    next = page.meta.next;
    params = {}; // meta.next carries the query string
    if (next !== null) {
      checkProgress(client, { next, seen, offset, meta: page.meta });
      if (pages >= maxPages) {
        const url = redactUrl(client.url(next));
        throw new PaginationError(
          `meta.next asks for page ${
            pages + 1
          } of a look-up of at most ${atMost} objects (${pageSize} a page): ${
            shortUrl(url)
          }`,
          { url },
        );
      }
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

/**
 * Throws when a page's `total_count` is more than the look-up can hold, or
 * has grown so much since the first page that the list does not end.
 */
function checkTotal(
  url: string,
  page: {
    total: number;
    firstTotal: number;
    pageSize: number;
    atMost: number | undefined;
  },
): void {
  const { total, firstTotal, pageSize, atMost } = page;
  const problem = atMost !== undefined && total > atMost
    ? `the server answered total_count ${total} for a look-up of at most ${atMost} objects`
    : total > firstTotal + Math.max(pageSize, firstTotal)
    ? `the server's list does not end: total_count grew from ${firstTotal} to ${total} while paging`
    : undefined;
  if (problem) {
    throw new PaginationError(`${problem}: ${shortUrl(url)}`, { url });
  }
}

/** The `id` of an object, when it has a numeric or string one. */
function idOf(object: unknown): string | number | undefined {
  if (!object || typeof object !== "object") return undefined;
  const id = (object as { id?: unknown }).id;
  return typeof id === "number" || typeof id === "string" ? id : undefined;
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
 * Splits ids (or names) into batches whose comma-joined length stays under
 * {@linkcode MAX_IN_CHARS}, so that `__in` URLs stay short, and that hold at
 * most {@linkcode MAX_PAGE_SIZE} ids, so that a look-up by primary key
 * answers in one page.
 *
 * @param ids Ids to split.
 * @returns Batches, in order.
 */
export function batchIds<K extends number | string>(
  ids: readonly K[],
): K[][] {
  const batches: K[][] = [];
  let current: K[] = [];
  let chars = 0;
  for (const id of ids) {
    const len = encodeURIComponent(String(id)).length + 1;
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
export async function inBatches<T, K extends number | string = number>(
  ids: readonly K[],
  lookUp: (batch: K[]) => Promise<T[]>,
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
