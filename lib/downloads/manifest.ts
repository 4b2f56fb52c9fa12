/**
 * The manifest of a download folder, `<out>/manifest.jsonl`: one JSON line
 * per file written under its final name, appended and synced (entries that
 * arrive together share one sync), so the same command again knows what it already holds and
 * `--verify` can re-hash it. A torn last line (a kill mid-write) is ignored.
 *
 * @module
 */

import { join } from "node:path";

/** One file the manifest holds. */
export interface ManifestEntry {
  /** Report key. */
  report: number;
  /** Report name. */
  reportName: string;
  /** Plugin name. */
  plugin: string;
  /** Plugin run id. */
  run: number;
  /** Plugin version of the run. */
  version: string;
  /** Barcode, or `""`. */
  barcode: string;
  /** Sample name, or `""`. */
  sample: string;
  /** Path inside the run folder. */
  source: string;
  /** Path under the download folder. */
  path: string;
  /** Web path on the server. */
  url: string;
  /** Bytes. */
  size: number;
  /** The server's ETag, or `null`. */
  etag: string | null;
  /** The server's Last-Modified, or `null`. */
  lastModified: string | null;
  /** SHA-256 of the bytes, hex. */
  sha256: string;
  /** When it was written (ISO 8601). */
  at: string;
}

/** The manifest's file name inside a download folder. */
export const MANIFEST_NAME = "manifest.jsonl";

/**
 * Reads a manifest: the newest entry per local path wins.
 *
 * @param dir The download folder.
 * @returns Entries by `path`; empty when there is no manifest yet.
 */
export async function readManifest(
  dir: string,
): Promise<Map<string, ManifestEntry>> {
  const entries = new Map<string, ManifestEntry>();
  let text: string;
  try {
    text = await Deno.readTextFile(join(dir, MANIFEST_NAME));
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return entries;
    throw error;
  }
  for (const line of text.split("\n")) {
    if (!line.trim()) continue;
    try {
      const entry = JSON.parse(line) as ManifestEntry;
      if (typeof entry.path === "string" && typeof entry.sha256 === "string") {
        entries.set(entry.path, entry);
      }
    } catch {
      // A torn last line from a kill mid-append: the file it named is
      // fetched again (its entry was never complete).
    }
  }
  return entries;
}

/**
 * Appends entries to a manifest, each synced before the call returns.
 * Entries appended while a sync is under way share the next write and sync
 * (group commit): with files finishing at once, N entries cost one sync,
 * not N, and none is reported written before it is on disk.
 */
export class ManifestWriter {
  #file: Deno.FsFile;
  #waiting: { line: string; done: PromiseWithResolvers<void> }[] = [];
  #flushing: Promise<void> | null = null;

  private constructor(file: Deno.FsFile) {
    this.#file = file;
  }

  /**
   * Opens (creates) the manifest of a folder for appending. A torn last
   * line is ended first, so the next entry starts on a line of its own.
   *
   * @param dir The download folder.
   * @returns The writer; close it when done.
   */
  static async open(dir: string): Promise<ManifestWriter> {
    const path = join(dir, MANIFEST_NAME);
    const file = await Deno.open(path, {
      create: true,
      append: true,
      read: true,
    });
    const { size } = await file.stat();
    if (size > 0) {
      const last = new Uint8Array(1);
      const reader = await Deno.open(path, { read: true });
      try {
        await reader.seek(size - 1, Deno.SeekMode.Start);
        await reader.read(last);
      } finally {
        reader.close();
      }
      if (last[0] !== 0x0a) await file.write(new TextEncoder().encode("\n"));
    }
    return new ManifestWriter(file);
  }

  /**
   * Appends one entry; resolves once it is synced.
   *
   * @param entry The entry.
   */
  append(entry: ManifestEntry): Promise<void> {
    const done = Promise.withResolvers<void>();
    this.#waiting.push({ line: `${JSON.stringify(entry)}\n`, done });
    this.#flushing ??= this.#flush();
    return done.promise;
  }

  async #flush(): Promise<void> {
    // One batch at a time: what arrives during a sync waits for the next.
    while (this.#waiting.length > 0) {
      const batch = this.#waiting;
      this.#waiting = [];
      try {
        const bytes = new TextEncoder().encode(
          batch.map((b) => b.line).join(""),
        );
        let off = 0;
        while (off < bytes.length) {
          off += await this.#file.write(bytes.subarray(off));
        }
        await this.#file.syncData();
        for (const b of batch) b.done.resolve();
      } catch (error) {
        for (const b of batch) b.done.reject(error);
      }
    }
    this.#flushing = null;
  }

  /** Syncs and closes the file after the pending appends. */
  async close(): Promise<void> {
    await this.#flushing;
    try {
      await this.#file.sync();
    } finally {
      this.#file.close();
    }
  }
}
