// This process's identity, and whether the process behind a recorded owner
// is still alive, for the journal lock and the claims registry.
//
// A process is alive while its beacon answers: a Unix socket it listens on
// (the kernel closes it when the process dies, even on kill -9), checked by
// connecting and reading the one byte the beacon writes back. A process
// stopped with Ctrl-Z (SIGSTOP) or hung still has its socket: the kernel
// accepts the connection, but no byte comes: it is "unresponsive", neither
// dead (its claims must not be taken over: it may go on) nor working. Deno reads /proc only with --allow-all, so the pid alone
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
/** How long a beacon may take to answer before its process counts as unresponsive. */
const ANSWER_MS = 1_500;
const ANSWER = new Uint8Array([49]);
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
      for await (const conn of listener) {
        // One byte says "running": a stopped process accepts but never writes.
        conn.write(ANSWER).catch(() => {}).finally(() => conn.close());
      }
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

/**
 * What the process behind `owner` is doing: `alive` (this process, or its
 * beacon answered), `unresponsive` (its socket accepted but it did not
 * answer: stopped with Ctrl-Z, or hung) or `dead`. An owner on another host
 * is alive while its heartbeat file is fresh, dead otherwise.
 */
export async function ownerState(
  owner: Owner,
  self: Owner,
): Promise<"alive" | "unresponsive" | "dead"> {
  if (owner.beacon === self.beacon) return "alive";
  if (owner.host === self.host) {
    let conn: Deno.UnixConn;
    try {
      conn = await Deno.connect({ transport: "unix", path: owner.beacon });
    } catch {
      return "dead"; // no such socket, or nobody listening: the process is gone
    }
    try {
      const byte = new Uint8Array(1);
      let timer: ReturnType<typeof setTimeout> | undefined;
      // Read the byte, then the end: the beacon has written and closed, so
      // nothing of this look is left in flight in either process.
      const answer = async () => {
        try {
          while ((await conn.read(byte)) !== null) { /* to the end */ }
        } catch {
          // reset: it answered all the same
        }
        return true;
      };
      const answered = await Promise.race([
        answer(),
        new Promise<false>((resolve) => {
          timer = setTimeout(() => resolve(false), ANSWER_MS);
        }),
      ]);
      clearTimeout(timer);
      // An older beacon closes without a byte: it answered all the same.
      return answered ? "alive" : "unresponsive";
    } finally {
      try {
        conn.close();
      } catch {
        // closed already
      }
    }
  }
  try {
    const { mtime } = await Deno.stat(owner.heartbeat);
    return mtime !== null && Date.now() - mtime.getTime() < STALE_MS
      ? "alive"
      : "dead";
  } catch {
    return "dead";
  }
}

/**
 * Whether `owner` is this process or a process that is still there (alive
 * or unresponsive: a stopped process may go on).
 */
export async function isAlive(owner: Owner, self: Owner): Promise<boolean> {
  return (await ownerState(owner, self)) !== "dead";
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

/** Whether a value read from a file is an {@linkcode Owner} (another version may write other shapes). */
export function isOwner(value: unknown): value is Owner {
  if (typeof value !== "object" || value === null) return false;
  const o = value as Record<string, unknown>;
  return typeof o.host === "string" && Number.isInteger(o.pid) &&
    typeof o.started === "string" && typeof o.beacon === "string" &&
    typeof o.heartbeat === "string";
}
