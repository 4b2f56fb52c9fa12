// Simulator internals: the fault plan (which request gets which injected
// failure) and what the faults answer: error statuses, HTML pages, cut
// bodies, misleading pagination links.

import { makeRng } from "./data.ts";
import { apachePage } from "./replies.ts";
import { CANNED, pyJson } from "./tastypie.ts";
import { loginPage } from "./web.ts";

import type { Fault, FaultAction, Reply } from "./types.ts";

/** What an injected fault does: the public `FaultAction`. */
export type SimFaultAction = FaultAction;

/** A fault as registered: the public `Fault`. */
export type SimFault = Fault;

interface Entry {
  fault: SimFault;
  seen: number;
  fired: number;
}

/** The modes of the `next` fault. */
const NEXT_MODES: readonly string[] = [
  "repeat",
  "backwards",
  "beyond",
  "growing",
  "same-objects",
] satisfies Extract<SimFaultAction, { type: "next" }>["mode"][];

/** The registered faults, matched in order; the first that fires wins. */
export class FaultPlan {
  #entries: Entry[] = [];
  #rng: () => number;

  /** @param seed seeds the PRNG used by `rate`. */
  constructor(seed: number) {
    this.#rng = makeRng(seed ^ 0x5eed_fa17);
  }

  /** Registers a fault (validated). */
  add(fault: SimFault): void {
    if (
      fault.nth !== undefined && (!Number.isInteger(fault.nth) || fault.nth < 1)
    ) {
      throw new RangeError(
        `Fault nth must be an integer >= 1, got ${fault.nth}`,
      );
    }
    if (fault.rate !== undefined && !(fault.rate >= 0 && fault.rate <= 1)) {
      throw new RangeError(
        `Fault rate must be between 0 and 1, got ${fault.rate}`,
      );
    }
    const a = fault.action;
    const bad = (what: string) =>
      new TypeError(`${what} in fault action ${JSON.stringify(a)}`);
    switch (a?.type) {
      case "status":
      case "reset":
      case "truncate":
        break;
      case "html":
        if (a.status !== undefined && !validStatus(a.status)) {
          throw bad("Bad status");
        }
        break;
      case "delay":
      case "slow-create":
        if (!(a.ms >= 0)) throw bad("Bad ms");
        break;
      case "next":
        if (!NEXT_MODES.includes(a.mode)) {
          throw bad("Bad mode");
        }
        break;
      default:
        throw bad("Unknown type");
    }
    this.#entries.push({ fault, seen: 0, fired: 0 });
  }

  /** Removes every fault. */
  clear(): void {
    this.#entries = [];
  }

  /** Counts the request against every matching fault; returns the one that fires, if any. */
  match(method: string, pathname: string): SimFault | null {
    let chosen: SimFault | null = null;
    for (const e of this.#entries) {
      const f = e.fault;
      if (
        f.method !== undefined &&
        f.method.toUpperCase() !== method.toUpperCase()
      ) continue;
      if (typeof f.path === "string" && !pathname.includes(f.path)) continue;
      if (f.path instanceof RegExp && !f.path.test(pathname)) continue;
      e.seen++;
      if (chosen) continue;
      const limit = f.times ?? (f.nth !== undefined ? 1 : Infinity);
      if (e.fired >= limit) continue;
      let fire = true;
      if (f.nth !== undefined) {
        fire = e.seen === f.nth || (f.times !== undefined && e.seen > f.nth);
      }
      if (fire && f.rate !== undefined) fire = this.#rng() < f.rate;
      if (fire) {
        e.fired++;
        chosen = f;
      }
    }
    return chosen;
  }
}

const PAGES: Record<number, [string, string]> = {
  502: [
    "Proxy Error",
    "The proxy server received an invalid response from an upstream server.",
  ],
  503: [
    "Service Unavailable",
    "The server is temporarily unable to service your request.",
  ],
  504: [
    "Gateway Timeout",
    "The gateway did not receive a timely response from the upstream server.",
  ],
};

