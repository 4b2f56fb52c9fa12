import assert from "node:assert/strict";
import { createClient, TsClient } from "../../../lib/http/client.ts";
import {
  ApiError,
  AuthError,
  NetworkError,
  RedirectError,
} from "../../../lib/errors.ts";
import { listPlugins } from "../../../lib/api/plugins.ts";
import { startSimulator } from "../../../simulator/mod.ts";
import { clientFor, fakeTransport, simulator } from "../../_helpers.ts";
import { testNeeding } from "../../_needs.ts";
import { makePki } from "../../_pki.ts";
import { startProxy } from "../../_proxy_server.ts";

Deno.test("TsClient sends the ApiKey header, Accept and a User-Agent", async () => {
  await using sim = await simulator();
  using client = await clientFor(sim);
  const plugins = await listPlugins(client);
  assert.ok(plugins.length > 0);
  const req = sim.requests.at(-1)!;
  assert.equal(req.auth, "apikey-header");
  assert.equal(req.headers["accept"], "application/json");
  assert.match(req.headers["user-agent"]!, /^ionrun\/\d+\.\d+\.\d+ /);
  assert.match(req.path, /^\/rundb\/api\/v1\/plugin\/\?/);
});

Deno.test("TsClient uses HTTP Basic when there is a password but no key", async () => {
  await using sim = await simulator({
    users: [{
      username: "lab",
      password: "s3cret-pass",
      apiKey: "a".repeat(40),
    }],
  });
  using client = new TsClient({
    url: sim.url,
    user: "lab",
    password: "s3cret-pass",
  });
  await listPlugins(client);
  assert.equal(sim.requests.at(-1)!.auth, "basic");
});

Deno.test("TsClient reports a wrong key as AuthError naming the form, not the key", async () => {
  await using sim = await simulator();
  const wrong = "f".repeat(40);
  using client = new TsClient({
    url: sim.url,
    user: "ionadmin",
    apiKey: wrong,
  });
  const error = await listPlugins(client).catch((e) => e);
  assert.ok(error instanceof AuthError, String(error));
  assert.equal(error.status, 401);
  assert.equal(error.credentialForm, "apikey");
  assert.match(error.message, /API key for user "ionadmin"/);
  assert.ok(!error.message.includes(wrong));
  assert.ok(!JSON.stringify(error).includes(wrong));
});

Deno.test("TsClient without credentials gets a 401 that says so", async () => {
  await using sim = await simulator();
  using client = new TsClient({ url: sim.url });
  const error = await client.get("plugin/").catch((e) => e);
  assert.ok(error instanceof AuthError);
  assert.match(error.message, /no credentials/);
  assert.equal(sim.requests.at(-1)!.auth, "none");
});

Deno.test("TsClient.url() always writes the trailing slash and keeps commas", () => {
  using client = new TsClient({ url: "https://ts.example.org/" });
  assert.equal(
    client.url("results/5/plugin").href,
    "https://ts.example.org/rundb/api/v1/results/5/plugin/",
  );
  assert.equal(
    client.url("pluginresult", { result__in: [1, 2, 3] }).href,
    "https://ts.example.org/rundb/api/v1/pluginresult/?result__in=1,2,3",
  );
  assert.equal(
    client.url("/rundb/api/v1/results/?offset=20&limit=20").href,
    "https://ts.example.org/rundb/api/v1/results/?offset=20&limit=20",
  );
});

Deno.test("TsClient normalises its own base URL, whatever path it is given", async () => {
  for (
    const [given, base] of [
      ["https://ts.example.org/rundb/api/v1/", "https://ts.example.org"],
      ["https://ts.example.org/rundb/api/v1", "https://ts.example.org"],
      ["https://ts.example.org//", "https://ts.example.org"],
      ["http://ts:8080/ts/rundb/api/v1/", "http://ts:8080/ts"],
    ]
  ) {
    using client = new TsClient({ url: given! });
    assert.equal(client.baseUrl, base, given);
    assert.equal(client.url("plugin/").href, `${base}/rundb/api/v1/plugin/`);
  }
  // And against a server: the API path given twice would be a 404.
  await using sim = await simulator();
  const user = sim.users[0]!;
  using client = new TsClient({
    url: `${sim.url}/rundb/api/v1/`,
    user: user.username,
    apiKey: user.apiKey,
  });
  assert.ok((await listPlugins(client)).length > 0);
  assert.equal(sim.requests[0]!.path.split("?")[0], "/rundb/api/v1/plugin/");
});

