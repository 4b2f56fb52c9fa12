// Simulator internals: what happens to each request: logging, faults
// before or after the handler, routing, the session cookie.

import { authenticate } from "./auth.ts";
import type { RecordedRequest, Req, RouteContext } from "./_types.ts";
import { type FaultPlan, faultResponse, tooLong } from "./faults.ts";
import type { RawRequest, RawResponse } from "./http.ts";
import { wait } from "./launch.ts";
import { dispatch } from "./routes.ts";

/** What the request pipeline works with. */
export interface Pipeline {
  ctx: RouteContext;
  requests: RecordedRequest[];
  faults: FaultPlan;
  clock: () => number;
  scheme: string;
  /** Host and port for Location headers when the request has no Host. */
  fallbackHost: () => string;
}

const BODY_METHODS = new Set(["POST", "PUT", "PATCH"]);

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
  const auth = authenticate(ctx, raw.headers, params);
  const headers: Record<string, string> = {};
  for (const [k, v] of raw.headers) {
    headers[k] = k === "authorization" ? v.trim().split(/\s+/)[0]! : v;
  }
  const rec: RecordedRequest = {
    method: raw.method,
    path: raw.target,
    auth: auth.kind,
    status: 0,
    time: clock(),
    headers,
    connection: raw.connection,
  };
  const bodyText = new TextDecoder().decode(raw.body);
  if (BODY_METHODS.has(raw.method)) rec.bodyText = bodyText;
  requests.push(rec);
  const fault = faults.match(raw.method, pathname);
  if (fault && !fault.after) {
    const a = fault.action;
    if (a.type === "reset") return a.bare ? "bare-reset" : "reset";
    if (a.type === "status") return (rec.status = a.status, faultResponse(a));
    await wait(a.ms, raw.signal);
  }
  const req: Req = {
    method: raw.method,
    pathname,
    params,
    headers: raw.headers,
    bodyText,
    now: clock(),
    origin: `${p.scheme}://${raw.headers.get("host") ?? p.fallbackHost()}`,
    auth,
  };
  const reply = await dispatch(ctx, req, search);
  if (auth.cookie) {
    const expires = new Date(Date.now() + 1_209_600_000).toUTCString();
    reply.headers["Set-Cookie"] =
      `sessionid=${auth.cookie}; expires=${expires}; httponly; Max-Age=1209600; Path=/`;
  }
  if (fault?.after) {
    const a = fault.action;
    if (a.type === "reset") return a.bare ? "bare-reset" : "reset";
    if (a.type === "status") return (rec.status = a.status, faultResponse(a));
    await wait(a.ms, raw.signal);
  }
  rec.status = reply.status;
  return reply;
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
