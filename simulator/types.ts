// The simulator's shared types: the public shapes (re-exported by mod.ts)
// and what its internal modules pass each other (the request context, a
// parsed request, a reply). In one file so that no module has to import
// mod.ts, or another internal module, only for a type.

import type { PluginQueue, RunSettings } from "./queue.ts";
import type { resourceSpecs } from "./specs.ts";
import type { SimBarcode, SimStore } from "./store.ts";

export type { SimBarcode };
import type { FileState } from "./files.ts";

/** A user account of the simulated server. */
export interface SimUser {
  /** Login name, e.g. `"ionadmin"`. */
  username: string;
  /** Password for Basic authentication. */
  password: string;
  /** API key (40 hex characters) for `Authorization: ApiKey user:key`. */
  apiKey: string;
}

/** A file of a run folder (see `Simulator.filesOf`). */
export interface SimFileInfo {
  /** Path relative to the run folder, e.g. `IonXpress_001/TSVC_variants_IonXpress_001.vcf.gz`. */
  path: string;
  /** Size in bytes (`Content-Length`). */
  size: number;
  /** SHA-256 of the content, hex; null for a virtual BAM over 64 MB. */
  sha256: string | null;
  /** The `ETag` served. */
  etag: string;
  /** Modification time in ms (`Last-Modified`, to the second). */
  mtime: number;
}

/** A scenario run for `Simulator.addRun`: one job fixed in `state`. */
export interface RunSpec {
  /** Report id (ignored with `pluginResult`). */
  report?: number;
  /** Plugin name (ignored with `pluginResult`). */
  plugin?: string;
  /** The job's state, e.g. `Completed`, `Error`, `Started`, `Queued`. */
  state: string;
  /** Rerun into this existing plugin result (a new job in it) instead of a new one. */
  pluginResult?: number;
  /** The job's config (coverageAnalysis reads `tier1`..`tier3`); default `{}`. */
  config?: Record<string, unknown>;
  /**
   * What became of its results.json: `ok` (written and PATCHed),
   * `patch-failed` (written, the store PATCH failed: the store stays as it
   * was), `no-results` (a failed run that ended before writing it).
   * Default: decided by the seed and the store options.
   */
  storeFate?: "ok" | "patch-failed" | "no-results";
  /** Start time in ms (clock); default now (null for `Queued`). */
  startedAt?: number;
  /** End time in ms; default now for a finished state, null otherwise. */
  endedAt?: number;
}

/** A run of the lab's production load (see `Simulator.productionRuns`). */
export interface ProductionRun {
  /** The plugin result created. */
  pluginResultId: number;
  /** Its job, or null (`Failed Validation`, or the grid submission failed). */
  jobId: number | null;
  /** Report id. */
  report: number;
  /** Plugin name. */
  plugin: string;
  /** Owner's user name (the pipeline's or the other user's). */
  owner: string;
  /** `pipeline`: launched when its report's analysis ended; `manual`: by another user. */
  kind: "pipeline" | "manual";
  /** When it was created and queued (clock ms). */
  createdAt: number;
  /** When SGE gave it a slot, or null (still waiting, held, or never). */
  startedAt: number | null;
  /** When it left its slot, or null. */
  endedAt: number | null;
  /** Its state in the database now. */
  state: string;
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
  /** Body bytes written, for static files (`/output/`, `/auth/output/`); 0 for a HEAD. */
  bodyBytes?: number;
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
  /**
   * The config the run uses: `config` when non-empty, else the plugin's
   * global config, else the plan's `userInput` for the plugin, else `{}`
   * (see `configChain`). It is also the job's `config`.
   */
  effectiveConfig: unknown;
  /** When the launch request arrived, from the simulator's clock, in ms. */
  time: number;
  /** When the run was created (later than `time` after a slow create), in ms. */
  created: number;
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
 * - `html`: a 200 HTML page instead of the API's answer (the login page a
 *   proxy or a lost session leads to), or with `status` an HTML error page
 *   with that status.
 * - `truncate`: the real answer with its body cut in the middle; the
 *   `Content-Length` matches the cut body, so it is valid HTTP carrying
 *   broken JSON. Acts on the real answer whatever `after` says.
 * - `next`: on list answers, a broken `meta.next`: `repeat` points at the
 *   same page again, `backwards` at an earlier offset (from the second page
 *   on), `beyond` keeps going past `total_count` with empty pages,
 *   `growing` adds one page to `total_count` for every page read (the
 *   answer at offset o counts `o / limit + 1` extra pages) and always points
 *   at the next offset, so the list never ends (a broken proxy or cache),
 *   and `same-objects` always points at the next offset while every page
 *   after the first returns the first page's objects (those of the last
 *   offset-0 page of the same path and filters the fault answered, else of
 *   the first page it answered). Acts on the real answer; other answers
 *   pass unchanged.
 * - `slow-create`: a launch creates its run `ms` later (a busy server); the
 *   run is created even when the client has hung up by then.
 */