Deno.test("TsClient never follows a redirect on POST and says why", async (t) => {
  // A front server that redirects like Django (missing slash) or a
  // force-SSL site (http → https).
  const seen: string[] = [];
  await using server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    (req) => {
      const url = new URL(req.url);
      seen.push(`${req.method} ${url.pathname}`);
      if (url.pathname.startsWith("/ssl/")) {
        return new Response(null, {
          status: 302,
          headers: { location: `https://${url.host}${url.pathname}` },
        });
      }
      return new Response(null, {
        status: 301,
        headers: { location: `${url.pathname}x/` },
      });
    },
  );
  const base = `http://127.0.0.1:${server.addr.port}`;

  await t.step("301", async () => {
    using client = new TsClient({ url: base });
    const error = await client.post("results/1/plugin/", { plugin: ["igv"] })
      .catch((e) => e);
    assert.ok(error instanceof RedirectError, String(error));
    assert.equal(error.status, 301);
    assert.match(error.message, /never follows redirects/);
  });
  await t.step("http to https", async () => {
    using client = new TsClient({ url: `${base}/ssl` });
    const error = await client.post("results/1/plugin/", { plugin: ["igv"] })
      .catch((e) => e);
    assert.ok(error instanceof RedirectError);
    assert.match(error.message, /set TS_URL=https:\/\/127\.0\.0\.1:/);
  });
  // Only the POSTs reached the server: nothing followed as a GET.
  assert.deepEqual(seen.map((s) => s.split(" ")[0]), ["POST", "POST"]);
});

Deno.test("the simulator's 301 on a slash-less POST is refused, not followed", async () => {
  await using sim = await simulator();
  const user = sim.users[0]!;
  const response = await fetch(`${sim.url}/rundb/api/v1/results/1/plugin`, {
    method: "POST",
    headers: {
      Authorization: `ApiKey ${user.username}:${user.apiKey}`,
      "Content-Type": "application/json",
    },
    body: JSON.stringify({ plugin: ["igv"] }),
    redirect: "manual",
  });
  await response.body?.cancel();
  assert.equal(response.status, 301);
  assert.equal(sim.launches.length, 0);
});

Deno.test("TsClient shows an excerpt of an HTML error page", async () => {
  await using sim = await simulator();
  sim.addFault({
    path: "/plugin/",
    action: { type: "status", status: 502, html: true },
  });
  using client = await clientFor(sim);
  const error = await listPlugins(client).catch((e) => e);
  assert.ok(error instanceof ApiError);
  assert.equal(error.status, 502);
  assert.match(error.message, /502 Bad Gateway: HTML page: /);
  assert.ok(!error.message.includes("<"), error.message);
});

Deno.test("TsClient shows the server's own JSON error message", async () => {
  await using sim = await simulator();
  using client = await clientFor(sim);
  const error = await client.get("pluginresult/", {
    params: { state: "Completed" },
  })
    .catch((e) => e);
  assert.ok(error instanceof ApiError);
  assert.equal(error.status, 400);
  assert.equal(
    error.serverMessage,
    "The 'state' field does not allow filtering.",
  );
});

Deno.test("TsClient times out a slow request with a NetworkError", async () => {
  await using sim = await simulator();
  sim.addFault({ path: "/plugin/", action: { type: "delay", ms: 2000 } });
  using client = await clientFor(sim, { timeoutMs: 200 });
  const error = await client.get("plugin/").catch((e) => e);
  assert.ok(error instanceof NetworkError, String(error));
  assert.equal(error.kind, "timeout");
  assert.equal(error.outcomeUnknown, false); // a GET changes nothing
});

Deno.test("TsClient marks a POST whose connection dropped as outcome unknown", async () => {
  await using sim = await simulator();
  sim.addFault({ method: "POST", after: true, action: { type: "reset" } });
  using client = await clientFor(sim);
  const error = await client.post("results/1/plugin/", { plugin: ["igv"] })
    .catch((e) => e);
  assert.ok(error instanceof NetworkError, String(error));
  assert.equal(error.outcomeUnknown, true);
  assert.equal(sim.launches.length, 1); // the server did launch it
});

