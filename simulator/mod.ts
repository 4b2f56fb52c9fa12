/**
 * A faithful simulator of a Torrent Suite server's REST API
 * (`/rundb/api/v1/`, TS 5.4–5.18 on Tastypie 0.11.1), for tests, the demo and
 * benchmarks. It serves plugins, reports (`results`), plugin results and
 * their jobs over real HTTP (or HTTPS), with the real server's traps: 301 on a
 * missing trailing slash, 401 with an empty body, `limit=0` capped at 1000,
 * unknown filters silently ignored, 202 with an empty body on launch, no
 * duplicate detection, a 414 for request lines over 8190 bytes. Jobs move
 * `Queued` → `Started` → `Completed` (or `Error`) on a configurable, injectable
 * clock. Every request is logged, and faults (error statuses, dropped
 * connections, delays) can be injected.
 *
 * @example Start, query, close
 * ```ts
 * import assert from "node:assert/strict";
 * import { startSimulator } from "./mod.ts";
 *
 * await using sim = await startSimulator({ reports: 10 });
 * const res = await fetch(`${sim.url}/rundb/api/v1/torrentsuite/version/`);
 * assert.deepEqual(await res.json(), { "meta_version": "5.18.1" });
 * ```
 *
 * @module
 */

import { RUNNING_STATES } from "../lib/states.ts";
import { hexKey, makeRng, seedStore } from "./data.ts";
import { FaultPlan } from "./faults.ts";
import { serveHttp } from "./http.ts";
import { pluginJson, prJson } from "./json.ts";
import { handle, type Pipeline, tooLongRecorded } from "./pipeline.ts";
import { resourceSpecs } from "./specs.ts";
import { CANNED } from "./tastypie.ts";
import type {
  Fault,
  LaunchRecord,
  RecordedRequest,
  RouteContext,
  SimUser,
} from "./_types.ts";

export type {
  Fault,
  FaultAction,
  LaunchRecord,
  RecordedRequest,
  SimUser,
} from "./_types.ts";

/** Options of {@linkcode startSimulator}. */
export interface SimulatorOptions {
  /** Interface to listen on; default `"127.0.0.1"`. Also the host of {@linkcode Simulator.url}. */
  hostname?: string;
  /** Port; default 0 (a free port). */
  port?: number;
  /** PEM certificate chain and key: serve HTTPS instead of HTTP. */
  tls?: { cert: string; key: string };
  /** Number of seeded reports; default 3000. */
  reports?: number;
  /** Seed of the deterministic data and decisions; default 1. */
  seed?: number;
  /** Accounts; default {@linkcode DEFAULT_USERS}. The first one is the superuser. */
  users?: SimUser[];
  /** Let requests without valid credentials through, as TS does for localhost; default false. */
  localhostAutoLogin?: boolean;
  /** How long a new job stays `Queued`, in ms; default 300. */
  queuedMs?: number;
  /** How long it then stays `Started` before `Completed` or `Error`; default 1500. */
  runMs?: number;
  /** Fraction (0..1) of new runs that end in `Error`, chosen by the seeded PRNG; default 0. */
  failureRate?: number;
  /** Extra latency of each accepted launch POST, in ms; default 0. */
  launchDelayMs?: number;
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
  /** Clock in ms; default `Date.now`. Job states are computed from it on each request. */
  now?: () => number;
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
  /** All report ids, ascending. */
  reportIds(): number[];
  /** Serialized plugin results, newest first, optionally for one report and/or plugin name. */
  pluginResults(filter?: { report?: number; plugin?: string }): object[];
  /** Creates a plugin result with one job fixed in `state` (none for `Unknown`/`Failed Validation`); returns its id. */
  addPluginResult(report: number, plugin: string, state: string): number;
  /** Changes `selected`/`active` of every row of a plugin name. */
  setPlugin(
    name: string,
    patch: { selected?: boolean; active?: boolean },
  ): void;
  /** Stops listening, drops connections and ends pending delays; idempotent. */
  close(): Promise<void>;
}

/** The default accounts: `ionadmin` (superuser) and `ionuser`, password = user name. */
export const DEFAULT_USERS: SimUser[] = [
  {
    username: "ionadmin",
    password: "ionadmin",
    apiKey: "5f1d9c0a7e3b24c6d8f0a1b2c3d4e5f60718293a",
  },
  {
    username: "ionuser",
    password: "ionuser",
    apiKey: "b8e27a4c9d1f30e5a6c7b8d9e0f1a2b3c4d5e6f7",
  },
];

/** The body of the server's 500 answers (and of 404s from custom endpoints). */
export const CANNED_ERROR: { "error_message": string } = { ...CANNED };

function check(
  name: string,
  value: number,
  min: number,
  max = Infinity,
): number {
  if (!Number.isFinite(value) || value < min || value > max) {
    throw new RangeError(
      `Option ${name} must be between ${min} and ${max}, got ${value}`,
    );
  }
  return value;
}

