// Unit tests of the claims registry: a pair claimed by a live process of
// another job is busy, by a dead one an orphan, launched ones stay off limits
// for the settle window, release frees a pair, and two processes claiming the
// same pairs at once get each pair exactly once. "Another process" is a real
// second Deno process holding its own beacon; killed, it is a dead one.

import assert from "node:assert/strict";
import { Beacon, type Owner } from "../../../lib/claims/_beacon.ts";
import {
  type ClaimRequest,
  type ClaimResult,
  launchTimes,
  Registry,
  serverKey,
} from "../../../lib/claims/_registry.ts";
import { Peer } from "../../_peer.ts";

const SERVER = "http://127.0.0.1:8123";
const SETTLE = 60_000;

/** A peer process with a beacon and a registry, claiming on command. */
class RegistryPeer extends Peer {
  /** Its beacon's owner, once started. */
  owner!: Owner;

  constructor(root: string, job: string, server = SERVER) {
    super(`
      const { Beacon } = await import(lib + "claims/_beacon.ts");
      const { Registry } = await import(lib + "claims/_registry.ts");
      const root = ${JSON.stringify(root)};
      const beacon = await Beacon.start(root + "/procs");
      const registry = await Registry.open(root, {
        server: ${JSON.stringify(server)},
        job: ${JSON.stringify(job)},
        beacon,
        settleMs: ${SETTLE},
      });
      say(beacon.owner);
      for (let line; (line = await next()) !== null;) {
        const [op, arg] = JSON.parse(line);
        if (op === "claim") {
          say(Object.fromEntries(await registry.claim(arg)));
        } else if (op === "claimEach") {
          const got = {};
          for (const pair of arg) {
            Object.assign(got, Object.fromEntries(await registry.claim([pair])));
          }
          say(got);
        } else if (op === "launched") {
          await registry.launched(arg);
          say(null);
        } else if (op === "release") {
          await registry.release(arg);
          say(null);
        }
      }
      beacon.close();
    `);
  }

  /** Starts it; resolves once its registry is open, with its owner. */
  static async start(
    root: string,
    job: string,
    server = SERVER,
  ): Promise<RegistryPeer> {
    const peer = new RegistryPeer(root, job, server);
    peer.owner = await peer.read<Owner>();
    return peer;
  }

  async call<T>(op: string, arg: unknown): Promise<T> {
    await this.send([op, arg]);
    return await this.read<T>();
  }

  claim(pairs: ClaimRequest[]): Promise<Record<string, ClaimResult>> {
    return this.call("claim", pairs);
  }
}

/** A registry of this process, with its own beacon and a settable clock. */
async function open(
  root: string,
  job: string,
  { server = SERVER, at = Date.now() } = {},
) {
  const beacon = await Beacon.start(`${root}/procs`);
  const clock = { now: at };
  const registry = await Registry.open(root, {
    server,
    job,
    beacon,
    settleMs: SETTLE,
    now: () => clock.now,
  });
  return {
    registry,
    beacon,
    clock,
    [Symbol.dispose]: () => beacon.close(),
  };
}

const pair = (report: number, plugin = "igv", before = 0): ClaimRequest => ({
  report,
  plugin,
  before,
});

/** The claims of `pairs`, as an object keyed report/plugin. */
async function claim(
  registry: Registry,
  pairs: ClaimRequest[],
): Promise<Record<string, ClaimResult>> {
  return Object.fromEntries(await registry.claim(pairs));
}

/** An owner on another host (a home folder shared over NFS). */
async function elsewhere(root: string): Promise<Owner> {
  const heartbeat = `${root}/procs/elsewhere-77-x.alive`;
  await Deno.mkdir(`${root}/procs`, { recursive: true });
  await Deno.writeTextFile(heartbeat, "{}");
  return {
    host: "elsewhere.example",
    pid: 77,
    started: "2026-01-01T00:00:00.000Z",
    beacon: `${root}/procs/elsewhere-77-x.sock`,
    heartbeat,
  };
}

