// Simulator internals: the barcodes and samples of a report, and what each
// plugin run writes to its `results.json` and what the API's `store` shows.
//
// What the TS source says (iontorrent/TS 5.18.1, see
// /work/shared/torrent-suite-outputs.md §1.4–1.6):
// - `ion-plugin-status` PATCHes `{"store": <results.json>}` at each state
//   change when results.json exists; a failed PATCH is ignored, so a store
//   can be `{}` or stale while results.json is complete. A rerun into the
//   same plugin result keeps the old store until its own final PATCH.
// - Stored JSON is loaded with `parse_float=Decimal` and tastypie turns a
//   Decimal into text: floats come back as strings, ints stay ints; most
//   coverageAnalysis and sampleID values are strings with units anyway.
// - coverageAnalysis / molecularCoverageAnalysis: run-level config keys,
//   `barcoded` ("true"/"false"), `barcodes: {<bc>: {...}}` (non-barcoded:
//   the per-sample keys at the top level), a failed barcode
//   `{"Sample Name", "Error"}` inside a Completed run, a failed run a
//   top-level `Error`.
// - variantCaller: `files` (typed list) and `barcoded` always; barcoded runs
//   `barcodes.<bc>` with `variants`/`hotspots` integer counts; NON-barcoded
//   runs carry no metrics (the plugin's scoping bug, INFERRED).
// - sampleID: `Sample ID` whose first letter is the gender call, nested
//   `target_cov` and `loci_cov`.
// Everything is a pure function of the seed, the report, the run and its
// job (ids, state, config), so nothing new needs keeping in the state file.

export { DEFAULT_WORLD };

import { RUNNING_STATES } from "../lib/states.ts";
import { makeRng } from "./data.ts";
import { failureMessage } from "./plugin_logs.ts";
import {
  DEFAULT_WORLD,
  jobNow,
  type JobRow,
  prFolder,
  type PrRow,
  reportDir,
  type ReportRow,
  type SimBarcode,
  type StoreWorld,
} from "./store.ts";

export type { StoreWorld };

/** Salts of the store decisions (each its own PRNG stream). */
const SALT = {
  barcoded: 0xbc0de,
  layout: 0xbc7a1,
  values: 0x57a7e,
  bcError: 0xbce77,
  patch: 0x9a7c4,
  early: 0xea71e,
} as const;

/** A PRNG for one decision and key, independent of everything else. */
export function rngFor(seed: number, salt: number, key: number): () => number {
  return makeRng((seed ^ salt ^ Math.imul(key, 0x9e3779b1)) >>> 0);
}

export type { SimBarcode };

const KIT_NAMES: Record<string, (i: number) => string> = {
  IonXpress: (i) => `IonXpress_${String(i).padStart(3, "0")}`,
  IonCode: (i) => `IonCode_01${String(i).padStart(2, "0")}`,
  IonDual: (i) => `IonDual_01${String(i).padStart(2, "0")}`,
};
const SAMPLE_PREFIXES = ["Pt", "Tumor", "NA", "HD", "Ctrl", "FFPE", "cfDNA"];
const SIZES = [1, 2, 3, 4, 4, 6, 8, 8, 8, 12, 16, 24];

/**
 * The barcodes of a report's plan (thumbnail and full reports share it):
 * none for `unbarcodedRate` of the plans, else 1 to 24 barcodes of the
 * plan's kit, each with its own sample.
 */
export function barcodesOf(
  world: StoreWorld,
  report: ReportRow,
  kit: string,
): SimBarcode[] {
  const key = report.easId;
  const rng = rngFor(world.seed, SALT.barcoded, key);
  if (rng() < world.unbarcodedRate) return [];
  const n = SIZES[Math.floor(rng() * SIZES.length)]!;
  let index = 1 + Math.floor(rng() * 40);
  const name = KIT_NAMES[kit] ?? KIT_NAMES.IonXpress!;
  const prefix = SAMPLE_PREFIXES[Math.floor(rng() * SAMPLE_PREFIXES.length)]!;
  const base = 100 + Math.floor(rng() * 8900);
  const out: SimBarcode[] = [];
  for (let i = 0; i < n; i++) {
    out.push({
      barcode: name(index),
      index,
      sample: `${prefix}${base + i}${rng() < 0.2 ? "_rep2" : ""}`,
    });
    index += rng() < 0.15 ? 2 : 1;
  }
  return out;
}

