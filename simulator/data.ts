// Simulator internals: deterministic seed data (a classic TS plugin listing,
// reports spread over two years, their plans, pre-existing plugin results,
// optional thumbnail reports) and the PRNG.
//
// New seeded details draw from their own PRNGs, so that the main sequence,
// and with it every report and run of a seed, stays as it was.

import { effectiveConfig, requiresConfigWithout } from "./config_chain.ts";
import { globalConfig, planFor } from "./plans.ts";
import { type ReportRow, SimStore } from "./store.ts";

const DAY = 86_400_000;

/** Deterministic PRNG (mulberry32) returning floats in [0, 1). */
export function makeRng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A number in [0, 1) decided by the seed, a salt (which decision) and a key
 * (e.g. a job id): the same inputs give the same number, whatever happened
 * before, so decisions survive a restart from a state file.
 */
export function chance(seed: number, salt: number, key: number): number {
  return makeRng((seed ^ salt ^ Math.imul(key, 0x9e3779b1)) >>> 0)();
}

/** 40 lowercase hex characters from the PRNG (an API-key-like string). */
export function hexKey(rng: () => number, length = 40): string {
  let s = "";
  while (s.length < length) s += Math.floor(rng() * 16).toString(16);
  return s;
}

// "id name version flags description" per line. Flags: s=selected,
// m=majorBlock, r=requires_configuration (in 5.10-5.18 exactly
// variantCaller, molecularCoverageAnalysis and DataExport), d=defaultSelected, x=not an
// ion-plugin package, h=launch.sh, c/p/i/a=config/plan/instance/about.html,
// -=inactive (an old version), u=an upgrade is available, .=none.
const PLUGINS = `
3 coverageAnalysis 5.10.0.3 -smdcpi Genome and targeted re-sequencing coverage analysis.
7 top100Ionogram 5.12.0.0 sx Ionograms of the 100 best reads.
9 AmpliconRep 5.12.0.1 sxi Amplicon representation across barcodes.
11 igv 5.12.0.0 s Links to the alignments in the Integrative Genomics Viewer.
14 variantCaller 5.10.0.18 smdrcpi Torrent Variant Caller: SNPs, indels and MNPs.
15 FilterDuplicates 5.12.0.0 shp Marks duplicate reads in the BAM files.
16 sampleID 5.12.0.0 smd Sample identification from the SampleID panel SNPs.
18 RunTransfer 5.12.0.2 ci Transfers a run's data to another Torrent Server.
19 IonReporterUploader 5.12.0.11 scpiu Uploads BAM and VCF files to Ion Reporter.
21 FieldSupport 5.12.0.0 . Packages logs and metrics for field support.
22 ERCC_Analysis 5.12.0.0 spi ERCC RNA spike-in control analysis.
23 AssemblerSPAdes 5.12.0.1 ci De novo assembly with SPAdes.
25 bubbleRun 5.12.0.0 sx Bubble detection plots over the chip.
26 FileExporter 5.12.0.3 sdci Renames and exports BAM, VCF and FASTQ files.
27 DataExport 5.12.0.0 rci Copies report files to network storage.
29 RNASeqAnalysis 5.12.0.1 smpi Whole-transcriptome RNA-seq analysis.
30 ampliSeqRNA 5.12.0.2 smpi Targeted RNA panel read counts and QC.
31 ImmuneResponseRNA 5.12.0.0 smpi Oncomine Immune Response assay analysis.
33 molecularCoverageAnalysis 5.12.0.1 smrpi Molecular coverage of tagged libraries.
34 SystematicErrorAnalysis 5.12.0.0 s Strand bias and systematic errors.
36 FastqCreator 5.12.0.0 sx Writes FASTQ files for each barcode.
37 PartekFlowUploader 1.4.2 xci Uploads reads to a Partek Flow server.
38 alignmentQC 5.12.0.0 s Alignment quality summary.
40 TagSequencing 5.12.0.1 smi Tag sequencing analysis for cfDNA assays.
41 smallRNA 5.12.0.0 sx Small RNA read length and annotation summary.
42 validateVariantCaller 5.12.0.0 x Compares variant calls with a truth set.
44 coverageAnalysis 5.12.0.2 smdcpi Genome and targeted re-sequencing coverage analysis.
45 variantCaller 5.12.0.4 smdrcpi Torrent Variant Caller: SNPs, indels and MNPs.
47 SmallVariantReport 5.12.0.0 sa One-page report of small variants per barcode.
`;