/**
 * Starts a simulator and resolves once it listens.
 *
 * @param options Data size, timing, failures, users, address and TLS.
 * @returns The running simulator; close it (or `await using` it) when done.
 */
export function startSimulator(
  options: SimulatorOptions = {},
): Promise<Simulator> {
  try {
    return Promise.resolve(create(options));
  } catch (e) {
    return Promise.reject(e);
  }
}

function create(options: SimulatorOptions): Simulator {
  const clock = options.now ?? Date.now;
  const seed = options.seed ?? 1;
  const hostname = options.hostname ?? "127.0.0.1";
  const users = options.users ?? DEFAULT_USERS.map((u) => ({ ...u }));
  if (users.length === 0) {
    throw new RangeError("Option users must name at least one user");
  }
  const store = seedStore(
    Math.floor(check("reports", options.reports ?? 3000, 0)),
    seed,
    clock(),
  );
  const requests: RecordedRequest[] = [];
  const launches: LaunchRecord[] = [];
  const faults = new FaultPlan(seed);
  const closing = new AbortController();
  const ctx: RouteContext = {
    store,
    specs: resourceSpecs(),
    users,
    sessions: new Map(),
    localhostAutoLogin: options.localhostAutoLogin ?? false,
    queuedMs: check("queuedMs", options.queuedMs ?? 300, 0),
    runMs: check("runMs", options.runMs ?? 1500, 0),
    failureRate: check("failureRate", options.failureRate ?? 0, 0, 1),
    launchDelayMs: check("launchDelayMs", options.launchDelayMs ?? 0, 0),
    failRng: makeRng(seed ^ 0x0fa11ed),
    keyRng: makeRng(seed ^ 0x0a9e1e7),
    closing: closing.signal,
    now: clock,
    onLaunch: (report, plugin, pluginResultId, config) =>
      launches.push({ report, plugin, pluginResultId, config, time: clock() }),
  };

  const host = hostname.includes(":") ? `[${hostname}]` : hostname;
  const pipeline: Pipeline = {
    ctx,
    requests,
    faults,
    clock,
    scheme: options.tls ? "https" : "http",
    fallbackHost: () => `${host}:${server.port}`,
  };
  const server = serveHttp(
    {
      hostname,
      port: options.port ?? 0,
      tls: options.tls,
      keepAliveTimeoutMs: check(
        "keepAliveTimeoutMs",
        options.keepAliveTimeoutMs ?? 5_000,
        1,
      ),
      maxKeepAliveRequests: Math.floor(
        check("maxKeepAliveRequests", options.maxKeepAliveRequests ?? 100, 1),
      ),
    },
    (raw) => handle(pipeline, raw),
    (line) => tooLongRecorded(pipeline, line),
  );
  server.signal.addEventListener("abort", () => closing.abort(), {
    once: true,
  });
  const pluginRows = (name: string) => {
    const rows = store.plugins.filter((p) => p.name === name);
    if (!rows.length) throw new RangeError(`No plugin named "${name}"`);
    return rows;
  };
  const sim: Simulator = {
    url: `${options.tls ? "https" : "http"}://${host}:${server.port}`,
    port: server.port,
    requests,
    launches,
    users,
    addFault: (fault) => faults.add(fault),
    clearFaults: () => faults.clear(),
    clearLog() {
      requests.length = 0;
      launches.length = 0;
    },
    plugins: () => store.plugins.map(pluginJson),
    reportIds: () => store.reports.map((r) => r.id),
    pluginResults(filter = {}) {
      const now = clock();
      let prs = filter.report === undefined
        ? store.prs
        : store.prsByReport.get(filter.report) ?? [];
      if (filter.plugin !== undefined) {
        prs = prs.filter((p) => p.plugin.name === filter.plugin);
      }
      return [...prs].reverse().map((p) => prJson(p, now));
    },
    addPluginResult(report, plugin, state) {
      const row = store.reportById.get(report);
      if (!row) throw new RangeError(`No report ${report}`);
      const rows = pluginRows(plugin);
      const p = rows.filter((r) => r.active).at(-1) ?? rows.at(-1)!;
      const now = clock();
      const pr = store.addPr(row, p, 1, hexKey(ctx.keyRng));
      if (state === "Failed Validation") {
        pr.validationErrors = [
          `${plugin} requires configuration before execution.`,
        ];
      } else if (state !== "Unknown") {
        const end = RUNNING_STATES.includes(state) ? null : now;
        store.addJob(pr, {
          state,
          runLevel: "default",
          starttime: now,
          endtime: end,
          config: {},
          life: null,
        });
      }
      return pr.id;
    },
    setPlugin(name, patch) {
      for (const row of pluginRows(name)) {
        if (patch.selected !== undefined) row.selected = patch.selected;
        if (patch.active !== undefined) row.active = patch.active;
      }
    },
    close: () => server.close(),
    [Symbol.asyncDispose]: () => server.close(),
  };
  return sim;
}
