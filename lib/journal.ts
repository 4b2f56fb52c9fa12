/**
 * The bulk launcher's journal: an append-only NDJSON file, each record made
 * durable (written and synced to disk) before the launcher goes on, so a crash,
 * `kill -9` or Ctrl-C never loses what was launched.
 *
 * @module
 */

import { pairKey } from "./runs.ts";

/** One journal record. Every record has a `type` and an ISO `time`. */
export type JournalRecord =
  | { type: "start"; time: string; input: string; version: string }
  /** Written before a launch POST; `before` = newest run id of the pair then. */
  | {
    type: "intent";
    time: string;
    report: number;
    plugin: string;
    before: number;
    attempt: number;
  }
  /** The server accepted the launch (202), or reconciliation found its run. */
  | {
    type: "launched";
    time: string;
    report: number;
    plugin: string;
    before: number;
    run: number | null;
  }
  /** The run a launch created. */
  | {
    type: "resolved";
    time: string;
    report: number;
    plugin: string;
    run: number;
  }
  /** The launch failed for good (after retries). */
  | {
    type: "failed";
    time: string;
    report: number;
    plugin: string;
    error: string;
  }
  /** A run's final state after `--wait`. */
  | {
    type: "final";
    time: string;
    report: number;
    plugin: string;
    run: number;
    state: string;
  }
  /** The session stopped early (Ctrl-C); it will be resumed. */
  | { type: "interrupted"; time: string }
  /** The session finished; a later run starts afresh. */
  | { type: "end"; time: string };

/** What an unfinished journal says about one pair. */
export interface JournalPairState {
  /** `launched`: the server has it; `in-doubt`: POST sent, outcome unknown. */
  status: "launched" | "in-doubt";
  /** Newest run id before the launch. */
  before: number;
  /** The run created, when known. */
  run: number | null;
}

/** A record as given to {@linkcode Journal.append}: the time is added. */
export type NewJournalRecord = JournalRecord extends infer T
  ? T extends unknown ? Omit<T, "time"> : never
  : never;

/**
 * An open journal. Appends are group-committed: records appended while a
 * write is in progress go to disk together in the next write and sync.
 */
export class Journal {
  /** Path of the journal file. */
  readonly path: string;
  #file: Deno.FsFile;
  #queue: string[] = [];
  #waiters: { resolve: () => void; reject: (e: unknown) => void }[] = [];
  #flushing: Promise<void> | undefined;
  #now: () => Date;
  #error: unknown = undefined;

  private constructor(path: string, file: Deno.FsFile, now: () => Date) {
    this.path = path;
    this.#file = file;
    this.#now = now;
  }

  /**
   * Opens (creating if needed) a journal for appending.
   *
   * @param path File path.
   * @param options Clock for record times.
   * @returns The open journal.
   */
  static async open(
    path: string,
    options: { now?: () => Date } = {},
  ): Promise<Journal> {
    const file = await Deno.open(path, { append: true, create: true });
    return new Journal(path, file, options.now ?? (() => new Date()));
  }

  /**
   * Appends a record and resolves once it is on disk.
   *
   * @param record The record (its `time` is set here).
   * @returns Resolves when durable.
   */
  append(record: NewJournalRecord): Promise<void> {
    if (this.#error !== undefined) return Promise.reject(this.#error);
    const line = JSON.stringify({ ...record, time: this.#now().toISOString() });
    this.#queue.push(`${line}\n`);
    const done = new Promise<void>((resolve, reject) =>
      this.#waiters.push({ resolve, reject })
    );
    this.#flushing ??= this.#flush();
    return done;
  }

  async #flush(): Promise<void> {
    while (this.#queue.length > 0) {
      const text = this.#queue.join("");
      const waiters = this.#waiters;
      this.#queue = [];
      this.#waiters = [];
      try {
        const bytes = new TextEncoder().encode(text);
        let written = 0;
        while (written < bytes.length) {
          written += await this.#file.write(bytes.subarray(written));
        }
        await this.#file.syncData();
        for (const w of waiters) w.resolve();
      } catch (error) {
        this.#error ??= error;
        for (const w of waiters) w.reject(error);
      }
    }
    this.#flushing = undefined;
  }

  /**
   * Queues a record that may reach the disk later: with the next
   * {@linkcode Journal.append}, {@linkcode Journal.flush} or
   * {@linkcode Journal.close}. For records whose loss a resume can repair.
   *
   * @param record The record (its `time` is set here).
   */
  appendLater(record: NewJournalRecord): void {
    const line = JSON.stringify({ ...record, time: this.#now().toISOString() });
    this.#queue.push(`${line}\n`);
  }

  /**
   * Writes and syncs every queued record.
   *
   * @returns Resolves when they are on disk.
   */
  flush(): Promise<void> {
    if (this.#error !== undefined) return Promise.reject(this.#error);
    if (this.#queue.length === 0) return this.#flushing ?? Promise.resolve();
    const done = new Promise<void>((resolve, reject) =>
      this.#waiters.push({ resolve, reject })
    );
    this.#flushing ??= this.#flush();
    return done;
  }

  /**
   * Waits for pending appends and closes the file.
   *
   * @throws The first write error of an {@linkcode Journal.appendLater}.
   */
  async close(): Promise<void> {
    await this.flush().catch((error) => this.#error ??= error);
    await this.#flushing;
    this.#file.close();
    if (this.#error !== undefined) throw this.#error;
  }
}

/**
 * Reads a journal. A missing file gives no records; a torn last line (the
 * process died mid-write) is ignored.
 *
 * @param path File path.
 * @returns The records, in order.
 * @throws {SyntaxError} When a line other than the last is not JSON.
 */
export async function readJournal(path: string): Promise<JournalRecord[]> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw error;
  }
  const lines = text.split("\n");
  const records: JournalRecord[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === "") continue;
    try {
      records.push(JSON.parse(line));
    } catch {
      if (i >= lines.length - 2) continue; // torn final write
      throw new SyntaxError(`${path}:${i + 1}: journal line is not JSON`);
    }
  }
  return records;
}

/**
 * What the last, unfinished session of a journal launched. A session that
 * ended (`end` record) leaves nothing to resume.
 *
 * @param records The journal's records.
 * @returns Per {@linkcode pairKey}: launched or in-doubt pairs.
 */
export function unfinishedPairs(
  records: readonly JournalRecord[],
): Map<string, JournalPairState> {
  let pairs = new Map<string, JournalPairState>();
  for (const r of records) {
    switch (r.type) {
      case "start":
        break;
      case "end":
        pairs = new Map();
        break;
      case "intent":
        if (pairs.get(pairKey(r.report, r.plugin))?.status !== "launched") {
          pairs.set(pairKey(r.report, r.plugin), {
            status: "in-doubt",
            before: r.before,
            run: null,
          });
        }
        break;
      case "launched":
        pairs.set(pairKey(r.report, r.plugin), {
          status: "launched",
          before: r.before,
          run: r.run,
        });
        break;
      case "resolved": {
        const p = pairs.get(pairKey(r.report, r.plugin));
        if (p) p.run = r.run;
        break;
      }
      case "failed":
        pairs.delete(pairKey(r.report, r.plugin));
        break;
    }
  }
  return pairs;
}
