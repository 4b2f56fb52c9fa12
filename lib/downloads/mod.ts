/**
 * The downloads door: a plugin's output files from many reports into one
 * folder, resumable and verified. The run read per (report, plugin) is the
 * one `ionrun results` reads (the newest `Completed`); its files come from
 * the store's typed list, known layouts, then barcode-folder listings; each
 * file is written under a temporary name, checked (length, SHA-256, gzip and
 * BGZF) and renamed, and recorded in the folder's `manifest.jsonl`.
 *
 * Files need the password: Torrent Suite reads an API key only under
 * `/rundb/api/`; {@linkcode FileSession} sends HTTP Basic once, then the
 * session cookie.
 *
 * @example Every VCF of two reports' variantCaller runs
 * ```ts
 * import { createClient, httpFor } from "../http/mod.ts";
 * import { compilePattern, FileSession, planDownloads, runDownloads } from "./mod.ts";
 * import { startSimulator } from "../../simulator/mod.ts";
 * await using server = await startSimulator({ reports: 4 });
 * const [user] = server.users;
 * using client = await createClient({ url: server.url, user: user!.username, apiKey: user!.apiKey });
 * const files = new FileSession(httpFor({ url: server.url, purpose: "files", user: user!.username, password: user!.password }));
 * const out = await Deno.makeTempDir();
 * const reports = server.reportIds().slice(0, 2);
 * for (const report of reports) server.addRun({ report, plugin: "variantCaller", state: "Completed" });
 * const plan = await planDownloads(client, files, reports, {
 *   plugins: ["variantCaller"],
 *   wanted: { patterns: [compilePattern("*.vcf.gz")], types: [] },
 *   out,
 * });
 * const summary = await runDownloads(files, plan.items, { out });
 * if (summary.counts.downloaded !== plan.items.length) throw new Error();
 * await files.close();
 * await Deno.remove(out, { recursive: true });
 * ```
 *
 * @module
 */

export {
  discoverFiles,
  type DiscoverOptions,
  type FileWanted,
  parseListing,
  type RefusedFile,
  type RunFile,
} from "./discover.ts";
export {
  DEFAULT_MAX_BYTES,
  describePlan,
  type DownloadEvent,
  type DownloadItem,
  type DownloadPlan,
  type DownloadSummary,
  type FileOutcome,
  type Layout,
  planDownloads,
  type PlanOptions,
  runDownloads,
  type RunDownloadsOptions,
  type Skipped,
  verifyDownloads,
  type VerifyResult,
} from "./download.ts";
export {
  MANIFEST_NAME,
  type ManifestEntry,
  ManifestWriter,
  readManifest,
} from "./manifest.ts";
export {
  compilePattern,
  type FilePattern,
  insideRun,
  unsafePath,
} from "./patterns.ts";
export {
  checkGzip,
  type Fetched,
  fetchFile,
  type FetchFileOptions,
  FileSession,
  formatBytes,
  headFile,
  RateLimit,
  type RemoteFile,
  sha256File,
  TransferError,
  type TransferFailure,
} from "./transfer.ts";
