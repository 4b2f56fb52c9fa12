// Simulator internals: the files of a plugin run's output folder,
// deterministic from the seed, the run and its job, and how Apache serves
// them (static files: ETag, Last-Modified, Range, If-Range; autoindex
// listings; the run's log as the folder's DirectoryIndex).
//
// What the TS source says (/work/shared/torrent-suite-outputs.md §1.1–1.3):
// - every run writes `startplugin.json` (it holds the run's api_key),
//   `barcodes.json`, `drmaa_stdout.txt` and, at the end, `results.json`;
// - coverageAnalysis: `<bc>/<bc>_<stem>.stats.cov.txt`, `.amplicon.cov.xls`
//   and a symlink `<bc>/<bc>_<stem>.bam` (+ `.bai`) to the report's BAM
//   (multi-GB), `<stem>.bc_summary.xls` at the top;
// - variantCaller: `<bc>/TSVC_variants_<bc>.vcf.gz` (BGZF) + `.tbi`,
//   `alleles_<bc>.xls`, the BAM link, `<run>.vcf.zip`, `local_parameters.json`
//   (the files its `store.files` lists); non-barcoded runs at the top level.
// Apache's static handler (INFERRED for /output after Django's internal
// redirect): `ETag: "<size hex>-<mtime µs hex>"` (FileETag MTime Size),
// single byte ranges, 416 with `Content-Range: bytes */<size>`, If-Range
// with an ETag or a date (else the whole file, 200).

import { createHash } from "node:crypto";
import { crc32, deflateRawSync } from "node:zlib";
import { RUNNING_STATES } from "../lib/states.ts";
import { pluginLog } from "./plugin_logs.ts";
import {
  jobNow,
  type JobRow,
  prFolder,
  type PrRow,
  type SimBarcode,
} from "./store.ts";
import {
  coverageSample,
  newestJob,
  rngFor,
  serverReportDir,
  stemOf,
  storeNow,
  type StoreWorld,
  vcFiles,
} from "./stores.ts";
import { barcodeSampleInfo } from "./plans.ts";

/** The file options (`fileFaults`, `bamBytes`), resolved. */
export interface FileSettings {
  cutRate: number;
  bytesPerSecond: number;
  changeOnHeadRate: number;
  archivedRate: number;
  /** Fixed size of every virtual BAM, or 0 for seeded 2–6 GB. */
  bamBytes: number;
}

/** A file of a run folder. */
export interface SimFile {
  /** Path relative to the run folder. */
  path: string;
  size: number;
  /** Modification time, ms. */
  mtime: number;
  /** Bytes `start` to `end` (exclusive). */
  read(start: number, end: number): Uint8Array;
  /** A large virtual file (the BAM links): never held in memory. */
  virtual?: boolean;
}

const enc = new TextEncoder();
const SALT = { bam: 0xba3, archived: 0xa4c1 };

/** A file whose bytes are known. */
function fixed(path: string, mtime: number, bytes: Uint8Array): SimFile {
  return {
    path,
    size: bytes.length,
    mtime,
    read: (a, b) => bytes.subarray(a, b),
  };
}

/** A lazily built file (content made on first read or size). */
function lazy(path: string, mtime: number, make: () => Uint8Array): SimFile {
  let bytes: Uint8Array | null = null;
  const get = () => (bytes ??= make());
  return {
    path,
    mtime,
    get size() {
      return get().length;
    },
    read: (a, b) => get().subarray(a, b),
  };
}

/** A virtual BAM of `size` bytes: a BGZF header block, then seeded noise by position. */
function virtualBam(
  path: string,
  mtime: number,
  size: number,
  key: number,
): SimFile {
  const head = bgzf(enc.encode("BAM\x01"));
  return {
    path,
    size,
    mtime,
    virtual: true,
    read(start, end) {
      end = Math.min(end, size);
      const out = new Uint8Array(Math.max(0, end - start));
      for (let i = start; i < end; i++) {
        if (i < head.length) {
          out[i - start] = head[i]!;
          continue;
        }
        let x = Math.imul(i ^ key, 0x9e3779b1);
        x ^= x >>> 15;
        out[i - start] = x & 0xff;
      }
      return out;
    },
  };
}