function seedPlugins(store: SimStore, now: number): void {
  for (const line of PLUGINS.trim().split("\n")) {
    const [id, name, version, flags, ...words] = line.split(" ") as [
      string,
      string,
      string,
      string,
      ...string[],
    ];
    const f = (c: string) => flags.includes(c);
    const n = Number(id);
    store.addPlugin({
      id: n,
      name,
      version,
      description: words.join(" "),
      date: now - (800 - n * 14) * DAY + n * 1_237,
      active: !f("-"),
      selected: f("s"),
      defaultSelected: f("d"),
      majorBlock: f("m"),
      "requires_configuration": f("r"),
      script: f("h") ? "launch.sh" : `${name}.py`,
      packageName: f("x") ? "" : `ion-plugin-${name.toLowerCase()}`,
      isConfig: f("c"),
      isPlanConfig: f("p"),
      isInstance: f("i"),
      hasAbout: f("a"),
      availableVersions: f("u")
        ? [version, version.replace(/\d+$/, (v) => String(+v + 1))]
        : [version],
      config: globalConfig(name),
    });
  }
}

/** The instruments of the seed data and their chips. */
export const INSTRUMENTS = [
  { name: "S5-0042", chips: ["540", "530", "550"] },
  { name: "S5XL-0117", chips: ["540", "530", "520"] },
  { name: "GSS5-0201", chips: ["550", "540"] },
  { name: "SN2-0088", chips: ["318", "316v2"] },
  { name: "F3-0310", chips: ["P1.1.17"] },
];
/** The applications: name, reference, the plugins their plans run. */
export const APPS: [string, string, string[]][] = [
  ["OCAv3_Lung", "hg19", ["coverageAnalysis", "variantCaller", "sampleID"]],
  ["AmpliSeq_Exome", "hg19", ["coverageAnalysis", "variantCaller", "sampleID"]],
  ["CHPv2_Tumor", "hg19", ["coverageAnalysis", "variantCaller"]],
  ["BRCA_Research", "hg19", ["coverageAnalysis", "variantCaller", "sampleID"]],
  ["Inherited_Disease", "GRCh38.p2.mask1", [
    "coverageAnalysis",
    "variantCaller",
    "sampleID",
  ]],
  ["CCP_Colon", "GRCh38.p2.mask1", ["coverageAnalysis", "variantCaller"]],
  ["Transcriptome_HD", "hg19_AmpliSeq_Transcriptome_21K_v1", [
    "ampliSeqRNA",
    "ERCC_Analysis",
  ]],
  ["ImmuneResponse_RNA", "hg19_ImmuneResponse_v3", ["ImmuneResponseRNA"]],
  ["16S_Metagenomics", "", ["FileExporter"]],
  ["TB_Panel", "MTB_H37Rv", ["coverageAnalysis", "variantCaller"]],
];
const CODE = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";

/** The instruments whose runs also get a thumbnail report (S5 chips). */
const S5 = new Set(["S5-0042", "S5XL-0117", "GSS5-0201"]);

/** What to seed. */
export interface SeedOptions {
  /** Number of (full) reports. */
  count: number;
  /** Seed of the PRNGs. */
  seed: number;
  /** The clock's time at start: reports span the two years before it. */
  now: number;
  /** Give S5 runs a thumbnail report beside the full one. */
  thumbnails: boolean;
  /**
   * Factor on the seeded runs' durations (`timeScale`): the history's run
   * times match the sped-up clock, so estimates made from them hold. Default 1.
   */
  durationScale?: number;
}

