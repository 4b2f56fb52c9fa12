// Internals of the bulk launcher: the job a journal holds. Opening it locks
// the journal, repairs it (a torn last record is cut off, unreadable ones are
// reported), and tells a resume (same job, unfinished) from a finished job
// and from a new job (another input: the old journal is kept aside).

import { basename, dirname, join } from "node:path";
import { type Beacon, type JobLock, lockJob } from "../claims/mod.ts";
import { JobLockedError, JournalWriteError } from "../errors.ts";
import { Journal, readJournal } from "./journal.ts";
import {
  type JournalState,
  type PairRecord,
  replayJournal,
} from "./journal_replay.ts";
import { VERSION } from "../version.ts";

/** Which job the journal is for. */
export interface JobIdentity {
  /** Digest of the rows and the flags that change what is launched. */
  id: string;
  /** Input name, for people. */
  input: string;
  /** The flags that were part of the digest, for people. */
  flags: Record<string, unknown>;
  /** The highest newest-run id among the job's pairs now. */
  maxBefore: number;
}

/** An opened job. */
export interface OpenedJob {
  /** The journal, open for appending (none when the job had finished). */
  journal: Journal | undefined;
  /** What it says (empty for a new job). */
  state: JournalState;
  /** Lines for the user: repairs, a taken-over lock, a journal set aside. */
  notes: string[];
  /** Releases the lock (after closing the journal). */
  release(): Promise<void>;
}

/**
 * Opens the job's journal at `path`: locked for this process, repaired,
 * rotated aside when it belongs to another job (or `newJob`).
 *
 * @throws {JobLockedError} When another live process works on it.
 * @throws {JournalWriteError} When it cannot be written.
 */
export async function openJob(
  path: string,
  options: {
    job: JobIdentity;
    beacon: Beacon;
    newJob: boolean;
    now: () => number;
  },
): Promise<OpenedJob> {
  let lock: JobLock;
  try {
    lock = await lockJob(path, options.beacon);
  } catch (error) {
    if (error instanceof JobLockedError) throw error;
    throw new JournalWriteError(path, error); // its folder: missing, read-only, full
  }
  const notes: string[] = [];
  try {
    if (lock.tookOverFrom) {
      notes.push(
        `took over the journal's lock from pid ${lock.tookOverFrom.pid} (no longer running)`,
      );
    }
    let read = await readJournal(path);
    let state = {
      ...replayJournal(read.records, read.damaged),
      torn: read.torn,
    };
    const other = read.records.length > 0 &&
      (state.job?.id !== options.job.id || options.newJob);
    let inherited: [string, PairRecord][] = [];
    if (other) {
      inherited = await setAside(path, state, {
        newJob: options.newJob,
        now: options.now,
        notes,
      });
      read = { records: [], torn: undefined, damaged: [], goodBytes: 0 };
      state = { ...replayJournal([]), torn: undefined };
    }
    if (state.ended) {
      return {
        journal: undefined,
        state,
        notes,
        release: () => lock.release(),
      };
    }
    if (read.torn !== undefined) {
      notes.push(
        `${path}:${read.torn}: cut off a torn last record (written when the process died)`,
      );
    }
    for (const line of read.damaged) {
      notes.push(
        `${path}:${line}: unreadable record; every pair without a settled outcome is checked on the server first`,
      );
    }
    const journal = await Journal.open(path, {
      goodBytes: read.goodBytes,
      now: () => new Date(options.now()),
    });
    if (!state.job) {
      await journal.append({
        type: "job",
        id: options.job.id,
        input: options.job.input,
        flags: options.job.flags,
        version: VERSION,
        maxBefore: options.job.maxBefore,
      });
    }
    for (const [key, pair] of inherited) {
      const [report, plugin] = splitKey(key);
      state.pairs.set(key, pair);
      journal.appendLater({
        type: "in-doubt",
        report,
        plugin,
        before: pair.before,
        error: "sent by an earlier job",
        sentAt: new Date(pair.sentAt).toISOString(),
      });
    }
    await journal.append({ type: "start", pid: Deno.pid, version: VERSION });
    return { journal, state, notes, release: () => lock.release() };
  } catch (error) {
    await lock.release().catch(() => {});
    throw error;
  }
}

/**
 * Keeps the journal of another job (or any, with `newJob`) aside, with a
 * note. Launches an unfinished earlier job sent without an answer may still
 * land: they are returned, for the new job to settle before any is resent.
 */
async function setAside(
  path: string,
  state: JournalState,
  options: { newJob: boolean; now: () => number; notes: string[] },
): Promise<[string, PairRecord][]> {
  const inherited = state.ended
    ? []
    : [...state.pairs].filter(([, p]) => p.status === "in-doubt");
  const aside = await keepAside(path, state.latest || options.now());
  options.notes.push(
    `${
      options.newJob ? "--new-job" : "the input or its flags changed: a new job"
    }; the earlier journal was kept as ${aside}${
      inherited.length
        ? ` (${inherited.length} of its launches in doubt are checked first)`
        : ""
    }`,
  );
  return inherited;
}

/**
 * Moves a journal aside as `x.journal.2026-12-01T10-20-30.123Z.ndjson`
 * (`-2`, `-3`, … when that name is taken: two stdin jobs may end in the same
 * millisecond) and returns the new name. A hard link, then the old name
 * removed: an existing kept journal is never replaced.
 */
async function keepAside(path: string, time: number): Promise<string> {
  const stamp = new Date(time).toISOString().replaceAll(":", "-");
  const name = basename(path);
  const dot = name.endsWith(".ndjson")
    ? name.length - ".ndjson".length
    : name.length;
  for (let n = 1;; n++) {
    const aside = join(
      dirname(path),
      `${name.slice(0, dot)}.${stamp}${n > 1 ? `-${n}` : ""}${name.slice(dot)}`,
    );
    try {
      await Deno.link(path, aside);
    } catch (error) {
      if (error instanceof Deno.errors.AlreadyExists) continue;
      throw error;
    }
    await Deno.remove(path);
    return aside;
  }
}

/** `"306/variantCaller"` → `[306, "variantCaller"]`. */
function splitKey(key: string): [number, string] {
  const slash = key.indexOf("/");
  return [Number(key.slice(0, slash)), key.slice(slash + 1)];
}

/** A digest of the job: what is launched, with which rules. */
export async function jobId(parts: unknown): Promise<string> {
  const digest = await crypto.subtle.digest(
    "SHA-256",
    new TextEncoder().encode(JSON.stringify(parts)),
  );
  return [...new Uint8Array(digest)].slice(0, 12).map((b) =>
    b.toString(16).padStart(2, "0")
  ).join("");
}
