// Simulator internals: what happens to each request: logging, the pause
// gate, faults before or after the handler, routing, the session cookie.

import { authenticate } from "./auth.ts";
import type {
  Fault,
  RecordedRequest,
  Reply,
  Req,
  RouteContext,
} from "./types.ts";
import {
  brokenNext,
  type FaultPlan,
  faultResponse,
  htmlFault,
  tooLong,
  truncated,
} from "./faults.ts";
import type { RawRequest, RawResponse } from "./http.ts";
import { wait } from "./launch.ts";
import { dispatch } from "./routes.ts";

/**
 * Holds requests while the simulator is paused: they have been read, and
 * are handled (answered) only after resume(), like a stalled server.
 */
export class Gate {
  #paused = false;
  #waiters = new Set<() => void>();

  /** Holds the next requests. */
  pause(): void {
    this.#paused = true;
  }

  /** Lets the held requests (and the next ones) through. */
  resume(): void {
    this.#paused = false;
    for (const go of this.#waiters) go();
    this.#waiters.clear();
  }

  /** Resolves when not paused (or when `signal` aborts). */
  pass(signal: AbortSignal): Promise<void> {
    if (!this.#paused || signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const go = () => (signal.removeEventListener("abort", go), resolve());
      this.#waiters.add(go);
      signal.addEventListener("abort", go, { once: true });
    });
  }
}

/** What the request pipeline works with. */
export interface Pipeline {
  ctx: RouteContext;
  requests: RecordedRequest[];
  faults: FaultPlan;
  gate: Gate;
  clock: () => number;
  scheme: string;
  /** Host and port for Location headers when the request has no Host. */
  fallbackHost: () => string;
}

const BODY_METHODS = new Set(["POST", "PUT", "PATCH"]);

/** A fault that replaces the answer outright, or undefined when it does not. */
function replacing(
  f: Fault,
  rec: RecordedRequest,
): RawResponse | undefined {
  const a = f.action;
  if (a.type === "reset") return a.bare ? "bare-reset" : "reset";
  if (a.type === "status") return (rec.status = a.status, faultResponse(a));
  if (a.type === "html") {
    const page = htmlFault(a.status);
    return (rec.status = page.status, page);
  }
  return undefined;
}