/** Seeds plugins, reports, their plans and plugin results into a new store. */
export function seedStore(options: SeedOptions): SimStore {
  const { count, seed, now } = options;
  const store = new SimStore();
  seedPlugins(store, now);
  const rng = makeRng(seed);
  const planRng = makeRng(seed ^ 0x91a45);
  const thumbRng = makeRng(seed ^ 0x7b4b);
  const legacyRng = makeRng(seed ^ 0x1e9ac7);
  const pick = <T>(list: readonly T[]): T =>
    list[Math.floor(rng() * list.length)]!;
  const code = (n: number) =>
    Array.from({ length: n }, () => pick([...CODE])).join("");
  const gaps = count >= 20
    ? new Set([Math.floor(count * 0.37) + 1, Math.floor(count * 0.81) + 1])
    : new Set();
  const span = 730 * DAY;
  const runNo = new Map<string, number>();
  let id = 0;
  for (let i = 0; i < count; i++) {
    id++;
    while (gaps.has(id)) id++;
    const inst = pick(INSTRUMENTS);
    const [app, reference] = pick(APPS);
    const run = (runNo.get(inst.name) ?? 90 + Math.floor(rng() * 60)) + 1;
    runNo.set(inst.name, run);
    const expId = 1000 + id * 2 + Math.floor(rng() * 2);
    const t = now - span + ((i + rng() * 0.8) * (span - 2 * 3_600_000)) / count;
    const time = rng() < 0.1 ? Math.floor(t / 1000) * 1000 : Math.floor(t);
    const prev = store.reports[store.reports.length - 1];
    const dup = prev && rng() < 0.02; // a reanalysis reusing the name: names are not unique
    const name = dup
      ? prev.resultsName
      : `Auto_user_${inst.name}-${run}-${app}_${expId}`;
    const r = rng();
    const newest = count - i <= Math.min(3, Math.floor(count / 10));
    const status = newest
      ? (i % 2 ? "Started" : "Alignment")
      : r < 0.9
      ? "Completed"
      : r < 0.95
      ? "Error in Alignment"
      : r < 0.98
      ? "Completed with 1 error(s)"
      : "Error in Basecaller";
    const date = new Date(time).toISOString().slice(0, 19).replace(
      /[-T:]/g,
      "_",
    );
    const row: ReportRow = {
      id,
      resultsName: name,
      status,
      timeStamp: time,
      experimentId: expId,
      expName: `R_${date}_user_${inst.name}-${run}-${app}`,
      chipType: pick(inst.chips),
      runid: code(5),
      planShortID: code(5),
      reference,
      resultsType: rng() < 0.02 ? "CombinedAlignments" : "",
      processedflows: pick([400, 500, 550]),
      diskusage: 2000 + Math.floor(rng() * 90_000),
      analysisVersion: i / count < 0.5
        ? "_TS5.12.1"
        : i / count < 0.8
        ? "_TS5.16.0"
        : "_TS5.18.1",
      pluginOut: false,
      application: app,
      metaData: {},
      easId: expId + 11,
    };
    store.addReport(row);
    const auto = APPS.find((a) => a[0] === app)![2];
    store.addEas(planFor(store, { report: row, auto, rng: planRng }));
    seedPluginResults(store, row, {
      rng,
      legacyRng,
      age: i / count,
      newest,
      auto,
      durationScale: options.durationScale ?? 1,
    });
    if (options.thumbnails && S5.has(inst.name)) {
      id++;
      while (gaps.has(id)) id++;
      store.addReport(thumbnailOf(row, id, thumbRng));
      store.easById.get(row.easId)!.reports.push(id);
    }
  }
  return store;
}

