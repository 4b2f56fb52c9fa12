// The simulator's public interfaces: its options and the running simulator
// (re-exported by mod.ts). In their own file so that the module that builds
// a simulator does not import mod.ts.

import type {
  Fault,
  LaunchRecord,
  ProductionRun,
  RecordedRequest,
  RunSpec,
  SimBarcode,
  SimFileInfo,
  SimUser,
} from "./types.ts";

/** Options of `startSimulator`. */
export interface SimulatorOptions {
  /** Interface to listen on; default `"127.0.0.1"`. Also the host of {@linkcode Simulator.url}. */
  hostname?: string;
  /** Port; default 0 (a free port). */
  port?: number;
  /** PEM certificate chain and key: serve HTTPS instead of HTTP. */
  tls?: { cert: string; key: string };
  /** Number of seeded reports (thumbnail reports not counted); default 3000. */
  reports?: number;
  /** Seed of the deterministic data and decisions; default 1. */
  seed?: number;
  /** Accounts; default `DEFAULT_USERS`. The first one is the superuser. */
  users?: SimUser[];
  /** Let requests without valid credentials through, as TS does for localhost; default false. */
  localhostAutoLogin?: boolean;
  /**
   * Plugin-queue slots (SGE `plugin.q`): 1 on S5 onboard servers, 2 on Dell
   * towers; default 2. A launched run waits `Queued` (starttime null) until
   * a slot frees, first come first served across all users and plugins.
   * `0` or `Infinity`: no limit (every run starts after `queuedMs`).
   */
  slots?: number;
  /** The shortest time a new job stays `Queued` (submission latency), in ms; default 300. */
  queuedMs?: number;
  /**
   * Base run time of a job once it has a slot, in ms; default 1500. Each
   * plugin runs this times its own factor (variantCaller 4, coverageAnalysis
   * 2, igv 0.2, …; 1 when not listed), spread by {@linkcode runSpread}.
   */
  runMs?: number;
  /** Base run time per plugin name, in ms, instead of `runMs` × its factor. */
  pluginRunMs?: Record<string, number>;
  /** Seeded spread of run times: 0.2 (the default) is ±20%; 0 for exact times. */
  runSpread?: number;
  /** Fraction (0..1) of new runs that end in `Error`, decided by the seed; default 0. */
  failureRate?: number;
  /**
   * Fraction (0..1) of new runs that go `Started` and never finish (a dead
   * node; TS does not clean them up); they hold no slot. Default 0.
   */
  stuckRate?: number;
  /**
   * Fraction (0..1) of launches whose grid submission fails: the run exists,
   * with no job, in state `Unknown`. Default 0.
   */
  unknownRate?: number;
  /**
   * Apply the server's config chain; default true. A launch without a
   * `pluginconfig` (or with an empty one) runs with the plugin's global
   * config if non-empty, else the report's plan `userInput` for the plugin,
   * else nothing; a non-empty one replaces them. False: the config is what
   * was sent. Either way `requires_configuration` plugins with an empty
   * config (and any config with a key `"invalid"`) end in
   * `Failed Validation`, still with 202.
   */
  configChain?: boolean;
  /** Extra latency of each accepted launch POST, spent before the run is created, in ms; default 0. */
  launchDelayMs?: number;
  /**
   * Delay before a launch creates its run, in ms; default 0. As under
   * Apache/mod_wsgi, the work goes on when the client hangs up: the run is
   * created when the delay ends (only `close()` ends it early).
   */
  createDelayMs?: number;
  /** Reports whose folder is missing: launches on them answer 500 (canned). */
  brokenReports?: number[];
  /**
   * How long `pluginresult/<pk>/stop/` waits per running job before it
   * answers (sgeStop waits up to 20 s), in ms; default 0.
   */
  stopMs?: number;
  /** Fraction (0..1) of stopped running jobs that end in `Error` (SGE epilog, exit 143) rather than `Cancelled`; default 0. */
  stopErrorRate?: number;
  /**
   * Server time per serialized object, in ms: a list page of n objects
   * takes n times this, a detail view once; default 0.
   */
  objectCostMs?: number;
  /**
   * Extra server time per KB of plugin stores serialized (`store`,
   * `pluginStore`, `pluginstore/`), in ms: a page of large stores (96
   * barcodes) costs more than one of small ones; default 0.
   */
  storeCostMs?: number;
  /**
   * Fraction (0..1) of finished runs whose final store PATCH failed
   * (`ion-plugin-status` ignores the error): their `store` stays `{}` (or
   * the previous job's) while results.json on disk is complete; seeded,
   * default 0.
   */
  storePatchFailRate?: number;
  /**
   * Fraction (0..1) of barcodes that fail inside a Completed
   * coverageAnalysis or molecularCoverageAnalysis run (`{"Sample Name",
   * "Error"}` in `store.barcodes`); seeded, default 0.03.
   */
  barcodeErrorRate?: number;
  /**
   * Fraction (0..1) of `Error`/`Timed Out` runs that ended before writing
   * results.json (store `{}`, no output files); the others keep a partial
   * store with a top-level `Error`. Seeded, default 0.25.
   */
  earlyErrorRate?: number;
  /**
   * Fraction (0..1) of plans that are not barcoded (empty
   * `barcodedSamples`, per-sample keys at the top level of the stores);
   * seeded, default 0.15.
   */
  unbarcodedRate?: number;
  /**
   * Faults and oddities of the run folders' files (`/output/…`,
   * `/auth/output/…`), all seeded, all off by default:
   * - `cutRate`: fraction of body GETs cut in the middle (the full
   *   Content-Length promised, the connection closed early);
   * - `bytesPerSecond`: bandwidth of file bodies;
   * - `changeOnHeadRate`: fraction of HEADs after which the file changes
   *   (a later GET sees a new size and ETag);
   * - `archivedRate`: fraction of reports whose output is archived (404 for
   *   every file of their runs, the API still lists the runs);
   * - `otherStorageRate`: fraction of reports on a storage location other
   *   than `Home` (`Archive`: their `reportLink`, `URL` and `path` say so).
   */
  fileFaults?: {
    cutRate?: number;
    bytesPerSecond?: number;
    changeOnHeadRate?: number;
    archivedRate?: number;
    otherStorageRate?: number;
  };
  /**
   * Size of every virtual BAM link (coverageAnalysis and variantCaller
   * barcode folders), in bytes; default seeded 2–6 GB. Their bytes are made
   * only for the ranges asked.
   */
  bamBytes?: number;
  /** Server time of a Basic password check (PBKDF2 and a session write), per request, in ms; default 0. */
  basicAuthCostMs?: number;
  /** Server time of a session-cookie look-up, per request, in ms; default 0. */
  sessionCostMs?: number;
  /**
   * Give S5 runs a thumbnail report beside the full one (same experiment,
   * `metaData: {thumb: 1}`, name ending in `_tn`); default false.
   */
  thumbnails?: boolean;
  /**
   * Serve each run's `drmaa_stdout.txt` under its `URL` behind the web
   * login (Basic or the session cookie; an API key is redirected to
   * `/login/`); default true.
   */
  logs?: boolean;
  /**
   * Keep the state in this file: loaded at start when it exists (then the
   * seed options are not used), written atomically (temporary file and
   * rename) at most every 100 ms after a change and on `close()`. A
   * simulator started again on the same file (and port) goes on with the
   * same plugins, reports, runs and queue.
   */
  stateFile?: string;
  /**
   * Apache's KeepAliveTimeout (Ubuntu's default 5 s): a connection idle this
   * long between requests is closed. In ms; default 5,000.
   */
  keepAliveTimeoutMs?: number;
  /**
   * Apache's MaxKeepAliveRequests (default 100): the answer to the last
   * request a connection may carry says `Connection: close`.
   */
  maxKeepAliveRequests?: number;
  /** Clock in ms; default `Date.now`. Job states and the queue follow it on each request. */
  now?: () => number;
  /**
   * SGE's scheduling interval (`schedule_interval`, 4 s on TS), in ms: a
   * queued job gets a free slot only when the scheduler runs, at a
   * multiple of this on the clock. Default 0: at once (after `queuedMs`).
   */
  schedulerIntervalMs?: number;
  /**
   * The lab's own use of the shared queue, off by default. New reports
   * appear (`Started`) at `reportsPerHour` (Poisson, seeded) and finish
   * `analysisMs` later (`Completed`, `timeStamp` then); the seeded reports
   * still being analysed finish within the first `analysisMs`. When a
   * report finishes, the pipeline launches its plan's plugins (or
   * `pluginsPerReport` of them, topped up with default-selected plugins)
   * as `owner`, with no duplicate check, so a launch made during the
   * analysis is followed by the pipeline's own run. Another user,
   * `manualOwner`, launches a plugin on a recent report `manualPerHour`.
   * These runs go through the same FIFO slots as the client's (see
   * {@linkcode Simulator.productionRuns}). Owners missing from `users` are
   * added to them. Hours are clock hours times `timeScale`.
   * Defaults: 0 reports and 0 manual launches per hour, analysisMs 4 h,
   * owner `ionpipeline`, manualOwner `ionlab`.
   */
  production?: {
    reportsPerHour?: number;
    manualPerHour?: number;
    pluginsPerReport?: number;
    analysisMs?: number;
    owner?: string;
    manualOwner?: string;
  };
  /**
   * Runs launched on a report whose analysis is not `Completed` (still
   * running, an `Error…` or `Completed with N error(s)` status) or whose
   * output is archived (`fileFaults.archivedRate`) are accepted (202,
   * `Queued`) and end in `Error`, as the plugin finds no BAMs (a partial
   * store with a top-level `Error`, or none, see `earlyErrorRate`).
   * Reports in `brokenReports` (folder gone) still answer 500. Default false.
   */
  brokenReportRuns?: boolean;
  /**
   * Django's BasicAuthMiddleware splits the decoded Basic credentials with
   * `split(':')` into exactly two: a password containing `:` (or invalid
   * base64) makes every Django request (`/rundb/api/`, `/output/`,
   * `/login/`) a 500 HTML page; Apache's `/auth/` splits at the first
   * colon and works. Default false (every path splits at the first colon).
   */
  djangoBasicBug?: boolean;
  /**
   * Fraction (0..1) of new jobs stuck `Queued` for ever (a held SGE job
   * after an ionPlugin crash between submit and release; half of them
   * with SGE job id 1, a missing launch script); they hold no slot.
   * Seeded, default 0.
   */
  stuckQueuedRate?: number;
  /**
   * mod_wsgi `maximum-requests` (500 on TS): each Django process is
   * recycled after this many requests and its next request takes
   * `wsgiStartupMs` longer. Default 0: never.
   */
  wsgiMaxRequests?: number;
  /** mod_wsgi processes, served round robin (16 on TS); default 16. */
  wsgiProcesses?: number;
  /** Start-up time of a recycled mod_wsgi process, in ms; default 0. */
  wsgiStartupMs?: number;
  /**
   * A named set of options, under the options given here:
   * `"realistic"` is {@linkcode REALISTIC} (a loaded Dell tower).
   */
  profile?: "realistic";
  /**
   * Multiplies every simulated duration (`queuedMs`, `runMs`,
   * `pluginRunMs`, `schedulerIntervalMs`, `production` hours and
   * `analysisMs`, `stopMs`, `launchDelayMs`, `createDelayMs`,
   * `objectCostMs`, `storeCostMs`, `basicAuthCostMs`, `sessionCostMs`,
   * `wsgiStartupMs`): 0.001 runs an hour of the lab in 3.6 s. Default 1.
   */
  timeScale?: number;
}

