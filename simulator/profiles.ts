// Simulator internals: named option sets (`profile`).

import type { SimulatorOptions } from "./options.ts";

const MIN = 60_000;

/**
 * A loaded Dell tower (`profile: "realistic"`): 2 slots, SGE scheduling
 * every 4 s, plugin runs of minutes to an hour, the lab's production load
 * taking about half the slots (0.9 reports an hour, each running its
 * plan's plugins, 30-65 slot-minutes, and one manual launch an hour),
 * runs on unfinished or archived reports ending in `Error`, the Basic `:`
 * bug, held and dead jobs, per-object and auth costs, mod_wsgi recycling,
 * archived outputs and thumbnails. Scale its times with `timeScale`.
 */
export const REALISTIC: Readonly<SimulatorOptions> = Object.freeze({
  slots: 2,
  queuedMs: 1_000,
  schedulerIntervalMs: 4_000,
  runMs: 10 * MIN,
  runSpread: 0.3,
  failureRate: 0.03,
  stuckRate: 0.002,
  stuckQueuedRate: 0.005,
  unknownRate: 0.002,
  stopMs: 2_000,
  stopErrorRate: 0.3,
  objectCostMs: 4,
  storeCostMs: 0.2,
  basicAuthCostMs: 40,
  sessionCostMs: 2,
  storePatchFailRate: 0.01,
  production: Object.freeze({
    reportsPerHour: 0.9,
    manualPerHour: 1,
    analysisMs: 4 * 60 * MIN,
  }),
  brokenReportRuns: true,
  djangoBasicBug: true,
  wsgiMaxRequests: 500,
  wsgiProcesses: 16,
  wsgiStartupMs: 3_000,
  fileFaults: Object.freeze({ archivedRate: 0.05, otherStorageRate: 0.05 }),
  thumbnails: true,
}) as SimulatorOptions;

/** The options of a profile under the given ones (nested objects merged). */
export function withProfile(o: SimulatorOptions): SimulatorOptions {
  if (o.profile === undefined) return o;
  if (o.profile !== "realistic") {
    throw new RangeError(`Unknown profile "${o.profile}"`);
  }
  const p = REALISTIC;
  return {
    ...p,
    ...o,
    fileFaults: { ...p.fileFaults, ...o.fileFaults },
    production: o.production === undefined
      ? { ...p.production }
      : { ...p.production, ...o.production },
  };
}
