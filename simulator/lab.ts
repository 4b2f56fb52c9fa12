// Simulator internals: what a lab names its runs by, beside the reports:
// projects, samples, the chip type and the plan, as the resources the real
// API serves them from, and the relations reports are filtered through.
//
// What the TS source says (iontorrent/TS dbReports/iondb/rundb/):
// - api.py `ResultsResource`: `projects = fields.ToManyField(ProjectResource,
//   "projects", full=False)` (URIs on each report), `experiment =
//   fields.ToOneField(ExperimentResource, "experiment", full=False)` (a URI);
//   `filtering = field_dict(models.Results._meta.get_all_field_names())`, so
//   every model field, `projects` and `experiment` included, filters with
//   relations: `projects__name=…`, `experiment__chipType=…`.
// - api.py `ExperimentResource`: `samples = fields.ToManyField(SampleResource,
//   "samples", full=False)`, `plan = fields.ToOneField(
//   PlannedExperimentResource, "plan", full=False)`, `sample` (the first
//   sample's name, "Backwards support"), every model field filterable:
//   `experiment__samples__name=…`, `experiment__plan__planName=…`.
// - models.py: `Project.name` (unique), `Experiment.chipType`,
//   `Experiment.samples` (ManyToMany to Sample, `name`/`displayedName`),
//   `Experiment.plan` (OneToOne to PlannedExperiment: `planName`,
//   `planDisplayedName`, `planShortID`).
// None of the report's own fields carry them: a client that filters on
// them sees only URIs on the reports it gets back.
//
// The values are derived from each report's experiment (nothing to seed or
// keep in the state file): the project its `projects` URI already named,
// one to three samples, and a plan named after the application.

import type { ReportRow, SimStore } from "./store.ts";
import { API, formatDatetime } from "./tastypie.ts";

/** The seven projects (ids 1–7), by id. */
export const PROJECTS: readonly string[] = [
  "Lung_Cancer_Panel",
  "Exome_Validation",
  "Tumor_Hotspots",
  "BRCA_Research",
  "Inherited_Disease",
  "Transcriptome",
  "TB_Surveillance",
];

/** A project. */
export interface ProjectRow {
  id: number;
  name: string;
}

/** A sample of an experiment. */
export interface SampleRow {
  id: number;
  name: string;
  displayedName: string;
  experimentId: number;
}

/** A plan (PlannedExperiment) of an experiment. */
export interface PlanRow {
  id: number;
  planName: string;
  planDisplayedName: string;
  planShortID: string;
  experimentId: number;
}

/** The project of a report: the one its `projects` URI names. */
export function projectOf(r: ReportRow): ProjectRow {
  const id = (r.experimentId % 7) + 1;
  return { id, name: PROJECTS[id - 1]! };
}

const PREFIX: Record<string, string> = {
  OCAv3_Lung: "LC",
  AmpliSeq_Exome: "EX",
  CHPv2_Tumor: "TU",
  BRCA_Research: "BR",
  Inherited_Disease: "ID",
  CCP_Colon: "CO",
  Transcriptome_HD: "RNA",
  ImmuneResponse_RNA: "IR",
  "16S_Metagenomics": "MG",
  TB_Panel: "TB",
};

/** The samples of a report's experiment (one to three, barcoded). */
export function samplesOf(r: ReportRow): SampleRow[] {
  const n = 1 + (r.experimentId % 3);
  const prefix = PREFIX[r.application] ?? "S";
  return Array.from({ length: n }, (_, k) => {
    const num = 100 + ((r.experimentId * 7 + k * 13) % 900);
    return {
      id: r.experimentId * 4 + k,
      name: `${prefix}-${num}`,
      displayedName: `${prefix} ${num}`,
      experimentId: r.experimentId,
    };
  });
}

/** The plan of a report's experiment. */
export function planOf(r: ReportRow): PlanRow {
  const version = 1 + (r.experimentId % 2);
  return {
    id: r.experimentId + 100_000,
    planName: `${r.application}_v${version}`,
    planDisplayedName: `${r.application.replaceAll("_", " ")} v${version}`,
    planShortID: r.planShortID,
    experimentId: r.experimentId,
  };
}

/** The experiments (one per experiment id: a thumbnail shares its run's), and their reports. */
export function experiments(store: SimStore): Map<number, ReportRow[]> {
  const out = new Map<number, ReportRow[]>();
  for (const r of store.reports) {
    let list = out.get(r.experimentId);
    if (!list) out.set(r.experimentId, list = []);
    list.push(r);
  }
  return out;
}

/** JSON of a project (ProjectResource: its reports as URIs, their count). */
export function projectJson(
  p: ProjectRow,
  reports: readonly ReportRow[],
): Record<string, unknown> {
  return {
    created: "2023-01-09T10:00:00+00:00",
    creator: `${API}/user/1/`,
    id: p.id,
    modified: "2023-01-09T10:00:00+00:00",
    name: p.name,
    public: true,
    "resource_uri": `${API}/project/${p.id}/`,
    results: reports.map((r) => `${API}/results/${r.id}/`),
    resultsCount: reports.length,
  };
}

/** JSON of an experiment (ExperimentResource: samples and plan as URIs). */
export function experimentJson(
  reports: readonly ReportRow[],
): Record<string, unknown> {
  const r = reports[0]!;
  const samples = samplesOf(r);
  return {
    chipType: r.chipType,
    date: formatDatetime(r.timeStamp - 3_600_000),
    displayName: r.expName.replace(/^R_/, ""),
    expName: r.expName,
    id: r.experimentId,
    plan: `${API}/plannedexperiment/${planOf(r).id}/`,
    "resource_uri": `${API}/experiment/${r.experimentId}/`,
    results: reports.map((x) => `${API}/results/${x.id}/`),
    sample: samples[0]!.name,
    samples: samples.map((s) => `${API}/sample/${s.id}/`),
    status: "run",
  };
}

/** JSON of a sample. */
export function sampleJson(s: SampleRow): Record<string, unknown> {
  return {
    description: "",
    displayedName: s.displayedName,
    experiments: [`${API}/experiment/${s.experimentId}/`],
    externalId: "",
    id: s.id,
    name: s.name,
    "resource_uri": `${API}/sample/${s.id}/`,
    status: "run",
  };
}

/** JSON of a plan. */
export function planJson(p: PlanRow): Record<string, unknown> {
  return {
    experiment: `${API}/experiment/${p.experimentId}/`,
    id: p.id,
    planDisplayedName: p.planDisplayedName,
    planName: p.planName,
    planShortID: p.planShortID,
    planStatus: "run",
    "resource_uri": `${API}/plannedexperiment/${p.id}/`,
  };
}
