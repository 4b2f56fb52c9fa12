/**
 * A plugin's output files from many reports into one folder: plan (which
 * run, which files, where each goes, collisions found before anything is
 * written), then fetch a few at a time, politely, each verified and recorded
 * in the folder's manifest; the same command again fetches only what is
 * missing or changed, and resumes partial files.
 *
 * @module
 */

import { dirname, join } from "node:path";
import type { TsClient } from "../http/mod.ts";
import { chooseRuns, reasonText, type RunPick } from "../api/mod.ts";
import { discoverFiles, type FileWanted, type RunFile } from "./discover.ts";
import {
  type ManifestEntry,
  ManifestWriter,
  readManifest,
} from "./manifest.ts";
import {
  fetchFile,
  type FileSession,
  headFile,
  type RateLimit,
  sha256File,
  TransferError,
} from "./transfer.ts";

/** How files are laid out under the download folder. */
export type Layout = "tree" | "flat";

/** One file to fetch, and where it goes. */
export interface DownloadItem extends RunFile {
  /** Report key. */
  report: number;
  /** Report name. */
  reportName: string;
  /** Plugin name. */
  plugin: string;
  /** The run's id. */
  run: number;
  /** The run's plugin version. */
  version: string;
  /** Path under the download folder. */
  dest: string;
}

/** A (report, plugin) pair, or a file, left out, with why. */
export interface Skipped {
  /** Report key. */
  report: number;
  /** Plugin name. */
  plugin: string;
  /** The file, when it is one file that is left out. */
  file?: string;
  /** Why, in a few words. */
  reason: string;
}

/** What {@linkcode planDownloads} found. */
export interface DownloadPlan {
  /** The files to fetch, in report order. */
  items: DownloadItem[];
  /** Pairs without a usable run, and files left out (BAM links, refused names). */
  skipped: Skipped[];
  /** Local paths two files would share (nothing may be fetched then). */
  collisions: string[];
  /** Folder listings read to find the files. */
  listings: number;
}

/** Options of {@linkcode planDownloads}. */
export interface PlanOptions {
  /** Plugins whose runs to read. */
  plugins: readonly string[];
  /** Patterns and types. */
  wanted: FileWanted;
  /** `tree` (default): `<plugin>/<report id>_<name>/<path in the run>`; `flat`: `<name>.<barcode>.<sample>.<file>`. */
  layout?: Layout;
  /** Which run per pair (default the newest Completed). */
  pick?: RunPick;
  /** The download folder (its manifest keeps an older run apart). */
  out: string;
  /** Aborts the look-ups. */
  signal?: AbortSignal;
}

/** A name made safe as one path part. */
function part(text: string): string {
  // deno-lint-ignore no-control-regex
  const safe = text.replace(/[/\\\x00-\x1f]/g, "_").replace(/^\.+/, "_");
  return safe || "_";
}

/** BAM files are links to the report's reads (gigabytes): fetched only when named. */
function wantsBam(wanted: FileWanted): boolean {
  return wanted.patterns.some((p) => /\.ba[mi]\b|bam/i.test(p.text)) ||
    wanted.types.some((t) => t.includes("bam"));
}

/**
 * Plans a download: the chosen run per (report, plugin), its files that
 * match, and their local paths. A newer run of a pair than the one the
 * manifest holds goes to a folder of its own (`<id>_<name>.run<run id>`),
 * never mixed with the older files.
 *
 * @param client The API client (runs).
 * @param session The file session (listings).
 * @param reports Report keys.
 * @param options Plugins, patterns, layout, run choice, folder.
 * @returns The plan.
 */
