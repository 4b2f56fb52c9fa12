// Simulator internals: the in-memory database (plugins, reports, plugin
// results and their jobs), lazily computed job states, and indexes.

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
}

/** How a simulated job moves through its states from `created`. */
export interface Lifecycle {
  created: number;
  queuedMs: number;
  runMs: number;
  fail: boolean;
}

/** A PluginResultJob row; `state` is fixed unless `life` is set. */
export interface JobRow {
  id: number;
  state: string;
  runLevel: string;
  gridEngineJobId: number;
  starttime: number | null;
  endtime: number | null;
  config: unknown;
  life: Lifecycle | null;
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
}

/** Current state, start and end of a job at time `now` (lifecycle applied). */
export function jobNow(
  job: JobRow,
  now: number,
): { state: string; start: number | null; end: number | null } {
  const life = job.life;
  if (!life) {
    return { state: job.state, start: job.starttime, end: job.endtime };
  }
  const started = life.created + life.queuedMs;
  const ended = started + life.runMs;
  if (now < started) return { state: "Queued", start: life.created, end: null };
  if (now < ended) return { state: "Started", start: life.created, end: null };
  return {
    state: life.fail ? "Error" : "Completed",
    start: life.created,
    end: ended,
  };
}

/** PR state: `Failed Validation`, else newest job by starttime, else `Unknown`. */
export function prState(pr: PrRow, now: number): string {
  if (pr.validationErrors?.length) return "Failed Validation";
  let best: { state: string; start: number; id: number } | null = null;
  for (const job of pr.jobs) {
    const cur = jobNow(job, now);
    const start = cur.start ?? -Infinity;
    if (
      !best || start > best.start || (start === best.start && job.id > best.id)
    ) {
      best = { state: cur.state, start, id: job.id };
    }
  }
  return best ? best.state : "Unknown";
}

/** `/output/Home/<resultsName>_<pk:03d>/`. */
export const reportLink = (r: ReportRow) => `/output/Home/${reportDir(r)}/`;
/** `<resultsName>_<pk:03d>`, the report's folder name. */
export const reportDir = (r: ReportRow) =>
  `${r.resultsName}_${String(r.id).padStart(3, "0")}`;

/** The database, with indexes by id, report and plugin name. */
export class SimStore {
  plugins: PluginRow[] = [];
  pluginById = new Map<number, PluginRow>();
  reports: ReportRow[] = [];
  reportById = new Map<number, ReportRow>();
  prs: PrRow[] = [];
  prById = new Map<number, PrRow>();
  prsByReport = new Map<number, PrRow[]>();
  prsByPlugin = new Map<string, PrRow[]>();
  jobs: JobRow[] = [];
  jobById = new Map<number, JobRow>();
  nextPr = 1;
  nextJob = 1;

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
    this.prs.push(pr);
    this.prById.set(pr.id, pr);
    push(this.prsByReport, report.id, pr);
    push(this.prsByPlugin, plugin.name, pr);
    report.pluginOut = true;
    return pr;
  }

  /** Adds a job to a plugin result. */
  addJob(pr: PrRow, job: Omit<JobRow, "id" | "gridEngineJobId">): JobRow {
    const id = this.nextJob++;
    const row: JobRow = { ...job, id, gridEngineJobId: 4100 + id * 3 };
    pr.jobs.push(row);
    this.jobs.push(row);
    this.jobById.set(id, row);
    return row;
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