testNeeding(
  "openssl",
  "openssl",
  "createClient() trusts the CA file of TS_CA_CERT; without it a TLS error says what to do",
  async (t) => {
    const pki = await makePki();
    const dir = await Deno.makeTempDir();
    await Deno.writeTextFile(`${dir}/ca.pem`, pki.ca);
    await using sim = await startSimulator({
      reports: 5,
      hostname: "localhost",
      tls: pki.leaf,
    });
    assert.match(sim.url, /^https:\/\/localhost:\d+$/);
    const user = sim.users[0]!;
    await t.step("with the CA file", async () => {
      using client = await createClient({
        url: sim.url,
        user: user.username,
        apiKey: user.apiKey,
        caCertFile: `${dir}/ca.pem`,
      });
      assert.ok((await listPlugins(client)).length > 0);
    });
    await t.step("without it: a TLS error with the hint", async () => {
      using client = await createClient({
        url: sim.url,
        user: user.username,
        apiKey: user.apiKey,
      });
      const error = await listPlugins(client).catch((e) => e);
      assert.ok(error instanceof NetworkError, String(error));
      assert.equal(error.kind, "tls");
      assert.match(error.hint, /TS_CA_CERT/);
      const [report] = sim.reportIds();
      const refused = await client.post(`results/${report}/plugin/`, {
        plugin: ["igv"],
      }).catch((e) => e);
      assert.ok(refused instanceof NetworkError, String(refused));
      assert.equal(refused.kind, "tls");
      assert.equal(refused.outcomeUnknown, false, "nothing was sent");
      assert.equal(sim.launches.length, 0);
    });
    await Deno.remove(dir, { recursive: true });
  },
);

Deno.test("createClient() takes the proxy from the environment, unless NO_PROXY names the host", async () => {
  await using sim = await simulator();
  await using proxy = startProxy();
  const user = sim.users[0]!;
  const url = sim.url.replace("127.0.0.1", "localhost");
  // An environment of its own: Deno.env is the whole process's, and the
  // tests of other files run in it at the same time.
  for (const noProxy of ["", ".example.org, localhost:8000"]) {
    const env: Record<string, string> = {
      http_proxy: proxy.url,
      NO_PROXY: noProxy,
    };
    sim.clearLog();
    proxy.forwarded.length = 0;
    using client = await createClient({
      url,
      user: user.username,
      apiKey: user.apiKey,
      getEnv: (name) => env[name],
    });
    for (const report of sim.reportIds().slice(0, 2)) {
      await client.post(`results/${report}/plugin/`, { plugin: ["igv"] });
    }
    assert.equal(sim.launches.length, 2);
    assert.equal(
      proxy.forwarded.length,
      noProxy === "" ? 2 : 0,
      `NO_PROXY=${noProxy}`,
    );
  }
});

Deno.test("TsClient errors name the request briefly: long id lists shortened, no stack noise", async () => {
  // A port nothing listens on: take one, then free it.
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  using client = new TsClient({ url: `http://127.0.0.1:${port}` });
  const ids = Array.from({ length: 72 }, (_, i) => i + 1);
  const error = await client.get("pluginresult/", {
    params: { result__in: ids, plugin__name: "igv" },
  }).catch((e) => e);
  assert.ok(error instanceof NetworkError, String(error));
  assert.equal(
    error.message,
    `GET http://127.0.0.1:${port}/rundb/api/v1/pluginresult/?result__in=1,2,3,…,72 (72 values)&plugin__name=igv: cannot connect: connect ECONNREFUSED 127.0.0.1:${port}`,
  );
  assert.ok(error.url.includes(ids.join(",")), "the field keeps the full URL");
  const post = await client.post("results/1/plugin/", { plugin: ["igv"] })
    .catch((e) => e);
  assert.ok(post instanceof NetworkError, String(post));
  assert.match(post.message, /cannot connect: connect ECONNREFUSED/);
  assert.equal(post.outcomeUnknown, false);
});

