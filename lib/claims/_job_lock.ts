// The journal's lock: one process at a time works on a job. The lock is a
// record beside the journal (`<journal>.lock`: owner, since), changed only
// under a file lock; its owner is alive while its beacon answers, so a lock
// left by a killed process is taken over at once.

import {
  type Beacon,
  describeOwner,
  isOwner,
  type Owner,
  ownerState,
} from "./_beacon.ts";
import { withFileLock } from "./_file_lock.ts";
import { JobLockedError } from "../errors.ts";

interface LockRecord {
  owner: Owner;
  since: string;
}

/** A held journal lock. */
export interface JobLock {
  /** The previous holder, when a stale lock was taken over. */
  tookOverFrom: Owner | undefined;
  /** Releases the lock. */
  release(): Promise<void>;
}

/**
 * Locks the journal at `journal` for this process.
 *
 * @throws {JobLockedError} When a live process holds it.
 */
export async function lockJob(
  journal: string,
  beacon: Beacon,
): Promise<JobLock> {
  const path = `${journal}.lock`;
  const self = beacon.owner;
  const tookOverFrom = await withFileLock(path, async () => {
    const held = await readLock(path);
    if (held && held.owner.beacon !== self.beacon) {
      const state = await ownerState(held.owner, self);
      if (state !== "dead") {
        throw new JobLockedError(
          `${journal} is in use by ${
            describeOwner(held.owner, self)
          } (locked ${held.since})${
            state === "unresponsive"
              ? `, which does not answer: stopped (Ctrl-Z: "fg" in its terminal, or kill -CONT ${held.owner.pid}) or hung (kill ${held.owner.pid})`
              : ""
          }; wait for it or use another journal (--journal PATH)`,
          { pid: held.owner.pid, host: held.owner.host, since: held.since },
        );
      }
    }
    const record: LockRecord = { owner: self, since: new Date().toISOString() };
    // Written in place, never removed: a waiter holds the file lock of this
    // very file, and a new file would let a third process in beside it.
    await Deno.writeTextFile(path, JSON.stringify(record), { mode: 0o600 });
    return held && held.owner.beacon !== self.beacon ? held.owner : undefined;
  });
  return {
    tookOverFrom,
    release: () =>
      withFileLock(path, async () => {
        const held = await readLock(path);
        if (held?.owner.beacon === self.beacon) {
          await Deno.writeTextFile(path, "");
        }
      }),
  };
}

async function readLock(path: string): Promise<LockRecord | undefined> {
  try {
    const text = await Deno.readTextFile(path);
    const record = text.trim() ? JSON.parse(text) : undefined;
    // Another version's shape counts as nobody's: it is overwritten.
    return isOwner(record?.owner) ? record as LockRecord : undefined;
  } catch {
    return undefined; // missing or torn: nobody holds it
  }
}
