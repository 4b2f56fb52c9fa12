/**
 * The manifest of a download folder, `<out>/manifest.jsonl`: one JSON line
 * per file written under its final name, appended (synced when the job
 * ends), so the same command again knows what it already holds and
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

/** Appends entries to a manifest, each synced before the call returns. */
export class ManifestWriter {
  #file: Deno.FsFile;
  #queue: Promise<void> = Promise.resolve();

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
   * Appends one entry and syncs it.
   *
   * @param entry The entry.
   */
  append(entry: ManifestEntry): Promise<void> {
    const bytes = new TextEncoder().encode(`${JSON.stringify(entry)}\n`);
    const write = this.#queue.then(async () => {
      let off = 0;
      while (off < bytes.length) {
        off += await this.#file.write(bytes.subarray(off));
      }
      await this.#file.sync();
    });
    this.#queue = write.catch(() => {});
    return write;
  }

  /** Syncs and closes the file after the pending appends. */
  async close(): Promise<void> {
    await this.#queue;
    try {
      await this.#file.sync();
    } finally {
      this.#file.close();
    }
  }
}
