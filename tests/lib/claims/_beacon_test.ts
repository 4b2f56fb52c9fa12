// Unit tests of the process beacon: this process's identity, and whether
// the process behind a recorded owner is alive: on this host by its Unix
// socket answering (a real second Deno process, killed for the dead case),
// on another host by its heartbeat file being fresh.

import assert from "node:assert/strict";
import { dirname } from "node:path";
import {
  Beacon,
  describeOwner,
  isAlive,
  type Owner,
  ownerState,
} from "../../../lib/claims/_beacon.ts";
import { Peer } from "../../_peer.ts";

/** A peer process holding a beacon until its input ends. */
class BeaconPeer extends Peer {
  /** Its beacon's owner, once started. */
  owner!: Owner;

  static async start(dir: string): Promise<BeaconPeer> {
    const peer = new BeaconPeer(`
      const { Beacon } = await import(lib + "claims/_beacon.ts");
      const beacon = await Beacon.start(${JSON.stringify(dir)});
      say(beacon.owner);
      await next();
      beacon.close();
    `);
    peer.owner = await peer.read<Owner>();
    return peer;
  }
}

/** An owner like `owner`, on another host. */
const onAnotherHost = (owner: Owner, changes: Partial<Owner> = {}): Owner => ({
  ...owner,
  host: "elsewhere.example",
  pid: 77,
  ...changes,
});

Deno.test("Beacon.start() records this process as the owner: host, pid, start time, a socket and a heartbeat file in the folder", async () => {
  const root = await Deno.makeTempDir();
  const dir = `${root}/procs/nested`;
  const beacon = await Beacon.start(dir);
  const { owner } = beacon;
  assert.equal(owner.pid, Deno.pid);
  assert.equal(owner.host, Deno.hostname());
  assert.equal(owner.started, new Date(performance.timeOrigin).toISOString());
  assert.equal(dirname(owner.beacon), dir);
  assert.equal(dirname(owner.heartbeat), dir);
  const name = `${owner.host}-${Deno.pid}-`;
  assert.ok(owner.beacon.split("/").at(-1)!.startsWith(name), owner.beacon);
  assert.ok(owner.beacon.endsWith(".sock"));
  assert.equal(owner.heartbeat, owner.beacon.replace(/\.sock$/, ".alive"));
  assert.ok((await Deno.lstat(owner.beacon)).isSocket);
  assert.deepEqual(JSON.parse(await Deno.readTextFile(owner.heartbeat)), owner);
  if (Deno.build.os !== "windows") {
    assert.equal((await Deno.stat(owner.heartbeat)).mode! & 0o777, 0o600);
    assert.equal((await Deno.stat(dir)).mode! & 0o777, 0o700);
  }
  // Another beacon of the same process is another owner.
  const second = await Beacon.start(dir);
  assert.notEqual(second.owner.beacon, owner.beacon);
  assert.notEqual(second.owner.heartbeat, owner.heartbeat);
  second.close();
  beacon.close();
  await Deno.remove(root, { recursive: true });
});