/** The target panel of an application: its BED name, size and library kind. */
function panelOf(report: ReportRow): {
  name: string;
  regions: number;
  kind: "amplicon" | "target";
} {
  const panels: Record<string, [string, number, "amplicon" | "target"]> = {
    OCAv3_Lung: ["OCAv3.20170110.designed", 2530, "amplicon"],
    AmpliSeq_Exome: ["AmpliSeqExome.20141113.designed", 293903, "amplicon"],
    CHPv2_Tumor: ["CHP2.20131001.designed", 207, "amplicon"],
    BRCA_Research: ["BRCA1_2.20131001.designed", 167, "amplicon"],
    Inherited_Disease: ["IDP_v1.20150407.designed", 10253, "amplicon"],
    CCP_Colon: ["CCP.20131001.designed", 15992, "amplicon"],
    TB_Panel: ["MTB_H37Rv.targets.20180301", 42, "target"],
  };
  const [name, regions, kind] = panels[report.application] ??
    ["Custom_panel.20200101.designed", 500, "amplicon"];
  return { name, regions, kind };
}

/** The BED files of a run (server paths). */
function bedPaths(report: ReportRow): { targets: string; hotspots: string } {
  const { name } = panelOf(report);
  const dir = `/results/uploads/BED/${17 + (name.length % 40)}/${
    report.reference || "hg19"
  }/unmerged/detail`;
  return {
    targets: `${dir}/${name}.bed`,
    hotspots: `${dir}/${name.replace("designed", "hotspots")}.bed`,
  };
}

/** The report folder on the server (`reportstorage` + report dir). */
export function serverReportDir(report: ReportRow): string {
  return `/results/analysis/output/${storageOf(report)}/${reportDir(report)}`;
}

/** The storage location name of a report (`Home` unless moved). */
export function storageOf(report: ReportRow): string {
  return report.storage ?? "Home";
}

/** `<expmeta.output_file_name_stem>`: the report's BAM stem. */
export function stemOf(report: ReportRow): string {
  return `${report.expName}_${report.id}`;
}

/** One file variantCaller lists in `store.files`. */
export interface VcFile {
  type: string;
  /** Path relative to the run folder. */
  path: string;
  barcode?: string;
  sample?: string;
}

/** The files variantCaller writes and lists (barcode folders, or the top level). */
export function vcFiles(pr: PrRow, barcodes: SimBarcode[]): VcFile[] {
  const out: VcFile[] = [];
  const per = (bc: SimBarcode | null) => {
    const dir = bc ? `${bc.barcode}/` : "";
    const sfx = bc ? `_${bc.barcode}` : "";
    const tag = bc ? { barcode: bc.barcode, sample: bc.sample } : {};
    const bam = bc ? `${bc.barcode}_${stemOf(pr.report)}` : stemOf(pr.report);
    out.push(
      { type: "variants_vcf_gz", path: `${dir}TSVC_variants${sfx}.vcf.gz` },
      {
        type: "variants_vcf_gz_tbi",
        path: `${dir}TSVC_variants${sfx}.vcf.gz.tbi`,
      },
      { type: "alleles_xls", path: `${dir}alleles${sfx}.xls` },
      { type: "mapped_bam", path: `${dir}${bam}.bam` },
      { type: "mapped_bam_bai", path: `${dir}${bam}.bam.bai` },
    );
    for (const f of out.slice(-5)) Object.assign(f, tag);
  };
  if (barcodes.length) barcodes.forEach(per);
  else per(null);
  out.push({ type: "parameters_json", path: "local_parameters.json" });
  return out;
}

/** Everything one run's store is built from. */
interface RunInfo {
  world: StoreWorld;
  pr: PrRow;
  job: JobRow;
  barcodes: SimBarcode[];
  config: Record<string, unknown>;
}

const pct = (rng: () => number, lo: number, hi: number) =>
  `${(lo + rng() * (hi - lo)).toFixed(2)}%`;
