// Unit tests of the active-runs board: each pacing process publishes its
// count in registry/active/<server>/, and reads the sum of the other live
// processes' counts; a dead process's entry is ignored and removed. The
// other processes are real second Deno processes, killed for the dead case.

import assert from "node:assert/strict";
import { FileBoard } from "../../../lib/bulk/_board.ts";
import { Beacon, type Owner } from "../../../lib/claims/_beacon.ts";
import { serverKey } from "../../../lib/claims/_registry.ts";
import { Peer } from "../../_peer.ts";

const SERVER = "http://127.0.0.1:8123";

/** A peer process with a beacon and a board, publishing on command. */
class BoardPeer extends Peer {
  /** Its beacon's owner, once started. */
  owner!: Owner;

  constructor(root: string, server: string) {
    super(`
      const { Beacon } = await import(lib + "claims/_beacon.ts");
      const { FileBoard } = await import(lib + "bulk/_board.ts");
      const root = ${JSON.stringify(root)};
      const beacon = await Beacon.start(root + "/procs");
      const board = await FileBoard.open(root, {
        server: ${JSON.stringify(server)},
        beacon,
      });
      say(beacon.owner);
      for (let line; (line = await next()) !== null;) {
        const [op, arg] = JSON.parse(line);
        if (op === "publish") await board.publish(arg);
        if (op === "close") await board.close();
        say(op === "others" ? await board.others() : null);
      }
      beacon.close();
    `);
  }

  /** Starts it; resolves once it published `active`. */
  static async start(
    root: string,
    active: number,
    server = SERVER,
  ): Promise<BoardPeer> {
    const peer = new BoardPeer(root, server);
    peer.owner = await peer.read<Owner>();
    await peer.call("publish", active);
    return peer;
  }

  async call<T>(op: string, arg?: unknown): Promise<T> {
    await this.send([op, arg]);
    return await this.read<T>();
  }
}

/** A board of this process, with a beacon of its own. */
async function open(root: string, server = SERVER) {
  const beacon = await Beacon.start(`${root}/procs`);
  const board = await FileBoard.open(root, { server, beacon });
  return { board, beacon, [Symbol.dispose]: () => beacon.close() };
}

/** The file names in the board folder of `server`. */
async function files(root: string, server = SERVER): Promise<string[]> {
  const dir = `${root}/active/${await serverKey(server)}`;
  return (await Array.fromAsync(Deno.readDir(dir))).map((e) => e.name).sort();
}

/** The name a beacon's board entry has: its heartbeat's, as JSON. */
const entryName = (beacon: { owner: Owner }) =>
  beacon.owner.heartbeat.split("/").at(-1)!.replace(/\.alive$/, ".json");

Deno.test("others() is 0 for a process alone: its own published count does not count", async () => {
  const root = await Deno.makeTempDir();
  {
    using a = await open(root);
    assert.equal(await a.board.others(), 0);
    await a.board.publish(5);
    assert.equal(await a.board.others(), 0);
    assert.deepEqual(await files(root), [entryName(a.beacon)]);
    const entry = JSON.parse(
      await Deno.readTextFile(
        `${root}/active/${await serverKey(SERVER)}/${entryName(a.beacon)}`,
      ),
    );
    assert.equal(entry.active, 5);
    assert.deepEqual(entry.owner, a.beacon.owner);
    await a.board.close();
  }
  await Deno.remove(root, { recursive: true });
});

Deno.test("others() sums the counts of the other live processes, as they change", async () => {
  const root = await Deno.makeTempDir();
  {
    await using b = await BoardPeer.start(root, 3);
    await using c = await BoardPeer.start(root, 4);
    using a = await open(root);
    await a.board.publish(1);
    assert.equal(await a.board.others(), 7);
    await b.call("publish", 0);
    await c.call("publish", 6);
    assert.equal(await a.board.others(), 6);
    // Each sees the others, this process included.
    assert.equal(await b.call("others"), 7);
    await Promise.all([b.end(), c.end()]);
  }
  await Deno.remove(root, { recursive: true });
});

Deno.test("a dead process's count is ignored, and its entry removed; the live ones still count", async () => {
  const root = await Deno.makeTempDir();
  {
    await using live = await BoardPeer.start(root, 2);
    const dead = await BoardPeer.start(root, 5);
    using a = await open(root);
    assert.equal(await a.board.others(), 7);
    await dead.kill(); // SIGKILL: its entry stays behind
    assert.equal((await files(root)).length, 2);
    assert.equal(await a.board.others(), 2);
    assert.deepEqual(await files(root), [entryName(live)]);
    await live.end();
  }
  await Deno.remove(root, { recursive: true });
});

