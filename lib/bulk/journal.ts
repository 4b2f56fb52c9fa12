/**
 * The bulk launcher's journal: one job's append-only NDJSON record, each
 * launch intent made durable (written and synced) before its request goes
 * out, so a crash, `kill -9` or a signal never loses what was sent.
 *
 * A journal is one job: its first record names the job (a digest of the
 * input and of the flags that change what is launched). It repairs itself:
 * a torn last record is cut off; an unreadable record in the middle is
 * reported by line and the job goes on, every pair without a settled
 * outcome then counting as in doubt.
 *
 * @module
 */

import { JournalWriteError } from "../errors.ts";

/** One journal record. Every record has a `type` and an ISO `time`. */
export type JournalRecord =
  /** First record: which job this journal is. */
  | {
    type: "job";
    time: string;
    id: string;
    input: string;
    flags: Record<string, unknown>;
    version: string;
    /**
     * The highest newest-run id among the job's pairs when it began: any run
     * of them with a higher id was created after the job began.
     */
    maxBefore: number;
  }
  /** An invocation of the job started. */
  | { type: "start"; time: string; pid: number; version: string }
  /** Written (synced) before a launch POST; `before` = newest run id then. */
  | {
    type: "intent";
    time: string;
    report: number;
    plugin: string;
    before: number;
  }
  /** The server accepted the launch (2xx), or its new run was found. */
  | {
    type: "launched";
    time: string;
    report: number;
    plugin: string;
    before: number;
    run: number | null;
  }
  /** The launch's answer was lost: it may have created a run. */
  | {
    type: "in-doubt";
    time: string;
    report: number;
    plugin: string;
    before: number;
    error: string;
    /** When it was sent (ISO), if not the time of its intent. */
    sentAt?: string;
  }
  /** The run a launch created. */
  | {
    type: "resolved";
    time: string;
    report: number;
    plugin: string;
    run: number;
  }
  /** The launch was refused: it certainly did not happen. */
  | {
    type: "failed";
    time: string;
    report: number;
    plugin: string;
    error: string;
  }
  /** Its intent was recorded but the launch never went out (stopped first). */
  | { type: "not-sent"; time: string; report: number; plugin: string }
  /** A run's final state after `--wait`. */
  | {
    type: "final";
    time: string;
    report: number;
    plugin: string;
    run: number;
    state: string;
  }
  /** The invocation stopped early (signal, server down, pairs in doubt). */
  | { type: "interrupted"; time: string }
  /** The job is finished: a later invocation launches nothing. */
  | { type: "end"; time: string; counts: Record<string, number> };

/** A record as given to {@linkcode Journal.append}: the time is added. */
export type NewJournalRecord = JournalRecord extends infer T
  ? T extends unknown ? Omit<T, "time"> : never
  : never;

/**
 * Reads a journal. A missing file is an empty journal; a torn last line (the
 * process died mid-write) is reported in `torn`, an unreadable line in the
 * middle in `damaged`; neither throws.
 *
 * @param path File path.
 * @returns The records, in order, and the line problems.
 */
export async function readJournal(path: string): Promise<{
  records: JournalRecord[];
  torn: number | undefined;
  damaged: number[];
  /** Bytes of the file up to the end of its last complete record. */
  goodBytes: number;
}> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      return { records: [], torn: undefined, damaged: [], goodBytes: 0 };
    }
    throw error;
  }
  const text = new TextDecoder().decode(bytes);
  const lines = text.split("\n");
  const records: JournalRecord[] = [];
  const damaged: number[] = [];
  let torn: number | undefined;
  let offset = 0;
  let goodBytes = 0;
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!;
    const last = i === lines.length - 1; // no newline after it: not finished
    offset += new TextEncoder().encode(raw).length + (last ? 0 : 1);
    if (raw.trim() === "") {
      if (!last) goodBytes = offset;
      continue;
    }
    let record: unknown;
    try {
      record = JSON.parse(raw);
    } catch {
      record = undefined;
    }
    const ok = isRecord(record);
    if (last) {
      if (ok) {
        records.push(record as JournalRecord); // complete but for its newline
        goodBytes = offset;
      } else torn = i + 1;
      continue;
    }
    if (ok) records.push(record as JournalRecord);
    else damaged.push(i + 1);
    goodBytes = offset;
  }
  return { records, torn, damaged, goodBytes };
}

function isRecord(value: unknown): value is JournalRecord {
  return typeof value === "object" && value !== null &&
    typeof (value as { type?: unknown }).type === "string" &&
    typeof (value as { time?: unknown }).time === "string";
}

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
   * Opens (creating if needed) a journal for appending. A torn last record
   * is cut off first: `goodBytes` is where the last complete record ends.
   *
   * @param path File path.
   * @param options Clock for record times; length to keep.
   * @returns The open journal.
   * @throws {JournalWriteError} When the file cannot be opened for writing.
   */
  static async open(
    path: string,
    options: { now?: () => Date; goodBytes?: number } = {},
  ): Promise<Journal> {
    let file: Deno.FsFile;
    try {
      file = await Deno.open(path, {
        read: true,
        write: true,
        create: true,
        mode: 0o600,
      });
      const size = (await file.stat()).size;
      const keep = options.goodBytes ?? size;
      if (keep < size) await file.truncate(keep);
      if (keep > 0) {
        // A complete last record the process died before ending: end it, or
        // the next record would share its line.
        const lastByte = new Uint8Array(1);
        await file.seek(keep - 1, Deno.SeekMode.Start);
        await file.read(lastByte);
        await file.seek(0, Deno.SeekMode.End);
        if (lastByte[0] !== 10) await file.write(new Uint8Array([10]));
      }
      await file.seek(0, Deno.SeekMode.End);
    } catch (error) {
      throw new JournalWriteError(path, error);
    }
    return new Journal(path, file, options.now ?? (() => new Date()));
  }

  /**
   * Appends a record and resolves once it is on disk.
   *
   * @param record The record (its `time` is set here).
   * @returns Resolves when durable.
   */
  append(record: NewJournalRecord): Promise<void> {
    this.appendLater(record);
    return this.flush();
  }

  async #flush(): Promise<void> {
    while (this.#queue.length > 0) {
      const text = this.#queue.join("");
      const waiters = this.#waiters;
      this.#queue = [];
      this.#waiters = [];
      try {
        if (this.#error !== undefined) throw this.#error;
        const bytes = new TextEncoder().encode(text);
        let written = 0;
        while (written < bytes.length) {
          written += await this.#file.write(bytes.subarray(written));
        }
        await this.#file.syncData();
        for (const w of waiters) w.resolve();
      } catch (error) {
        this.#error ??= error instanceof JournalWriteError
          ? error
          : new JournalWriteError(this.path, error);
        for (const w of waiters) w.reject(this.#error);
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
   * @throws {JournalWriteError} The first write error.
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
   * @throws {JournalWriteError} The first write error of an
   *   {@linkcode Journal.appendLater}.
   */
  async close(): Promise<void> {
    await this.flush().catch((error) => this.#error ??= error);
    await this.#flushing;
    this.#file.close();
    if (this.#error !== undefined) throw this.#error;
  }
}