/** The 28-byte BGZF end-of-file block. */
export const BGZF_EOF = Uint8Array.from([
  0x1f,
  0x8b,
  0x08,
  0x04,
  0,
  0,
  0,
  0,
  0,
  0xff,
  0x06,
  0,
  0x42,
  0x43,
  0x02,
  0,
  0x1b,
  0,
  0x03,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
]);

/** One BGZF block (a gzip member with the `BC` extra field) of ≤ 64 KB of data. */
function bgzfBlock(data: Uint8Array): Uint8Array {
  const cdata = deflateRawSync(data);
  const size = 18 + cdata.length + 8;
  const out = new Uint8Array(size);
  out.set([
    0x1f,
    0x8b,
    0x08,
    0x04,
    0,
    0,
    0,
    0,
    0,
    0xff,
    6,
    0,
    0x42,
    0x43,
    2,
    0,
  ]);
  const view = new DataView(out.buffer);
  view.setUint16(16, size - 1, true);
  out.set(cdata, 18);
  view.setUint32(18 + cdata.length, crc32(data) >>> 0, true);
  view.setUint32(22 + cdata.length, data.length, true);
  return out;
}

/** BGZF-compresses data (blocks of 60,000 bytes) and ends with the EOF block. */
export function bgzf(data: Uint8Array): Uint8Array {
  const parts: Uint8Array[] = [];
  for (let i = 0; i < data.length; i += 60_000) {
    parts.push(bgzfBlock(data.subarray(i, i + 60_000)));
  }
  parts.push(BGZF_EOF);
  return concat(parts);
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) out.set(p, o), o += p.length;
  return out;
}

/** A zip archive of stored (uncompressed) entries. */
function zip(
  entries: { name: string; data: Uint8Array }[],
  mtime: number,
): Uint8Array {
  const d = new Date(mtime);
  const time = (d.getUTCHours() << 11) | (d.getUTCMinutes() << 5) |
    (d.getUTCSeconds() >> 1);
  const date = ((d.getUTCFullYear() - 1980) << 9) |
    ((d.getUTCMonth() + 1) << 5) |
    d.getUTCDate();
  const locals: Uint8Array[] = [];
  const centrals: Uint8Array[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = enc.encode(e.name);
    const crc = crc32(e.data) >>> 0;
    const local = new Uint8Array(30 + name.length);
    const lv = new DataView(local.buffer);
    lv.setUint32(0, 0x04034b50, true);
    lv.setUint16(4, 20, true);
    lv.setUint16(10, time, true);
    lv.setUint16(12, date, true);
    lv.setUint32(14, crc, true);
    lv.setUint32(18, e.data.length, true);
    lv.setUint32(22, e.data.length, true);
    lv.setUint16(26, name.length, true);
    local.set(name, 30);
    const central = new Uint8Array(46 + name.length);
    const cv = new DataView(central.buffer);
    cv.setUint32(0, 0x02014b50, true);
    cv.setUint16(4, 20, true);
    cv.setUint16(6, 20, true);
    cv.setUint16(12, time, true);
    cv.setUint16(14, date, true);
    cv.setUint32(16, crc, true);
    cv.setUint32(20, e.data.length, true);
    cv.setUint32(24, e.data.length, true);
    cv.setUint16(28, name.length, true);
    cv.setUint32(42, offset, true);
    central.set(name, 46);
    locals.push(local, e.data);
    centrals.push(central);
    offset += local.length + e.data.length;
  }
  const cd = concat(centrals);
  const end = new Uint8Array(22);
  const ev = new DataView(end.buffer);
  ev.setUint32(0, 0x06054b50, true);
  ev.setUint16(8, entries.length, true);
  ev.setUint16(10, entries.length, true);
  ev.setUint32(12, cd.length, true);
  ev.setUint32(16, offset, true);
  return concat([...locals, cd, end]);
}

