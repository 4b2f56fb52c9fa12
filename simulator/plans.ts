// Simulator internals: plan settings (ExperimentAnalysisSettings, "EAS")
// and the plugins' global configs, seeded and serialized.
//
// What the TS source says (iontorrent/TS):
// - dbReports/iondb/rundb/models.py `ExperimentAnalysisSettings`: versioned
//   plan settings, FK `experiment` (related_name `eas_set`), JSON fields
//   `selectedPlugins` and `barcodedSamples`, plus `status`, `reference`,
//   `libraryKey`, `tfKey`, `libraryKitName`, `barcodeKitName`,
//   `targetRegionBedFile`, `hotSpotRegionBedFile`, `date`, `isEditable`,
//   `isOneTimeOverride`, `isDuplicateReads`, `base_recalibration_mode`,
//   `realign`, `custom_args` and the analysis command-line args.
// - dbReports/iondb/rundb/api.py `ExperimentAnalysisSettingsResource`: a
//   plain ModelResource with `experiment` (URI) and `results` (URIs of
//   `results_set`), every model field filterable and orderable
//   (`field_dict`), IonAuthentication + DjangoAuthorization.
//   `ResultsResource.eas` is a ToOneField (full=False): the report's `eas`
//   is the URI `/rundb/api/v1/experimentanalysissettings/<id>/`.
// - `selectedPlugins` maps a plugin name to `{id, name, version,
//   userInput, features}`; `launch_utils.get_plugins_dict` reads
//   `selectedPlugins[name]["userInput"]` as the plan's config of a plugin.
// - Field list and example values: iontorrent/sdk-docs
//   source/api/references_auto_generated/experimentanalysissettings.rst.

import type {
  EasRow,
  PluginRow,
  ReportRow,
  SelectedPlugin,
  SimStore,
} from "./store.ts";
import { API, formatDatetime } from "./tastypie.ts";

/** The global configs (config.html) that the seed data sets. */
const GLOBAL_CONFIGS: Record<string, Record<string, unknown>> = {
  coverageAnalysis: {
    barcodeTargetRegions: "",
    sampleid: "on",
    uniquemaps: "No",
    nonduplicates: "Yes",
  },
  DataExport: {
    destination: "/mnt/lab-nas/ion-exports",
    include: ["bam", "vcf", "summary"],
    overwrite: false,
  },
  RunTransfer: {
    "server_ip": "10.20.0.14",
    "user_name": "ionadmin",
    "user_password": "ionadmin",
    "upload_path": "/results/uploads/transfer",
  },
};

/** A copy of the seeded global config of a plugin (`{}` for most). */
export function globalConfig(name: string): Record<string, unknown> {
  return structuredClone(GLOBAL_CONFIGS[name] ?? {});
}

/** variantCaller's plan settings (a TVC parameter set chosen in plan.html). */
function tvcInput(chip: string, stringency: "low" | "high"): unknown {
  const germ = stringency === "low";
  return {
    meta: {
      "built_in": true,
      configuration: germ
        ? "germline_low_stringency"
        : "somatic_high_stringency",
      name: `Generic - S5/S5XL (${chip}) - ${
        germ ? "Germ Line - Low Stringency" : "Somatic - High Stringency"
      }`,
      "ts_version": "5.12",
      "user_selections": {
        chip,
        frequency: germ ? "germline" : "somatic",
        library: "ampliseq",
        stringency,
      },
      trimreads: true,
    },
    "torrent_variant_caller": {
      "snp_min_allele_freq": germ ? "0.1" : "0.02",
      "indel_min_allele_freq": germ ? "0.1" : "0.05",
      "hotspot_min_allele_freq": germ ? "0.1" : "0.01",
      "min_mapping_qv": 4,
      "data_quality_stringency": germ ? 6.5 : 10,
    },
    freebayes: { "allow_complex": 0, "min_mapping_qv": 4 },
    "long_variant_caller": { "min_var_freq": 0.15 },
  };
}

/** molecularCoverageAnalysis's plan settings (a cfDNA panel). */
function mcaInput(reference: string): unknown {
  return {
    librarytype: "TAG_SEQUENCING",
    targetregions:
      `/results/uploads/BED/52/${reference}/unmerged/detail/Oncomine_Lung_cfDNA.20160812.designed.bed`,
    "umi_min_fam_size": "3",
    "barcodeTargetRegions": "",
  };
}

const BARCODES = ["IonXpress", "IonCode", "IonDual"];
const LIBKITS = [
  "Ion AmpliSeq Library Kit Plus",
  "Ion Xpress Plus Fragment Library Kit",
  "Ion AmpliSeq Exome RDY Kit",
];

/**
 * The plan settings of a seeded report: its application's plugins in
 * `selectedPlugins`; most variantCaller entries carry a parameter set in
 * `userInput`, some none (a launch without config then fails validation);
 * a quarter of the lung panels also select molecularCoverageAnalysis (the
 * cfDNA workflow) with its settings.
 */
