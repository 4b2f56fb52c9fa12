// This process's identity, and whether the process behind a recorded owner
// is still alive, for the journal lock and the claims registry.
//
// A process is alive while its beacon answers: a Unix socket it listens on
// (the kernel closes it when the process dies, even on kill -9), checked by
// connecting. Deno reads /proc only with --allow-all, so the pid alone
// cannot be checked; the beacon also tells a reused pid from its first
// owner. Another host (a home folder shared over NFS) cannot connect to our
// sockets, so the beacon also touches a heartbeat file every few seconds,
// and an owner on another host is alive while that file is fresh.

import { join } from "node:path";

/** Who holds a lock or a claim. */
export interface Owner {
  /** Host name (or `"unknown"`). */
  host: string;
  /** Process id. */
  pid: number;
  /** When the process started (ISO). */
  started: string;
  /** Path of its beacon socket. */
  beacon: string;
  /** Path of its heartbeat file. */
  heartbeat: string;
}

/** How often the heartbeat file is touched, and when it counts as stale. */
const HEARTBEAT_MS = 5_000;
const STALE_MS = 30_000;
/** Longest Unix socket path on Linux and macOS (with room to spare). */
const MAX_SOCKET_PATH = 100;

/** This process's beacon: a Unix socket and a heartbeat file. */
export class Beacon {
  /** What locks and claims record as their owner. */
  readonly owner: Owner;
  #listener: Deno.Listener;
  #timer: ReturnType<typeof setInterval>;
  /** The temporary folder holding the socket when `dir` was too deep. */
  #tmp: string | undefined;

  private constructor(
    owner: Owner,
    listener: Deno.Listener,
    tmp: string | undefined,
  ) {
    this.owner = owner;
    this.#listener = listener;
    this.#tmp = tmp;
    (async () => {
      for await (const conn of listener) conn.close(); // an answer is the point
    })().catch(() => {});
    this.#timer = setInterval(() => {
      const now = new Date();
      Deno.utime(owner.heartbeat, now, now).catch(() => {});
    }, HEARTBEAT_MS);
    Deno.unrefTimer(this.#timer);
    listener.unref();
  }

  /**
   * Starts this process's beacon in `dir` (the heartbeat there; the socket
   * there too, or in the temporary folder when that path would be too long).
   */
  static async start(dir: string): Promise<Beacon> {
    await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
    const host = hostName();
    const name = `${host}-${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`;
    let beacon = join(dir, `${name}.sock`);
    let tmp: string | undefined;
    if (beacon.length > MAX_SOCKET_PATH) {
      tmp = await Deno.makeTempDir({ prefix: "ionrun-" });
      beacon = join(tmp, "beacon.sock");
    }
    const heartbeat = join(dir, `${name}.alive`);
    const started = new Date(performance.timeOrigin).toISOString();
    const owner = { host, pid: Deno.pid, started, beacon, heartbeat };
    await Deno.writeTextFile(heartbeat, JSON.stringify(owner), { mode: 0o600 });
    const listener = Deno.listen({ transport: "unix", path: beacon });
    return new Beacon(owner, listener, tmp);
  }

  /** Stops the beacon and removes its files. */
  close(): void {
    clearInterval(this.#timer);
    try {
      this.#listener.close(); // Deno removes the socket file
    } catch {
      // closed already
    }
    try {
      Deno.removeSync(this.owner.heartbeat);
    } catch {
      // gone already
    }
    if (this.#tmp !== undefined) {
      try {
        Deno.removeSync(this.#tmp, { recursive: true });
      } catch {
        // gone already
      }
    }
  }
}

/** Whether `owner` is this process or a process that is still alive. */
export async function isAlive(owner: Owner, self: Owner): Promise<boolean> {
  if (owner.beacon === self.beacon) return true;
  if (owner.host === self.host) {
    try {
      const conn = await Deno.connect({
        transport: "unix",
        path: owner.beacon,
      });
      conn.close();
      return true;
    } catch {
      return false; // no such socket, or nobody listening: the process is gone
    }
  }
  try {
    const { mtime } = await Deno.stat(owner.heartbeat);
    return mtime !== null && Date.now() - mtime.getTime() < STALE_MS;
  } catch {
    return false;
  }
}

/** Describes an owner for messages: `pid 4242 on lab-ws3 since 2026-…`. */
export function describeOwner(owner: Owner, self: Owner): string {
  return `pid ${owner.pid}${
    owner.host === self.host ? "" : ` on ${owner.host}`
  } since ${owner.started}`;
}

/** The host name: Deno's when allowed, else /etc/hostname, else "unknown". */
function hostName(): string {
  try {
    if (
      Deno.permissions.querySync({ name: "sys", kind: "hostname" }).state ===
        "granted"
    ) {
      return Deno.hostname();
    }
  } catch {
    // not available here
  }
  try {
    return Deno.readTextFileSync("/etc/hostname").trim() || "unknown";
  } catch {
    return "unknown";
  }
}