/** A registry whose process (as its owner says) runs on another host. */
function openAs(root: string, owner: Owner, job: string, now: () => number) {
  return Registry.open(root, {
    server: SERVER,
    job,
    // Only its owner is read: a process on another host is known by it.
    beacon: { owner } as unknown as Beacon,
    settleMs: SETTLE,
    now,
  });
}

Deno.test("claim() grants free pairs to the caller, keyed report/plugin, and grants them again to the same process", async () => {
  const root = await Deno.makeTempDir();
  {
    using a = await open(root, "job-a");
    const first = await claim(a.registry, [pair(1), pair(2, "sampleID")]);
    assert.deepEqual(first, {
      "1/igv": { status: "claimed" },
      "2/sampleID": { status: "claimed" },
    });
    // The same process asking again (a retried batch) is not refused.
    assert.deepEqual(await claim(a.registry, [pair(1)]), {
      "1/igv": { status: "claimed" },
    });
  }
  await Deno.remove(root, { recursive: true });
});

Deno.test("a pair claimed by a live process of another job is busy, for as long as that process lives", async () => {
  const root = await Deno.makeTempDir();
  {
    await using b = await RegistryPeer.start(root, "job-b");
    assert.deepEqual(await b.claim([pair(1), pair(2)]), {
      "1/igv": { status: "claimed" },
      "2/igv": { status: "claimed" },
    });
    using a = await open(root, "job-a");
    const owner = `pid ${b.pid} since ${b.owner.started}`;
    assert.deepEqual(await claim(a.registry, [pair(1), pair(3)]), {
      "1/igv": { status: "busy", owner, pid: b.pid, stopped: false },
      "3/igv": { status: "claimed" },
    });
    // Long past the settle window: still busy, the launch is under way.
    a.clock.now += 10 * SETTLE;
    assert.deepEqual(await claim(a.registry, [pair(2)]), {
      "2/igv": { status: "busy", owner, pid: b.pid, stopped: false },
    });
    // The other process sees this one's claim busy in turn.
    assert.deepEqual(await b.claim([pair(3)]), {
      "3/igv": {
        status: "busy",
        owner: `pid ${Deno.pid} since ${a.beacon.owner.started}`,
        pid: Deno.pid,
        stopped: false,
      },
    });
    await b.end();
  }
  await Deno.remove(root, { recursive: true });
});

Deno.test("a pair claimed by another job's process that died is an orphan: ours now, in doubt, with the lower 'before' kept", async () => {
  const root = await Deno.makeTempDir();
  {
    const b = await RegistryPeer.start(root, "job-b");
    await b.claim([pair(1, "igv", 7), pair(2, "igv", 7)]);
    await b.kill(); // before recording any outcome
    using a = await open(root, "job-a");
    const got = await claim(a.registry, [pair(1, "igv", 9)]);
    const orphan = got["1/igv"];
    assert.ok(orphan?.status === "orphan", JSON.stringify(got));
    assert.equal(
      orphan.before,
      7,
      "the dead claim's bound: its launch may land",
    );
    assert.equal(orphan.owner, `pid ${b.pid} since ${b.owner.started}`);
    assert.ok(Math.abs(Date.parse(orphan.since) - Date.now()) < 60_000);
    // Ours now: a third job finds it busy with this process.
    using c = await open(root, "job-c");
    assert.deepEqual(await claim(c.registry, [pair(1)]), {
      "1/igv": {
        status: "busy",
        owner: `pid ${Deno.pid} since ${a.beacon.owner.started}`,
        pid: Deno.pid,
        stopped: false,
      },
    });
    // This process dies in turn: the next orphan keeps the lowest bound.
    a.beacon.close();
    const again = (await claim(c.registry, [pair(1, "igv", 12)]))["1/igv"];
    assert.ok(again?.status === "orphan", JSON.stringify(again));
    assert.equal(again.before, 7);
    // A claim with a lower bound than the dead one's keeps its own.
    const other = (await claim(c.registry, [pair(2, "igv", 3)]))["2/igv"];
    assert.ok(other?.status === "orphan");
    assert.equal(other.before, 7, "the result tells the dead claim's bound");
  }
  await Deno.remove(root, { recursive: true });
});

