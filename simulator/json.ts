// Simulator internals: the JSON shapes of plugins, reports, plugin results
// and jobs as TS 5.12–5.18 serializes them (sdk-docs examples).

import { RUNNING_STATES } from "../lib/states.ts";
import {
  jobNow,
  type JobRow,
  type PluginRow,
  prFolder,
  type PrRow,
  prState,
  reportLink,
  type ReportRow,
  type SimStore,
} from "./store.ts";
import { i18nStatus } from "./report_status.ts";
import { serverReportDir, storeNow, type StoreWorld } from "./stores.ts";
import { DEFAULT_WORLD } from "./store.ts";
import { API, formatDatetime } from "./tastypie.ts";

/** JSON of a plugin (sdk-docs plugin.rst, 5.12). */
export function pluginJson(p: PluginRow): Record<string, unknown> {
  return {
    active: p.active,
    availableVersions: p.availableVersions,
    config: p.config,
    date: formatDatetime(p.date),
    defaultSelected: p.defaultSelected,
    description: p.description,
    hasAbout: p.hasAbout,
    id: p.id,
    input: p.isInstance
      ? `/configure/plugins/plugin/${p.id}/configure/report/`
      : "False",
    isConfig: p.isConfig,
    isInstance: p.isInstance,
    isPlanConfig: p.isPlanConfig,
    isSupported: p.packageName.startsWith("ion-plugin"),
    isUpgradable: p.availableVersions.some((v) => v !== p.version),
    majorBlock: p.majorBlock,
    name: p.name,
    packageName: p.packageName,
    path: `/results/plugins/${p.name}`,
    pluginsettings: {
      depends: [],
      features: [],
      runlevels: ["default"],
      runtypes: ["wholechip", "thumbnail", "composite"],
    },
    "requires_configuration": p.requires_configuration,
    "resource_uri": `${API}/plugin/${p.id}/`,
    script: p.script,
    selected: p.selected,
    status: {},
    url: "",
    userinputfields: {},
    version: p.version,
    versionedName: `${p.name}--v${p.version}`,
  };
}

/** JSON of a report; `plugins` adds `pluginState`/`pluginStore` (detail view). */
export function reportJson(
  store: SimStore,
  r: ReportRow,
  now: number,
  plugins: boolean,
): Record<string, unknown> {
  const link = reportLink(r);
  const prs = store.prsByReport.get(r.id) ?? [];
  const out: Record<string, unknown> = {
    analysisVersion: r.analysisVersion,
    analysismetrics: [`${API}/analysismetrics/${r.id + 7}/`],
    autoExempt: false,
    bamLink: `${link}download_links/${r.runid}.bam`,
    diskusage: r.diskusage,
    eas: `${API}/experimentanalysissettings/${r.easId}/`,
    experiment: `${API}/experiment/${r.experimentId}/`,
    filesystempath: serverReportDir(r),
    framesProcessed: 0,
    i18nstatus: i18nStatus(r.status),
    id: r.id,
    libmetrics: [`${API}/libmetrics/${r.id + 7}/`],
    log: `${link}log.html`,
    metaData: r.metaData,
    parentIDs: "",
    planShortID: r.planShortID,
    pluginresults: prs.map((p) => `${API}/pluginresult/${p.id}/`).reverse(),
    processedCycles: 0,
    processedflows: r.processedflows,
    projects: [`${API}/project/${(r.experimentId % 7) + 1}/`],
    qualitymetrics: [`${API}/qualitymetrics/${r.id + 7}/`],
    reference: r.reference,
    reportLink: link,
    reportStatus: "Nothing",
    reportstorage: {
      default: !r.storage,
      dirPath: "/results/analysis/output",
      id: r.storage ? 2 : 1,
      name: r.storage ?? "Home",
      "resource_uri": "",
      webServerPath: "/output",
    },
    representative: false,
    "resource_uri": `${API}/results/${r.id}/`,
    resultsName: r.resultsName,
    resultsType: r.resultsType,
    runid: r.runid,
    status: r.status,
    tfmetrics: [`${API}/tfmetrics/${r.id + 7}/`],
    timeStamp: formatDatetime(r.timeStamp),
    timeToComplete: "0",
  };
  if (plugins) {
    const state: Record<string, string> = {};
    const pstore: Record<string, unknown> = {};
    for (const [name, pr] of store.newestPerName(r.id)) {
      state[name] = prState(pr, now);
      pstore[name] = prStore(pr, now, store.world);
    }
    out.pluginState = state;
    out.pluginStore = pstore;
  }
  return out;
}