/** The size of a barcode's (or the report's) BAM: seeded 2–6 GB, or `bamBytes`. */
function bamSize(
  world: StoreWorld,
  fs: FileSettings,
  pr: PrRow,
  bc: number,
): number {
  if (fs.bamBytes > 0) return fs.bamBytes;
  const r = rngFor(world.seed, SALT.bam, pr.report.id * 1009 + bc)();
  return Math.floor(2e9 + r * 4e9);
}

/** A VCF of a barcode with `n` records. */
function vcf(pr: PrRow, sample: string, n: number, key: number): Uint8Array {
  const rng = rngFor(0, 0x7cf, key);
  const ref = pr.report.reference || "hg19";
  let text =
    `##fileformat=VCFv4.1\n##source="tvc 5.12-8 (e5e4a8f) - Torrent Variant Caller"\n` +
    `##reference=/results/referenceLibrary/tmap-f3/${ref}/${ref}.fasta\n` +
    `##INFO=<ID=DP,Number=1,Type=Integer,Description="Total read depth">\n` +
    `##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">\n` +
    `#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\t${sample}\n`;
  let pos = 10_000;
  for (let i = 0; i < n; i++) {
    pos += 1 + Math.floor(rng() * 50_000);
    const b = "ACGT"[Math.floor(rng() * 4)]!;
    const a = "ACGT".replace(b, "")[Math.floor(rng() * 3)]!;
    text += `chr${1 + (i % 22)}\t${pos}\t.\t${b}\t${a}\t${
      (20 + rng() * 2000).toFixed(1)
    }\tPASS\tDP=${Math.floor(100 + rng() * 3000)}\tGT\t${
      rng() < 0.6 ? "0/1" : "1/1"
    }\n`;
  }
  return enc.encode(text);
}

/** A small binary index that starts like a tabix file (not a valid one). */
function tbi(key: number): Uint8Array {
  const raw = new Uint8Array(64);
  raw.set(enc.encode("TBI\x01"));
  for (let i = 4; i < raw.length; i++) raw[i] = (key * 31 + i * 7) & 0xff;
  return bgzf(raw);
}

const json = (v: unknown) => enc.encode(JSON.stringify(v, null, 2) + "\n");