export async function planDownloads(
  client: TsClient,
  session: FileSession,
  reports: readonly number[],
  options: PlanOptions,
): Promise<DownloadPlan> {
  const layout = options.layout ?? "tree";
  const manifest = await readManifest(options.out);
  const runsIn = new Map<string, Set<number>>();
  for (const e of manifest.values()) {
    const folder = e.path.split("/").slice(0, 2).join("/");
    runsIn.set(folder, (runsIn.get(folder) ?? new Set()).add(e.run));
  }
  const plan: DownloadPlan = {
    items: [],
    skipped: [],
    collisions: [],
    listings: 0,
  };
  const bam = wantsBam(options.wanted);
  for await (
    const choice of chooseRuns(client, reports, options.plugins, {
      ...(options.pick !== undefined ? { pick: options.pick } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    })
  ) {
    const run = choice.run;
    if (!run) {
      plan.skipped.push({
        report: choice.report,
        plugin: choice.plugin,
        reason: reasonText(choice),
      });
      continue;
    }
    const found = await discoverFiles(session, choice, options.wanted, {
      ...(options.signal ? { signal: options.signal } : {}),
    });
    plan.listings += found.listings;
    for (const r of found.refused) {
      plan.skipped.push({
        report: choice.report,
        plugin: choice.plugin,
        file: r.name,
        reason: `refused: ${r.reason}`,
      });
    }
    const name = choice.reportName || run.resultName || String(choice.report);
    let folder = `${part(choice.plugin)}/${choice.report}_${part(name)}`;
    const held = runsIn.get(folder);
    if (held && !held.has(run.id)) folder = `${folder}.run${run.id}`;
    let any = false;
    for (const f of found.files) {
      if (!bam && /\.ba[mi]$|\.bam\.bai$/i.test(f.source)) {
        plan.skipped.push({
          report: choice.report,
          plugin: choice.plugin,
          file: f.source,
          reason: "a link to the report's BAM (name it in --files to fetch it)",
        });
        continue;
      }
      const base = f.source.split("/").at(-1)!;
      const dest = layout === "tree"
        ? `${folder}/${f.source.split("/").map(part).join("/")}`
        : [name, f.barcode, f.sample, base].filter(Boolean).map(part).join(".");
      plan.items.push({
        ...f,
        report: choice.report,
        reportName: name,
        plugin: choice.plugin,
        run: run.id,
        version: run.pluginVersion,
        dest,
      });
      any = true;
    }
    if (!any && found.files.length === 0) {
      plan.skipped.push({
        report: choice.report,
        plugin: choice.plugin,
        reason: `run ${run.id} (${run.state}) has no file matching`,
      });
    }
  }
  const seen = new Map<string, number>();
  for (const item of plan.items) {
    seen.set(item.dest, (seen.get(item.dest) ?? 0) + 1);
  }
  plan.collisions = [...seen].filter(([, n]) => n > 1).map(([p]) => p);
  return plan;
}

/** What happened to one file. */
export type FileOutcome =
  | "downloaded"
  | "resumed"
  | "unchanged"
  | "too-big"
  | "gone"
  | "failed";

/** One event of {@linkcode runDownloads}, for progress. */
export interface DownloadEvent {
  /** `start`, `bytes` (some arrived), or `end` with the outcome. */
  type: "start" | "bytes" | "end";
  /** The file. */
  item: DownloadItem;
  /** Bytes, for `bytes`. */
  bytes?: number;
  /** For `end`. */
  outcome?: FileOutcome;
  /** For `end` of a failure: why. */
  message?: string;
}

/** Options of {@linkcode runDownloads}. */
export interface RunDownloadsOptions {
  /** The download folder. */
  out: string;
  /** Transfers at once (default 2). */
  concurrency?: number;
  /** Total bytes per second. */
  rate?: RateLimit;
  /** Skip files bigger than this (default 2 GB). */
  maxBytes?: number;
  /** Tries of a file after a transient failure (default 4). */
  retries?: number;
  /** Failures in a row (after their tries) that stop the job (default 5). */
  stopAfter?: number;
  /** Progress. */
  onEvent?: (event: DownloadEvent) => void;
  /** Stops the job; partial files stay for the next run. */
  signal?: AbortSignal;
  /** Sleep (tests). */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/** What {@linkcode runDownloads} did. */
export interface DownloadSummary {
  /** Files per outcome. */
  counts: Record<FileOutcome, number>;
  /** Bytes written in this run. */
  bytes: number;
  /** The failures, with why. */
  failures: { item: DownloadItem; outcome: FileOutcome; message: string }[];
  /** Why the job stopped early, if it did. */
  stopped?: string;
  /** Files not tried because the job stopped. */
  notTried: number;
}

/** The default size cap: 2 GB. */
export const DEFAULT_MAX_BYTES = 2_000_000_000;

function backoff(attempt: number): number {
  return Math.min(10_000, 500 * 2 ** attempt) * (0.5 + Math.random() / 2);
}

/**
 * Fetches the planned files, a few at a time. A file whose manifest entry
 * still matches the server (a HEAD: same size and ETag) is not fetched
 * again; a transient failure (5xx, reset, cut body) is retried with backoff,
 * resuming the partial file; refused credentials stop the job at once,
 * repeated failures too ("server unreachable").
 *
 * @param session The file session.
 * @param items The plan's files.
 * @param options Folder, pace, limits, progress, signal.
 * @returns The summary.
 */
export async function runDownloads(
  session: FileSession,
  items: readonly DownloadItem[],
  options: RunDownloadsOptions,
): Promise<DownloadSummary> {
  const manifest = await readManifest(options.out);
  await Deno.mkdir(options.out, { recursive: true });
  const writer = await ManifestWriter.open(options.out);
  const summary: DownloadSummary = {
    counts: {
      downloaded: 0,
      resumed: 0,
      unchanged: 0,
      "too-big": 0,
      gone: 0,
      failed: 0,
    },
    bytes: 0,
    failures: [],
    notTried: 0,
  };
  const sleep = options.sleep ??
    ((ms, signal) =>
      new Promise<void>((resolve) => {
        const t = setTimeout(resolve, ms);
        signal?.addEventListener("abort", () => {
          clearTimeout(t);
          resolve();
        }, { once: true });
      }));
  const retries = options.retries ?? 4;
  const stopAfter = options.stopAfter ?? 5;
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  let inARow = 0;
  let next = 0;
  const made = new Set<string>();
  const stopping = () =>
    summary.stopped !== undefined || options.signal?.aborted;

  // Transfers hold a slot while they use a connection (a HEAD, a body);
  // a file whose body is in lets its slot go before its sync, check, rename
  // and manifest entry, so the next transfer overlaps them.
  const concurrency = Math.max(1, options.concurrency ?? 2);
  let free = concurrency;
  const queued: (() => void)[] = [];
  const acquire = () =>
    free > 0
      ? (free--, Promise.resolve())
      : new Promise<void>((resolve) => queued.push(resolve));
  const release = () => {
    const waiter = queued.shift();
    if (waiter) waiter();
    else free++;
  };

  // Called with a slot held; gives it back once.
  const one = async (item: DownloadItem): Promise<void> => {
    let holding = true;
    const letGo = () => {
      if (holding) release();
      holding = false;
    };
    try {
      await oneFile(item, letGo, async () => {
        await acquire();
        holding = true;
      });
    } finally {
      letGo();
    }
  };

  const oneFile = async (
    item: DownloadItem,
    letGo: () => void,
    again: () => Promise<void>,
  ): Promise<void> => {
    const dest = join(options.out, item.dest);
    const emit = (e: Omit<DownloadEvent, "item">) =>
      options.onEvent?.({ ...e, item });
    emit({ type: "start" });
    const known = manifest.get(item.dest);
    if (known && known.run === item.run && known.url === item.url) {
      const local = await Deno.stat(dest).catch(() => null);
      if (local?.isFile && local.size === known.size) {
        const remote = await headFile(session, item.url, options.signal).catch(
          () => null,
        );
        if (
          remote && remote.size === known.size && remote.etag === known.etag
        ) {
          summary.counts.unchanged++;
          emit({ type: "end", outcome: "unchanged" });
          return;
        }
      }
    }
    const folder = dirname(dest);
    if (!made.has(folder)) {
      await Deno.mkdir(folder, { recursive: true });
      made.add(folder);
    }
    for (let attempt = 0;; attempt++) {
      if (attempt > 0) await again();
      try {
        const got = await fetchFile(session, item.url, dest, {
          onReceived: letGo,
          maxBytes,
          ...(options.rate ? { rate: options.rate } : {}),
          onBytes: (n) => {
            summary.bytes += n;
            emit({ type: "bytes", bytes: n });
          },
          ...(options.signal ? { signal: options.signal } : {}),
        });
        const entry: ManifestEntry = {
          report: item.report,
          reportName: item.reportName,
          plugin: item.plugin,
          run: item.run,
          version: item.version,
          barcode: item.barcode,
          sample: item.sample,
          source: item.source,
          path: item.dest,
          url: item.url,
          size: got.size,
          etag: got.etag,
          lastModified: got.lastModified,
          sha256: got.sha256,
          at: new Date().toISOString(),
        };
        await writer.append(entry);
        manifest.set(item.dest, entry);
        const outcome = got.resumedBytes > 0 || attempt > 0
          ? "resumed"
          : "downloaded";
        summary.counts[outcome]++;
        inARow = 0;
        emit({ type: "end", outcome });
        return;
      } catch (error) {
        if (options.signal?.aborted) throw options.signal.reason;
        const e = error instanceof TransferError ? error : null;
        const transient = e ? e.transient : isNetwork(error);
        letGo();
        if (transient && attempt < retries && !stopping()) {
          await sleep(backoff(attempt), options.signal);
          continue;
        }
        const outcome: FileOutcome = e?.kind === "too-big"
          ? "too-big"
          : e?.kind === "gone"
          ? "gone"
          : "failed";
        const message = error instanceof Error ? error.message : String(error);
        summary.counts[outcome]++;
        summary.failures.push({ item, outcome, message });
        emit({ type: "end", outcome, message });
        if (e?.kind === "refused") summary.stopped = message;
        else if (outcome === "failed" && ++inARow >= stopAfter) {
          summary.stopped =
            `server unreachable: ${stopAfter} files in a row failed (last: ${message})`;
        }
        return;
      }
    }
  };

  const running = new Set<Promise<void>>();
  let failure: { error: unknown } | undefined;
  try {
    while (next < items.length && !stopping() && !failure) {
      await acquire();
      if (stopping() || failure) {
        release();
        break;
      }
      const done: Promise<void> = one(items[next++]!)
        .catch((error) => {
          failure ??= { error };
        })
        .finally(() => running.delete(done));
      running.add(done);
      // Files finishing at once are bounded too (each holds a file open).
      while (running.size >= concurrency * 3) await Promise.race(running);
    }
    await Promise.all(running);
  } finally {
    await writer.close();
  }
  if (failure) throw failure.error;
  summary.notTried = items.length - next;
  return summary;
}

function isNetwork(error: unknown): boolean {
  return error instanceof Error && error.name === "NetworkError";
}

/** What `--verify` found for one file of the manifest. */
export interface VerifyResult {
  /** The manifest entry. */
  entry: ManifestEntry;
  /** `ok`, `changed` (another hash or size) or `missing`. */
  state: "ok" | "changed" | "missing";
}

/**
 * Re-hashes every file of a download folder's manifest.
 *
 * @param out The download folder.
 * @returns One result per file, in manifest order.
 */
export async function verifyDownloads(out: string): Promise<VerifyResult[]> {
  const results: VerifyResult[] = [];
  for (const entry of (await readManifest(out)).values()) {
    const path = join(out, entry.path);
    const stat = await Deno.stat(path).catch(() => null);
    if (!stat?.isFile) {
      results.push({ entry, state: "missing" });
      continue;
    }
    const same = stat.size === entry.size &&
      (await sha256File(path)) === entry.sha256;
    results.push({ entry, state: same ? "ok" : "changed" });
  }
  return results;
}

/**
 * The plan in a line: files, total size when known.
 *
 * @param plan The plan.
 * @returns E.g. `"412 file(s) from 200 run(s)"`.
 */
export function describePlan(plan: DownloadPlan): string {
  const runs = new Set(plan.items.map((i) => i.run)).size;
  return `${plan.items.length} file(s) from ${runs} run(s)${
    plan.skipped.length ? `; ${plan.skipped.length} left out` : ""
  }`;
}
