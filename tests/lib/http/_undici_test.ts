// Tests of the client's transport (npm undici): a launch is never sent twice
// by the HTTP stack, connections are reused, over plain HTTP, TLS (a private
// CA, or an old self-signed certificate pinned) and proxies.
//
// The first test is a canary: it shows why the toolkit does not use Deno's
// fetch. When it fails, Deno has stopped resending POSTs.

import assert from "node:assert/strict";
import { TsClient } from "../../../lib/http/client.ts";
import { NetworkError } from "../../../lib/errors.ts";
import { undiciTransport } from "../../../lib/http/_undici.ts";
import { type Simulator, startSimulator } from "../../../simulator/mod.ts";
import { testNeeding } from "../../_needs.ts";
import { makePki } from "../../_pki.ts";
import { startProxy } from "../../_proxy_server.ts";

const pause = () => new Promise((r) => setTimeout(r, 30));

/** The 2nd launch is recorded, then its connection closes without an answer. */
function dropSecondLaunch(sim: Simulator) {
  sim.addFault({
    method: "POST",
    nth: 2,
    after: true,
    action: { type: "reset", bare: true },
  });
}

/** Launches on two reports (the 2nd answer lost) and checks what the server saw. */
async function launchTwiceWithADrop(sim: Simulator, client: TsClient) {
  const [a, b] = sim.reportIds();
  dropSecondLaunch(sim);
  await client.get("plugin/"); // a pooled connection exists
  await pause();
  await client.post(`results/${a}/plugin/`, { plugin: ["igv"] });
  await pause();
  const error = await client.post(`results/${b}/plugin/`, { plugin: ["igv"] })
    .catch((e) => e);
  assert.ok(error instanceof NetworkError, String(error));
  assert.equal(error.outcomeUnknown, true);
  // Sent once: the server has exactly one launch of each.
  assert.deepEqual(sim.launches.map((l) => l.report), [a, b]);
  const posts = sim.requests.filter((r) => r.method === "POST");
  assert.equal(posts.length, 2);
  // The case that matters: the lost POST went out on a reused connection.
  const earlier = sim.requests.slice(0, sim.requests.indexOf(posts[1]!));
  assert.ok(
    earlier.some((r) => r.connection === posts[1]!.connection),
    `the 2nd launch was on a fresh connection: ${
      sim.requests.map((r) => r.connection)
    }`,
  );
}

function clientFor(sim: Simulator, transport = undiciTransport()) {
  const user = sim.users[0]!;
  return new TsClient({
    url: sim.url,
    user: user.username,
    apiKey: user.apiKey,
    transport,
  });
}

Deno.test("canary: Deno's fetch sends a POST twice when a kept-alive connection drops", async () => {
  await using sim = await startSimulator({ reports: 5 });
  const user = sim.users[0]!;
  const headers = {
    Authorization: `ApiKey ${user.username}:${user.apiKey}`,
    "Content-Type": "application/json",
  };
  const [a, b] = sim.reportIds();
  dropSecondLaunch(sim);
  const post = (report: number) =>
    fetch(`${sim.url}/rundb/api/v1/results/${report}/plugin/`, {
      method: "POST",
      headers,
      body: JSON.stringify({ plugin: ["igv"] }),
    }).then((r) => r.body?.cancel()).catch(() => {});
  await fetch(`${sim.url}/rundb/api/v1/plugin/`, { headers }).then((r) =>
    r.body?.cancel()
  );
  await post(a!);
  await post(b!);
  const launchesOfB = sim.launches.filter((l) => l.report === b).length;
  assert.equal(
    launchesOfB,
    2,
    "Deno's fetch no longer resends a POST on a dropped kept-alive connection: " +
      "the reason for not using it is gone (see lib/_undici.ts)",
  );
});

Deno.test("the transport never sends a launch twice, and reuses connections", async () => {
  await using sim = await startSimulator({ reports: 20 });
  using client = clientFor(sim);
  await launchTwiceWithADrop(sim, client);

  sim.clearFaults();
  sim.clearLog();
  for (const report of sim.reportIds().slice(2, 12)) {
    await client.post(`results/${report}/plugin/`, { plugin: ["igv"] });
  }
  const used = new Set(sim.requests.map((r) => r.connection));
  assert.ok(used.size <= 2, `10 launches on ${used.size} connections`);
});

Deno.test("the transport goes through an HTTP proxy, sends once, reuses the connection", async () => {
  await using sim = await startSimulator({ reports: 20 });
  await using proxy = startProxy();
  using client = clientFor(sim, undiciTransport({ proxy: proxy.url }));
  await launchTwiceWithADrop(sim, client);
  assert.ok(proxy.forwarded.every((t) => t.startsWith(`${sim.url}/rundb/`)));
  assert.ok(proxy.forwarded.length >= 3);
  assert.deepEqual(proxy.tunnels, []);
});

testNeeding(
  "openssl",
  "openssl",
  "the transport trusts TS_CA_CERT, pins an old self-signed certificate, and tunnels https through a proxy",
  async (t) => {
    const pki = await makePki();
    await t.step("a private CA: trusted, launches sent once", async () => {
      await using sim = await startSimulator({
        reports: 20,
        hostname: "localhost",
        tls: pki.leaf,
      });
      using client = clientFor(sim, undiciTransport({ caCert: pki.ca }));
      await launchTwiceWithADrop(sim, client);
    });
    await t.step(
      "an old self-signed certificate without subjectAltName: pinned",
      async () => {
        // Served as https://127.0.0.1 though it names ts.example.org: only the
        // host-name check fails, and only this exact certificate skips it.
        await using sim = await startSimulator({ reports: 5, tls: pki.old });
        using pinned = clientFor(
          sim,
          undiciTransport({ caCert: pki.old.cert }),
        );
        assert.ok(await pinned.get("plugin/"));
        using unknown = clientFor(sim, undiciTransport());
        const error = await unknown.get("plugin/").catch((e) => e);
        assert.ok(
          error instanceof NetworkError && error.kind === "tls",
          String(error),
        );
      },
    );
    await t.step("an impostor with the same name is refused", async () => {
      await using sim = await startSimulator({ reports: 5, tls: pki.impostor });
      using client = clientFor(sim, undiciTransport({ caCert: pki.old.cert }));
      const error = await client.get("plugin/").catch((e) => e);
      assert.ok(error instanceof NetworkError, String(error));
      assert.equal(error.kind, "tls");
      assert.equal(sim.requests.length, 0, "nothing was sent to it");
    });
    await t.step(
      "through a proxy: a CONNECT tunnel, sent once, reused",
      async () => {
        await using sim = await startSimulator({
          reports: 20,
          hostname: "localhost",
          tls: pki.leaf,
        });
        await using proxy = startProxy();
        using client = clientFor(
          sim,
          undiciTransport({ caCert: pki.ca, proxy: proxy.url }),
        );
        await launchTwiceWithADrop(sim, client);
        assert.ok(proxy.tunnels.length >= 1);
        assert.ok(proxy.tunnels.every((t) => t === new URL(sim.url).host));
      },
    );
  },
);