/**
 * A run's `store` as the API shows it: the last successful PATCH of its
 * jobs (`{}` before any; see stores.ts).
 */
export function prStore(
  pr: PrRow,
  now: number,
  world: StoreWorld = DEFAULT_WORLD,
): Record<string, unknown> {
  return storeNow(world, pr, now).served;
}

/** `results/<pk>/pluginstore/`: the newest run per plugin name, whatever its state. */
export function pluginStoreJson(
  store: SimStore,
  r: ReportRow,
  now: number,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, pr] of store.newestPerName(r.id)) {
    out[name] = prStore(pr, now, store.world);
  }
  return out;
}

/** JSON of a job (nested in plugin results and in PluginResultJob/). */
export function jobJson(job: JobRow, now: number): Record<string, unknown> {
  const cur = jobNow(job, now);
  return {
    config: job.config,
    endtime: formatDatetime(cur.end),
    "grid_engine_jobid": job.gridEngineJobId,
    id: job.id,
    "resource_uri": `${API}/PluginResultJob/${job.id}/`,
    "run_level": job.runLevel,
    starttime: formatDatetime(cur.start),
    state: cur.state,
  };
}

/** A run's `starttime` (earliest job start) and `endtime` (latest end), in ms. */
export function prTimes(
  pr: PrRow,
  now: number,
): { start: number | null; end: number | null; running: boolean } {
  const jobs = pr.jobs.map((j) => jobNow(j, now));
  const starts = jobs.map((j) => j.start).filter((t): t is number =>
    t !== null
  );
  const ends = jobs.map((j) => j.end).filter((t): t is number => t !== null);
  const running = jobs.some((j) => RUNNING_STATES.includes(j.state));
  return {
    start: starts.length ? Math.min(...starts) : null,
    // Correction 8: null while any job of the run is unfinished (a rerun
    // into the same run keeps the first job's end otherwise).
    end: ends.length && !running ? Math.max(...ends) : null,
    running,
  };
}

/** JSON of a plugin result (sdk-docs pluginresult.rst; 5.10+). */
export function prJson(
  pr: PrRow,
  now: number,
  world: StoreWorld = DEFAULT_WORLD,
): Record<string, unknown> {
  const state = prState(pr, now);
  const { start, end, running } = prTimes(pr, now);
  const link = reportLink(pr.report);
  const folder = prFolder(pr);
  const sized = !running && pr.jobs.length > 0;
  return {
    URL: `${link}plugin_out/${folder}/`,
    // Correction 8: not nulled on completion (readable by any user: a
    // secret the toolkit must never print).
    apikey: pr.apikey,
    "can_terminate": running,
    endtime: formatDatetime(end),
    files: state === "Completed" ? [`${pr.plugin.name}_block.html`] : [],
    id: pr.id,
    inodes: sized ? String(pr.inodes) : "-1",
    major: pr.plugin.majorBlock,
    owner: `${API}/user/${pr.owner}/`,
    path: `${serverReportDir(pr.report)}/plugin_out/${folder}`,
    plugin: `${API}/plugin/${pr.plugin.id}/`,
    pluginName: pr.plugin.name,
    pluginVersion: pr.plugin.version,
    "plugin_result_jobs": pr.jobs.map((j) => jobJson(j, now)),
    reportLink: link,
    "resource_uri": `${API}/pluginresult/${pr.id}/`,
    result: `${API}/results/${pr.report.id}/`,
    resultName: pr.report.resultsName,
    size: sized ? String(pr.size) : "-1",
    starttime: formatDatetime(start),
    state,
    store: prStore(pr, now, world),
    "validation_errors": pr.validationErrors
      ? { "validation_errors": pr.validationErrors }
      : {},
  };
}

/** Item of the bare array of `results/<pk>/pluginresults/`. */
export function reportPrJson(
  pr: PrRow,
  now: number,
  world: StoreWorld = DEFAULT_WORLD,
): Record<string, unknown> {
  const j = prJson(pr, now, world);
  return {
    Files: j.files,
    Links: [],
    Major: j.major,
    Name: j.pluginName,
    Path: j.path,
    Size: j.size,
    State: j.state,
    URL: j.URL,
    Version: j.pluginVersion,
    "can_terminate": j.can_terminate,
    id: j.id,
    inodes: j.inodes,
    "plugin_result_jobs":
      `<django.db.models.fields.related.RelatedManager object>`,
    show: true,
    "validation_errors": j.validation_errors,
  };
}