/** The plugin's own files of a run, in the order they are written. */
function pluginFiles(
  world: StoreWorld,
  fs: FileSettings,
  pr: PrRow,
  job: JobRow,
  at: (i: number, n: number) => number,
): SimFile[] {
  const barcodes: (SimBarcode | null)[] = pr.report.barcodes?.length
    ? pr.report.barcodes
    : [null];
  const stem = stemOf(pr.report);
  const out: SimFile[] = [];
  const total = barcodes.length;
  const config =
    (job.config && typeof job.config === "object" ? job.config : {}) as Record<
      string,
      unknown
    >;
  const run = { world, pr, job, barcodes: pr.report.barcodes ?? [], config };
  const name = pr.plugin.name;
  if (name === "coverageAnalysis") {
    barcodes.forEach((bc, i) => {
      const t = at(i, total);
      const dir = bc ? `${bc.barcode}/` : "";
      const base = bc ? `${bc.barcode}_${stem}` : stem;
      out.push(
        virtualBam(
          `${dir}${base}.bam`,
          t,
          bamSize(world, fs, pr, bc?.index ?? 0),
          pr.report.id * 131 + (bc?.index ?? 0),
        ),
        lazy(
          `${dir}${base}.bam.bai`,
          t,
          () => bgzf(enc.encode(`BAI\x01${base}`)),
        ),
        lazy(`${dir}${base}.stats.cov.txt`, t, () => {
          const s = coverageSample(run, bc);
          return enc.encode(
            Object.entries(s).map(([k, v]) => `${k}: ${v}`).join("\n") + "\n",
          );
        }),
        lazy(`${dir}${base}.amplicon.cov.xls`, t, () => {
          const rng = rngFor(
            world.seed,
            0xa4b,
            job.id * 997 + (bc?.index ?? 0),
          );
          let text =
            "contig_id\tcontig_srt\tcontig_end\tregion_id\tattributes\tgc_count\toverlaps\tfwd_e2e\trev_e2e\ttotal_reads\tfwd_reads\trev_reads\tcov20x\tcov100x\tcov500x\n";
          for (let k = 0; k < 120; k++) {
            const reads = Math.floor(rng() * 5000);
            text += `chr${1 + (k % 22)}\t${1000 * k}\t${
              1000 * k + 120
            }\tAMP_${k}\tGENE_ID=G${k}\t${60 + (k % 30)}\t${reads}\t${
              reads >> 1
            }\t${reads >> 2}\t${reads}\t${reads >> 1}\t${
              reads - (reads >> 1)
            }\t120\t${reads > 100 ? 120 : 0}\t${reads > 500 ? 120 : 0}\n`;
          }
          return enc.encode(text);
        }),
      );
    });
    if (pr.report.barcodes?.length) {
      out.push(lazy(`${stem}.bc_summary.xls`, at(total, total), () => {
        let text =
          "Barcode ID\tSample Name\tMapped Reads\tOn Target\tSampleID\tMean Depth\tUniformity\n";
        for (const bc of pr.report.barcodes!) {
          const s = coverageSample(run, bc);
          text += `${bc.barcode}\t${bc.sample}\t${
            s["Number of mapped reads"]
          }\t${s["Percent reads on target"]}\tN/A\t${
            s["Average base coverage depth"]
          }\t${s["Uniformity of base coverage"]}\n`;
        }
        return enc.encode(text);
      }));
    }
  } else if (name === "variantCaller") {
    const list = vcFiles(pr, pr.report.barcodes ?? []);
    const store = storeNow(world, pr, Infinity).disk as
      | Record<string, unknown>
      | null;
    const counts = (bc: string | undefined, k: number) => {
      const e = (store?.barcodes as
        | Record<string, { variants?: { variants?: number } }>
        | undefined)?.[bc ?? ""];
      return e?.variants?.variants ?? 5 + (k * 7) % 40;
    };
    const vcfs: { name: string; data: () => Uint8Array }[] = [];
    list.forEach((f) => {
      const k = barcodes.findIndex((b) =>
        (b?.barcode ?? undefined) === f.barcode
      );
      const t = at(Math.max(0, k), total);
      const key = job.id * 997 + Math.max(0, k);
      if (f.type === "variants_vcf_gz") {
        const file = lazy(
          f.path,
          t,
          () => bgzf(vcf(pr, f.sample ?? "None", counts(f.barcode, k), key)),
        );
        out.push(file);
        vcfs.push({
          name: f.path.split("/").at(-1)!,
          data: () => file.read(0, file.size),
        });
      } else if (f.type === "variants_vcf_gz_tbi") {
        const file = lazy(f.path, t, () => tbi(key));
        out.push(file);
        vcfs.push({
          name: f.path.split("/").at(-1)!,
          data: () => file.read(0, file.size),
        });
      } else if (f.type === "alleles_xls") {
        out.push(
          lazy(f.path, t, () =>
            enc.encode(
              "Chrom\tPosition\tRef\tVariant\tAllele Call\tFrequency\tQuality\n" +
                `chr7\t55259515\tT\tG\tHeterozygous\t48.2\t${
                  (key % 900) + 100
                }\n`,
            )),
        );
      } else if (f.type === "mapped_bam") {
        const bc = barcodes[Math.max(0, k)];
        out.push(
          virtualBam(
            f.path,
            t,
            bamSize(world, fs, pr, bc?.index ?? 0),
            pr.report.id * 131 + (bc?.index ?? 0),
          ),
        );
      } else if (f.type === "mapped_bam_bai") {
        out.push(lazy(f.path, t, () => bgzf(enc.encode(`BAI\x01${f.path}`))));
      } else if (f.type === "parameters_json") {
        out.push(lazy(f.path, at(0, total), () => json(config)));
      }
    });
    const end = at(total, total);
    out.push(
      lazy(
        `${pr.report.expName}.vcf.zip`,
        end,
        () => zip(vcfs.map((v) => ({ name: v.name, data: v.data() })), end),
      ),
    );
  }
  return out;
}

/**
 * The files of a run folder at `now` (without `drmaa_stdout.txt`): the
 * wrapper's files from the start, the plugin's files as they are written
 * (all of them once Completed; the first half for a failed run that wrote
 * results.json; none after an early failure), results.json at the end.
 */
