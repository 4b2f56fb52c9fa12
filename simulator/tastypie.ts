// Simulator internals: Tastypie 0.11.1 errors and pagination (envelope,
// limit and offset), and TS serialization (sorted-key JSON with Python
// separators, datetimes with milliseconds padded to 6 digits).

/** An HTTP answer raised from inside a handler: status plus JSON body or none. */
export class SimHttpError extends Error {
  /** @param status HTTP status. @param payload JSON body, or null for empty. */
  constructor(readonly status: number, readonly payload: unknown = null) {
    super(`HTTP ${status}`);
  }
}

/** 400 with Tastypie's `{"error": msg}` body. */
export function badRequest(message: string): SimHttpError {
  return new SimHttpError(400, { error: message });
}

/** Serializes like Tastypie's `json.dumps(data, sort_keys=True)`: `{"a": 1, "b": [1, 2]}`. */
export function pyJson(value: unknown): string {
  if (value === null || value === undefined) return "null";
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number") {
    return Number.isFinite(value) ? String(value) : "null";
  }
  if (typeof value === "boolean") return value ? "true" : "false";
  if (Array.isArray(value)) return `[${value.map(pyJson).join(", ")}]`;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj).filter((k) => obj[k] !== undefined).sort();
  return `{${
    keys.map((k) => `${JSON.stringify(k)}: ${pyJson(obj[k])}`).join(", ")
  }}`;
}

/** TS datetime: `2019-01-17T23:50:39.000550+00:00` for 550 ms, no fraction at 0 ms. */
export function formatDatetime(ms: number | null): string | null {
  if (ms === null) return null;
  const d = new Date(Math.floor(ms));
  const base = d.toISOString().slice(0, 19);
  const milli = d.getUTCMilliseconds();
  return milli === 0
    ? `${base}+00:00`
    : `${base}.${String(milli).padStart(6, "0")}+00:00`;
}

/** Where Tastypie serves the API: every resource URI starts with it. */
export const API = "/rundb/api/v1";

const DATETIME_RE =
  /^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ](\d{1,2}):(\d{1,2})(?::(\d{1,2})(?:\.(\d{1,6})\d*)?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/;

/** Parses a filter value as Django 1.6 does (fraction = real microseconds; naive = UTC here). */
export function parseDatetime(value: string): number | null {
  const m = DATETIME_RE.exec(value.trim());
  if (!m) return null;
  const [, y, mo, d, h = "0", mi = "0", s = "0", frac = "", tz = "Z"] = m;
  let ms = Date.UTC(+y!, +mo! - 1, +d!, +h, +mi, +s) +
    (frac ? Number(`0.${frac}`) * 1000 : 0);
  if (tz !== "Z") {
    const sign = tz.startsWith("-") ? -1 : 1;
    const digits = tz.slice(1).replace(":", "");
    ms -= sign * ((+digits.slice(0, 2)) * 60 + (+(digits.slice(2) || "0"))) *
      60_000;
  }
  return Number.isNaN(ms) ? null : ms;
}

/** Python `int(s)`: optional sign and surrounding spaces. */
export function pyInt(s: string): number | null {
  return /^\s*[+-]?\d+\s*$/.test(s) ? parseInt(s, 10) : null;
}

/** Last value of a query parameter, as Django's `QueryDict.get`. */
export function lastParam(params: URLSearchParams, key: string): string | null {
  const all = params.getAll(key);
  return all.length ? all[all.length - 1]! : null;
}

/** The canned 500 body (DEBUG=False). */
export const CANNED = {
  "error_message":
    "Sorry, this request could not be processed. Please try again later.",
};

/** The Tastypie list envelope's `meta`. */
export interface Meta {
  /** Effective limit. */
  limit: number;
  /** Path-only URL of the next page, or null. */
  next: string | null;
  /** Offset. */
  offset: number;
  /** Path-only URL of the previous page, or null. */
  previous: string | null;
  /** Count after filtering. */
  "total_count": number;
}

/** Tastypie's Paginator: default 20, `limit=0` and >1000 become 1000, path-only links. */
export function paginate<T>(
  items: T[],
  params: URLSearchParams,
  resourceUri: string,
): { meta: Meta; page: T[] } {
  let limit = 20;
  const rawLimit = lastParam(params, "limit");
  if (rawLimit !== null) {
    const n = pyInt(rawLimit);
    if (n === null) {
      throw badRequest(
        `Invalid limit '${rawLimit}' provided. Please provide a positive integer.`,
      );
    }
    if (n < 0) {
      throw badRequest(
        `Invalid limit '${n}' provided. Please provide a positive integer >= 0.`,
      );
    }
    limit = n;
  }
  if (limit === 0 || limit > 1000) limit = 1000;
  let offset = 0;
  const rawOffset = lastParam(params, "offset");
  if (rawOffset !== null) {
    const n = pyInt(rawOffset);
    if (n === null) {
      throw badRequest(
        `Invalid offset '${rawOffset}' provided. Please provide an integer.`,
      );
    }
    if (n < 0) {
      throw badRequest(
        `Invalid offset '${n}' provided. Please provide a positive integer >= 0.`,
      );
    }
    offset = n;
  }
  const uri = (o: number) => {
    const q = new URLSearchParams();
    for (const [k, v] of params) {
      if (k !== "limit" && k !== "offset") q.append(k, v);
    }
    q.append("limit", String(limit));
    q.append("offset", String(o));
    return `${resourceUri}?${q}`;
  };
  const count = items.length;
  return {
    meta: {
      limit,
      next: offset + limit >= count ? null : uri(offset + limit),
      offset,
      previous: offset - limit < 0 ? null : uri(offset - limit),
      "total_count": count,
    },
    page: items.slice(offset, offset + limit),
  };
}
