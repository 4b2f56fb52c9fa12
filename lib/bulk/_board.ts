// Internals of the bulk launcher: how many runs this user's jobs have active
// on one server, shared between the jobs on this machine (and others sharing
// the home folder) through one small file per pacing process in the
// registry folder. A job's `--max-active` then counts the others' runs too:
// two terminals with a job each do not fill the queue twice as much.

import { join } from "node:path";
import {
  type Beacon,
  isOwner,
  type Owner,
  ownerState,
  serverKey,
} from "../claims/mod.ts";
import type { ActiveBoard } from "./_pace.ts";

interface BoardEntry {
  owner: Owner;
  active: number;
  at: string;
}

/** The active-runs board of one server, in the registry folder. */
export class FileBoard implements ActiveBoard {
  #dir: string;
  #path: string;
  #beacon: Beacon;
  #last = -1;
  /** Owners that did not answer, and when: not asked again for a while. */
  #silent = new Map<string, number>();
  #writes: Promise<void> = Promise.resolve();

  private constructor(dir: string, beacon: Beacon) {
    this.#dir = dir;
    this.#beacon = beacon;
    const name = beacon.owner.heartbeat.split("/").at(-1)!.replace(
      /\.alive$/,
      "",
    );
    this.#path = join(dir, `${name}.json`);
  }

  /** Opens the board of `server` under the registry folder `root`. */
  static async open(
    root: string,
    { server, beacon }: { server: string; beacon: Beacon },
  ): Promise<FileBoard> {
    const dir = join(root, "active", await serverKey(server));
    await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
    return new FileBoard(dir, beacon);
  }

  /**
   * Records this process's active runs (only when the count changed). The
   * pacer does not wait for it, so writes are queued one after another and
   * each writes the newest count: overlapping writes of one temporary file
   * could otherwise leave an older count on the board.
   */
  publish(active: number): Promise<void> {
    if (active === this.#last) return this.#writes;
    this.#last = active;
    const write = this.#writes.then(() => this.#write());
    this.#writes = write.catch(() => {});
    return write;
  }

  async #write(): Promise<void> {
    const entry: BoardEntry = {
      owner: this.#beacon.owner,
      active: this.#last,
      at: new Date().toISOString(),
    };
    const tmp = `${this.#path}.tmp`;
    await Deno.writeTextFile(tmp, JSON.stringify(entry), { mode: 0o600 });
    await Deno.rename(tmp, this.#path);
  }

  /**
   * The active runs of the other live processes; a dead one's entry is
   * removed, a stopped one's is not counted.
   */
  async others(): Promise<number> {
    let sum = 0;
    for await (const f of Deno.readDir(this.#dir)) {
      const path = join(this.#dir, f.name);
      if (!f.name.endsWith(".json") || path === this.#path) continue;
      let entry: BoardEntry;
      try {
        entry = JSON.parse(await Deno.readTextFile(path));
      } catch {
        continue; // torn or just removed
      }
      if (!isOwner(entry?.owner)) {
        await Deno.remove(path).catch(() => {}); // another version's: no count
        continue;
      }
      const silentSince = this.#silent.get(entry.owner.beacon);
      const state =
        silentSince !== undefined && Date.now() - silentSince < 10_000
          ? "unresponsive"
          : await ownerState(entry.owner, this.#beacon.owner);
      if (state === "unresponsive") {
        if (silentSince === undefined || Date.now() - silentSince >= 10_000) {
          this.#silent.set(entry.owner.beacon, Date.now());
        }
      } else this.#silent.delete(entry.owner.beacon);
      // A stopped (Ctrl-Z) or hung job's count is frozen while its runs go
      // on ending on the server: counting it would hold this job forever.
      if (state === "alive") sum += Math.max(0, entry.active | 0);
      else if (state === "dead") await Deno.remove(path).catch(() => {});
    }
    return sum;
  }

  /** Removes this process's entry (at the end of its job). */
  async close(): Promise<void> {
    await this.#writes; // a queued write would bring the entry back
    await Deno.remove(this.#path).catch(() => {});
  }
}