/** The plugin queue at a moment (see {@linkcode Simulator.queue}). */
export interface QueueSnapshot {
  /** Number of slots; `Infinity` when unlimited. */
  slots: number;
  /** Plugin-result ids of the jobs holding a slot, in start order. */
  running: number[];
  /** Plugin-result ids of the jobs waiting for a slot, first in line first. */
  queued: number[];
}

/** A running simulator. */
export interface Simulator extends AsyncDisposable {
  /** Base URL, e.g. `http://127.0.0.1:PORT` (`https://` with TLS). */
  readonly url: string;
  /** The listening port. */
  readonly port: number;
  /** Every request received, in order (live array). */
  readonly requests: RecordedRequest[];
  /** Every launch accepted with 202 (live array). */
  readonly launches: LaunchRecord[];
  /** The accounts. */
  readonly users: SimUser[];
  /** Adds a fault; faults are tried in the order added and the first that fires wins. */
  addFault(fault: Fault): void;
  /** Removes all faults. */
  clearFaults(): void;
  /** Empties {@linkcode Simulator.requests} and {@linkcode Simulator.launches}. */
  clearLog(): void;
  /** Plugin rows as the API serializes them, inactive ones included. */
  plugins(): object[];
  /**
   * All report ids, ascending (thumbnail reports included); with `group`,
   * only the reports whose status shows in that group of `i18nstatus`
   * (`Completed`, `Error`, `Progress`, `Other`), e.g. the ones a plugin can
   * run on.
   */
  reportIds(filter?: { group?: string }): number[];
  /**
   * Serialized plugin results, newest first, optionally for one report
   * and/or plugin name. Each also has `startedAt` and `endedAt`: its
   * `starttime` and `endtime` as clock times in ms, or null.
   */
  pluginResults(filter?: { report?: number; plugin?: string }): object[];
  /**
   * A scenario run: a new plugin result (or, with `pluginResult`, a rerun
   * into an existing one) with one job fixed in `state`, its store fate
   * optionally forced; returns the plugin result's id.
   */
  addRun(run: RunSpec): number;
  /** The `store` the API shows now for a plugin result (`{}` before any PATCH). */
  storeOf(pluginResultId: number): Record<string, unknown>;
  /** The run folder's `results.json` now (the complete store), or null when absent. */
  resultsJsonOf(pluginResultId: number): Record<string, unknown> | null;
  /** A report's barcodes and samples, in kit order; `[]` when not barcoded. */
  barcodesOf(reportId: number): SimBarcode[];
  /**
   * The files of a plugin result's folder now (the log included), with
   * their path relative to the folder, size, SHA-256 (hex; null for a
   * virtual BAM over 64 MB), ETag and mtime (ms).
   */
  filesOf(pluginResultId: number): SimFileInfo[];
  /**
   * Changes a file of a run folder (new content and a new mtime, so a new
   * ETag), adds one, or deletes it (`null`). Kept in memory only.
   */
  setFile(
    pluginResultId: number,
    path: string,
    content: string | Uint8Array | null,
  ): void;
  /** How many Basic password checks and session look-ups the server made. */
  authCounts(): { basic: number; session: number };
  /** Creates a plugin result with one job fixed in `state` (none for `Unknown`/`Failed Validation`); returns its id. */
  addPluginResult(report: number, plugin: string, state: string): number;
  /** Changes `selected`, `active` or the global `config` of every row of a plugin name. */
  setPlugin(
    name: string,
    patch: {
      selected?: boolean;
      active?: boolean;
      config?: Record<string, unknown>;
    },
  ): void;
  /** The plugin queue now: its slots, and which runs hold one or wait. */
  queue(): QueueSnapshot;
  /**
   * Stalls the server: requests are accepted and read but not answered
   * until {@linkcode Simulator.resume}; then they are handled, also those
   * whose client gave up meanwhile (a launch still creates its run).
   */
  pause(): void;
  /**
   * The production runs so far (see {@linkcode SimulatorOptions.production}),
   * in creation order, with their queue times: a run's wait is
   * `startedAt - createdAt`.
   */
  productionRuns(): ProductionRun[];
  /**
   * A server reboot now: running jobs die without an epilog and stay
   * `Started` for ever (they free their slots); queued jobs survive.
   * Returns the plugin-result ids of the killed jobs.
   */
  reboot(): number[];
  /**
   * A TS upgrade now (the package postinst's sweep): every job without a
   * starttime becomes `Error` with job id -1, while SGE still runs the
   * queued ones (they take their slot in turn, their state stays `Error`);
   * jobs `Started` over 25 h ago become `Error`. Returns the plugin-result
   * ids changed.
   */
  upgrade(): number[];
  /** Handles the requests held by {@linkcode Simulator.pause}, and the next ones. */
  resume(): void;
  /** Stops listening, drops connections, ends pending delays and writes the state file; idempotent. */
  close(): Promise<void>;
}