Deno.test("a dead process's claim is simply claimed by its own job, or once older than the settle window", async () => {
  const root = await Deno.makeTempDir();
  {
    const b = await RegistryPeer.start(root, "job-b");
    await b.claim([pair(1), pair(2)]);
    await b.kill();
    // The same job, resumed: its journal knows what that process sent.
    using b2 = await open(root, "job-b");
    assert.deepEqual(await claim(b2.registry, [pair(1)]), {
      "1/igv": { status: "claimed" },
    });
    // Another job, after the settle window: long settled either way.
    using a = await open(root, "job-a", { at: Date.now() + SETTLE + 1_000 });
    assert.deepEqual(await claim(a.registry, [pair(2)]), {
      "2/igv": { status: "claimed" },
    });
  }
  await Deno.remove(root, { recursive: true });
});

Deno.test("after launched(), another job finds the pair 'launched' with its run id for the settle window, even once the launcher is dead", async () => {
  const root = await Deno.makeTempDir();
  {
    const b = await RegistryPeer.start(root, "job-b");
    await b.claim([pair(1), pair(2)]);
    await b.call("launched", [
      { report: 1, plugin: "igv", run: 123 },
      { report: 2, plugin: "igv", run: null },
    ]);
    await b.kill();
    using a = await open(root, "job-a");
    const got = await claim(a.registry, [pair(1), pair(2)]);
    const owner = `pid ${b.pid} since ${b.owner.started}`;
    const one = got["1/igv"];
    assert.ok(one?.status === "launched", JSON.stringify(got));
    assert.deepEqual({ ...one, at: "" }, {
      status: "launched",
      run: 123,
      owner,
      at: "",
      live: false,
    });
    assert.ok(Math.abs(Date.parse(one.at) - Date.now()) < 60_000);
    assert.deepEqual({ ...got["2/igv"], at: "" }, {
      status: "launched",
      run: null,
      owner,
      at: "",
      live: false,
    });
    // Past the settle window the guard decides again: ours to claim.
    a.clock.now = Date.parse(one.at) + SETTLE + 1;
    assert.deepEqual(await claim(a.registry, [pair(1)]), {
      "1/igv": { status: "claimed" },
    });
  }
  await Deno.remove(root, { recursive: true });
});

Deno.test("a launched pair is the launcher's own job's to claim again: the journal decides, not the registry", async () => {
  const root = await Deno.makeTempDir();
  {
    using a = await open(root, "job-a");
    await a.registry.claim([pair(1)]);
    await a.registry.launched([{ report: 1, plugin: "igv", run: 5 }]);
    using a2 = await open(root, "job-a");
    assert.deepEqual(await claim(a2.registry, [pair(1)]), {
      "1/igv": { status: "claimed" },
    });
    using b = await open(root, "job-b");
    assert.deepEqual(await claim(b.registry, [pair(1)]), {
      "1/igv": {
        status: "busy",
        owner: `pid ${Deno.pid} since ${a2.beacon.owner.started}`,
        pid: Deno.pid,
        stopped: false,
      },
    });
  }
  await Deno.remove(root, { recursive: true });
});