export function planFor(
  store: SimStore,
  { report, auto, rng }: {
    report: ReportRow;
    /** The plugins the application runs automatically. */
    auto: string[];
    rng: () => number;
  },
): EasRow {
  const names = [...auto];
  if (report.application === "OCAv3_Lung" && rng() < 0.25) {
    names.push("molecularCoverageAnalysis");
  }
  const selected: Record<string, SelectedPlugin> = {};
  for (const name of names) {
    const rows = store.plugins.filter((p) => p.name === name && p.active);
    const plugin = rows.at(-1);
    if (!plugin) continue;
    let userInput: unknown = {};
    if (name === "variantCaller" && rng() < 0.9) {
      userInput = tvcInput(report.chipType, rng() < 0.7 ? "low" : "high");
    } else if (name === "molecularCoverageAnalysis") {
      userInput = mcaInput(report.reference);
    }
    selected[name] = {
      id: plugin.id,
      name,
      version: plugin.version,
      userInput,
      features: [],
    };
  }
  return {
    id: report.easId,
    experimentId: report.experimentId,
    reports: [report.id],
    reference: report.reference,
    barcodeKitName: BARCODES[Math.floor(rng() * BARCODES.length)]!,
    libraryKitName: LIBKITS[Math.floor(rng() * LIBKITS.length)]!,
    date: report.timeStamp - Math.floor((1 + rng() * 47) * 3_600_000),
    selectedPlugins: selected,
  };
}

/** The plan's `userInput` for a plugin, or undefined. */
export function planInput(
  store: SimStore,
  report: ReportRow,
  plugin: PluginRow,
): unknown {
  return store.easById.get(report.easId)?.selectedPlugins[plugin.name]
    ?.userInput;
}

/**
 * The plan's `barcodedSamples`: sample name → `{barcodes, barcodeSampleInfo}`
 * (`{}` when not barcoded).
 */
export function barcodedSamples(
  store: SimStore,
  e: EasRow,
): Record<string, unknown> {
  const report = store.reportById.get(e.reports[0] ?? -1);
  const out: Record<
    string,
    { barcodes: string[]; barcodeSampleInfo: Record<string, unknown> }
  > = {};
  for (const bc of report?.barcodes ?? []) {
    const entry = out[bc.sample] ??= { barcodes: [], barcodeSampleInfo: {} };
    entry.barcodes.push(bc.barcode);
    entry.barcodeSampleInfo[bc.barcode] = {
      controlSequenceType: "",
      description: "",
      externalId: "",
      hotSpotRegionBedFile: "",
      nucleotideType: "DNA",
      reference: e.reference,
      targetRegionBedFile: "",
    };
  }
  return out;
}

/** JSON of plan settings, as ExperimentAnalysisSettingsResource serializes it. */
export function easJson(
  e: EasRow,
  store?: SimStore,
): Record<string, unknown> {
  const samples = store ? barcodedSamples(store, e) : {};
  const unbarcoded = store !== undefined && !Object.keys(samples).length;
  return {
    alignmentargs: "",
    analysisargs: "",
    barcodeKitName: unbarcoded ? "" : e.barcodeKitName,
    barcodedSamples: samples,
    "base_recalibration_mode": "standard_recal",
    basecallerargs: "",
    beadfindargs: "",
    calibrateargs: "",
    "custom_args": false,
    date: formatDatetime(e.date),
    endBarcodeKitName: "",
    experiment: `${API}/experiment/${e.experimentId}/`,
    hotSpotRegionBedFile: "",
    id: e.id,
    ionstatsargs: "",
    isDuplicateReads: false,
    isEditable: false,
    isOneTimeOverride: false,
    libraryKey: "TCAG",
    libraryKitBarcode: null,
    libraryKitName: e.libraryKitName,
    "mixedTypeRNA_hotSpotRegionBedFile": null,
    "mixedTypeRNA_reference": null,
    "mixedTypeRNA_targetRegionBedFile": null,
    prebasecallerargs: "",
    prethumbnailbasecallerargs: "",
    realign: false,
    reference: e.reference,
    "resource_uri": `${API}/experimentanalysissettings/${e.id}/`,
    results: e.reports.map((id) => `${API}/results/${id}/`),
    selectedPlugins: e.selectedPlugins,
    sseBedFile: "",
    status: "run",
    targetRegionBedFile: "",
    tfKey: "ATCG",
    threePrimeAdapter: "ATCACCGACTGCCCATAGAGAGGCTGAGAC",
    thumbnailalignmentargs: "",
    thumbnailanalysisargs: "",
    thumbnailbasecallerargs: "",
    thumbnailbeadfindargs: "",
    thumbnailcalibrateargs: "",
    thumbnailionstatsargs: "",
  };
}

const SEQS = "ACGT";

/**
 * `results/<pk>/barcodesampleinfo/` (rundb/barcodedata.py
 * BarcodeSampleInfo): a barcodes.json-like dict keyed by barcode; `{}` for a
 * report that is not barcoded (INFERRED).
 */
export function barcodeSampleInfo(report: ReportRow): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const ref = report.reference || "hg19";
  for (const bc of report.barcodes ?? []) {
    let seq = "";
    for (let i = 0; i < 10; i++) {
      seq += SEQS[(bc.index * 7 + i * 3 + (bc.index >> i)) % 4];
    }
    const reads = 150_000 +
      ((bc.index * 7_919 + report.id * 104_729) % 4_000_000);
    out[bc.barcode] = {
      aligned: true,
      "barcode_adapter": "GAT",
      "barcode_annotation": "",
      "barcode_index": bc.index,
      "barcode_name": bc.barcode,
      "barcode_sequence": seq,
      "barcode_type": "",
      "control_sequence_type": "",
      filtered: reads < 200_000,
      "hotspot_filepath": "",
      "nucleotide_type": "DNA",
      "read_count": reads,
      reference: ref,
      "reference_fullpath":
        `/results/referenceLibrary/tmap-f3/${ref}/${ref}.fasta`,
      sample: bc.sample,
      "sample_id": "",
      "target_region_filepath": "",
    };
  }
  return out;
}