Deno.test("an entry of another host counts while its heartbeat is fresh, and is removed once it is stale", async () => {
  const root = await Deno.makeTempDir();
  {
    using a = await open(root);
    const heartbeat = `${root}/procs/elsewhere-77-x.alive`;
    await Deno.writeTextFile(heartbeat, "{}");
    const owner: Owner = {
      host: "elsewhere.example",
      pid: 77,
      started: "2026-01-01T00:00:00.000Z",
      beacon: `${root}/procs/elsewhere-77-x.sock`,
      heartbeat,
    };
    const dir = `${root}/active/${await serverKey(SERVER)}`;
    await Deno.writeTextFile(
      `${dir}/elsewhere-77-x.json`,
      JSON.stringify({ owner, active: 4, at: new Date().toISOString() }),
    );
    assert.equal(await a.board.others(), 4);
    const old = new Date(Date.now() - 120_000);
    await Deno.utime(heartbeat, old, old);
    assert.equal(await a.board.others(), 0);
    assert.deepEqual(await files(root), []);
  }
  await Deno.remove(root, { recursive: true });
});

Deno.test("close() removes this process's entry: the others stop counting it at once", async () => {
  const root = await Deno.makeTempDir();
  {
    await using b = await BoardPeer.start(root, 3);
    using a = await open(root);
    assert.equal(await a.board.others(), 3);
    await b.call("close");
    assert.equal(await a.board.others(), 0);
    assert.deepEqual(await files(root), []);
    await a.board.close(); // nothing published: nothing to remove
    await b.end();
  }
  await Deno.remove(root, { recursive: true });
});

Deno.test("the boards of different servers are separate", async () => {
  const root = await Deno.makeTempDir();
  {
    const other = "https://ts.example.org";
    await using b = await BoardPeer.start(root, 3, other);
    using a = await open(root);
    using a2 = await open(root, other);
    assert.equal(await a.board.others(), 0);
    assert.equal(await a2.board.others(), 3);
    await b.end();
  }
  await Deno.remove(root, { recursive: true });
});

Deno.test("counts are read as whole, non-negative numbers; torn entries and temporary files are skipped", async () => {
  const root = await Deno.makeTempDir();
  {
    using a = await open(root);
    using b = await open(root);
    using c = await open(root);
    await b.board.publish(2.9);
    await c.board.publish(-4);
    assert.equal(await a.board.others(), 2);
    const dir = `${root}/active/${await serverKey(SERVER)}`;
    await Deno.writeTextFile(`${dir}/torn.json`, '{"owner":{"host"');
    // A publish's temporary file, complete but not yet renamed.
    await Deno.writeTextFile(
      `${dir}/${entryName(b.beacon)}.tmp`,
      JSON.stringify({ owner: b.beacon.owner, active: 7, at: "" }),
    );
    assert.equal(await a.board.others(), 2);
  }
  await Deno.remove(root, { recursive: true });
});

Deno.test("publish() writes only when the count changed", async () => {
  const root = await Deno.makeTempDir();
  {
    using a = await open(root);
    using b = await open(root);
    await b.board.publish(3);
    const path = `${root}/active/${await serverKey(SERVER)}/${
      entryName(b.beacon)
    }`;
    await Deno.remove(path);
    await b.board.publish(3); // the same count: no write
    assert.equal(await a.board.others(), 0);
    await b.board.publish(4);
    assert.equal(await a.board.others(), 4);
  }
  await Deno.remove(root, { recursive: true });
});

// The pacer publishes without waiting, so publishes overlap: they are queued
// and the board ends on the last count published (they once shared one
// temporary file and raced).
Deno.test({
  name: "overlapping publish() calls leave the last count on the board",
  fn: async () => {
    const root = await Deno.makeTempDir();
    {
      using a = await open(root);
      using b = await open(root);
      for (let round = 0; round < 20; round++) {
        const counts = [1, 2, 3, 4, 5].map((i) => round * 10 + i);
        const done = await Promise.allSettled(
          counts.map((n) => b.board.publish(n)),
        );
        assert.deepEqual(
          done.filter((d) => d.status === "rejected"),
          [],
          `round ${round}`,
        );
        assert.equal(await a.board.others(), counts.at(-1), `round ${round}`);
      }
    }
    await Deno.remove(root, { recursive: true });
  },
});
