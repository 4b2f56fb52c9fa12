// Which server a launcher talks to, as the claims registry files it: one
// server under two names (127.0.0.1 and localhost, an IP address and a host
// name, a short and a full name, http and https) must share one registry, or
// two jobs launch the same pairs twice.
//
// Two steps. The address: scheme, the host name resolved to its addresses
// (the first IPv4 address in sorted order, else the first IPv6 one), the port
// (the scheme's default filled in) and the path prefix. Then the server's own
// identity: its oldest report (id, name and time stamp, to the microsecond),
// which no other server shares, read with one small request. The first
// address to register an identity names the registry folder; any other
// address of the same identity uses that folder too (an alias file under the
// registry's `servers/`). What cannot be unified: a server whose reports
// cannot be read (none yet: nothing to launch on), and machines that do not
// share the home folder (claims never leave it).

import { lookup } from "node:dns/promises";
import { join } from "node:path";
import { withFileLock } from "./_file_lock.ts";
import type { TsClient } from "../http/mod.ts";
import type { ListPage, Report } from "../types.ts";

/** How a host name is resolved (injected in tests). */
export type Resolver = (host: string) => Promise<string[]>;

/** Resolves with the system's resolver (`/etc/hosts` included), as connections do. */
const systemResolver: Resolver = async (host) =>
  (await lookup(host, { all: true })).map((a) => a.address);

/** What a server is, for the registry. */
export interface ServerIdentity {
  /** The registry folder's name (file-name safe). */
  key: string;
  /** The canonical address: `scheme://address:port/prefix`. */
  address: string;
  /** The server's own identity (its oldest report), when it has reports. */
  fingerprint?: string;
}

/**
 * The canonical address of a base URL: scheme, resolved address, port,
 * path prefix. A name that does not resolve keeps its lower-case spelling.
 */
export async function canonicalAddress(
  baseUrl: string,
  resolve: Resolver = systemResolver,
): Promise<string> {
  const url = new URL(baseUrl);
  const host = url.hostname.replace(/^\[|\]$/g, "").toLowerCase();
  let address = host;
  try {
    const all = [...new Set(await resolve(host))].sort();
    address = all.find((a) => a.includes(".") && !a.includes(":")) ?? all[0] ??
      host;
  } catch {
    // not resolvable here: the name as written
  }
  const port = url.port ||
    (url.protocol === "https:" ? "443" : url.protocol === "http:" ? "80" : "");
  const shown = address.includes(":") ? `[${address}]` : address;
  const prefix = url.pathname.replace(/\/+$/, "");
  return `${url.protocol}//${shown}:${port}${prefix}`;
}

/**
 * The server's identity for the registry under `root`: its canonical address
 * and, where it has reports, the folder an earlier address of the same
 * server registered.
 */
export async function identifyServer(
  client: TsClient,
  root: string,
  options: { resolve?: Resolver } = {},
): Promise<ServerIdentity> {
  const address = await canonicalAddress(client.baseUrl, options.resolve);
  const fingerprint = await fingerprintOf(client);
  let key = await folderName(address);
  if (fingerprint !== undefined) {
    const dir = join(root, "servers");
    await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
    const alias = join(dir, `${await digest(fingerprint, 24)}.json`);
    key = await withFileLock(`${alias}.lock`, async () => {
      try {
        const known = JSON.parse(await Deno.readTextFile(alias));
        if (typeof known?.key === "string" && /^[\w.-]+$/.test(known.key)) {
          return known.key as string;
        }
      } catch {
        // none yet (or unreadable: this address registers it again)
      }
      await Deno.writeTextFile(alias, JSON.stringify({ key, address }), {
        mode: 0o600,
      });
      return key;
    });
  }
  return { key, address, ...(fingerprint ? { fingerprint } : {}) };
}

/** The oldest report's id, name and time stamp; none on a server without reports. */
async function fingerprintOf(client: TsClient): Promise<string | undefined> {
  const page = await client.get<ListPage<Report>>("results/", {
    params: { order_by: "id", limit: 1, noplugin: "true" },
  });
  const first = page?.objects?.[0];
  if (!first || first.id === undefined) return undefined;
  return `${first.id}|${first.resultsName ?? ""}|${first.timeStamp ?? ""}`;
}

/** `127.0.0.1_8080-<digest>`: readable, short, safe in a file name. */
async function folderName(address: string): Promise<string> {
  const url = new URL(address);
  const host = url.host.replace(/[^A-Za-z0-9.-]/g, "_");
  return `${host}-${await digest(address, 12)}`;
}

async function digest(text: string, length: number): Promise<string> {
  const bytes = await crypto.subtle.digest(
    "SHA-256",
    new TextEncoder().encode(text),
  );
  return [...new Uint8Array(bytes)].map((b) => b.toString(16).padStart(2, "0"))
    .join("").slice(0, length);
}
