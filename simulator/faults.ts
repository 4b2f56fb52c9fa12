// Simulator internals: the fault plan (which request gets which injected
// failure) and the bodies of injected error statuses.

import { makeRng } from "./data.ts";
import { CANNED, pyJson } from "./tastypie.ts";

import type { Fault, FaultAction } from "./_types.ts";

/** What an injected fault does: the public `FaultAction`. */
export type SimFaultAction = FaultAction;

/** A fault as registered: the public `Fault`. */
export type SimFault = Fault;

interface Entry {
  fault: SimFault;
  seen: number;
  fired: number;
}

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
    const type = fault.action?.type;
    if (type !== "status" && type !== "reset" && type !== "delay") {
      throw new TypeError(
        `Unknown fault action ${JSON.stringify(fault.action)}`,
      );
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

/** An Apache-style HTML error page. */
export function apachePage(
  status: number,
  title: string,
  text: string,
): string {
  return `<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">\n<html><head>\n<title>${status} ${title}</title>\n` +
    `</head><body>\n<h1>${title}</h1>\n<p>${text}</p>\n<hr>\n<address>Apache/2.4.41 (Ubuntu) Server</address>\n</body></html>\n`;
}

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
