// Simulator internals: Tastypie list and detail answers, with the server's
// cost per serialized object (each pluginresult costs several queries and a
// listing of its output folder, each report about 8 queries).

import type { Reply, Req, RouteContext } from "./types.ts";
import {
  type CompiledFilter,
  compileFilters,
  compileOrdering,
  type ResourceSpec,
} from "./filters.ts";
import { wait } from "./launch.ts";
import { ok } from "./replies.ts";
import type { PrRow, SimStore } from "./store.ts";
import { paginate } from "./tastypie.ts";

/** What a standard list endpoint serves. */
export interface ListSpec<T> {
  /** The resource's fields (filtering and ordering). */
  spec: ResourceSpec<T>;
  /** Every object of the resource (before filters). */
  all: T[];
  /** The list URI, for `meta.next`/`previous`. */
  uri: string;
  /** Serializes one object. */
  toJson: (o: T) => unknown;
  /** Picks the candidates from an index for some filters, or null. */
  narrow?: (filters: CompiledFilter[]) => T[] | null;
}

/**
 * Waits the server's time for serializing `n` objects (`objectCostMs`),
 * plus `storeCostMs` per KB of the plugin stores in `objects` (their
 * `store` or `pluginStore` fields).
 */
export async function serializeCost(
  ctx: RouteContext,
  n: number,
  objects: unknown[] = [],
): Promise<void> {
  let ms = ctx.settings.objectCostMs * n;
  if (ctx.settings.storeCostMs > 0) {
    ms += ctx.settings.storeCostMs * storeKb(objects);
  }
  if (ms > 0) await wait(ms, ctx.closing);
}

/** KB of JSON text of the stores the objects carry. */
export function storeKb(objects: unknown[]): number {
  let chars = 0;
  for (const o of objects) {
    if (!o || typeof o !== "object") continue;
    const r = o as Record<string, unknown>;
    const s = r.store ?? r.pluginStore;
    if (s !== undefined) chars += JSON.stringify(s).length;
  }
  return chars / 1024;
}

/** Standard list: filters, ordering, pagination, then the cost of the page. */
export async function list<T>(
  ctx: RouteContext,
  req: Req,
  l: ListSpec<T>,
): Promise<Reply> {
  const s = l.spec as ResourceSpec<unknown>;
  const filters = compileFilters(s, req.params);
  const base = l.narrow?.(filters) ?? l.all;
  const items = filters.length
    ? base.filter((o) => filters.every((f) => f.test(o, req.now)))
    : [...base];
  items.sort(compileOrdering(s, req.params, req.now));
  const { meta, page } = paginate(items, req.params, l.uri);
  const objects = page.map(l.toJson);
  await serializeCost(ctx, objects.length, objects);
  return ok(req, { meta, objects });
}

/** A detail answer, after the cost of one object. */
export async function detail(
  ctx: RouteContext,
  req: Req,
  data: unknown,
): Promise<Reply> {
  await serializeCost(ctx, 1, [data]);
  return ok(req, data);
}

/** Candidates from an id index for `key=<id>` / `key__in=<ids>` filters. */
export function byIds<T>(
  filters: CompiledFilter[],
  key: string,
  index: Map<number, T | T[]>,
): T[] | null {
  const f = filters.find((f) =>
    f.key === key || f.key === `${key}__in` || f.key === `${key}__exact`
  );
  if (!f) return null;
  const out: T[] = [];
  for (const id of new Set(f.raw.split(","))) {
    const hit = index.get(Number(id));
    if (Array.isArray(hit)) out.push(...hit);
    else if (hit !== undefined) out.push(hit);
  }
  return out;
}

/** Candidate plugin results for report, plugin-name or id filters. */
export function narrowPrs(
  store: SimStore,
  filters: CompiledFilter[],
): PrRow[] | null {
  const byReport = byIds(filters, "result", store.prsByReport);
  if (byReport) return byReport;
  const f = filters.find((f) =>
    f.key === "plugin__name" || f.key === "plugin__name__in"
  );
  if (f) {
    return [...new Set(f.raw.split(","))].flatMap((n) =>
      store.prsByPlugin.get(n) ?? []
    );
  }
  return byIds(filters, "id", store.prById);
}
