// The claims registry: before a launch, every launcher on this machine (and
// on others sharing the home folder) claims its (server, report, plugin)
// pair in a small folder of the user's cache. A pair claimed by a live
// process, or launched by another job within the settle window, is not
// launched again. One file per pair; a per-server file lock makes each
// batch of claims atomic. A pair is claimed right before its launch is sent
// (with its journal intent): a claim's time is its send time, give or take
// the journal's sync.

import { join } from "node:path";
import {
  type Beacon,
  describeOwner,
  isOwner,
  type Owner,
  ownerState,
} from "./_beacon.ts";
import { withFileLock } from "./_file_lock.ts";

/** A pair to claim, and the newest run id it had before this launch. */
export interface ClaimRequest {
  /** Report key. */
  report: number;
  /** Plugin name. */
  plugin: string;
  /** The pair's newest run id before this launch (0: never run). */
  before: number;
  /**
   * When the caller last read the pair's runs on the server (ms): another
   * job's launch accepted before that shows in what the guard saw, so it is
   * the guard's to judge (a failed run is relaunched), not the registry's.
   */
  seenAt?: number;
}

/**
 * Margin for the clocks of machines sharing the home folder: a launch
 * another host recorded this close to the caller's look-up may not have been
 * in it. On one host, a launch is recorded after its 202, and its run exists
 * before the 202: any look-up started later shows it.
 */
const SEEN_MARGIN_MS = 5_000;

/** What a claim found. */
export type ClaimResult =
  /** Ours now: launch it. */
  | { status: "claimed" }
  /**
   * A live process of another job is launching it (its answer is due), or
   * a process that does not answer (`stopped`: Ctrl-Z, or hung) holds it.
   */
  | { status: "busy"; owner: string; pid: number; stopped: boolean }
  /**
   * Another job launched it less than the settle window ago: its launcher
   * is still running, or the caller's look-up is older than the launch.
   */
  | {
    status: "launched";
    run: number | null;
    owner: string;
    at: string;
    live: boolean;
  }
  /**
   * Claimed by a process of another job that died before recording the
   * outcome: its launch may have left at `since`. Ours now, but in doubt:
   * `job` is the dead job's identity (its journal tells whether it sent the
   * launch); else settle from the server (a run newer than `before`).
   */
  | {
    status: "orphan";
    before: number;
    since: string;
    owner: string;
    job: string;
  };

/** One pair's record. */
interface Entry {
  server: string;
  report: number;
  plugin: string;
  job: string;
  owner: Owner;
  /** When it was claimed (the launch may have gone out from then on). */
  since: string;
  before: number;
  /** Set once the launch was accepted (or found on the server). */
  launched?: { at: string; run: number | null };
}

/** Options of {@linkcode Registry.open}. */
export interface RegistryOptions {
  /**
   * The server's registry key (`identifyServer`), or its base URL (then
   * the folder is named from the URL as written).
   */
  server: string;
  /**
   * The job on whose behalf this process claims: its journal's absolute,
   * resolved path and the job's digest (`/abs/in.csv.journal.ndjson#<id>`),
   * or a name of its own for a job without a journal.
   */
  job: string;
  /** This process's beacon. */
  beacon: Beacon;
  /** How long a launched pair stays claimed for other jobs, in ms. */
  settleMs: number;
  /** Clock; default `Date.now`. */
  now?: () => number;
  /** Told of claim files moved aside (another version's, or damaged). */
  onNote?: (message: string) => void;
}