export function runFiles(
  world: StoreWorld,
  fs: FileSettings,
  pr: PrRow,
  now: number,
): SimFile[] {
  const job = newestJob(pr);
  if (!job) return [];
  const cur = jobNow(job, now);
  if (cur.start === null) return [];
  const start = cur.start;
  const planned = job.life?.duration ?? 40 * 60_000;
  const end = cur.end ?? start + planned;
  const at = (i: number, n: number) =>
    Math.floor(start + ((i + 1) / (n + 2)) * (end - start));
  const running = RUNNING_STATES.includes(cur.state);
  const disk = storeNow(world, pr, now).disk;
  const out: SimFile[] = [
    lazy("startplugin.json", start, () =>
      json({
        runinfo: {
          "api_key": pr.apikey,
          "plugin_name": pr.plugin.name,
          pluginresult: pr.id,
          pk: pr.report.id,
          "net_location": "http://localhost",
          "results_dir": `${serverReportDir(pr.report)}/plugin_out/${
            prFolder(pr)
          }`,
        },
        expmeta: {
          "output_file_name_stem": stemOf(pr.report),
          "run_name": pr.report.expName,
          "results_name": pr.report.resultsName,
        },
        pluginconfig: job.config ?? {},
      })),
    lazy("barcodes.json", start, () => json(barcodeSampleInfo(pr.report))),
  ];
  const mine = pluginFiles(world, fs, pr, job, at);
  let written: SimFile[];
  if (cur.state === "Completed") written = mine;
  else if (running) written = mine.filter((f) => f.mtime <= now);
  else if (disk) written = mine.slice(0, Math.floor(mine.length / 2));
  else if (cur.state === "Cancelled") {
    written = mine.filter((f) => f.mtime <= end);
  } else written = [];
  out.push(...written);
  if (disk) {
    const bytes = json(disk);
    out.push(fixed("results.json", end, bytes));
    if (cur.state === "Completed") {
      out.push(
        fixed(
          `${pr.plugin.name}_block.html`,
          end,
          enc.encode(`<html><body><h2>${pr.plugin.name}</h2></body></html>\n`),
        ),
      );
    }
  }
  return out;
}

/** The run's log as a file (null when there is none yet). */
export function logFile(pr: PrRow, now: number): SimFile | null {
  const text = pluginLog(pr, now);
  if (text === null) return null;
  const job = newestJob(pr)!;
  const cur = jobNow(job, now);
  const mtime = Math.min(now, cur.end ?? now);
  return fixed("drmaa_stdout.txt", Math.floor(mtime), enc.encode(text));
}

/** Apache's ETag (FileETag MTime Size): `"<size hex>-<mtime µs hex>"`. */
export function etagOf(f: { size: number; mtime: number }): string {
  return `"${f.size.toString(16)}-${
    (Math.floor(f.mtime) * 1000).toString(16)
  }"`;
}

/** SHA-256 of a file, hex; null for a virtual file over 64 MB. */
export function sha256Of(f: SimFile): string | null {
  if (f.virtual && f.size > 64 * 1024 * 1024) return null;
  const h = createHash("sha256");
  for (let i = 0; i < f.size; i += 1 << 20) {
    h.update(f.read(i, Math.min(f.size, i + (1 << 20))));
  }
  return h.digest("hex");
}

/** Whether a report's output files are archived (`archivedRate`, seeded). */
export function archived(
  world: StoreWorld,
  fs: FileSettings,
  reportId: number,
): boolean {
  return fs.archivedRate > 0 &&
    rngFor(world.seed, SALT.archived, reportId)() < fs.archivedRate;
}

/** A change to a file: new content (null: deleted) or bytes appended. */
export interface FileOverride {
  content?: Uint8Array | null;
  append?: Uint8Array;
  mtime: number;
}

/** The file state the handlers share. */
export interface FileState {
  settings: FileSettings;
  /** Changes by `${prId}/${path}`. */
  overrides: Map<string, FileOverride>;
  /** File answers so far (the key of the seeded fault decisions). */
  served: number;
}