const dec = (rng: () => number, lo: number, hi: number, digits = 1) =>
  (lo + rng() * (hi - lo)).toFixed(digits);
const int = (rng: () => number, lo: number, hi: number) =>
  Math.floor(lo + rng() * (hi - lo));

function valuesRng(run: RunInfo, bc: number): () => number {
  return rngFor(run.world.seed, SALT.values, run.job.id * 997 + bc);
}

/** The coverage tiers: config `tier1`..`tier3` (INFERRED names), else 20/100/500. */
function tiers(config: Record<string, unknown>): number[] {
  return [["tier1", 20], ["tier2", 100], ["tier3", 500]].map(([k, d]) => {
    const v = Number(config[k as string]);
    return Number.isFinite(v) && v > 0 ? Math.floor(v) : d as number;
  });
}

const launchMode = (run: RunInfo) =>
  run.job.life && !run.job.life.pipeline
    ? "Manual"
    : "Autostart with plan configuration";

/** A coverageAnalysis sample's keys (the lines of its `.stats.cov.txt`). */
export function coverageSample(
  run: RunInfo,
  bc: SimBarcode | null,
): Record<string, string> {
  const rng = valuesRng(run, bc?.index ?? 0);
  const panel = panelOf(run.pr.report);
  const beds = bedPaths(run.pr.report);
  const t = [1, ...tiers(run.config)];
  const stem = bc ? `${bc.barcode}_${stemOf(run.pr.report)}` : stemOf(
    run.pr.report,
  );
  const mapped = int(rng, 150_000, 4_500_000);
  const out: Record<string, string> = {
    "Sample Name": bc?.sample ?? "None",
    "Reference Genome": run.pr.report.reference || "hg19",
    "Target Regions": beds.targets.split("/").at(-1)!.replace(/\.bed$/, ""),
    "Target Padding": "0",
    Alignments: stem,
    "Read Filters": "Uniquely mapped, non-duplicate",
    "Number of mapped reads": String(mapped),
    "Percent reads on target": pct(rng, 85, 99),
    "Percent sample tracking reads": pct(rng, 0, 1.5),
  };
  const down = [
    pct(rng, 99, 100),
    pct(rng, 95, 99.5),
    pct(rng, 85, 97),
    pct(
      rng,
      40,
      85,
    ),
  ];
  if (panel.kind === "amplicon") {
    Object.assign(out, {
      "Number of amplicons": String(panel.regions),
      "Percent assigned amplicon reads": pct(rng, 90, 99),
      "Average reads per amplicon": dec(
        rng,
        mapped / panel.regions * 0.8,
        mapped / panel.regions,
      ),
      "Uniformity of amplicon coverage": pct(rng, 88, 98),
    });
    t.forEach((d, i) =>
      out[`Amplicons with at least ${d} read${d === 1 ? "" : "s"}`] = down[i]!
    );
    Object.assign(out, {
      "Amplicons with no strand bias": pct(rng, 93, 99),
      "Amplicons reading end-to-end": pct(rng, 70, 95),
      "Amplicon base composition bias": dec(rng, 0.05, 0.6, 3),
    });
  } else {
    Object.assign(out, {
      "Number of unmerged targets": String(panel.regions),
      "Percent assigned target reads": pct(rng, 88, 99),
      "Average base coverage depth per target": dec(rng, 200, 2000),
      "Uniformity of base coverage per target": pct(rng, 85, 97),
    });
    t.forEach((d, i) => out[`Targets with base coverage at ${d}x`] = down[i]!);
    Object.assign(out, {
      "Targets with no strand bias": pct(rng, 90, 99),
      "Targets with full coverage": pct(rng, 80, 97),
    });
  }
  Object.assign(out, {
    "Bases in target regions": String(panel.regions * int(rng, 120, 180)),
    "Percent base reads on target": pct(rng, 85, 98),
    "Average base coverage depth": dec(rng, 150, 2500),
    "Uniformity of base coverage": pct(rng, 85, 97),
  });
  t.forEach((d, i) => out[`Target base coverage at ${d}x`] = down[i]!);
  Object.assign(out, {
    "Target bases with no strand bias": pct(rng, 90, 99),
    "Percent end-to-end reads": pct(rng, 60, 95),
  });
  return out;
}