export type FaultAction =
  | { type: "status"; status: number; html?: boolean }
  | { type: "reset"; bare?: boolean }
  | { type: "delay"; ms: number }
  | { type: "html"; status?: number }
  | { type: "truncate" }
  | {
    type: "next";
    mode: "repeat" | "backwards" | "beyond" | "growing" | "same-objects";
  }
  | { type: "slow-create"; ms: number };

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

/** The resolved simulation settings (see the public `SimulatorOptions`). */
export interface Settings extends RunSettings {
  localhostAutoLogin: boolean;
  launchDelayMs: number;
  createDelayMs: number;
  configChain: boolean;
  unknownRate: number;
  brokenReports: Set<number>;
  stopMs: number;
  stopErrorRate: number;
  objectCostMs: number;
  storeCostMs: number;
  basicAuthCostMs: number;
  sessionCostMs: number;
  logs: boolean;
  /** Runs on unfinished, failed or archived reports end in `Error`. */
  brokenReportRuns: boolean;
  /** A Basic header Django cannot split in two (or decode) is a 500 page. */
  djangoBasicBug: boolean;
  /** mod_wsgi: requests per process before it is recycled (0: never). */
  wsgiMaxRequests: number;
  /** mod_wsgi processes (requests go round robin). */
  wsgiProcesses: number;
  /** Extra time of the first request of a recycled process, in ms. */
  wsgiStartupMs: number;
}

/** Everything handlers share: the database and the simulation settings. */
export interface RouteContext {
  store: SimStore;
  queue: PluginQueue;
  specs: ReturnType<typeof resourceSpecs>;
  users: SimUser[];
  sessions: Map<string, string>;
  settings: Settings;
  keyRng: () => number;
  closing: AbortSignal;
  now: () => number;
  onLaunch: (record: LaunchRecord) => void;
  /** The run folders' file settings, changes and counters. */
  files: FileState;
  /** Password checks (Basic, valid or not) and session look-ups so far. */
  authCounts: { basic: number; session: number };
  /** mod_wsgi: requests served by each process since its start, the next process, restarts. */
  wsgi: { counts: number[]; next: number; restarts: number };
}

/** One request as the handlers see it. */
export interface Req {
  method: string;
  pathname: string;
  /** The query string as received, with its `?` (or empty). */
  search: string;
  params: URLSearchParams;
  headers: Headers;
  bodyText: string;
  now: number;
  origin: string;
  auth: { kind: AuthKind; user: SimUser | null; cookie?: string };
  /** Extra delay before a launch creates its run (`slow-create` fault). */
  createDelayMs?: number;
}

/**
 * A body read in pieces (a static file): `length` is what Content-Length
 * promises; `cutAt` closes the connection after that many bytes,
 * `bytesPerSecond` paces the writes, `onSent` learns how many were written.
 */
export interface StreamBody {
  length: number;
  read(start: number, end: number): Uint8Array;
  cutAt?: number;
  bytesPerSecond?: number;
  onSent?: (bytes: number) => void;
}

/** A response. */
export interface Reply {
  status: number;
  headers: Record<string, string>;
  body: string | Uint8Array | StreamBody;
}
