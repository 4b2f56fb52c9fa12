// Simulator internals: the fields of each resource for filtering and
// ordering (model fields whitelisted, computed fields refused).

import type { FieldSpec, ResourceSpec } from "./filters.ts";
import { prStore } from "./json.ts";
import {
  planOf,
  type PlanRow,
  projectOf,
  type ProjectRow,
  type SampleRow,
  samplesOf,
} from "./lab.ts";
import {
  type EasRow,
  jobNow,
  type JobRow,
  type PluginRow,
  type PrRow,
  reportDir,
  reportLink,
  type ReportRow,
  type SimStore,
} from "./store.ts";
import { API } from "./tastypie.ts";

const m = <T>(
  kind: FieldSpec<T>["kind"],
  get: FieldSpec<T>["get"],
  extra: Partial<FieldSpec<T>> = {},
) => ({ kind, get, ...extra }) as FieldSpec<T>;
const computed = <T>(kind: FieldSpec<T>["kind"], get: FieldSpec<T>["get"]) =>
  m<T>(kind, get, { model: false });

/** Filter/order specs of the resources (model fields filterable, computed fields not). */
export function resourceSpecs(
  store: SimStore,
  users: readonly { username: string }[] = [],
) {
  const user: ResourceSpec<{ id: number; username: string }> = {
    fields: {
      id: m("int", (u) => u.id),
      username: m("str", (u) => u.username),
    },
  };
  const plugin: ResourceSpec<PluginRow> = {
    fields: {
      id: m("int", (p) => p.id),
      name: m("str", (p) => p.name),
      version: m("str", (p) => p.version),
      description: m("str", (p) => p.description),
      date: m("dt", (p) => p.date),
      active: m("bool", (p) => p.active),
      selected: m("bool", (p) => p.selected),
      defaultSelected: m("bool", (p) => p.defaultSelected),
      majorBlock: m("bool", (p) => p.majorBlock),
      "requires_configuration": m("bool", (p) => p.requires_configuration),
      script: m("str", (p) => p.script),
      packageName: m("str", (p) => p.packageName),
      path: m("str", (p) => `/results/plugins/${p.name}`),
      url: m("str", () => ""),
      config: m("json", (p) => p.config),
      status: m("json", () => ({})),
      pluginsettings: m("json", () => ({})),
      userinputfields: m("json", () => ({})),
      isConfig: m("bool", (p) => p.isConfig),
      "resource_uri": computed("str", (p) => `${API}/plugin/${p.id}/`),
      versionedName: computed("str", (p) => `${p.name}--v${p.version}`),
      isPlanConfig: computed("bool", (p) => p.isPlanConfig),
      isInstance: computed("bool", (p) => p.isInstance),
      hasAbout: computed("bool", (p) => p.hasAbout),
      input: computed("str", () => ""),
      isSupported: computed(
        "bool",
        (p) => p.packageName.startsWith("ion-plugin"),
      ),
      availableVersions: computed("json", (p) => p.availableVersions),
      isUpgradable: computed("bool", () => false),
    },
  };
  const project: ResourceSpec<ProjectRow> = {
    fields: {
      id: m("int", (p) => p.id),
      name: m("str", (p) => p.name),
      public: m("bool", () => true),
      "resource_uri": computed("str", (p) => `${API}/project/${p.id}/`),
    },
  };
  const sample: ResourceSpec<SampleRow> = {
    fields: {
      id: m("int", (x) => x.id),
      name: m("str", (x) => x.name),
      displayedName: m("str", (x) => x.displayedName),
      externalId: m("str", () => ""),
      status: m("str", () => "run"),
      "resource_uri": computed("str", (x) => `${API}/sample/${x.id}/`),
    },
  };
  const plan: ResourceSpec<PlanRow> = {
    fields: {
      id: m("int", (x) => x.id),
      planName: m("str", (x) => x.planName),
      planDisplayedName: m("str", (x) => x.planDisplayedName),
      planShortID: m("str", (x) => x.planShortID),
      planStatus: m("str", () => "run"),
      "resource_uri": computed(
        "str",
        (x) => `${API}/plannedexperiment/${x.id}/`,
      ),
    },
  };
  const experiment: ResourceSpec<ReportRow> = {
    fields: {
      id: m("int", (r) => r.experimentId),
      expName: m("str", (r) => r.expName),
      chipType: m("str", (r) => r.chipType),
      status: m("str", () => "run"),
      samples: m("rel", (r) => samplesOf(r), {
        rel: () => sample as ResourceSpec<unknown>,
        many: true,
      }),
      plan: m("rel", (r) => planOf(r), {
        rel: () => plan as ResourceSpec<unknown>,
      }),
      "resource_uri": computed(
        "str",
        (r) => `${API}/experiment/${r.experimentId}/`,
      ),
      sample: computed("str", (r) => samplesOf(r)[0]!.name),
    },
  };
  const str = (f: (r: ReportRow) => string) => m<ReportRow>("str", f);
  const results: ResourceSpec<ReportRow> = {
    fields: {
      id: m("int", (r) => r.id),
      resultsName: str((r) => r.resultsName),
      status: str((r) => r.status),
      timeStamp: m("dt", (r) => r.timeStamp),
      reportLink: str(reportLink),
      filesystempath: str((r) =>
        `/results/analysis/output/${r.storage ?? "Home"}/${reportDir(r)}`
      ),
      experiment: m("rel", (r) => r, {
        rel: () => experiment as ResourceSpec<unknown>,
      }),
      projects: m("rel", (r) => [projectOf(r)], {
        rel: () => project as ResourceSpec<unknown>,
        many: true,
      }),
      runid: str((r) => r.runid),
      planShortID: str((r) => r.planShortID),
      reference: str((r) => r.reference),
      resultsType: str((r) => r.resultsType),
      processedflows: m("int", (r) => r.processedflows),
      diskusage: m("int", (r) => r.diskusage),
      analysisVersion: str((r) => r.analysisVersion),
      reportStatus: str(() => "Nothing"),
      autoExempt: m("bool", () => false),
      representative: m("bool", () => false),
      parentIDs: str(() => ""),
      timeToComplete: str(() => "0"),
      framesProcessed: m("int", () => 0),
      processedCycles: m("int", () => 0),
      metaData: m("json", (r) => r.metaData),
      eas: m("rel", (r) => store.easById.get(r.easId) ?? null, {
        rel: () => eas as ResourceSpec<unknown>,
      }),
      log: str((r) => `${reportLink(r)}log.html`),
      "resource_uri": computed("str", (r) => `${API}/results/${r.id}/`),
      i18nstatus: computed("json", (r) => r.status),
      reportstorage: computed("json", () => ({})),
    },
  };
  const eas: ResourceSpec<EasRow> = {
    fields: {
      id: m("int", (e) => e.id),
      experiment: m("int", (e) => e.experimentId),
      status: m("str", () => "run"),
      reference: m("str", (e) => e.reference),
      barcodeKitName: m("str", (e) => e.barcodeKitName),
      libraryKitName: m("str", (e) => e.libraryKitName),
      libraryKey: m("str", () => "TCAG"),
      date: m("dt", (e) => e.date),
      isEditable: m("bool", () => false),
      selectedPlugins: m("json", (e) => e.selectedPlugins),
      barcodedSamples: m("json", () => ({})),
      results: m(
        "rel",
        (e) => e.reports.map((id) => store.reportById.get(id)).filter(Boolean),
        { rel: () => results as ResourceSpec<unknown>, many: true },
      ),
      "resource_uri": computed(
        "str",
        (e) => `${API}/experimentanalysissettings/${e.id}/`,
      ),
    },
  };
  const job: ResourceSpec<JobRow> = {
    fields: {
      id: m("int", (j) => j.id),
      state: m("str", (j, now) => jobNow(j, now).state),
      "run_level": m("str", (j) => j.runLevel),
      "grid_engine_jobid": m("int", (j) => j.gridEngineJobId),
      starttime: m("dt", (j, now) => jobNow(j, now).start),
      endtime: m("dt", (j, now) => jobNow(j, now).end),
      config: m("json", (j) => j.config),
      "resource_uri": computed("str", (j) => `${API}/PluginResultJob/${j.id}/`),
    },
  };
  const rel = <T>(
    spec: ResourceSpec<T>,
    get: FieldSpec<PrRow>["get"],
    many = false,
  ) => m<PrRow>("rel", get, { rel: () => spec as ResourceSpec<unknown>, many });
  const pc = (kind: FieldSpec<PrRow>["kind"]) =>
    computed<PrRow>(kind, () => null);
  const pluginresult: ResourceSpec<PrRow> = {
    fields: {
      id: m("int", (p) => p.id),
      result: rel(results, (p) => p.report),
      plugin: rel(plugin, (p) => p.plugin),
      // Owners are the users in order, from 1 (`owner__username=` works).
      owner: rel(user, (p) => ({
        id: p.owner,
        username: users[p.owner - 1]?.username ?? "",
      })),
      apikey: m("str", (p) => p.apikey),
      size: m("str", (p) => String(p.size)),
      inodes: m("str", (p) => String(p.inodes)),
      // A model field: `store__contains=` is a LIKE on the JSON text.
      store: m("json", (p, now) => prStore(p, now, store.world)),
      "validation_errors": m("json", (p) => p.validationErrors ?? {}),
      "plugin_result_jobs": rel(job, (p) => p.jobs, true),
      state: pc("str"),
      pluginName: pc("str"),
      pluginVersion: pc("str"),
      resultName: pc("str"),
      reportLink: pc("str"),
      path: pc("str"),
      URL: pc("str"),
      files: pc("json"),
      major: pc("bool"),
      "can_terminate": pc("bool"),
      starttime: pc("dt"),
      endtime: pc("dt"),
      "resource_uri": pc("str"),
    },
  };
  return {
    plugin,
    results,
    pluginresult,
    job,
    eas,
    project,
    experiment,
    sample,
    plan,
  };
}
