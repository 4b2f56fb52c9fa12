// Simulator internals: the state file. The whole database (plugins,
// reports, plans, runs and jobs, the id counters) and the plugin queue are
// written as JSON, atomically (a temporary file renamed over the old one),
// at most every 100 ms after a change and on close; a simulator started on
// an existing file loads it instead of seeding. All times are the
// simulator's clock, so a restart goes on where it stopped (jobs keep
// running while it is down, as SGE's do). Sessions are not kept.

import type { PluginQueue, QueueState } from "./queue.ts";
import {
  type EasRow,
  type JobRow,
  type PluginRow,
  type PrRow,
  type ReportRow,
  SimStore,
} from "./store.ts";

const VERSION = 1;
/** Numbers the temporary files, unique within the process. */
let tmpSeq = 0;

/** A plugin result with its references as ids. */
type SavedPr = Omit<PrRow, "report" | "plugin" | "jobs"> & {
  report: number;
  plugin: number;
  jobs: number[];
};

/** The file's content. */
interface Saved {
  version: number;
  plugins: PluginRow[];
  reports: ReportRow[];
  eas: EasRow[];
  prs: SavedPr[];
  jobs: JobRow[];
  nextPr: number;
  nextJob: number;
  queue: QueueState;
  /** The seed the stores are built from (absent in older files). */
  seed?: number;
}

/** The state as JSON text. */
export function saveState(store: SimStore, queue: PluginQueue): string {
  const saved: Saved = {
    version: VERSION,
    plugins: store.plugins,
    reports: store.reports,
    eas: store.eas,
    prs: store.prs.map((pr) => ({
      ...pr,
      report: pr.report.id,
      plugin: pr.plugin.id,
      jobs: pr.jobs.map((j) => j.id),
    })),
    jobs: store.jobs,
    nextPr: store.nextPr,
    nextJob: store.nextJob,
    queue: queue.save(),
    seed: store.world.seed,
  };
  return JSON.stringify(saved);
}

/**
 * Reads a state file into a new store and the queue; null when the file
 * does not exist. Throws on a file that is not a state file.
 */
export function loadState(path: string, queue: PluginQueue): SimStore | null {
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw e;
  }
  const saved = JSON.parse(text) as Saved;
  if (saved?.version !== VERSION) {
    throw new Error(
      `${path} is not a simulator state file (version ${VERSION})`,
    );
  }
  const store = new SimStore();
  for (const p of saved.plugins) store.addPlugin(p);
  for (const r of saved.reports) store.addReport(r);
  for (const e of saved.eas) store.addEas(e);
  const jobs = new Map(saved.jobs.map((j) => [j.id, j]));
  for (const s of saved.prs) {
    const pr: PrRow = {
      ...s,
      report: store.reportById.get(s.report)!,
      plugin: store.pluginById.get(s.plugin)!,
      jobs: [],
    };
    store.indexPr(pr);
    for (const id of s.jobs) store.indexJob(pr, jobs.get(id)!);
  }
  store.nextPr = saved.nextPr;
  store.nextJob = saved.nextJob;
  if (typeof saved.seed === "number") store.world.seed = saved.seed;
  store.loaded = true;
  queue.load(saved.queue, store.jobById);
  return store;
}

/** Writes the state file after changes, at most every `intervalMs`. */
export class StateWriter {
  #timer: ReturnType<typeof setTimeout> | undefined;
  #writing: Promise<void> = Promise.resolve();
  #dirty = false;
  #error: unknown = null;

  /**
   * @param path The state file.
   * @param snapshot Produces the JSON text to write.
   * @param intervalMs Shortest time between writes.
   */
  constructor(
    readonly path: string,
    readonly snapshot: () => string,
    readonly intervalMs = 100,
  ) {}

  /** Notes a change; a write follows within `intervalMs`. */
  changed(): void {
    this.#dirty = true;
    this.#timer ??= setTimeout(() => {
      this.#timer = undefined;
      this.#write();
    }, this.intervalMs);
  }

  #write(): Promise<void> {
    if (!this.#dirty) return this.#writing;
    this.#dirty = false;
    const text = this.snapshot();
    this.#writing = this.#writing.then(async () => {
      const tmp = `${this.path}.tmp-${Deno.pid}-${++tmpSeq}`;
      await Deno.writeTextFile(tmp, text);
      await Deno.rename(tmp, this.path);
    }).catch((e) => {
      this.#error = e;
    });
    return this.#writing;
  }

  /** Writes now (pending changes or not) and stops the timer; throws if a write failed. */
  async close(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#dirty = true;
    await this.#write();
    if (this.#error) throw this.#error;
  }
}