function coverageConfig(run: RunInfo): Record<string, string> {
  const panel = panelOf(run.pr.report);
  const [t1, t2, t3] = tiers(run.config);
  const c = run.config;
  return {
    "Launch Mode": launchMode(run),
    "Library Type": panel.kind === "amplicon"
      ? "AmpliSeq DNA"
      : "Target Capture",
    "Reference Genome": run.pr.report.reference || "hg19",
    "Targeted Regions": panel.name,
    "Sample Tracking": c.sampleid === "on" ? "Yes" : "No",
    "Target Padding": "0",
    "Use Only Uniquely Mapped Reads": c.uniquemaps === "Yes" ? "Yes" : "No",
    "Use Only Non-duplicate Reads": c.nonduplicates === "No" ? "No" : "Yes",
    "Min Aligned Length": "0",
    "Min Mapping Quality": "0",
    "Tier 1 Coverage Depth": String(t1),
    "Tier 2 Coverage Depth": String(t2),
    "Tier 3 Coverage Depth": String(t3),
  };
}

/** Whether a barcode of a run failed inside it (seeded, `barcodeErrorRate`). */
function barcodeFailed(run: RunInfo, bc: SimBarcode): boolean {
  return rngFor(run.world.seed, SALT.bcError, run.job.id * 997 + bc.index)() <
    run.world.barcodeErrorRate;
}

const BC_ERRORS = [
  "No reads for barcode",
  "Insufficient reads mapped to targets",
  "Failed to create coverage summary",
];

function bcError(run: RunInfo, bc: SimBarcode) {
  return {
    "Sample Name": bc.sample,
    Error: BC_ERRORS[(run.job.id + bc.index) % BC_ERRORS.length]!,
  };
}

function perBarcode(
  run: RunInfo,
  sample: (bc: SimBarcode | null) => Record<string, unknown>,
  config: Record<string, unknown>,
  canFail: boolean,
): Record<string, unknown> {
  if (!run.barcodes.length) {
    return { ...config, barcoded: "false", ...sample(null) };
  }
  const barcodes: Record<string, unknown> = {};
  for (const bc of run.barcodes) {
    barcodes[bc.barcode] = canFail && barcodeFailed(run, bc)
      ? bcError(run, bc)
      : sample(bc);
  }
  return { ...config, barcoded: "true", barcodes };
}

function coverageStore(run: RunInfo): Record<string, unknown> {
  const out = perBarcode(
    run,
    (bc) => coverageSample(run, bc),
    coverageConfig(run),
    true,
  );
  if (run.barcodes.length && panelOf(run.pr.report).kind === "amplicon") {
    const rng = valuesRng(run, 9999);
    out["Amplicons reading end-to-end"] = pct(rng, 70, 95);
    out["Percent end-to-end reads"] = pct(rng, 60, 95);
  }
  return out;
}

function mcaStore(run: RunInfo): Record<string, unknown> {
  const config = {
    "Launch Mode": launchMode(run),
    "Library Type": "Tag Sequencing",
    "Reference Genome": run.pr.report.reference || "hg19",
    "Targeted Regions": "Oncomine_Lung_cfDNA.20160812.designed",
    "Barcode-specific Targets": run.config.barcodeTargetRegions ? "Yes" : "No",
    "Minimum Family Size": String(run.config.umi_min_fam_size ?? "3"),
  };
  return perBarcode(
    run,
    (bc) => {
      const rng = valuesRng(run, bc?.index ?? 0);
      return {
        "Sample Name": bc?.sample ?? "None",
        "Number of mapped reads": String(int(rng, 2_000_000, 12_000_000)),
        "Percent reads on target": pct(rng, 90, 99),
        "Median read coverage": String(int(rng, 15_000, 40_000)),
        "Median molecular coverage": String(int(rng, 1_200, 4_000)),
        "Median LOD": pct(rng, 0.05, 0.3),
        "Percent targets with molecular coverage at 0.8x median": pct(
          rng,
          90,
          100,
        ),
      };
    },
    config,
    true,
  );
}

