// Simulator internals: the SGE plugin queue (`plugin.q`). Torrent Suite
// runs every plugin job through one small queue: 1 slot on S5 onboard
// servers, 2 on Dell towers (tsconfig/ansible/group_vars), shared by all
// users and by the plugins of new sequencing runs. A job waits `Queued`
// (starttime NULL) until a slot frees, in submission order, then runs.
//
// The schedule is an event simulation advanced lazily to the clock: nothing
// runs in the background, so an injected clock can jump and the states
// follow. Seeded historical runs have fixed states and take no slot.

import { chance } from "./data.ts";
import type { JobRow, QueueEntry } from "./store.ts";

/**
 * Relative run time of each plugin (its run time is `runMs` times this; 1
 * when not listed): variantCaller and assemblies are slow, igv only writes
 * links.
 */
const RUN_FACTOR: Record<string, number> = {
  variantCaller: 4,
  coverageAnalysis: 2,
  molecularCoverageAnalysis: 3,
  AssemblerSPAdes: 6,
  RNASeqAnalysis: 3,
  ampliSeqRNA: 1.5,
  ImmuneResponseRNA: 1.5,
  IonReporterUploader: 2,
  FileExporter: 0.5,
  sampleID: 0.5,
  bubbleRun: 0.3,
  igv: 0.2,
};

/** Salts of the per-job decisions (see {@linkcode chance}). */
export const SALT = {
  fail: 0x0fa11ed,
  spread: 0x5b8ead,
  stuck: 0x57c4,
  unknown: 0x0bad5e9,
  stopError: 0x570b,
  held: 0x4e1d,
} as const;

/** What decides a new job's duration and fate. */
export interface RunSettings {
  seed: number;
  queuedMs: number;
  runMs: number;
  /** Base run time per plugin name, in ms (instead of `runMs` × factor). */
  pluginRunMs: Record<string, number>;
  /** Relative spread of run times, e.g. 0.2 for ±20%. */
  runSpread: number;
  failureRate: number;
  stuckRate: number;
  /** Fraction of new jobs held in SGE for ever (`Queued`, no slot). */
  stuckQueuedRate: number;
}

/**
 * The queue entry of a job created at `now`: ready after `queuedMs`, a
 * duration spread around the plugin's base run time, and whether it fails
 * or gets stuck, all decided by the seed and the job id (so a restart or
 * another order of launches decides the same).
 */
export function newEntry(
  s: RunSettings,
  { plugin, jobId, now }: { plugin: string; jobId: number; now: number },
): QueueEntry {
  const base = s.pluginRunMs[plugin] ?? s.runMs * (RUN_FACTOR[plugin] ?? 1);
  const spread = (2 * chance(s.seed, SALT.spread, jobId) - 1) * s.runSpread;
  return {
    created: now,
    ready: now + s.queuedMs,
    duration: Math.max(0, Math.round(base * (1 + spread))),
    fail: chance(s.seed, SALT.fail, jobId) < s.failureRate,
    stuck: chance(s.seed, SALT.stuck, jobId) < s.stuckRate,
    ...(s.stuckQueuedRate > 0 &&
        chance(s.seed, SALT.held, jobId) < s.stuckQueuedRate
      ? { held: true }
      : {}),
    started: null,
    ended: null,
  };
}

/** The queue as saved in a state file: job ids and the simulated time. */
export interface QueueState {
  cursor: number;
  waiting: number[];
  running: number[];
}

/** FIFO queue with a number of slots; `Infinity` for no limit. */
export class PluginQueue {
  /** Jobs waiting for a slot, in submission order. */
  #waiting: JobRow[] = [];
  /** Started jobs that hold a slot (stuck ones do not). */
  #running: JobRow[] = [];
  /** Time up to which the schedule is computed. */
  #cursor = -Infinity;

  /** Inside {@linkcode PluginQueue.feeder} (no re-entry). */
  #feeding = false;
  /**
   * Called first by every {@linkcode PluginQueue.advance} with its time: it
   * enqueues the jobs other users created up to then (production load), in
   * time order, each at its own time.
   */
  feeder: ((now: number) => void) | null = null;