/** The registry of one server, as one process uses it. */
export class Registry {
  #dir: string;
  #lock: string;
  #options: RegistryOptions;
  #now: () => number;
  #pending: {
    pair: ClaimRequest;
    resolve: (r: ClaimResult) => void;
    reject: (e: unknown) => void;
  }[] = [];
  /** The pass in progress (claims and launch records, one lock). */
  #passing: Promise<void> | undefined;
  #launchedPending: {
    pair: { report: number; plugin: string; run: number | null };
    resolve: () => void;
    reject: (e: unknown) => void;
  }[] = [];

  private constructor(dir: string, options: RegistryOptions) {
    this.#dir = dir;
    this.#lock = join(dir, "registry.lock");
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  /** Opens (creating) the registry of `options.server` under `root`. */
  static async open(root: string, options: RegistryOptions): Promise<Registry> {
    const dir = join(root, "claims", await serverKey(options.server));
    await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
    return new Registry(dir, options);
  }

  #path(report: number, plugin: string): string {
    return join(this.#dir, `${report}.${plugin}.json`);
  }

  /**
   * Claims one pair, together with the claims other launches of this
   * process ask for at the same moment: one lock and one pass for all of
   * them (the launches in flight at once share it), shared too with the
   * launches being recorded ({@linkcode Registry.launchedOne}). Claims that
   * arrive during a pass go together in the next (group commit).
   */
  claimOne(pair: ClaimRequest): Promise<ClaimResult> {
    const result = new Promise<ClaimResult>((resolve, reject) =>
      this.#pending.push({ pair, resolve, reject })
    );
    this.#passing ??= this.#passPending();
    return result;
  }

  /**
   * One lock for every claim and launch record waiting, again while more
   * arrived during the pass. Launch records first: a pair another job
   * waits on is released as early as possible.
   */
  async #passPending(): Promise<void> {
    while (this.#pending.length > 0 || this.#launchedPending.length > 0) {
      const claims = this.#pending.splice(0);
      const records = this.#launchedPending.splice(0);
      let results: Map<string, ClaimResult> | undefined;
      let recorded = false;
      let claimError: unknown;
      let recordError: unknown;
      try {
        await withFileLock(this.#lock, async () => {
          if (records.length > 0) {
            try {
              await this.#launchedLocked(records.map((b) => b.pair));
              recorded = true;
            } catch (error) {
              recordError = error;
            }
          }
          if (claims.length > 0) {
            try {
              results = await this.#claimLocked(claims.map((b) => b.pair));
            } catch (error) {
              claimError = error;
            }
          }
        });
      } catch (error) {
        claimError ??= error; // the lock itself
        recordError ??= error;
      }
      for (const b of records) {
        if (recorded) b.resolve();
        else b.reject(recordError);
      }
      for (const b of claims) {
        if (results) {
          b.resolve(results.get(`${b.pair.report}/${b.pair.plugin}`)!);
        } else b.reject(claimError);
      }
    }
    this.#passing = undefined;
  }

  /** Claims pairs, all at once under the registry lock. */
  claim(
    pairs: readonly ClaimRequest[],
  ): Promise<Map<string, ClaimResult>> {
    return withFileLock(this.#lock, () => this.#claimLocked(pairs));
  }

  /**
   * The claims of one pass, the registry lock held: the pairs' files are
   * read and written side by side (one pair's steps in order, a pair asked
   * for twice after itself).
   */
  async #claimLocked(
    pairs: readonly ClaimRequest[],
  ): Promise<Map<string, ClaimResult>> {
    const self = this.#options.beacon.owner;
    {
      const results = new Map<string, ClaimResult>();
      const now = this.#now();
      // One look per owner: a stopped one takes a while to not answer.
      const states = new Map<string, ReturnType<typeof ownerState>>();
      const stateOf = (owner: Owner) => {
        let state = states.get(owner.beacon);
        if (!state) states.set(owner.beacon, state = ownerState(owner, self));
        return state;
      };
      const one = async (pair: ClaimRequest, note: (m: string) => void) => {
        const key = `${pair.report}/${pair.plugin}`;
        const path = this.#path(pair.report, pair.plugin);
        const entry = await readEntry(path, note);
        const result = entry
          ? await this.#judge(entry, { now, pair, stateOf })
          : undefined;
        if (
          result && result.status !== "claimed" && result.status !== "orphan"
        ) {
          results.set(key, result);
          return;
        }
        const mine: Entry = {
          server: this.#options.server,
          report: pair.report,
          plugin: pair.plugin,
          job: this.#options.job,
          owner: self,
          since: new Date(now).toISOString(),
          // An orphan's launch may still land: keep its bound, the lower one.
          before: result?.status === "orphan"
            ? Math.min(result.before, pair.before)
            : pair.before,
        };
        await writeEntry(path, mine);
        results.set(key, result ?? { status: "claimed" });
      };
      await eachPair(pairs, one, this.#options.onNote);
      return results;
    }
  }

  /** What an existing entry means for this process. */
  async #judge(
    entry: Entry,
    { now, pair, stateOf }: {
      now: number;
      pair: ClaimRequest;
      stateOf: (owner: Owner) => ReturnType<typeof ownerState>;
    },
  ): Promise<ClaimResult | undefined> {
    const self = this.#options.beacon.owner;
    const owner = describeOwner(entry.owner, self);
    const ours = entry.job === this.#options.job;
    if (entry.launched) {
      const age = now - Date.parse(entry.launched.at);
      // Our own job's launches are the journal's business, not the registry's.
      if (ours || age > this.#options.settleMs) return undefined;
      // A job still running keeps its fresh launches, whatever their state:
      // two live jobs never relaunch each other's failed runs.
      const live = (await stateOf(entry.owner)) !== "dead";
      const margin = entry.owner.host === self.host ? 0 : SEEN_MARGIN_MS;
      const seen = pair.seenAt !== undefined &&
        Date.parse(entry.launched.at) + margin < pair.seenAt;
      if (seen && !live) return undefined; // its run was in the caller's view
      return {
        status: "launched",
        run: entry.launched.run,
        owner,
        at: entry.launched.at,
        live,
      };
    }
    const state = await stateOf(entry.owner);
    if (state !== "dead") {
      if (entry.owner.beacon === self.beacon) return { status: "claimed" };
      return {
        status: "busy",
        owner,
        pid: entry.owner.pid,
        stopped: state === "unresponsive",
      };
    }
    if (ours) return undefined; // the journal knows what that process sent
    const age = now - Date.parse(entry.since);
    if (age > this.#options.settleMs) return undefined; // long settled either way
    return {
      status: "orphan",
      before: entry.before,
      since: entry.since,
      owner,
      job: entry.job,
    };
  }

  /** Reads an entry; one of another shape is moved aside, with a note. */
  #read(path: string): Promise<Entry | undefined> {
    return readEntry(path, this.#options.onNote);
  }

  /**
   * Records one accepted launch soon, together with the others of this
   * process at that moment (one lock and pass for all): another job
   * waiting on the pair learns at once that it is launched.
   */
  launchedOne(
    pair: { report: number; plugin: string; run: number | null },
  ): Promise<void> {
    const done = new Promise<void>((resolve, reject) =>
      this.#launchedPending.push({ pair, resolve, reject })
    );
    this.#passing ??= this.#passPending();
    return done;
  }

  /**
   * Records launches (run id when known): other jobs keep off these pairs
   * for the settle window.
   */
  launched(
    pairs: readonly { report: number; plugin: string; run: number | null }[],
  ): Promise<void> {
    if (pairs.length === 0) return Promise.resolve();
    return withFileLock(this.#lock, () => this.#launchedLocked(pairs));
  }

  /** The launch records of one pass, the registry lock held. */
  async #launchedLocked(
    pairs: readonly { report: number; plugin: string; run: number | null }[],
  ): Promise<void> {
    const at = new Date(this.#now()).toISOString();
    await eachPair(pairs, async (p, note) => {
      const path = this.#path(p.report, p.plugin);
      const entry = await readEntry(path, note);
      if (!entry || entry.job !== this.#options.job) return;
      const known = entry.launched?.run ?? null;
      entry.launched = { at: entry.launched?.at ?? at, run: p.run ?? known };
      await writeEntry(path, entry);
    }, this.#options.onNote);
  }

  /** Drops this process's claims of pairs it did not launch. */
  release(
    pairs: readonly { report: number; plugin: string }[],
  ): Promise<void> {
    if (pairs.length === 0) return Promise.resolve();
    const self = this.#options.beacon.owner;
    return withFileLock(this.#lock, async () => {
      for (const p of pairs) {
        const path = this.#path(p.report, p.plugin);
        const entry = await this.#read(path);
        if (entry && !entry.launched && entry.owner.beacon === self.beacon) {
          await Deno.remove(path).catch(() => {});
        }
      }
    });
  }
}

/**
 * When launchers on this machine launched each pair (and its run, when
 * known), from the registry of `server` under `root`, read without a lock
 * (entries are replaced whole). A Queued run has no start time on the
 * server: its launch time is what tells a run queued for 25 hours.
 */
export async function launchTimes(
  root: string,
  { server, pairs, onNote }: {
    server: string;
    pairs: readonly { report: number; plugin: string }[];
    /** Told of claim files moved aside (another version's, or damaged). */
    onNote?: (message: string) => void;
  },
): Promise<Map<string, { at: number; run: number | null }>> {
  const dir = join(root, "claims", await serverKey(server));
  const times = new Map<string, { at: number; run: number | null }>();
  for (const p of pairs) {
    const entry = await readEntry(
      join(dir, `${p.report}.${p.plugin}.json`),
      onNote,
    ).catch(() => undefined);
    if (entry?.launched) {
      times.set(`${p.report}/${p.plugin}`, {
        at: Date.parse(entry.launched.at),
        run: entry.launched.run,
      });
    }
  }
  return times;
}

async function readEntry(
  path: string,
  onNote?: (message: string) => void,
): Promise<Entry | undefined> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    value = undefined;
  }
  if (isEntry(value)) return value;
  // Another version's record, or a damaged one: never a crash. Kept aside
  // for a look, and the pair counts as unclaimed.
  const aside = `${path}.bad-${new Date().toISOString().replaceAll(":", "-")}`;
  await Deno.rename(path, aside).catch(() => {});
  onNote?.(
    `${path}: not a claim record of this version of ionrun; moved aside to ${aside} (the pair counts as unclaimed)`,
  );
  return undefined;
}

/** Whether a parsed claim file has the shape this version writes. */
function isEntry(value: unknown): value is Entry {
  if (typeof value !== "object" || value === null) return false;
  const e = value as Record<string, unknown>;
  const launched = e.launched as Record<string, unknown> | undefined;
  return typeof e.server === "string" && Number.isInteger(e.report) &&
    typeof e.plugin === "string" && typeof e.job === "string" &&
    isOwner(e.owner) && typeof e.since === "string" &&
    Number.isFinite(Date.parse(e.since)) && typeof e.before === "number" &&
    (launched === undefined ||
      (typeof launched === "object" && launched !== null &&
        typeof launched.at === "string" &&
        Number.isFinite(Date.parse(launched.at)) &&
        (launched.run === null || Number.isInteger(launched.run))));
}

/**
 * Runs `fn` on every pair at once, but a pair's calls one after another,
 * in the order given: different pairs are different files. Their notes
 * are told in the order of the pairs, once all are done.
 */
async function eachPair<P extends { report: number; plugin: string }>(
  pairs: readonly P[],
  fn: (pair: P, note: (message: string) => void) => Promise<void>,
  onNote: ((message: string) => void) | undefined,
): Promise<void> {
  const chains = new Map<string, Promise<void>>();
  const notes = pairs.map(() => [] as string[]);
  pairs.forEach((pair, i) => {
    const key = `${pair.report}/${pair.plugin}`;
    const previous = chains.get(key) ?? Promise.resolve();
    const note = (m: string) => void notes[i]!.push(m);
    chains.set(key, previous.then(() => fn(pair, note)));
  });
  // Every file done before the lock is let go, even when one fails.
  const settled = await Promise.allSettled(chains.values());
  for (const m of notes.flat()) onNote?.(m);
  const failed = settled.find((r) => r.status === "rejected");
  if (failed) throw failed.reason;
}

async function writeEntry(path: string, entry: Entry): Promise<void> {
  const tmp = `${path}.${Deno.pid}.tmp`;
  await Deno.writeTextFile(tmp, JSON.stringify(entry), { mode: 0o600 });
  await Deno.rename(tmp, path);
}

/**
 * The registry folder of a server: its key from `identifyServer` as is, or
 * a short, file-name-safe key of a base URL as written.
 */
export async function serverKey(server: string): Promise<string> {
  if (!server.includes("://")) return server; // a key already
  const digest = await crypto.subtle.digest(
    "SHA-256",
    new TextEncoder().encode(server),
  );
  const hex = [...new Uint8Array(digest)].map((b) =>
    b.toString(16).padStart(2, "0")
  ).join("");
  const host = new URL(server).host.replace(/[^A-Za-z0-9.-]/g, "_");
  return `${host}-${hex.slice(0, 12)}`;
}