Deno.test("launched() keeps the first launch time and a known run id, and records nothing for pairs the job did not claim", async () => {
  const root = await Deno.makeTempDir();
  {
    const t0 = Date.parse("2026-03-01T10:00:00.000Z");
    using a = await open(root, "job-a", { at: t0 });
    using b = await open(root, "job-b", { at: t0 });
    await a.registry.claim([pair(1), pair(2)]);
    await b.registry.claim([pair(3)]);
    await a.registry.launched([{ report: 1, plugin: "igv", run: null }]);
    a.clock.now = t0 + 1_000;
    // The run id found later; then a repeat without it.
    await a.registry.launched([{ report: 1, plugin: "igv", run: 41 }]);
    await a.registry.launched([{ report: 1, plugin: "igv", run: null }]);
    // Not claimed by job-a: another job's claim, and an unknown pair.
    await a.registry.launched([
      { report: 3, plugin: "igv", run: 50 },
      { report: 4, plugin: "igv", run: 51 },
    ]);
    const pairs = [1, 2, 3, 4].map((report) => ({ report, plugin: "igv" }));
    const times = await launchTimes(root, { server: SERVER, pairs });
    assert.deepEqual([...times], [["1/igv", { at: t0, run: 41 }]]);
    // Job-b's claim is still a live claim, not a launch.
    using c = await open(root, "job-c", { at: t0 });
    assert.equal((await claim(c.registry, [pair(3)]))["3/igv"]?.status, "busy");
  }
  await Deno.remove(root, { recursive: true });
});

Deno.test("seenAt: a launch recorded before the caller's look-up is the guard's to judge once its launcher has ended; from another host only beyond the 5 s clock margin", async () => {
  const root = await Deno.makeTempDir();
  {
    const t0 = Date.parse("2026-03-01T10:00:00.000Z");
    const now = () => t0;
    // A launcher on this host (another beacon of this process).
    using here = await open(root, "job-b", { at: t0 });
    await here.registry.claim([pair(1)]);
    await here.registry.launched([{ report: 1, plugin: "igv", run: 9 }]);
    // A launcher on another host.
    const farOwner = await elsewhere(root);
    const far = await openAs(root, farOwner, "job-c", now);
    await far.claim([pair(2)]);
    await far.launched([{ report: 2, plugin: "igv", run: 10 }]);

    using a = await open(root, "job-a", { at: t0 + 10_000 });
    const status = async (report: number, seenAt?: number) =>
      (await claim(a.registry, [{
        ...pair(report),
        ...(seenAt === undefined ? {} : { seenAt }),
      }]))[`${report}/igv`]?.status;
    // While their launchers run, their fresh launches are theirs, seen or not.
    assert.equal(await status(1, t0 + 1), "launched", "a live job's launch");
    assert.equal(
      await status(2, t0 + 5_001),
      "launched",
      "a live job's launch",
    );
    const live = await claim(a.registry, [{ ...pair(2), seenAt: t0 + 9_000 }]);
    assert.equal(
      live["2/igv"]?.status === "launched" && live["2/igv"].live,
      true,
    );
    // Both launchers end.
    here.beacon.close();
    const old = new Date(Date.now() - 120_000);
    await Deno.utime(farOwner.heartbeat, old, old);
    assert.equal(await status(1), "launched");
    assert.equal(await status(1, t0 - 1), "launched", "looked before it");
    assert.equal(await status(1, t0), "launched", "not after it");
    assert.equal(await status(2, t0 + 1), "launched");
    assert.equal(await status(2, t0 + 5_000), "launched", "within the margin");
    const seen = await claim(a.registry, [pair(2)]);
    assert.deepEqual({ ...seen["2/igv"] }, {
      status: "launched",
      run: 10,
      owner: "pid 77 on elsewhere.example since 2026-01-01T00:00:00.000Z",
      at: "2026-03-01T10:00:00.000Z",
      live: false,
    });
    assert.equal(await status(2, t0 + 5_001), "claimed");
    assert.equal(await status(1, t0 + 1), "claimed");
  }
  await Deno.remove(root, { recursive: true });
});

Deno.test("a claim from another host is busy while its heartbeat is fresh, and an orphan once it is stale", async () => {
  const root = await Deno.makeTempDir();
  {
    const owner = await elsewhere(root);
    const far = await openAs(root, owner, "job-c", Date.now);
    await far.claim([pair(1, "igv", 4)]);
    using a = await open(root, "job-a");
    const described =
      "pid 77 on elsewhere.example since 2026-01-01T00:00:00.000Z";
    assert.deepEqual(await claim(a.registry, [pair(1, "igv", 8)]), {
      "1/igv": { status: "busy", owner: described, pid: 77, stopped: false },
    });
    const old = new Date(Date.now() - 120_000);
    await Deno.utime(owner.heartbeat, old, old);
    const got = (await claim(a.registry, [pair(1, "igv", 8)]))["1/igv"];
    assert.ok(got?.status === "orphan", JSON.stringify(got));
    assert.equal(got.before, 4);
    assert.equal(got.owner, described);
  }
  await Deno.remove(root, { recursive: true });
});

