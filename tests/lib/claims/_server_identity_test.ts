// Tests of a server's identity for the claims registry: one server under two
// names (an IP address and a host name, localhost, http and https) gets one
// registry folder; two servers get two.

import assert from "node:assert/strict";
import {
  canonicalAddress,
  identifyServer,
  type Resolver,
} from "../../../lib/claims/_server_identity.ts";
import { createClient } from "../../../lib/http/client.ts";
import { clientFor, simulator } from "../../_helpers.ts";

const hosts: Record<string, string[]> = {
  "ts.lab.example": ["10.0.0.5"],
  "ts": ["10.0.0.5"],
  "localhost": ["::1", "127.0.0.1"],
  "dual.example": ["2001:db8::5", "10.0.0.9"],
};
const resolve: Resolver = (host) =>
  hosts[host]
    ? Promise.resolve(hosts[host]!)
    : /^[\d.]+$/.test(host)
    ? Promise.resolve([host])
    : Promise.reject(new Error("ENOTFOUND"));

Deno.test("canonicalAddress(): the name resolved (IPv4 first), the scheme's port filled in, the path prefix kept", async () => {
  const at = (url: string) => canonicalAddress(url, resolve);
  assert.equal(await at("https://ts.lab.example"), "https://10.0.0.5:443");
  assert.equal(await at("https://TS"), "https://10.0.0.5:443", "a short name");
  assert.equal(await at("https://10.0.0.5:443/"), "https://10.0.0.5:443");
  assert.equal(await at("http://localhost:8080"), "http://127.0.0.1:8080");
  assert.equal(await at("http://127.0.0.1:8080"), "http://127.0.0.1:8080");
  assert.equal(await at("http://dual.example"), "http://10.0.0.9:80");
  assert.equal(await at("http://ts/torrent/"), "http://10.0.0.5:80/torrent");
  // A name this machine cannot resolve keeps its spelling (lower case).
  assert.equal(await at("http://Nowhere.example"), "http://nowhere.example:80");
  assert.notEqual(await at("http://ts:8080"), await at("http://ts:8081"));
});

Deno.test("identifyServer(): two addresses of one server (its own oldest report) share the folder the first registered; another server gets its own", async () => {
  await using sim = await simulator({ reports: 5 });
  await using other = await simulator({ reports: 5, seed: 7 });
  const root = await Deno.makeTempDir();
  const user = sim.users[0]!;
  using a = await clientFor(sim);
  // The same server by another name: localhost.
  using b = await createClient({
    url: sim.url.replace("127.0.0.1", "localhost"),
    user: user.username,
    apiKey: user.apiKey,
  });
  using c = await clientFor(other);
  const first = await identifyServer(a, root);
  const second = await identifyServer(b, root, {
    // As if localhost were another address (a second network interface):
    // only the server's own identity can tell.
    resolve: () => Promise.resolve(["192.0.2.7"]),
  });
  const third = await identifyServer(c, root);
  assert.ok(first.fingerprint);
  assert.equal(second.fingerprint, first.fingerprint);
  assert.notEqual(second.address, first.address);
  assert.equal(second.key, first.key, "one registry for one server");
  assert.notEqual(third.key, first.key, "another server, another registry");
  assert.match(first.key, /^127\.0\.0\.1_\d+-[0-9a-f]{12}$/);
  await Deno.remove(root, { recursive: true });
});
