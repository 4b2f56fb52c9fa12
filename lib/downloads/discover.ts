/**
 * Which files a run has, cheapest first, never by guessing: no API lists a
 * run's folder, so the files come from
 * 1. the store's typed list (`store.files` of variantCaller: type, name,
 *    web path, barcode, sample), no request;
 * 2. known layouts, from the store's own keys (`results.json` of every run
 *    with a store; coverageAnalysis per barcode:
 *    `<barcode>/<Alignments>.stats.cov.txt`, `.amplicon.cov.xls`, the BAM
 *    link; `<stem>.bc_summary.xls` at the top), no request;
 * 3. else Apache's listing of each barcode folder (a run's root URL shows its
 *    log, not a listing), one request per folder.
 *
 * @module
 */

import type { RunChoice } from "../api/mod.ts";
import type { FilePattern } from "./patterns.ts";
import { insideRun, unsafePath } from "./patterns.ts";
import type { FileSession } from "./transfer.ts";

/** A file of a run that may be fetched. */
export interface RunFile {
  /** Path inside the run folder. */
  source: string;
  /** Web path on the server. */
  url: string;
  /** Barcode, or `""`. */
  barcode: string;
  /** Sample name, or `""`. */
  sample: string;
  /** The store's type (`variants_vcf_gz`), or `null`. */
  type: string | null;
  /** Where it was found. */
  from: "store" | "layout" | "listing";
}

/** A name found but refused (outside the run folder, `..`, absolute). */
export interface RefusedFile {
  /** The name as found. */
  name: string;
  /** Why. */
  reason: string;
}