Deno.test("isAlive(): a beacon answers while it is open, again and again; closed, it is dead and its heartbeat file is gone", async () => {
  const dir = await Deno.makeTempDir();
  const self = await Beacon.start(dir);
  const other = await Beacon.start(dir);
  assert.equal(await isAlive(self.owner, self.owner), true, "this beacon");
  for (let i = 0; i < 3; i++) {
    assert.equal(await isAlive(other.owner, self.owner), true, `look ${i}`);
  }
  other.close();
  assert.equal(await isAlive(other.owner, self.owner), false);
  await assert.rejects(Deno.stat(other.owner.heartbeat), Deno.errors.NotFound);
  other.close(); // closing twice is harmless
  // What the closed one recorded as itself, it no longer is.
  assert.equal(await isAlive(self.owner, other.owner), true);
  self.close();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("isAlive(): another process's beacon is alive while it runs, and dead once it is killed, its socket file left behind", async () => {
  const dir = await Deno.makeTempDir();
  const self = await Beacon.start(dir);
  const peer = await BeaconPeer.start(dir);
  assert.equal(peer.owner.pid, peer.pid);
  assert.equal(await isAlive(peer.owner, self.owner), true);
  await peer.kill();
  assert.ok((await Deno.lstat(peer.owner.beacon)).isSocket, "left behind");
  assert.equal(await isAlive(peer.owner, self.owner), false);
  // Its heartbeat file is still there too: on this host it does not count.
  assert.ok((await Deno.stat(peer.owner.heartbeat)).isFile);
  // The same pid with another socket (a reused pid) is not this process.
  const reused = { ...self.owner, beacon: peer.owner.beacon };
  assert.equal(await isAlive(reused, self.owner), false);
  self.close();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("isAlive(): a process that ended cleanly is dead", async () => {
  const dir = await Deno.makeTempDir();
  const self = await Beacon.start(dir);
  const peer = await BeaconPeer.start(dir);
  assert.equal(await isAlive(peer.owner, self.owner), true);
  await peer.end();
  assert.equal(await isAlive(peer.owner, self.owner), false);
  await assert.rejects(Deno.stat(peer.owner.heartbeat), Deno.errors.NotFound);
  self.close();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("isAlive(): an owner on another host is alive while its heartbeat file is fresh (< 30 s), never by its socket", async () => {
  const dir = await Deno.makeTempDir();
  const self = await Beacon.start(dir);
  const live = await Beacon.start(dir); // a socket that answers
  const heartbeat = `${dir}/elsewhere.alive`;
  await Deno.writeTextFile(heartbeat, "{}");
  const far = onAnotherHost(live.owner, { heartbeat });
  assert.equal(await isAlive(far, self.owner), true);
  const at = (ms: number) => new Date(Date.now() - ms);
  await Deno.utime(heartbeat, at(20_000), at(20_000));
  assert.equal(await isAlive(far, self.owner), true, "20 s old");
  await Deno.utime(heartbeat, at(31_000), at(31_000));
  assert.equal(await isAlive(far, self.owner), false, "31 s old");
  await Deno.remove(heartbeat);
  assert.equal(await isAlive(far, self.owner), false, "no heartbeat file");
  // Fresh, with no socket at all: alive.
  await Deno.writeTextFile(heartbeat, "{}");
  const noSocket = onAnotherHost(self.owner, {
    heartbeat,
    beacon: `${dir}/none.sock`,
  });
  assert.equal(await isAlive(noSocket, self.owner), true);
  live.close();
  self.close();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("the beacon touches its heartbeat file every few seconds", async () => {
  const dir = await Deno.makeTempDir();
  const beacon = await Beacon.start(dir);
  const old = new Date(Date.now() - 60_000);
  await Deno.utime(beacon.owner.heartbeat, old, old);
  const far = onAnotherHost(beacon.owner, { beacon: `${dir}/none.sock` });
  const self = { ...beacon.owner, beacon: `${dir}/self.sock` };
  assert.equal(await isAlive(far, self), false);
  // Within one interval (5 s) and a margin: looked at every 100 ms.
  let touched = false;
  for (let i = 0; i < 80 && !touched; i++) {
    await new Promise((r) => setTimeout(r, 100));
    const { mtime } = await Deno.stat(beacon.owner.heartbeat);
    touched = mtime!.getTime() > old.getTime() + 30_000;
  }
  assert.ok(touched, "the heartbeat file was not touched");
  assert.equal(await isAlive(far, self), true);
  beacon.close();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a folder too deep for a socket path gets its socket in a temporary folder (removed at close), its heartbeat where asked", async () => {
  const root = await Deno.makeTempDir();
  const dir = `${root}/${"d".repeat(120)}`;
  const self = await Beacon.start(root);
  const beacon = await Beacon.start(dir);
  assert.ok(beacon.owner.beacon.length <= 100, beacon.owner.beacon);
  assert.ok(beacon.owner.beacon.endsWith("/beacon.sock"));
  assert.notEqual(dirname(beacon.owner.beacon), dir);
  assert.equal(dirname(beacon.owner.heartbeat), dir);
  assert.equal(await isAlive(beacon.owner, self.owner), true);
  beacon.close();
  assert.equal(await isAlive(beacon.owner, self.owner), false);
  self.close();
  // close() removes the temporary folder it made, not only the socket.
  await assert.rejects(
    Deno.stat(dirname(beacon.owner.beacon)),
    Deno.errors.NotFound,
  );
  await Deno.remove(root, { recursive: true });
});

Deno.test("describeOwner() names the pid and start time, and the host when it is another", () => {
  const owner: Owner = {
    host: "lab-ws3",
    pid: 4242,
    started: "2026-01-01T08:00:00.000Z",
    beacon: "/x/lab-ws3-4242-a.sock",
    heartbeat: "/x/lab-ws3-4242-a.alive",
  };
  assert.equal(
    describeOwner(owner, { ...owner, pid: 1, beacon: "/x/1.sock" }),
    "pid 4242 since 2026-01-01T08:00:00.000Z",
  );
  assert.equal(
    describeOwner(owner, { ...owner, host: "lab-ws4" }),
    "pid 4242 on lab-ws3 since 2026-01-01T08:00:00.000Z",
  );
});

Deno.test("ownerState(): a process stopped with SIGSTOP is unresponsive (its socket accepts, it does not answer); continued, alive again", async () => {
  const dir = await Deno.makeTempDir();
  const self = await Beacon.start(dir);
  const peer = await BeaconPeer.start(dir);
  assert.equal(await ownerState(peer.owner, self.owner), "alive");
  Deno.kill(peer.pid, "SIGSTOP");
  try {
    assert.equal(await ownerState(peer.owner, self.owner), "unresponsive");
    assert.equal(await isAlive(peer.owner, self.owner), true, "not dead");
  } finally {
    Deno.kill(peer.pid, "SIGCONT");
  }
  assert.equal(await ownerState(peer.owner, self.owner), "alive");
  await peer.kill();
  assert.equal(await ownerState(peer.owner, self.owner), "dead");
  self.close();
  await Deno.remove(dir, { recursive: true });
});
