// Simulator internals: the in-memory database (plugins, reports, plan
// settings, plugin results and their jobs), job states read from their
// queue entries, and indexes.

/** The defaults of the store options (see stores.ts). */
/** What the stores depend on besides the rows: the seed and the store options. */
export interface StoreWorld {
  seed: number;
  /** Fraction of finished runs whose final store PATCH failed (`storePatchFailRate`). */
  patchFailRate: number;
  /** Fraction of barcodes that fail inside a Completed run (`barcodeErrorRate`). */
  barcodeErrorRate: number;
  /** Fraction of failed runs that ended before writing results.json (`earlyErrorRate`). */
  earlyErrorRate: number;
  /** Fraction of plans that are not barcoded (`unbarcodedRate`). */
  unbarcodedRate: number;
}

/** One barcode of a report's plan (see `Simulator.barcodesOf`). */
export interface SimBarcode {
  /** e.g. `IonXpress_013`. */
  barcode: string;
  /** Position in the barcode kit (`barcode_index`). */
  index: number;
  /** The sample's name (`barcodedSamples`, the stores' `Sample Name`). */
  sample: string;
}

export const DEFAULT_WORLD: StoreWorld = {
  seed: 1,
  patchFailRate: 0,
  barcodeErrorRate: 0.03,
  earlyErrorRate: 0.25,
  unbarcodedRate: 0.15,
};

/** A Plugin row. */
export interface PluginRow {
  id: number;
  name: string;
  version: string;
  description: string;
  date: number;
  active: boolean;
  selected: boolean;
  defaultSelected: boolean;
  majorBlock: boolean;
  "requires_configuration": boolean;
  script: string;
  packageName: string;
  isConfig: boolean;
  isPlanConfig: boolean;
  isInstance: boolean;
  hasAbout: boolean;
  availableVersions: string[];
  /** The global config (config.html), served as the plugin's `config`. */
  config: Record<string, unknown>;
}

/** A Results row (a report). */
export interface ReportRow {
  id: number;
  resultsName: string;
  status: string;
  timeStamp: number;
  experimentId: number;
  expName: string;
  chipType: string;
  runid: string;
  planShortID: string;
  reference: string;
  resultsType: string;
  processedflows: number;
  diskusage: number;
  analysisVersion: string;
  /** The `plugin_out` folder exists (any launch attempt or plugin result). */
  pluginOut: boolean;
  /** The plan's application (seed data), e.g. `OCAv3_Lung`. */
  application: string;
  /** `metaData` JSON; `{thumb: 1}` on thumbnail reports. */
  metaData: Record<string, unknown>;
  /** Id of the plan settings (ExperimentAnalysisSettings) the report used. */
  easId: number;
  /** The plan's barcodes and samples (empty: not barcoded); set at start. */
  barcodes?: SimBarcode[];
  /** The storage location name when not `Home` (`reportstorage.name`). */
  storage?: string;
}

/** A plugin selected in a plan, as `selectedPlugins` stores it. */
export interface SelectedPlugin {
  id: number;
  name: string;
  version: string;
  userInput: unknown;
  features: string[];
}

/** An ExperimentAnalysisSettings row: a plan's analysis settings. */
export interface EasRow {
  id: number;
  experimentId: number;
  /** Ids of the reports analysed with these settings. */
  reports: number[];
  reference: string;
  barcodeKitName: string;
  libraryKitName: string;
  date: number;
  selectedPlugins: Record<string, SelectedPlugin>;
}

/**
 * The schedule of a job that went through the plugin queue. `ready` is the
 * earliest start (submission latency); `started`/`ended` are filled in by
 * the queue as the clock passes them (`ended` stays null for a stuck job).
 */
export interface QueueEntry {
  created: number;
  ready: number;
  duration: number;
  fail: boolean;
  stuck: boolean;
  /** Launched by the analysis pipeline (autostart), not by hand. */
  pipeline?: boolean;
  /** Held in SGE for ever (a crash between submit and release): `Queued`, no slot. */
  held?: boolean;
  /**
   * When a TS upgrade's sweep marked the job `Error` (jobid -1) while it
   * waited: SGE still runs it (it takes a slot), the database no longer
   * follows it.
   */
  detachedAt?: number;
  started: number | null;
  ended: number | null;
}

/** A PluginResultJob row; `state` is fixed unless `life` is set. */
export interface JobRow {
  id: number;
  /** Id of the plugin result the job belongs to. */
  pr: number;
  state: string;
  runLevel: string;
  gridEngineJobId: number;
  starttime: number | null;
  endtime: number | null;
  config: unknown;
  life: QueueEntry | null;
  /**
   * What became of its results.json, when set by a test (`addRun`):
   * written and PATCHed, written but the store PATCH failed, or none
   * written (a failure before the end). Unset: decided by the seed.
   */
  storeFate?: "ok" | "patch-failed" | "no-results";
}

/** A PluginResult row. */
export interface PrRow {
  id: number;
  report: ReportRow;
  plugin: PluginRow;
  owner: number;
  jobs: JobRow[];
  validationErrors: string[] | null;
  apikey: string;
  size: number;
  inodes: number;
  /** Output in the pre-4.4 folder `<Name>_out` (no `.<id>` suffix). */
  legacyDir?: boolean;
}

/**
 * Current state, start and end of a job at time `now`. A queued job's times
 * are read from its queue entry, so the queue must have been advanced to
 * `now` first (the router does it for every request).
 */