/** Body and headers of an injected status: canned JSON for 500, HTML when asked, else empty. */
export function faultResponse(
  action: { status: number; html?: boolean },
): { status: number; headers: Record<string, string>; body: string } {
  if (action.html) {
    const [title, text] = PAGES[action.status] ??
      ["Error", "The server could not handle the request."];
    return {
      status: action.status,
      headers: { "Content-Type": "text/html; charset=iso-8859-1" },
      body: apachePage(action.status, title, text),
    };
  }
  if (action.status === 500) {
    return {
      status: 500,
      headers: { "Content-Type": "application/json; charset=utf-8" },
      body: pyJson(CANNED),
    };
  }
  return {
    status: action.status,
    headers: { "Content-Type": "text/html; charset=utf-8" },
    body: "",
  };
}

const validStatus = (n: number) => Number.isInteger(n) && n >= 100 && n <= 599;

/**
 * An HTML page instead of the answer: with status 200 the login page (a
 * proxy or an expired session sends a client there), else an error page.
 */
export function htmlFault(status = 200): Reply {
  if (status === 200) {
    return {
      status,
      headers: { "Content-Type": "text/html; charset=utf-8" },
      body: loginPage("/data/"),
    };
  }
  return faultResponse({ status, html: true });
}

/** The answer with its body cut in the middle (Content-Length follows). */
export function truncated(reply: Reply): Reply {
  if (typeof reply.body !== "string") return reply;
  return {
    ...reply,
    body: reply.body.slice(0, Math.floor(reply.body.length / 2)),
  };
}

/**
 * First pages seen by the `same-objects` mode, by origin, path and query
 * (without limit and offset); the oldest are dropped past a few hundred.
 */
const firstPages = new Map<string, unknown[]>();
const FIRST_PAGES_KEPT = 256;

/**
 * A list answer whose `meta.next` misleads: the same page again, an
 * earlier page, pages past the end, a `total_count` that grows by a page
 * with every page read, or the first page's objects over and over. Other
 * answers are returned as they are.
 */
export function brokenNext(
  reply: Reply,
  mode: Extract<SimFaultAction, { type: "next" }>["mode"],
  request: { pathname: string; params: URLSearchParams; origin?: string },
): Reply {
  let data: { meta?: Record<string, unknown>; objects?: unknown };
  if (typeof reply.body !== "string") return reply;
  try {
    data = JSON.parse(reply.body);
  } catch {
    return reply;
  }
  const meta = data?.meta;
  if (!meta || !Array.isArray(data.objects)) return reply;
  const limit = Number(meta.limit);
  const offset = Number(meta.offset);
  const at = (o: number) => {
    const q = new URLSearchParams();
    for (const [k, v] of request.params) {
      if (k !== "limit" && k !== "offset") q.append(k, v);
    }
    q.append("limit", String(limit));
    q.append("offset", String(o));
    return `${request.pathname}?${q}`;
  };
  if (mode === "repeat") meta.next = at(offset);
  else if (mode === "backwards" && offset >= limit) {
    meta.next = at(offset - limit);
  } else if (mode === "beyond" && meta.next === null) {
    meta.next = at(offset + limit);
  } else if (mode === "growing") {
    const pages = Math.floor(offset / limit) + 1;
    meta.total_count = Number(meta.total_count) + pages * limit;
    meta.next = at(offset + limit);
  } else if (mode === "same-objects") {
    const q = new URLSearchParams(request.params);
    q.delete("limit");
    q.delete("offset");
    const key = `${request.origin ?? ""}${request.pathname}?${q}`;
    const first = firstPages.get(key);
    if (offset === 0 || !first) {
      firstPages.delete(key);
      firstPages.set(key, data.objects);
      if (firstPages.size > FIRST_PAGES_KEPT) {
        firstPages.delete(firstPages.keys().next().value!);
      }
    } else data.objects = first;
    meta.next = at(offset + limit);
  }
  return { ...reply, body: pyJson(data) };
}

/** Apache's 414 for a request line over LimitRequestLine (8190 bytes). */
export function tooLong(): {
  status: number;
  headers: Record<string, string>;
  body: string;
  close: boolean;
} {
  const text =
    "The requested URL's length exceeds the capacity\nlimit for this server.<br />\n";
  return {
    status: 414,
    headers: { "Content-Type": "text/html; charset=iso-8859-1" },
    body: apachePage(414, "Request-URI Too Long", text),
    close: true,
  };
}
