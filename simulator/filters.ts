// Simulator internals: Tastypie 0.11.1 filtering and ordering (build_filters,
// apply_sorting): non-fields ignored, computed fields refused, relations via
// `__`, Django lookups, values converted as the ORM does.

import {
  badRequest,
  CANNED,
  lastParam,
  parseDatetime,
  pyInt,
  SimHttpError,
} from "./tastypie.ts";

/** Kinds of model fields the filter engine converts values for. */
export type FieldKind = "int" | "str" | "bool" | "dt" | "json";

/** One resource field: how to read it, and whether it may be filtered or ordered on. */
export interface FieldSpec<T = unknown> {
  /** Value kind, or a relation. */
  kind: FieldKind | "rel";
  /** Reads the value (a related object, or an array of them when `many`). */
  get: (obj: T, now: number) => unknown;
  /** In the filtering/ordering whitelist (model field); false for computed fields. */
  model?: boolean;
  /** The related resource, for `rel`. */
  rel?: () => ResourceSpec<unknown>;
  /** To-many relation (any element matches). */
  many?: boolean;
}

/** The fields of a resource. */
export interface ResourceSpec<T> {
  /** Field name → spec. */
  fields: Record<string, FieldSpec<T>>;
}

const QUERY_TERMS = new Set([
  "exact",
  "iexact",
  "contains",
  "icontains",
  "gt",
  "gte",
  "lt",
  "lte",
  "in",
  "startswith",
  "istartswith",
  "endswith",
  "iendswith",
  "range",
  "year",
  "month",
  "day",
  "week_day",
  "hour",
  "minute",
  "second",
  "isnull",
  "search",
  "regex",
  "iregex",
]);

const MISMATCH = "Invalid resource lookup data provided (mismatched type).";

type Getter = (obj: unknown, now: number) => unknown;

/** Follows `bits` through the resource, returning a getter (arrays for to-many) and the final kind. */
function walk(
  spec: ResourceSpec<unknown>,
  bits: string[],
  onMissing: (name: string) => SimHttpError,
): { get: Getter; kind: FieldKind } {
  const name = bits[0]!;
  const field = spec.fields[name];
  if (!field || field.model === false) throw onMissing(name);
  if (field.kind !== "rel") {
    if (bits.length > 1) {
      throw badRequest(`The '${name}' field does not support relations.`);
    }
    return { get: field.get as Getter, kind: field.kind };
  }
  const target = field.rel!();
  const inner = bits.length > 1
    ? walk(target, bits.slice(1), onMissing)
    : walk(target, ["id"], onMissing);
  const many = field.many === true;
  return {
    kind: inner.kind,
    get: (obj, now) => {
      const related = field.get(obj, now);
      if (related === null || related === undefined) return null;
      if (many) {
        return { any: (related as unknown[]).map((r) => inner.get(r, now)) };
      }
      return inner.get(related, now);
    },
  };
}

function convert(kind: FieldKind, raw: string): unknown {
  if (raw === "nil" || raw === "none" || raw === "None") return null;
  switch (kind) {
    case "int": {
      const n = pyInt(raw);
      if (n === null) throw badRequest(MISMATCH);
      return n;
    }
    case "bool":
      if (["true", "True", "1", "t"].includes(raw)) return true;
      if (["false", "False", "0", "f"].includes(raw)) return false;
      throw badRequest(`'${raw}' value must be either True or False.`);
    case "dt": {
      const ms = parseDatetime(raw);
      if (ms === null) {
        throw badRequest(
          `'${raw}' value has an invalid format. It must be in YYYY-MM-DD HH:MM[:ss[.uuuuuu]][TZ] format.`,
        );
      }
      return ms;
    }
    default:
      return raw;
  }
}

const text = (
  v: unknown,
) => (typeof v === "object" ? JSON.stringify(v) : String(v));

