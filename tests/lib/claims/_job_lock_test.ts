// Unit tests of the journal's lock: one process at a time works on a job. A
// live holder (a real second Deno process) refuses the others; a killed
// one's lock is taken over at once; release frees it for the next process.

import assert from "node:assert/strict";
import { Beacon, type Owner } from "../../../lib/claims/_beacon.ts";
import { lockJob } from "../../../lib/claims/_job_lock.ts";
import { JobLockedError } from "../../../lib/errors.ts";
import { Peer } from "../../_peer.ts";

/** What a peer's lockJob() came to. */
type Locked =
  | { ok: true; owner: Owner; tookOverFrom: Owner | null }
  | { ok: false; owner: Owner; name: string; message: string; pid: number };

/** A peer process that locks a journal, and releases it, on command. */
class LockPeer extends Peer {
  constructor(dir: string, journal: string) {
    super(`
      const { Beacon } = await import(lib + "claims/_beacon.ts");
      const { lockJob } = await import(lib + "claims/_job_lock.ts");
      const beacon = await Beacon.start(${JSON.stringify(`${dir}/procs`)});
      const owner = beacon.owner;
      let lock;
      for (let line; (line = await next()) !== null;) {
        if (JSON.parse(line) === "lock") {
          try {
            lock = await lockJob(${JSON.stringify(journal)}, beacon);
            say({ ok: true, owner, tookOverFrom: lock.tookOverFrom ?? null });
          } catch (e) {
            say({ ok: false, owner, name: e.name, message: e.message, pid: e.pid });
          }
        } else {
          await lock?.release();
          lock = undefined;
          say("released");
        }
      }
      beacon.close();
    `);
  }

  /** Has it lock the journal. */
  async lock(): Promise<Locked> {
    await this.send("lock");
    return await this.read<Locked>();
  }

  /** Has it release its lock (if it has one). */
  async release(): Promise<void> {
    await this.send("release");
    assert.equal(await this.read(), "released");
  }

  /** Starts one and has it lock the journal. */
  static async lock(dir: string, journal: string) {
    const peer = new LockPeer(dir, journal);
    return { peer, locked: await peer.lock() };
  }
}