Deno.test("release() frees this process's unlaunched claims only: not launched pairs, not another process's claim", async () => {
  const root = await Deno.makeTempDir();
  {
    await using b = await RegistryPeer.start(root, "job-b");
    await b.claim([pair(3)]);
    using a = await open(root, "job-a");
    await a.registry.claim([pair(1), pair(2)]);
    await a.registry.launched([{ report: 2, plugin: "igv", run: 20 }]);
    await a.registry.release([
      { report: 1, plugin: "igv" },
      { report: 2, plugin: "igv" },
      { report: 3, plugin: "igv" },
      { report: 4, plugin: "igv" },
    ]);
    await a.registry.release([]);
    using c = await open(root, "job-c");
    const got = await claim(c.registry, [pair(1), pair(2), pair(3)]);
    assert.deepEqual(got["1/igv"], { status: "claimed" });
    assert.equal(got["2/igv"]?.status, "launched");
    assert.deepEqual(got["3/igv"], {
      status: "busy",
      owner: `pid ${b.pid} since ${b.owner.started}`,
      pid: b.pid,
      stopped: false,
    });
    // Released by its process, a live process's claim is free at once.
    await b.call("release", [{ report: 3, plugin: "igv" }]);
    assert.deepEqual(await claim(c.registry, [pair(3)]), {
      "3/igv": { status: "claimed" },
    });
    await b.end();
  }
  await Deno.remove(root, { recursive: true });
});

Deno.test("processes claiming the same pairs at the same time: each pair is granted to exactly one", async () => {
  const root = await Deno.makeTempDir();
  {
    const pairs = Array.from({ length: 40 }, (_, i) => pair(i + 1));
    await using b = await RegistryPeer.start(root, "job-b");
    await using c = await RegistryPeer.start(root, "job-c");
    await using d = await RegistryPeer.start(root, "job-d");
    using a = await open(root, "job-a");
    // One pair per claim, in step: the most chances to interleave.
    await Promise.all([b, c, d].map((peer) => peer.send(["claimEach", pairs])));
    const mine = await claim(a.registry, pairs);
    const theirs = await Promise.all(
      [b, c, d].map((peer) => peer.read<Record<string, ClaimResult>>()),
    );
    const all = [mine, ...theirs];
    for (const p of pairs) {
      const key = `${p.report}/igv`;
      const statuses = all.map((r) => r[key]?.status);
      assert.equal(
        statuses.filter((s) => s === "claimed").length,
        1,
        `${key}: ${statuses}`,
      );
      assert.equal(statuses.filter((s) => s === "busy").length, 3, key);
    }
    // A second round in whole batches: nobody gets anything more.
    const again = await Promise.all([
      claim(a.registry, pairs),
      ...[b, c, d].map((peer) => peer.claim(pairs)),
    ]);
    for (const [i, result] of again.entries()) {
      for (const p of pairs) {
        const key = `${p.report}/igv`;
        assert.equal(result[key]?.status, all[i]![key]!.status, key);
      }
    }
    await Promise.all([b, c, d].map((peer) => peer.end()));
  }
  await Deno.remove(root, { recursive: true });
});