function sampleIdStore(run: RunInfo): Record<string, unknown> {
  const config = {
    "Launch Mode": launchMode(run),
    "Reference Genome": run.pr.report.reference || "hg19",
  };
  return perBarcode(
    run,
    (bc) => {
      const rng = valuesRng(run, bc?.index ?? 0);
      const g = rng();
      const gender = g < 0.05 ? "?" : g < 0.52 ? "F" : "M";
      let code = "";
      for (let i = 0; i < 8; i++) code += "ACGT"[int(rng, 0, 4)];
      const mapped = int(rng, 150_000, 4_500_000);
      const inRegions = Math.floor(mapped * (0.005 + rng() * 0.02));
      return {
        "Sample Name": bc?.sample ?? "None",
        "Sample ID": `${gender}-${code}`,
        "Number of mapped reads": String(mapped),
        "Number of reads in sample ID regions": String(inRegions),
        "Percent reads in sample ID regions": `${
          (100 * inRegions / mapped).toFixed(2)
        }%`,
        "target_cov": {
          "Coverage at 1x": pct(rng, 99, 100),
          "Coverage at 20x": pct(rng, 90, 100),
          "Mean depth": dec(rng, 80, 900),
        },
        "loci_cov": {
          "Coverage at 20x": pct(rng, 90, 100),
          "Coverage at 100x": pct(rng, 60, 100),
          "Mean depth": dec(rng, 80, 900),
        },
      };
    },
    config,
    false,
  );
}

/** variantCaller's `files`: the typed list with server and web paths. */
export function vcFilesJson(run: { pr: PrRow; barcodes: SimBarcode[] }) {
  const folder = prFolder(run.pr);
  const server = `${serverReportDir(run.pr.report)}/plugin_out/${folder}`;
  const web = `/output/${storageOf(run.pr.report)}/${
    reportDir(run.pr.report)
  }/plugin_out/${folder}`;
  return vcFiles(run.pr, run.barcodes).map((f) => ({
    type: f.type,
    filename: f.path.split("/").at(-1)!,
    "server_path": `${server}/${f.path}`,
    "download_path": `${web}/${f.path}`,
    ...(f.barcode ? { barcode: f.barcode, sample: f.sample } : {}),
  }));
}

function counts(rng: () => number, scale: number) {
  const c = {
    variants: 0,
    "het_snps": int(rng, 0, 40 * scale),
    "homo_snps": int(rng, 0, 25 * scale),
    "het_indels": int(rng, 0, 6 * scale),
    "homo_indels": int(rng, 0, 4 * scale),
    other: int(rng, 0, 3 * scale),
    "no_call": int(rng, 0, 5 * scale),
  };
  c.variants = c.het_snps + c.homo_snps + c.het_indels + c.homo_indels +
    c.other;
  return c;
}

function vcStore(run: RunInfo): Record<string, unknown> {
  const files = vcFilesJson(run);
  if (!run.barcodes.length) {
    // load_results_json rebinds a local name only: no metrics survive.
    return { barcoded: "false", files };
  }
  const meta = (run.config.meta ?? {}) as Record<string, unknown>;
  const sel = (meta.user_selections ?? {}) as Record<string, unknown>;
  const beds = bedPaths(run.pr.report);
  const barcodes: Record<string, unknown> = {};
  for (const bc of run.barcodes) {
    const rng = valuesRng(run, bc.index);
    barcodes[bc.barcode] = {
      "Aligned Reads": run.pr.report.expName,
      "Library Type": sel.library === "wholegenome"
        ? "Whole Genome"
        : "AmpliSeq",
      Configuration: String(meta.configuration ?? "germline_low_stringency"),
      "Trim Reads": meta.trimreads ?? true,
      variants: counts(rng, 3),
      hotspots: counts(rng, 1),
      "deamination_metric": dec(rng, 0.001, 0.08, 4),
      "targets_bed": beds.targets,
      "hotspots_bed": beds.hotspots,
    };
  }
  return { barcoded: "true", files, barcodes };
}