/**
 * The thumbnail report of an S5 run: same experiment and plan, analysed
 * from a small central region, so it finishes first (`metaData.thumb`).
 */
function thumbnailOf(
  full: ReportRow,
  id: number,
  rng: () => number,
): ReportRow {
  const inProgress = !/^(Completed|Error)/.test(full.status);
  return {
    ...full,
    id,
    resultsName: `${full.resultsName}_tn`,
    status: inProgress ? "Completed" : full.status,
    timeStamp: full.timeStamp - Math.floor((20 + rng() * 40) * 60_000),
    diskusage: Math.floor(full.diskusage / 20),
    pluginOut: false,
    metaData: { thumb: 1 },
  };
}

/** How one report's plugin results are seeded. */
interface RunSeed {
  /** The main PRNG (its sequence fixes the seed data). */
  rng: () => number;
  /** Decides which of the oldest runs use the legacy `<Name>_out` folder. */
  legacyRng: () => number;
  /** Position of the report among all, 0 (oldest) to 1. */
  age: number;
  /** One of the newest reports (analysis maybe still running). */
  newest: boolean;
  /** The plugins the application runs automatically. */
  auto: string[];
  /** Factor on the runs' durations. */
  durationScale: number;
}

function seedPluginResults(
  store: SimStore,
  report: ReportRow,
  { rng, legacyRng, age, newest, auto, durationScale }: RunSeed,
): void {
  if (newest && rng() < 0.5) return; // analysis still running: no plugins yet
  const wanted = [...auto];
  for (
    const [name, p] of [["IonReporterUploader", 0.2], ["FileExporter", 0.15], [
      "igv",
      0.08,
    ], ["bubbleRun", 0.02]] as const
  ) {
    if (rng() < p) wanted.push(name);
  }
  let start = report.timeStamp + (5 + rng() * 55) * 60_000;
  for (const name of wanted) {
    const rows = store.plugins.filter((p) => p.name === name);
    const plugin = rows.length > 1 && age < 0.45
      ? rows[0]!
      : rows[rows.length - 1]!;
    const runs = rng() < 0.08
      ? ["Error", "Completed"]
      : [pickState(rng, newest)];
    // The pipeline launches the plan's plugins without a config: one that
    // needs a config and finds none (global or plan) fails validation.
    const effective = effectiveConfig({
      store,
      chain: true,
      report,
      plugin,
      sent: {},
    });
    for (const state of runs) {
      const pr = store.addPr(report, plugin, 1, hexKey(rng));
      pr.size = 20_000 + Math.floor(rng() * 5_000_000);
      pr.inodes = 5 + Math.floor(rng() * 200);
      start += rng() * 120_000;
      if (age < 0.05 && runs.length === 1 && legacyRng() < 0.5) {
        pr.legacyDir = true; // data from before the `.<id>` folders
      }
      if (requiresConfigWithout(plugin, effective)) {
        pr.validationErrors = [
          `${plugin.name} requires configuration before execution.`,
        ];
        continue;
      }
      const running = state === "Started" || state === "Queued";
      // Drawn before scaling: the seed's sequence stays the same.
      const end = running
        ? null
        : start + (2 + rng() * 88) * 60_000 * durationScale;
      store.addJob(pr, {
        state,
        runLevel: "default",
        // A queued job has not started: starttime NULL.
        starttime: state === "Queued" ? null : start,
        endtime: end,
        config: effective,
        life: null,
      });
      start = (end ?? start) + 1_000;
    }
  }
}

function pickState(rng: () => number, newest: boolean): string {
  const r = rng();
  if (newest) return r < 0.5 ? "Started" : r < 0.7 ? "Queued" : "Completed";
  return r < 0.9
    ? "Completed"
    : r < 0.97
    ? "Error"
    : r < 0.985
    ? "Timed Out"
    : "Cancelled";
}