Deno.test("launchTimes() tells launch times and run ids of launched pairs only, and nothing for a server without a registry", async () => {
  const root = await Deno.makeTempDir();
  {
    const t0 = Date.parse("2026-03-01T10:00:00.000Z");
    const b = await RegistryPeer.start(root, "job-b");
    await b.claim([pair(1), pair(2), pair(3)]);
    await b.call("launched", [
      { report: 1, plugin: "igv", run: 11 },
      { report: 2, plugin: "igv", run: null },
    ]);
    await b.end();
    using a = await open(root, "job-a", { at: t0 });
    await a.registry.claim([pair(4)]);
    await a.registry.launched([{ report: 4, plugin: "igv", run: 44 }]);
    const pairs = [1, 2, 3, 4, 5].map((report) => ({ report, plugin: "igv" }));
    const times = await launchTimes(root, { server: SERVER, pairs });
    assert.deepEqual([...times.keys()], ["1/igv", "2/igv", "4/igv"]);
    assert.equal(times.get("1/igv")!.run, 11);
    assert.equal(times.get("2/igv")!.run, null);
    assert.ok(Math.abs(times.get("1/igv")!.at - Date.now()) < 60_000);
    assert.deepEqual(times.get("4/igv"), { at: t0, run: 44 });
    const none = await launchTimes(root, {
      server: "http://10.0.0.9",
      pairs,
    });
    assert.equal(none.size, 0);
    const noRoot = await launchTimes(`${root}/missing`, {
      server: SERVER,
      pairs,
    });
    assert.equal(noRoot.size, 0);
  }
  await Deno.remove(root, { recursive: true });
});

Deno.test("registries of different servers are separate; serverKey() is a short file-name-safe key per server URL", async () => {
  const root = await Deno.makeTempDir();
  {
    const other = "https://ts.example.org:8443/";
    await using b = await RegistryPeer.start(root, "job-b", other);
    await b.claim([pair(1)]);
    using a = await open(root, "job-a");
    assert.deepEqual(await claim(a.registry, [pair(1)]), {
      "1/igv": { status: "claimed" },
    });
    await b.end();
  }
  const key = await serverKey("http://127.0.0.1:8123");
  assert.match(key, /^127\.0\.0\.1_8123-[0-9a-f]{12}$/);
  assert.equal(await serverKey("http://127.0.0.1:8123"), key);
  assert.notEqual(await serverKey("https://127.0.0.1:8123"), key);
  assert.notEqual(await serverKey("http://127.0.0.1:8123/ts"), key);
  assert.deepEqual(
    (await Array.fromAsync(Deno.readDir(`${root}/claims`))).map((e) => e.name)
      .sort(),
    [key, await serverKey("https://ts.example.org:8443/")].sort(),
  );
  await Deno.remove(root, { recursive: true });
});

Deno.test("a torn entry counts as absent: the pair is claimed (the file moved aside)", async () => {
  const root = await Deno.makeTempDir();
  {
    using a = await open(root, "job-a");
    const dir = `${root}/claims/${await serverKey(SERVER)}`;
    await Deno.writeTextFile(`${dir}/1.igv.json`, '{"server":"http://127.');
    assert.deepEqual(await claim(a.registry, [pair(1)]), {
      "1/igv": { status: "claimed" },
    });
    using b = await open(root, "job-b");
    assert.equal((await claim(b.registry, [pair(1)]))["1/igv"]?.status, "busy");
  }
  await Deno.remove(root, { recursive: true });
});