function predicate(
  lookup: string,
  kind: FieldKind,
  raw: string,
): (v: unknown) => boolean {
  switch (lookup) {
    case "in": {
      const set = new Set(raw.split(",").map((s) => convert(kind, s)));
      return (v) => set.has(v);
    }
    case "range": {
      const [a, b] = raw.split(",").map((s) => convert(kind, s)) as [
        number,
        number,
      ];
      return (v) => v !== null && (v as number) >= a && (v as number) <= b;
    }
    case "isnull": {
      const want =
        !(raw === "false" || raw === "False" || raw === "0" || raw === "");
      return (v) => (v === null || v === undefined) === want;
    }
    case "year":
    case "month":
    case "day":
    case "week_day":
    case "hour":
    case "minute":
    case "second": {
      const want = convert("int", raw);
      return (v) => {
        if (typeof v !== "number") return false;
        const d = new Date(v);
        const parts: Record<string, number> = {
          year: d.getUTCFullYear(),
          month: d.getUTCMonth() + 1,
          day: d.getUTCDate(),
          "week_day": d.getUTCDay() + 1,
          hour: d.getUTCHours(),
          minute: d.getUTCMinutes(),
          second: d.getUTCSeconds(),
        };
        return parts[lookup] === want;
      };
    }
    case "regex":
    case "iregex": {
      let re: RegExp;
      try {
        re = new RegExp(raw, lookup === "iregex" ? "i" : "");
      } catch {
        throw new SimHttpError(500, CANNED);
      }
      return (v) => v !== null && re.test(text(v));
    }
    case "search":
      throw new SimHttpError(500, CANNED);
  }
  const want = convert(kind, raw);
  const lw = typeof want === "string" ? want.toLowerCase() : "";
  switch (lookup) {
    case "exact":
      return kind === "json" ? (v) => text(v) === want : (v) => v === want;
    case "iexact":
      return (v) =>
        v !== null && text(v).toLowerCase() === String(want).toLowerCase();
    case "contains":
      return (v) => v !== null && text(v).includes(String(want));
    case "icontains":
      return (v) =>
        v !== null && text(v).toLowerCase().includes(lw || String(want));
    case "startswith":
      return (v) => v !== null && text(v).startsWith(String(want));
    case "istartswith":
      return (v) =>
        v !== null && text(v).toLowerCase().startsWith(lw || String(want));
    case "endswith":
      return (v) => v !== null && text(v).endsWith(String(want));
    case "iendswith":
      return (v) =>
        v !== null && text(v).toLowerCase().endsWith(lw || String(want));
    case "gt":
      return (v) =>
        v !== null && want !== null && (v as number) > (want as number);
    case "gte":
      return (v) =>
        v !== null && want !== null && (v as number) >= (want as number);
    case "lt":
      return (v) =>
        v !== null && want !== null && (v as number) < (want as number);
    default:
      return (v) =>
        v !== null && want !== null && (v as number) <= (want as number);
  }
}

/** A compiled filter: the field path (for index narrowing) and a test. */
export interface CompiledFilter {
  /** Query key as given, e.g. `plugin__name__in`. */
  key: string;
  /** Raw value. */
  raw: string;
  /** True when the object passes. */
  test: (obj: unknown, now: number) => boolean;
}

/** Compiles Tastypie `build_filters`: non-fields ignored, computed fields 400. */
export function compileFilters(
  spec: ResourceSpec<unknown>,
  params: URLSearchParams,
): CompiledFilter[] {
  const out: CompiledFilter[] = [];
  for (const key of new Set(params.keys())) {
    const bits = key.split("__");
    if (!(bits[0]! in spec.fields)) continue;
    let lookup = "exact";
    if (bits.length > 1 && QUERY_TERMS.has(bits[bits.length - 1]!)) {
      lookup = bits.pop()!;
    }
    const { get, kind } = walk(
      spec,
      bits,
      (n) => badRequest(`The '${n}' field does not allow filtering.`),
    );
    const raw = lastParam(params, key)!;
    const pred = predicate(lookup, kind, raw);
    out.push({
      key,
      raw,
      test: (obj, now) => {
        const v = get(obj, now);
        if (v !== null && typeof v === "object" && "any" in v) {
          return (v.any as unknown[]).some(pred);
        }
        return pred(v);
      },
    });
  }
  return out;
}

const collator = new Intl.Collator("en");

function compareValues(a: unknown, b: unknown): number {
  // PostgreSQL: NULLs sort last ascending (first descending).
  if (a === null || a === undefined) {
    return b === null || b === undefined ? 0 : 1;
  }
  if (b === null || b === undefined) return -1;
  if (typeof a === "string" && typeof b === "string") {
    return collator.compare(a, b);
  }
  if (typeof a === "boolean") return Number(a) - Number(b);
  if (typeof a === "object") {
    return collator.compare(JSON.stringify(a), JSON.stringify(b));
  }
  return (a as number) - (b as number);
}

/** Compiles `order_by` (and the deprecated `sort_by`) into a comparator; default `-id`. */
export function compileOrdering(
  spec: ResourceSpec<unknown>,
  params: URLSearchParams,
  now: number,
): (a: unknown, b: unknown) => number {
  const id = spec.fields.id!.get as Getter;
  const keys: { get: Getter; sign: number }[] = [];
  const wanted = params.has("order_by")
    ? params.getAll("order_by")
    : params.getAll("sort_by");
  for (const raw of wanted) {
    const desc = raw.startsWith("-");
    const bits = (desc ? raw.slice(1) : raw).split("__");
    const field = spec.fields[bits[0]!];
    if (!field) {
      throw badRequest(`No matching '${bits[0]}' field for ordering on.`);
    }
    if (field.model === false) {
      throw badRequest(`The '${bits[0]}' field does not allow ordering.`);
    }
    const { get } = walk(spec, bits, () => new SimHttpError(500, CANNED));
    keys.push({ get, sign: desc ? -1 : 1 });
  }
  keys.push({ get: id, sign: -1 });
  return (a, b) => {
    for (const k of keys) {
      const c = compareValues(k.get(a, now), k.get(b, now));
      if (c !== 0) return k.sign * c;
    }
    return 0;
  };
}