/** Logs, applies faults, routes and answers one request. */
export async function handle(
  p: Pipeline,
  raw: RawRequest,
): Promise<RawResponse> {
  const { ctx, clock, requests, faults } = p;
  const q = raw.target.indexOf("?");
  const rawPath = q >= 0 ? raw.target.slice(0, q) : raw.target;
  const search = q >= 0 ? raw.target.slice(q) : "";
  let pathname = rawPath;
  try {
    pathname = decodeURIComponent(rawPath);
  } catch { /* keep it encoded */ }
  const params = new URLSearchParams(search);
  const headers: Record<string, string> = {};
  for (const [k, v] of raw.headers) {
    headers[k] = k === "authorization" ? v.trim().split(/\s+/)[0]! : v;
  }
  const bodyText = new TextDecoder().decode(raw.body);
  const rec: RecordedRequest = {
    method: raw.method,
    path: raw.target,
    auth: "none",
    status: 0,
    time: clock(),
    headers,
    connection: raw.connection,
  };
  if (BODY_METHODS.has(raw.method)) rec.bodyText = bodyText;
  requests.push(rec);
  // A paused server has read the request but does not answer it yet; it
  // handles it after resume() even if the client has gone.
  await p.gate.pass(ctx.closing);
  if (ctx.closing.aborted) return "bare-reset";
  const auth = authenticate(ctx, raw.headers, params);
  rec.auth = auth.kind;
  // A Basic header costs a password hash (and a session write) every time;
  // the session cookie a look-up.
  const scheme = (raw.headers.get("authorization") ?? "").trim().split(
    /\s+/,
  )[0]!
    .toLowerCase();
  // Everything but Apache's own /auth/ tree is Django (mod_wsgi).
  const django = !pathname.startsWith("/auth/");
  if (
    django && scheme === "basic" && ctx.settings.djangoBasicBug &&
    !djangoSplits(raw.headers.get("authorization")!)
  ) {
    rec.status = 500;
    return djangoServerError();
  }
  if (django) {
    const startup = wsgiStartup(ctx);
    if (startup > 0) await wait(startup, raw.signal);
  }
  const cost = scheme === "basic"
    ? (ctx.authCounts.basic++, ctx.settings.basicAuthCostMs)
    : auth.kind === "session"
    ? (ctx.authCounts.session++, ctx.settings.sessionCostMs)
    : 0;
  if (cost > 0) await wait(cost, raw.signal);
  const fault = faults.match(raw.method, pathname);
  const a = fault?.action;
  if (fault && !fault.after) {
    const out = replacing(fault, rec);
    if (out) return out;
    if (a?.type === "delay") await wait(a.ms, raw.signal);
  }
  const req: Req = {
    method: raw.method,
    pathname,
    search,
    params,
    headers: raw.headers,
    bodyText,
    now: clock(),
    origin: `${p.scheme}://${raw.headers.get("host") ?? p.fallbackHost()}`,
    auth,
  };
  if (a?.type === "slow-create") req.createDelayMs = a.ms;
  let reply: Reply = await dispatch(ctx, req);
  if (auth.cookie) {
    const expires = new Date(Date.now() + 1_209_600_000).toUTCString();
    reply.headers["Set-Cookie"] =
      `sessionid=${auth.cookie}; expires=${expires}; httponly; Max-Age=1209600; Path=/`;
  }
  if (fault?.after) {
    const out = replacing(fault, rec);
    if (out) return out;
    if (a?.type === "delay") await wait(a.ms, raw.signal);
  }
  // These act on the real answer, whatever `after` says.
  if (a?.type === "truncate") reply = truncated(reply);
  if (a?.type === "next") reply = brokenNext(reply, a.mode, req);
  rec.status = reply.status;
  const body = reply.body;
  if (typeof body === "object" && !(body instanceof Uint8Array)) {
    rec.bodyBytes = 0;
    body.onSent = (n) => rec.bodyBytes = n;
  }
  return reply;
}

/**
 * Whether Django's BasicAuthMiddleware gets through a Basic header:
 * `username, password = base64.b64decode(auth).split(':')` raises (a 500
 * page) on invalid base64 and on anything but exactly one colon, so a
 * password containing `:` breaks every Django request. Apache's `/auth/`
 * splits at the first colon instead.
 */
export function djangoSplits(header: string): boolean {
  const token = header.trim().split(/\s+/)[1] ?? "";
  let decoded: string;
  try {
    decoded = atob(token);
  } catch {
    return false;
  }
  return decoded.split(":").length === 2;
}

/** Django's 500 page (DEBUG off). */
export function djangoServerError(): Reply {
  return {
    status: 500,
    headers: { "Content-Type": "text/html; charset=utf-8" },
    body:
      "<!DOCTYPE html>\n<html><head><title>Server Error (500)</title></head>" +
      "<body><h1>Server Error (500)</h1></body></html>\n",
  };
}

/**
 * mod_wsgi's process recycling: requests go round robin to the processes;
 * a process that has served `wsgiMaxRequests` restarts, and its next
 * request pays the start-up (Django imports and validates every model).
 * Returns that extra time, or 0.
 */
export function wsgiStartup(ctx: RouteContext): number {
  const s = ctx.settings;
  if (s.wsgiMaxRequests <= 0) return 0;
  const w = ctx.wsgi;
  const i = w.next;
  w.next = (i + 1) % s.wsgiProcesses;
  const served = (w.counts[i] ?? 0) + 1;
  if (served > s.wsgiMaxRequests) {
    w.counts[i] = 1;
    w.restarts++;
    return s.wsgiStartupMs;
  }
  w.counts[i] = served;
  return 0;
}

/** Logs a request whose line was too long and returns Apache's 414. */
export function tooLongRecorded(
  p: Pipeline,
  line: string,
): ReturnType<typeof tooLong> {
  const [method = "", path = ""] = line.split(" ");
  const time = p.clock();
  p.requests.push({
    method,
    path,
    auth: "none",
    status: 414,
    time,
    headers: {},
    connection: 0,
  });
  return tooLong();
}