Deno.test("a claim file of another shape ({}, 42, another version's) is moved aside with one note naming it, never a crash", async () => {
  const root = await Deno.makeTempDir();
  {
    const beacon = await Beacon.start(`${root}/procs`);
    const notes: string[] = [];
    const registry = await Registry.open(root, {
      server: SERVER,
      job: "job-a",
      beacon,
      settleMs: SETTLE,
      onNote: (m) => notes.push(m),
    });
    const dir = `${root}/claims/${await serverKey(SERVER)}`;
    const bad = {
      "1.igv.json": "{}",
      "2.igv.json": "42",
      "3.igv.json": JSON.stringify({ v: 2, holder: { id: 7 } }),
      "4.igv.json": JSON.stringify({
        server: "x",
        report: 4,
        plugin: "igv",
        job: "j",
        owner: { pid: "7" },
        since: "yesterday",
        before: 0,
      }),
    };
    for (const [name, text] of Object.entries(bad)) {
      await Deno.writeTextFile(`${dir}/${name}`, text);
    }
    const got = await claim(registry, [pair(1), pair(2), pair(3), pair(4)]);
    for (const r of [1, 2, 3, 4]) {
      assert.deepEqual(got[`${r}/igv`], { status: "claimed" });
    }
    assert.equal(notes.length, 4);
    for (const [i, note] of notes.entries()) {
      assert.match(
        note,
        new RegExp(
          `^${dir}/${
            i + 1
          }\\.igv\\.json: not a claim record of this version of ionrun; moved aside to ${dir}/${
            i + 1
          }\\.igv\\.json\\.bad-\\S+ \\(the pair counts as unclaimed\\)$`,
        ),
      );
    }
    const names = [];
    for await (const f of Deno.readDir(dir)) names.push(f.name);
    assert.equal(names.filter((n) => n.includes(".bad-")).length, 4);
    beacon.close();
  }
  await Deno.remove(root, { recursive: true });
});

Deno.test("launchTimes() notes a claim file of another shape too, and moves it aside", async () => {
  const root = await Deno.makeTempDir();
  const dir = `${root}/claims/${await serverKey(SERVER)}`;
  await Deno.mkdir(dir, { recursive: true });
  await Deno.writeTextFile(`${dir}/5.igv.json`, "[1,2]");
  const notes: string[] = [];
  const times = await launchTimes(root, {
    server: SERVER,
    pairs: [{ report: 5, plugin: "igv" }],
    onNote: (m) => notes.push(m),
  });
  assert.equal(times.size, 0);
  assert.equal(notes.length, 1);
  assert.match(notes[0]!, /5\.igv\.json: not a claim record of this version/);
  await assert.rejects(Deno.stat(`${dir}/5.igv.json`), Deno.errors.NotFound);
  await Deno.remove(root, { recursive: true });
});

Deno.test("claimOne() and launchedOne() arriving together share registry passes (group commit): each answered, each launch recorded", async () => {
  const root = await Deno.makeTempDir();
  {
    using a = await open(root, "job-a");
    const opened = Deno.open;
    let locks = 0;
    // Count the lock file's opens: one per pass.
    Deno.open = ((path: string | URL, options?: Deno.OpenOptions) => {
      if (String(path).endsWith("registry.lock")) locks++;
      return opened(path, options);
    }) as typeof Deno.open;
    try {
      const first = await Promise.all(
        Array.from({ length: 16 }, (_, i) => a.registry.claimOne(pair(i + 1))),
      );
      assert.ok(first.every((r) => r.status === "claimed"));
      assert.ok(locks <= 2, `16 claims at once: ${locks} passes`);
      locks = 0;
      // Launch records of the first 16 with claims of 16 more, all at once.
      const both = await Promise.all([
        ...Array.from(
          { length: 16 },
          (_, i) =>
            a.registry.launchedOne({ report: i + 1, plugin: "igv", run: i }),
        ),
        ...Array.from(
          { length: 16 },
          (_, i) => a.registry.claimOne(pair(i + 17)),
        ),
      ]);
      assert.equal(both.length, 32);
      assert.ok(locks <= 2, `32 at once: ${locks} passes`);
    } finally {
      Deno.open = opened;
    }
    const times = await launchTimes(root, {
      server: SERVER,
      pairs: Array.from({ length: 32 }, (_, i) => pair(i + 1)),
    });
    assert.equal(times.size, 16);
    assert.equal(times.get("16/igv")?.run, 15);
    // Another job finds the first 16 launched, the next 16 held.
    using b = await open(root, "job-b");
    const seen = await claim(
      b.registry,
      Array.from({ length: 32 }, (_, i) => pair(i + 1)),
    );
    assert.equal(seen["1/igv"]!.status, "launched");
    assert.equal(seen["17/igv"]!.status, "busy"); // claimed by a live job
  }
  await Deno.remove(root, { recursive: true });
});
