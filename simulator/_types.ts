// The simulator's shared types: the public shapes (re-exported by mod.ts)
// and what its internal modules pass each other (the request context, a
// parsed request, a reply). In one file so that no module has to import
// mod.ts, or another internal module, only for a type.

import type { resourceSpecs } from "./specs.ts";
import type { SimStore } from "./store.ts";

/** A user account of the simulated server. */
export interface SimUser {
  /** Login name, e.g. `"ionadmin"`. */
  username: string;
  /** Password for Basic authentication. */
  password: string;
  /** API key (40 hex characters) for `Authorization: ApiKey user:key`. */
  apiKey: string;
}

/** One request the simulator received. */
export interface RecordedRequest {
  /** HTTP method. */
  method: string;
  /** Path and query exactly as received. */
  path: string;
  /** How the request authenticated (`"invalid"`: credentials given but wrong). */
  auth:
    | "apikey-header"
    | "apikey-query"
    | "basic"
    | "session"
    | "none"
    | "invalid";
  /** Final status; 0 when the connection was dropped (reset fault). */
  status: number;
  /** Arrival time from the simulator's clock, in ms. */
  time: number;
  /** Request body, for POST, PUT and PATCH. */
  bodyText?: string;
  /** Headers with lowercase names; `authorization` is reduced to its scheme. */
  headers: Record<string, string>;
  /** Number of the connection that carried it, from 1 in order of acceptance (0: unknown). */
  connection: number;
}

/** A launch the simulator accepted with 202. */
export interface LaunchRecord {
  /** Report id. */
  report: number;
  /** Name of the plugin launched. */
  plugin: string;
  /** The plugin result created (or reused), or null when none was. */
  pluginResultId: number | null;
  /** `pluginconfig` as sent, or null. */
  config: unknown;
  /** Time from the simulator's clock, in ms. */
  time: number;
}

/**
 * What an injected fault does, as a Deno `fetch` client sees it:
 *
 * - `status`: a normal response with that status; 500 carries
 *   `CANNED_ERROR` as JSON, `html: true` an Apache error page
 *   (e.g. 502 from a proxy), any other status an empty body.
 * - `reset`: `fetch()` rejects with `TypeError: fetch failed` (cause
 *   `… invalid HTTP version parsed`); no status, no body. The server writes a
 *   line that is not HTTP and closes, so that this also holds on a reused
 *   keep-alive connection. With `bare: true` it only closes: then Deno's
 *   fetch silently resends the request (a POST too) on a new connection
 *   when the dropped one had been reused, and rejects only on a fresh one
 *   (`connection closed before message completed`).
 * - `delay`: the answer comes `ms` later (ended early when the client hangs
 *   up or the simulator closes).
 */
export type FaultAction =
  | { type: "status"; status: number; html?: boolean }
  | { type: "reset"; bare?: boolean }
  | { type: "delay"; ms: number };

/** A fault to inject into matching requests. */
export interface Fault {
  /** Match only this method. */
  method?: string;
  /** A string matches as a substring of the pathname; a RegExp is tested against the pathname. */
  path?: string | RegExp;
  /** Fire on the nth matching request (1-based); with `times`, on that many from the nth on. */
  nth?: number;
  /** Fire on this fraction of matching requests (seeded PRNG). */
  rate?: number;
  /** Fire at most this many times; default unlimited, or 1 with `nth`. */
  times?: number;
  /** Run the real handler first, then act on its response; default false (act before it). */
  after?: boolean;
  /** The action. */
  action: FaultAction;
}

/** How a request authenticated: the public `RecordedRequest.auth`. */
export type AuthKind = RecordedRequest["auth"];

/** Everything handlers share: the database and the simulation settings. */
export interface RouteContext {
  store: SimStore;
  specs: ReturnType<typeof resourceSpecs>;
  users: SimUser[];
  sessions: Map<string, string>;
  localhostAutoLogin: boolean;
  queuedMs: number;
  runMs: number;
  failureRate: number;
  launchDelayMs: number;
  failRng: () => number;
  keyRng: () => number;
  closing: AbortSignal;
  now: () => number;
  onLaunch: (
    report: number,
    plugin: string,
    pr: number | null,
    config: unknown,
  ) => void;
}

/** One request as the handlers see it. */
export interface Req {
  method: string;
  pathname: string;
  params: URLSearchParams;
  headers: Headers;
  bodyText: string;
  now: number;
  origin: string;
  auth: { kind: AuthKind; user: SimUser | null; cookie?: string };
}

/** A response. */
export interface Reply {
  status: number;
  headers: Record<string, string>;
  body: string;
}