Deno.test("lockJob() locks a free journal, and release() frees it for the next process", async () => {
  const dir = await Deno.makeTempDir();
  const journal = `${dir}/j.ndjson`;
  const a = await Beacon.start(`${dir}/procs`);
  const b = await Beacon.start(`${dir}/procs`);
  const lock = await lockJob(journal, a);
  assert.equal(lock.tookOverFrom, undefined);
  await assert.rejects(lockJob(journal, b), JobLockedError);
  await lock.release();
  const next = await lockJob(journal, b);
  assert.equal(next.tookOverFrom, undefined, "a released lock is no take-over");
  await next.release();
  // The lock's file stays (a waiter may hold its file lock), empty.
  assert.equal(await Deno.readTextFile(`${journal}.lock`), "");
  a.close();
  b.close();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a journal locked by another live process is refused with a JobLockedError naming that process", async () => {
  const dir = await Deno.makeTempDir();
  const journal = `${dir}/j.ndjson`;
  const { peer, locked } = await LockPeer.lock(dir, journal);
  await using _ = peer;
  assert.ok(locked.ok, JSON.stringify(locked));
  const a = await Beacon.start(`${dir}/procs`);
  const error = await lockJob(journal, a).then(
    () => assert.fail("locked twice"),
    (e: unknown) => e,
  );
  assert.ok(error instanceof JobLockedError);
  assert.equal(error.pid, peer.pid);
  assert.equal(error.host, a.owner.host);
  assert.ok(!Number.isNaN(Date.parse(error.since)), error.since);
  assert.equal(
    error.message,
    `${journal} is in use by pid ${peer.pid} since ${locked.owner.started} (locked ${error.since}); wait for it or use another journal (--journal PATH)`,
  );
  // Still refused on a second try: a refusal changes nothing.
  await assert.rejects(lockJob(journal, a), JobLockedError);
  // Released by its holder, the journal is free at once.
  await peer.release();
  const lock = await lockJob(journal, a);
  assert.equal(lock.tookOverFrom, undefined);
  await lock.release();
  await peer.end();
  a.close();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a lock left by a killed process is taken over at once, telling whose it was", async () => {
  const dir = await Deno.makeTempDir();
  const journal = `${dir}/j.ndjson`;
  const { peer, locked } = await LockPeer.lock(dir, journal);
  assert.ok(locked.ok);
  await peer.kill(); // no release of any kind
  const a = await Beacon.start(`${dir}/procs`);
  const lock = await lockJob(journal, a);
  assert.deepEqual(lock.tookOverFrom, locked.owner);
  // Ours now: another process is refused.
  const b = await Beacon.start(`${dir}/procs`);
  await assert.rejects(lockJob(journal, b), (e: unknown) => {
    assert.ok(e instanceof JobLockedError);
    assert.equal(
      e.message.split(" (locked")[0],
      `${journal} is in use by pid ${Deno.pid} since ${a.owner.started}`,
    );
    return true;
  });
  await lock.release();
  a.close();
  b.close();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("the same process locking its journal again is no take-over", async () => {
  const dir = await Deno.makeTempDir();
  const journal = `${dir}/j.ndjson`;
  const a = await Beacon.start(`${dir}/procs`);
  const first = await lockJob(journal, a);
  const again = await lockJob(journal, a);
  assert.equal(again.tookOverFrom, undefined);
  await again.release();
  await first.release(); // released already: nothing to do
  a.close();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a late release() of a lock that was taken over leaves the new holder's lock alone", async () => {
  const dir = await Deno.makeTempDir();
  const journal = `${dir}/j.ndjson`;
  const a = await Beacon.start(`${dir}/procs`);
  const stale = await lockJob(journal, a);
  a.close(); // as if dead: its beacon no longer answers
  const b = await Beacon.start(`${dir}/procs`);
  const lock = await lockJob(journal, b);
  assert.equal(lock.tookOverFrom?.beacon, a.owner.beacon);
  await stale.release();
  const c = await Beacon.start(`${dir}/procs`);
  await assert.rejects(lockJob(journal, c), JobLockedError);
  await lock.release();
  await (await lockJob(journal, c)).release();
  b.close();
  c.close();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("an empty, torn or other-shaped lock record counts as free", async () => {
  const dir = await Deno.makeTempDir();
  const journal = `${dir}/j.ndjson`;
  const a = await Beacon.start(`${dir}/procs`);
  for (
    const text of [
      "",
      "  \n",
      '{"owner":{"host":"x"',
      "{}",
      "42",
      '{"owner":{"pid":1}}',
    ]
  ) {
    await Deno.writeTextFile(`${journal}.lock`, text);
    const lock = await lockJob(journal, a);
    assert.equal(lock.tookOverFrom, undefined, JSON.stringify(text));
    await lock.release();
  }
  a.close();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("processes locking one journal at the same time: exactly one gets it, every time", async () => {
  const dir = await Deno.makeTempDir();
  const journal = `${dir}/j.ndjson`;
  const peers = Array.from({ length: 4 }, () => new LockPeer(dir, journal));
  try {
    for (let round = 0; round < 15; round++) {
      // All at once (every beacon is up after the first round).
      const results = await Promise.all(peers.map((p) => p.lock()));
      const winners = results.filter((r) => r.ok);
      assert.equal(
        winners.length,
        1,
        `round ${round}: ${JSON.stringify(results)}`,
      );
      const winner = peers[results.indexOf(winners[0]!)]!;
      for (const r of results) {
        if (r.ok) continue;
        assert.equal(r.name, "JobLockedError");
        assert.equal(r.pid, winner.pid, r.message);
      }
      await Promise.all(peers.map((p) => p.release()));
    }
    await Promise.all(peers.map((p) => p.end()));
  } finally {
    await Promise.all(peers.map((p) => p.kill()));
  }
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a journal locked by a stopped process (Ctrl-Z) is refused naming it and what to do", async () => {
  const dir = await Deno.makeTempDir();
  const journal = `${dir}/j.ndjson`;
  const { peer, locked } = await LockPeer.lock(dir, journal);
  assert.ok(locked.ok);
  const self = await Beacon.start(`${dir}/procs`);
  Deno.kill(peer.pid, "SIGSTOP");
  try {
    const error = await lockJob(journal, self).catch((e) => e);
    assert.ok(error instanceof JobLockedError, String(error));
    assert.match(
      error.message,
      new RegExp(
        `in use by pid ${peer.pid} since .*, which does not answer: stopped \\(Ctrl-Z: "fg" in its terminal, or kill -CONT ${peer.pid}\\) or hung \\(kill ${peer.pid}\\)`,
      ),
    );
  } finally {
    Deno.kill(peer.pid, "SIGCONT");
  }
  await peer.end();
  self.close();
  await Deno.remove(dir, { recursive: true });
});
