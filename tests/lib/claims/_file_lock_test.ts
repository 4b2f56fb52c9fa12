// Unit tests of the short-lived file lock (flock): one holder at a time
// across processes and across the tasks of one process, released when the
// section ends, fails, or its process is killed. The other processes are
// real second Deno processes.

import assert from "node:assert/strict";
import { withFileLock } from "../../../lib/claims/_file_lock.ts";
import { Peer } from "../../_peer.ts";

/** A peer process taking the lock on command. */
class LockPeer extends Peer {
  constructor() {
    super(`
      const { withFileLock } = await import(lib + "claims/_file_lock.ts");
      for (let line; (line = await next()) !== null;) {
        const [op, arg] = JSON.parse(line);
        if (op === "hold") {
          // Holds the lock until told to let go.
          await withFileLock(arg, async () => {
            say("held");
            await next();
          });
          say("released");
        } else if (op === "count") {
          for (let i = 0; i < arg.times; i++) {
            await withFileLock(arg.lock, async () => {
              const n = Number(await Deno.readTextFile(arg.file));
              await new Promise((r) => setTimeout(r, 0));
              await Deno.writeTextFile(arg.file, String(n + 1));
            });
          }
          say("counted");
        }
      }
    `);
  }
}

/** Rejects when `promise` has not settled within `ms` (a hang is a failure). */
async function within<T>(promise: Promise<T>, ms: number, what: string) {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`${what}: still waiting`)),
          ms,
        );
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Increments the number in `file` under the lock, with a pause inside. */
function increment(lock: string, file: string): Promise<void> {
  return withFileLock(lock, async () => {
    const n = Number(await Deno.readTextFile(file));
    await new Promise((r) => setTimeout(r, 0));
    await Deno.writeTextFile(file, String(n + 1));
  });
}

Deno.test("withFileLock() returns what the section returns, creating the lock file private to the user", async () => {
  const dir = await Deno.makeTempDir();
  const lock = `${dir}/x.lock`;
  assert.equal(await withFileLock(lock, () => Promise.resolve(42)), 42);
  const info = await Deno.stat(lock);
  assert.ok(info.isFile);
  if (Deno.build.os !== "windows") assert.equal(info.mode! & 0o777, 0o600);
  // An existing file is reused, its content left alone.
  await Deno.writeTextFile(lock, "keep");
  const again = withFileLock(lock, () => Promise.resolve("again"));
  assert.equal(await within(again, 10_000, "the second section"), "again");
  assert.equal(await Deno.readTextFile(lock), "keep");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("sections on one path in one process run one at a time, in the order they were asked for", async () => {
  const dir = await Deno.makeTempDir();
  const lock = `${dir}/x.lock`;
  const events: string[] = [];
  let inside = 0;
  let most = 0;
  const pauses = [3, 0, 2, 1, 0, 4, 1, 0, 2, 0, 3, 1];
  await Promise.all(pauses.map((pause, i) =>
    withFileLock(lock, async () => {
      inside++;
      most = Math.max(most, inside);
      events.push(`start ${i}`);
      await new Promise((r) => setTimeout(r, pause));
      events.push(`end ${i}`);
      inside--;
    })
  ));
  assert.equal(most, 1);
  assert.deepEqual(
    events,
    pauses.flatMap((_, i) => [`start ${i}`, `end ${i}`]),
  );
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a section that throws rejects with its error and releases the lock: the next section and another process get it", async () => {
  const dir = await Deno.makeTempDir();
  const lock = `${dir}/x.lock`;
  const failing = withFileLock(
    lock,
    () => Promise.reject(new RangeError("no")),
  );
  const next = withFileLock(lock, () => Promise.resolve("next"));
  await assert.rejects(failing, RangeError);
  assert.equal(await within(next, 10_000, "the next section"), "next");
  // A section that throws synchronously, too.
  await assert.rejects(
    withFileLock(lock, () => {
      throw new TypeError("sync");
    }),
    TypeError,
  );
  await using peer = new LockPeer();
  await peer.send(["hold", lock]);
  assert.equal(await within(peer.read(), 10_000, "the other process"), "held");
  await peer.send("let go");
  assert.equal(await peer.read(), "released");
  await peer.end();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("sections on different paths do not wait for each other", async () => {
  const dir = await Deno.makeTempDir();
  let release!: () => void;
  let entered!: () => void;
  const inside = new Promise<void>((r) => entered = r);
  const holding = withFileLock(`${dir}/a.lock`, () => {
    entered();
    return new Promise<void>((r) => release = r);
  });
  await inside; // a.lock is held from here on
  const other = await within(
    withFileLock(`${dir}/b.lock`, () => Promise.resolve("b")),
    10_000,
    "the other path",
  );
  assert.equal(other, "b");
  release();
  await holding;
  await Deno.remove(dir, { recursive: true });
});

Deno.test("processes take turns: increments of a shared counter under the lock are never lost", async () => {
  const dir = await Deno.makeTempDir();
  const lock = `${dir}/count.lock`;
  const file = `${dir}/count`;
  await Deno.writeTextFile(file, "0");
  const times = 60;
  await using b = new LockPeer();
  await using c = new LockPeer();
  await Promise.all(
    [b, c].map((p) => p.send(["count", { lock, file, times }])),
  );
  // This process counts too, with two tasks at once.
  const mine = async () => {
    for (let i = 0; i < times; i++) await increment(lock, file);
  };
  await Promise.all([mine(), mine()]);
  assert.deepEqual(await Promise.all([b.read(), c.read()]), [
    "counted",
    "counted",
  ]);
  assert.equal(Number(await Deno.readTextFile(file)), 4 * times);
  await Promise.all([b.end(), c.end()]);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a lock another process holds is waited for, and freed by the kernel when that process is killed", async () => {
  const dir = await Deno.makeTempDir();
  const lock = `${dir}/x.lock`;
  const peer = new LockPeer();
  await peer.send(["hold", lock]);
  assert.equal(await peer.read(), "held");
  let entered = false;
  const mine = withFileLock(lock, () => {
    entered = true;
    return Promise.resolve("mine");
  });
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(entered, false, "entered while the other process held it");
  await peer.kill(); // in its section: no clean-up of its own
  assert.equal(await within(mine, 10_000, "after the kill"), "mine");
  await Deno.remove(dir, { recursive: true });
});