Deno.test("TsClient retries a read that failed transiently, never a write", async () => {
  const events: string[] = [];
  const transport = fakeTransport((req, i) =>
    req.method === "POST"
      ? { status: 503, body: "" }
      : i === 0
      ? { status: 503, body: { error_message: "busy" } }
      : i === 1
      ? {
        status: 200,
        body: "<html><title>Proxy</title></html>",
        headers: { "content-type": "text/html" },
      }
      : i === 2
      ? { status: 200, body: '{"meta": {"limit": 20, "offs' }
      : { status: 200, body: { ok: true } }
  );
  using client = new TsClient({
    url: "http://ts",
    transport,
    sleep: () => Promise.resolve(),
    onRetry: (r) => events.push(`${r.attempt}: ${r.error}`),
  });
  assert.deepEqual(await client.get("plugin/"), { ok: true });
  assert.equal(transport.requests.length, 4);
  assert.equal(events.length, 3);
  assert.match(
    events[0]!,
    /^1: GET http:\/\/ts\/rundb\/api\/v1\/plugin\/ failed with 503/,
  );
  assert.match(
    events[1]!,
    /^2: .*answered 200, but the server answered an HTML page \(HTML page: Proxy/,
  );
  assert.match(events[2]!, /^3: .*the answer was cut off/);

  const error = await client.post("results/1/plugin/", { plugin: ["igv"] })
    .catch((e) => e);
  assert.ok(error instanceof ApiError && error.status === 503);
  assert.equal(transport.requests.filter((r) => r.method === "POST").length, 1);
});

Deno.test("TsClient gives up on a read after its retries, and at once on a 4xx", async () => {
  let calls = 0;
  using client = new TsClient({
    url: "http://ts",
    transport: fakeTransport(() => (calls++, { status: 502, body: "" })),
    sleep: () => Promise.resolve(),
    readRetries: { retries: 2 },
  });
  await assert.rejects(client.get("plugin/"), /502/);
  assert.equal(calls, 3);
  calls = 0;
  using strict = new TsClient({
    url: "http://ts",
    transport: fakeTransport(
      () => (calls++, { status: 400, body: { error: "bad" } }),
    ),
    sleep: () => Promise.resolve(),
  });
  await assert.rejects(strict.get("plugin/"), /400 Bad Request: bad/);
  assert.equal(calls, 1);
});

Deno.test("a Django 500 page on the first contact is retried once and explained; after an answer it is retried as a hiccup", async () => {
  await using sim = await simulator();
  const page = { type: "status", status: 500, html: true } as const;
  sim.addFault({ action: page });
  using client = await clientFor(sim);
  const error = await client.get("plugin/").catch((e) => e);
  assert.ok(error instanceof ApiError && error.firstContact, String(error));
  assert.equal(sim.requests.length, 2, "one retry, not the whole backoff");
  assert.match(error.message, /500 Internal Server Error: HTML page/);
  assert.match(
    error.message,
    /very first request got Django's error page, so Torrent Suite itself is failing, not the network/,
  );
  assert.doesNotMatch(error.message, /TS_PASSWORD/, "an API key was used");

  // Once the server has answered, a 500 page is a passing failure: retried
  // with backoff (3 retries), no first-contact hint.
  sim.clearFaults();
  using answered = await clientFor(sim);
  await answered.get("plugin/", { params: { limit: 1 } });
  sim.clearLog();
  sim.addFault({ action: page });
  const later = await answered.get("plugin/").catch((e) => e);
  assert.ok(later instanceof ApiError && !later.firstContact);
  assert.equal(sim.requests.length, 4);
  assert.doesNotMatch(later.message, /very first request/);
});

Deno.test("with a password, the first-contact 500 hint names the Basic decoding problem", async () => {
  await using sim = await simulator();
  sim.addFault({ action: { type: "status", status: 500, html: true } });
  const user = sim.users[0]!;
  using client = await createClient({
    url: sim.url,
    user: user.username,
    password: user.password,
    sleep: () => Promise.resolve(),
  });
  const error = await client.get("plugin/").catch((e) => e);
  assert.ok(error instanceof ApiError);
  assert.match(
    error.message,
    /with TS_PASSWORD, a password Django cannot decode/,
  );
  assert.ok(!error.message.includes(user.password), "no secret in the message");
});