/** What to look for. */
export interface FileWanted {
  /** `--files` patterns; none: every file found (the type filter only). */
  patterns: readonly FilePattern[];
  /** `--type` names (store-typed files only); none: any. */
  types: readonly string[];
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === "object" && !Array.isArray(v);

/** Files of `store.files` (variantCaller), inside the run's folder. */
function fromStore(
  runUrl: string,
  store: Record<string, unknown>,
  refused: RefusedFile[],
): RunFile[] {
  const list = Array.isArray(store.files) ? store.files : [];
  const out: RunFile[] = [];
  for (const f of list) {
    if (!isObject(f)) continue;
    const web = typeof f.download_path === "string" ? f.download_path : null;
    const name = typeof f.filename === "string" ? f.filename : null;
    if (!web && !name) continue;
    const path = web ?? `${runUrl}${name}`;
    const source = insideRun(runUrl, path);
    if (source === null) {
      refused.push({ name: path, reason: "outside the run's folder" });
      continue;
    }
    out.push({
      source,
      url: `${runUrl.replace(/\/?$/, "/")}${encodePath(source)}`,
      barcode: typeof f.barcode === "string" ? f.barcode : "",
      sample: typeof f.sample === "string" ? f.sample : "",
      type: typeof f.type === "string" ? f.type : null,
      from: "store",
    });
  }
  return out;
}

/** Files coverageAnalysis always writes, named from its store's keys. */
function fromLayout(
  plugin: string,
  runUrl: string,
  store: Record<string, unknown>,
): RunFile[] {
  const out: RunFile[] = [];
  const add = (source: string, barcode: string, sample: string) => {
    if (unsafePath(source) !== null) return;
    out.push({
      source,
      url: `${runUrl.replace(/\/?$/, "/")}${encodePath(source)}`,
      barcode,
      sample,
      type: null,
      from: "layout",
    });
  };
  const per = (data: Record<string, unknown>, barcode: string) => {
    const stem = typeof data.Alignments === "string" ? data.Alignments : null;
    if (!stem || /[/\\]/.test(stem)) return null;
    const sample = typeof data["Sample Name"] === "string"
      ? data["Sample Name"]
      : "";
    const dir = barcode ? `${barcode}/` : "";
    for (
      const ext of [".stats.cov.txt", ".amplicon.cov.xls", ".bam", ".bam.bai"]
    ) {
      add(`${dir}${stem}${ext}`, barcode, sample);
    }
    return stem;
  };
  // Every run that got as far as a store wrote its results.json (the store
  // complete, even when the PATCH failed). startplugin.json is left out: it
  // holds the run's API key.
  if (Object.keys(store).length > 0) add("results.json", "", "");
  if (plugin !== "coverageAnalysis" && plugin !== "molecularCoverageAnalysis") {
    return out;
  }
  const barcodes = isObject(store.barcodes) ? store.barcodes : null;
  if (barcodes) {
    let runStem: string | null = null;
    for (const [barcode, data] of Object.entries(barcodes).sort()) {
      if (!isObject(data) || typeof data.Error === "string") continue;
      const stem = per(data, barcode);
      if (stem && stem.startsWith(`${barcode}_`)) {
        runStem = stem.slice(barcode.length + 1);
      }
    }
    if (runStem) add(`${runStem}.bc_summary.xls`, "", "");
  } else per(store, "");
  return out;
}

/** Names linked from an Apache autoindex page (files and folders). */
export function parseListing(html: string): { name: string; dir: boolean }[] {
  const out: { name: string; dir: boolean }[] = [];
  for (const m of html.matchAll(/<a href="([^"?#]+)"/gi)) {
    const href = m[1]!;
    if (
      href.startsWith("/") || href.startsWith("..") || /^[a-z]+:/i.test(href)
    ) {
      continue;
    }
    let name: string;
    try {
      name = decodeURIComponent(href);
    } catch {
      continue;
    }
    const dir = name.endsWith("/");
    name = name.replace(/\/$/, "");
    if (name && !name.includes("/")) out.push({ name, dir });
  }
  return out;
}

/** Percent-encodes each part of a relative path. */
export function encodePath(path: string): string {
  return path.split("/").map(encodeURIComponent).join("/");
}

/** Options of {@linkcode discoverFiles}. */
export interface DiscoverOptions {
  /** Aborts the listings. */
  signal?: AbortSignal;
}

/**
 * The files of a chosen run that match what is wanted, with the names
 * refused. Listings are read only when the store and the known layouts
 * leave a pattern unmatched (or the plugin has neither).
 *
 * @param session File session (listings need the password too).
 * @param choice A pair with its chosen run.
 * @param wanted Patterns and types.
 * @param options Signal.
 * @returns Matching files, in path order, and the refused names.
 */
export async function discoverFiles(
  session: FileSession,
  choice: RunChoice,
  wanted: FileWanted,
  options: DiscoverOptions = {},
): Promise<{ files: RunFile[]; refused: RefusedFile[]; listings: number }> {
  const run = choice.run;
  const refused: RefusedFile[] = [];
  if (!run || typeof run.URL !== "string" || !run.URL.startsWith("/")) {
    return { files: [], refused, listings: 0 };
  }
  const runUrl = run.URL.endsWith("/") ? run.URL : `${run.URL}/`;
  const store = isObject(run.store) ? run.store : {};
  const known = [
    ...fromStore(runUrl, store, refused),
    ...fromLayout(choice.plugin, runUrl, store),
  ];
  const matches = (f: RunFile) =>
    (wanted.types.length === 0 ||
      (f.type !== null && wanted.types.includes(f.type))) &&
    (wanted.patterns.length === 0 ||
      wanted.patterns.some((p) => p.test(f.source)));
  const found = new Map<string, RunFile>();
  for (const f of known) if (matches(f)) found.set(f.source, f);
  const unmatched = wanted.patterns.filter((p) =>
    !known.some((f) => p.test(f.source))
  );
  let listings = 0;
  if (
    wanted.types.length === 0 && (known.length === 0 || unmatched.length > 0)
  ) {
    // Barcode folders get Apache listings; the run's root shows its log.
    const barcodes = isObject(store.barcodes)
      ? Object.keys(store.barcodes).sort()
      : [];
    for (const barcode of barcodes) {
      if (unsafePath(barcode) !== null || barcode.includes("/")) continue;
      const url = new URL(`${runUrl}${encodePath(barcode)}/`, session.baseUrl);
      const res = await session.send({
        url,
        ...(options.signal ? { signal: options.signal } : {}),
      });
      listings++;
      if (res.status !== 200) continue;
      const data = isObject(store.barcodes) ? store.barcodes[barcode] : null;
      const sample = isObject(data) && typeof data["Sample Name"] === "string"
        ? data["Sample Name"]
        : "";
      for (const entry of parseListing(res.body)) {
        if (entry.dir) continue;
        const source = `${barcode}/${entry.name}`;
        if (found.has(source) || unsafePath(source) !== null) continue;
        const f: RunFile = {
          source,
          url: `${runUrl}${encodePath(source)}`,
          barcode,
          sample,
          type: null,
          from: "listing",
        };
        if (matches(f)) found.set(source, f);
      }
    }
  }
  const files = [...found.values()].sort((a, b) =>
    a.source < b.source ? -1 : a.source > b.source ? 1 : 0
  );
  return { files, refused, listings };
}