/** What a run of a plugin writes to results.json when it completes. */
function completeStore(run: RunInfo): Record<string, unknown> {
  switch (run.pr.plugin.name) {
    case "coverageAnalysis":
      return coverageStore(run);
    case "molecularCoverageAnalysis":
      return mcaStore(run);
    case "variantCaller":
      return vcStore(run);
    case "sampleID":
      return sampleIdStore(run);
    default:
      return { "Plugin Version": run.pr.plugin.version };
  }
}

/** A failed run's results.json: the barcodes done before the failure and `Error`. */
function partialStore(run: RunInfo): Record<string, unknown> {
  const done = run.barcodes.slice(0, Math.floor(run.barcodes.length / 2));
  const part = { ...run, barcodes: done };
  const full = completeStore(part);
  if (!run.barcodes.length) {
    // Only the run-level keys were written before it failed.
    for (const k of Object.keys(full)) {
      if (
        !/^(Launch Mode|Library Type|Reference Genome|Targeted Regions|barcoded|files|Plugin Version)$/
          .test(k)
      ) {
        delete full[k];
      }
    }
  } else if (!done.length) {
    full.barcodes = {};
  }
  if (Array.isArray(full.files)) full.files = vcFilesJson(part);
  return { ...full, Error: failureMessage(run.pr) };
}

function runInfo(world: StoreWorld, pr: PrRow, job: JobRow): RunInfo {
  const config = job.config && typeof job.config === "object" &&
      !Array.isArray(job.config)
    ? job.config as Record<string, unknown>
    : {};
  return { world, pr, job, barcodes: pr.report.barcodes ?? [], config };
}

/** A failed job that ended before it wrote results.json (seeded or set). */
export function endedEarly(world: StoreWorld, job: JobRow): boolean {
  if (job.storeFate) return job.storeFate === "no-results";
  return rngFor(world.seed, SALT.early, job.id)() < world.earlyErrorRate;
}

function patchFailed(world: StoreWorld, job: JobRow): boolean {
  if (job.storeFate) return job.storeFate === "patch-failed";
  return rngFor(world.seed, SALT.patch, job.id)() < world.patchFailRate;
}

/**
 * Built stores by job and state (a job's store is fixed once it has
 * ended); dropped when the world (seed, options) is another one.
 */
const built = new WeakMap<
  JobRow,
  { world: StoreWorld; state: string; store: Record<string, unknown> | null }
>();

/** What a finished job left in results.json (null: none written). */
function written(
  world: StoreWorld,
  pr: PrRow,
  job: JobRow,
  state: string,
): Record<string, unknown> | null {
  const hit = built.get(job);
  if (hit && hit.world === world && hit.state === state) return hit.store;
  const store = build(world, pr, job, state);
  built.set(job, { world, state, store });
  return store;
}

function build(
  world: StoreWorld,
  pr: PrRow,
  job: JobRow,
  state: string,
): Record<string, unknown> | null {
  const run = runInfo(world, pr, job);
  if (state === "Completed") return completeStore(run);
  if (state === "Error" || state === "Timed Out") {
    return endedEarly(world, job) ? null : partialStore(run);
  }
  return null; // Cancelled (the stop view sets the state), Unknown
}

/**
 * A run's store at `now`: `served` is what the API shows (the last
 * successful PATCH of any of its jobs), `disk` the results.json in its
 * folder (null while a job runs or when none was written), `job` the job
 * whose results.json it is.
 */
export function storeNow(
  world: StoreWorld,
  pr: PrRow,
  now: number,
): {
  served: Record<string, unknown>;
  disk: Record<string, unknown> | null;
} {
  let served: Record<string, unknown> = {};
  let disk: Record<string, unknown> | null = null;
  for (const job of [...pr.jobs].sort((a, b) => a.id - b.id)) {
    const cur = jobNow(job, now);
    if (RUNNING_STATES.includes(cur.state)) {
      disk = null; // deleted at start (variantCaller) or not written yet
      continue;
    }
    disk = written(world, pr, job, cur.state);
    if (disk && !patchFailed(world, job)) served = disk;
  }
  return { served, disk };
}

/** The newest job of a run (the one whose files the folder holds). */
export function newestJob(pr: PrRow): JobRow | null {
  return pr.jobs.reduce<JobRow | null>(
    (a, j) => (!a || j.id > a.id ? j : a),
    null,
  );
}