  /**
   * @param slots Number of slots; `Infinity` for unlimited.
   * @param schedulerMs SGE's scheduling interval: a job starts only at a
   * multiple of it (0: at once).
   */
  constructor(readonly slots: number, readonly schedulerMs = 0) {}

  /**
   * Adds a job created at `now` (its `life` set) at the end of the queue;
   * a held job (`life.held`) never enters it: `Queued` for ever, no slot.
   */
  enqueue(job: JobRow, now: number): void {
    this.advance(now);
    if (job.life?.held) return;
    this.#waiting.push(job);
    this.advance(now);
  }

  /**
   * Runs the schedule up to `now`: a slot freed at time t goes to the head
   * of the queue at t (or when the head is ready, if later). Ends come
   * before starts at the same instant. Does nothing when `now` is in the
   * simulated past (a clock that went back).
   */
  advance(now: number): void {
    if (this.feeder && !this.#feeding) {
      this.#feeding = true;
      try {
        this.feeder(now);
      } finally {
        this.#feeding = false;
      }
    }
    const tick = this.schedulerMs;
    for (;;) {
      let endAt = Infinity;
      let endIdx = -1;
      for (let i = 0; i < this.#running.length; i++) {
        const ended = this.#running[i]!.life!.ended!;
        if (ended < endAt) (endAt = ended, endIdx = i);
      }
      const head = this.#waiting[0];
      let startAt = head && this.#running.length < this.slots
        ? Math.max(head.life!.ready, this.#cursor)
        : Infinity;
      // The scheduler hands out free slots only when it runs.
      if (tick > 0 && startAt !== Infinity) {
        startAt = Math.ceil(startAt / tick) * tick;
      }
      const t = Math.min(endAt, startAt);
      if (t > now || t === Infinity) break;
      this.#cursor = t;
      if (endAt <= startAt) {
        this.#running.splice(endIdx, 1);
        continue;
      }
      this.#waiting.shift();
      const life = head!.life!;
      life.started = t;
      if (life.stuck) continue; // a dead node: never ends, holds no slot
      life.ended = t + life.duration;
      this.#running.push(head!);
    }
    if (now > this.#cursor) this.#cursor = now;
  }

  /** Takes a job out of the queue (stopped): its slot is free from now on. */
  remove(job: JobRow): void {
    for (const list of [this.#waiting, this.#running]) {
      const i = list.indexOf(job);
      if (i >= 0) list.splice(i, 1);
    }
  }

  /**
   * A server reboot at `now` (the queue advanced to it): the running jobs
   * die without an epilog; they leave the queue and are returned (the
   * caller fixes them `Started` for ever). Waiting jobs survive.
   */
  reboot(now: number): JobRow[] {
    this.advance(now);
    const dead = this.#running.filter((j) => (j.life!.ended ?? 0) > now);
    this.#running = this.#running.filter((j) => !dead.includes(j));
    return dead;
  }

  /** The jobs waiting for a slot now (first in line first). */
  waitingJobs(): JobRow[] {
    return [...this.#waiting];
  }

  /** Plugin-result ids of the jobs holding a slot and of those waiting. */
  snapshot(): { running: number[]; queued: number[] } {
    return {
      running: this.#running.map((j) => j.pr),
      queued: this.#waiting.map((j) => j.pr),
    };
  }

  /** The queue for a state file. */
  save(): QueueState {
    return {
      cursor: this.#cursor,
      waiting: this.#waiting.map((j) => j.id),
      running: this.#running.map((j) => j.id),
    };
  }

  /** Restores a saved queue, looking jobs up by id (unknown ids dropped). */
  load(state: QueueState, jobById: Map<number, JobRow>): void {
    const pick = (ids: number[]) =>
      ids.map((id) => jobById.get(id)).filter((j): j is JobRow =>
        j?.life !== null && j !== undefined
      );
    this.#cursor = state.cursor ?? -Infinity;
    this.#waiting = pick(state.waiting ?? []);
    this.#running = pick(state.running ?? []);
  }
}