export function jobNow(
  job: JobRow,
  now: number,
): { state: string; start: number | null; end: number | null } {
  const life = job.life;
  if (!life) {
    return { state: job.state, start: job.starttime, end: job.endtime };
  }
  if (life.detachedAt !== undefined) {
    return { state: "Error", start: null, end: life.detachedAt };
  }
  if (life.started === null || now < life.started) {
    return { state: "Queued", start: null, end: null };
  }
  if (life.ended === null || now < life.ended) {
    return { state: "Started", start: life.started, end: null };
  }
  return {
    state: life.fail ? "Error" : "Completed",
    start: life.started,
    end: life.ended,
  };
}

/**
 * PR state: `Failed Validation`, else the newest job by starttime, else
 * `Unknown`. "Newest" is the ORM's `order_by("-starttime")` on PostgreSQL,
 * where NULLs come first in descending order: a job not started yet (a
 * rerun waiting in the queue) wins over an older finished one.
 */
export function prState(pr: PrRow, now: number): string {
  if (pr.validationErrors?.length) return "Failed Validation";
  let best: { state: string; start: number; id: number } | null = null;
  for (const job of pr.jobs) {
    const cur = jobNow(job, now);
    const start = cur.start ?? Infinity;
    if (
      !best || start > best.start || (start === best.start && job.id > best.id)
    ) {
      best = { state: cur.state, start, id: job.id };
    }
  }
  return best ? best.state : "Unknown";
}

/** `/output/<storage>/<resultsName>_<pk:03d>/` (storage usually `Home`). */
export const reportLink = (r: ReportRow) =>
  `/output/${r.storage ?? "Home"}/${reportDir(r)}/`;
/** `<resultsName>_<pk:03d>`, the report's folder name. */
export const reportDir = (r: ReportRow) =>
  `${r.resultsName}_${String(r.id).padStart(3, "0")}`;
/** The run's output folder: `<Name>_out.<id>`, or `<Name>_out` (legacy). */
export const prFolder = (pr: PrRow) =>
  pr.legacyDir ? `${pr.plugin.name}_out` : `${pr.plugin.name}_out.${pr.id}`;
/** The run's `URL`: `<reportLink>plugin_out/<folder>/`. */
export const prUrl = (pr: PrRow) =>
  `${reportLink(pr.report)}plugin_out/${prFolder(pr)}/`;

/** The database, with indexes by id, report and plugin name. */
export class SimStore {
  plugins: PluginRow[] = [];
  pluginById = new Map<number, PluginRow>();
  reports: ReportRow[] = [];
  reportById = new Map<number, ReportRow>();
  eas: EasRow[] = [];
  easById = new Map<number, EasRow>();
  prs: PrRow[] = [];
  prById = new Map<number, PrRow>();
  prsByReport = new Map<number, PrRow[]>();
  prsByPlugin = new Map<string, PrRow[]>();
  jobs: JobRow[] = [];
  jobById = new Map<number, JobRow>();
  nextPr = 1;
  nextJob = 1;
  /** The seed and store options the stores are built from. */
  world: StoreWorld = { ...DEFAULT_WORLD };
  /** Loaded from a state file (its seed wins over the option). */
  loaded = false;
  /** Called after every change (the state file listens). */
  onChange: () => void = () => {};

  /** Adds a plugin row. */
  addPlugin(p: PluginRow): void {
    this.plugins.push(p);
    this.pluginById.set(p.id, p);
  }

  /** Adds a report row. */
  addReport(r: ReportRow): void {
    this.reports.push(r);
    this.reportById.set(r.id, r);
  }

  /** Adds plan settings. */
  addEas(e: EasRow): void {
    this.eas.push(e);
    this.easById.set(e.id, e);
  }

  /** Creates a plugin result (ids increase) and indexes it. */
  addPr(
    report: ReportRow,
    plugin: PluginRow,
    owner: number,
    apikey: string,
  ): PrRow {
    const pr: PrRow = {
      id: this.nextPr++,
      report,
      plugin,
      owner,
      jobs: [],
      validationErrors: null,
      apikey,
      size: 0,
      inodes: 0,
    };
    this.indexPr(pr);
    report.pluginOut = true;
    return pr;
  }

  /** Indexes an existing plugin result (also used when loading a state file). */
  indexPr(pr: PrRow): void {
    this.prs.push(pr);
    this.prById.set(pr.id, pr);
    push(this.prsByReport, pr.report.id, pr);
    push(this.prsByPlugin, pr.plugin.name, pr);
  }

  /** Adds a job to a plugin result. */
  addJob(
    pr: PrRow,
    job: Omit<JobRow, "id" | "gridEngineJobId" | "pr">,
  ): JobRow {
    const id = this.nextJob++;
    const row: JobRow = {
      ...job,
      id,
      pr: pr.id,
      gridEngineJobId: 4100 + id * 3,
    };
    this.indexJob(pr, row);
    return row;
  }

  /** Indexes an existing job of a plugin result. */
  indexJob(pr: PrRow, job: JobRow): void {
    pr.jobs.push(job);
    this.jobs.push(job);
    this.jobById.set(job.id, job);
  }

  /** Newest plugin result per plugin name of a report. */
  newestPerName(reportId: number): Map<string, PrRow> {
    const out = new Map<string, PrRow>();
    for (const pr of this.prsByReport.get(reportId) ?? []) {
      const cur = out.get(pr.plugin.name);
      if (!cur || pr.id > cur.id) out.set(pr.plugin.name, pr);
    }
    return out;
  }
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
