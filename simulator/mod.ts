/**
 * A faithful simulator of a Torrent Suite server's REST API
 * (`/rundb/api/v1/`, TS 5.4–5.18 on Tastypie 0.11.1), for tests, the demo and
 * benchmarks. It serves plugins, reports (`results`), plan settings,
 * plugin results and their jobs over real HTTP (or HTTPS), with the real
 * server's traps: 301 on a missing trailing slash, 401 with an empty body,
 * `limit=0` capped at 1000, unknown filters silently ignored, 202 with an
 * empty body on launch, no duplicate detection, a 414 for request lines
 * over 8190 bytes.
 *
 * Launched runs go through a small plugin queue (2 slots by default):
 * `Queued` until a slot frees, then `Started`, then `Completed` (or
 * `Error`), on a configurable, injectable clock. A launch without a config
 * uses the plugin's global config or the plan's settings, as TS does.
 * Each run's log (`drmaa_stdout.txt`) is served behind the web login.
 * Plugin results carry realistic stores (coverageAnalysis, variantCaller,
 * sampleID, molecularCoverageAnalysis; per barcode of the plan's
 * `barcodedSamples`, floats as strings, failed barcodes, partial stores of
 * failed runs, stale stores during reruns or after a failed PATCH), also
 * under `results/<pk>/pluginstore/`, with `results/<pk>/barcodesampleinfo/`.
 * Each run folder holds a deterministic file tree (startplugin.json,
 * results.json, per-barcode coverage tables, BGZF VCFs, virtual multi-GB
 * BAM links), served under `/output/` and `/auth/output/` with Apache's
 * static semantics (ETag, Last-Modified, Range, If-Range, autoindex
 * listings) and optional file faults. Every
 * request is logged; faults (error statuses, HTML pages, cut bodies,
 * broken pagination, dropped connections, delays, slow run creation, a
 * stalled server) can be injected, and the state can be kept in a file
 * across restarts.
 *
 * The queue can be shared with the lab's production, as on a real server
 * (all off by default): new reports finishing over time and the pipeline
 * launching their plan's plugins, another user's manual launches
 * (`production`, logged by `productionRuns()`), runs on unfinished or
 * archived reports ending in `Error` (`brokenReportRuns`), the Basic `:`
 * password bug (`djangoBasicBug`), held jobs `Queued` for ever
 * (`stuckQueuedRate`), a reboot (`reboot()`: running jobs `Started` for
 * ever) and an upgrade sweep (`upgrade()`: queued jobs `Error`, still
 * holding SGE slots), SGE's 4 s scheduling interval
 * (`schedulerIntervalMs`) and mod_wsgi recycling (`wsgiMaxRequests`).
 * `startSimulator({ profile: "realistic", ...overrides })` turns them on
 * with a loaded Dell tower's settings ({@linkcode REALISTIC}): 2 slots,
 * scheduling every 4 s, plugin runs of minutes to an hour, production
 * using about half the slots, auth and per-object costs, archived
 * outputs, thumbnails. `timeScale` multiplies every simulated duration,
 * so that `timeScale: 0.001` runs a lab hour in 3.6 s (with a fake `now`,
 * step the clock).
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

import type { Simulator, SimulatorOptions } from "./options.ts";
import { DEFAULT_USERS as USERS } from "./auth.ts";
import type { SimUser } from "./types.ts";
import { createSimulator } from "./server.ts";
import { CANNED } from "./tastypie.ts";

export type { QueueSnapshot, Simulator, SimulatorOptions } from "./options.ts";
import { REALISTIC as PROFILE } from "./profiles.ts";
export type {
  Fault,
  FaultAction,
  LaunchRecord,
  ProductionRun,
  RecordedRequest,
  RunSpec,
  SimBarcode,
  SimFileInfo,
  SimUser,
} from "./types.ts";

/**
 * The options of `profile: "realistic"` (a loaded Dell tower; see the
 * module doc); spread them, or name the profile, and override any.
 */
export const REALISTIC: Readonly<SimulatorOptions> = PROFILE;

/** The default accounts: `ionadmin` (superuser) and `ionuser`, password = user name. */
export const DEFAULT_USERS: SimUser[] = USERS;

/** The body of the server's 500 answers (and of 404s from custom endpoints). */
export const CANNED_ERROR: { "error_message": string } = { ...CANNED };

/**
 * Starts a simulator and resolves once it listens.
 *
 * @param options Data size, timing, queue, failures, users, address, TLS and state file.
 * @returns The running simulator; close it (or `await using` it) when done.
 */
export function startSimulator(
  options: SimulatorOptions = {},
): Promise<Simulator> {
  try {
    return Promise.resolve(createSimulator(options));
  } catch (e) {
    return Promise.reject(e);
  }
}
