// Tests of the scripts' connection helpers: the profile line, TLS errors
// explained with what is set, and connect() against a started simulator.

import assert from "node:assert/strict";
import { NetworkError, UsageError } from "../../../lib/errors.ts";
import {
  connect,
  explain,
  profileLine,
} from "../../../scripts/_cli/connect.ts";
import { simulator } from "../../_helpers.ts";

Deno.test("profileLine() names the profile, its URL and file, and where its secret came from", () => {
  assert.equal(profileLine({ url: "https://ts.lab" }), undefined);
  assert.equal(
    profileLine({
      url: "https://ts.lab",
      profile: { name: "lab", file: "/home/u/.config/ionrun/servers.json" },
    }),
    "server: lab (https://ts.lab, from /home/u/.config/ionrun/servers.json)",
  );
  assert.equal(
    profileLine({
      url: "https://ts2.lab:8443",
      user: "ionuser",
      apiKey: "0123456789abcdef0123456789abcdef01234567",
      profile: { name: "s5", file: "servers.json", secretFrom: "TS_S5_KEY" },
    }),
    "server: s5 (https://ts2.lab:8443, from servers.json; secret from TS_S5_KEY)",
  );
  const line = profileLine({
    url: "https://ts.lab",
    password: "hunter2-secret",
    profile: { name: "x", file: "f", secretFrom: "/run/secrets/ts" },
  })!;
  assert.ok(!line.includes("hunter2-secret"), "never the secret itself");
});

/** A TLS failure as the client raises it: a self-signed server certificate. */
function selfSignedFailure(): NetworkError {
  const cause = Object.assign(new Error("self-signed certificate"), {
    code: "DEPTH_ZERO_SELF_SIGNED_CERT",
  });
  return new NetworkError("GET https://ts.lab/rundb/api/v1/: TLS failed", {
    method: "GET",
    url: "https://ts.lab/rundb/api/v1/",
    kind: "tls",
    outcomeUnknown: false,
    cause,
    hint: "a hint that covers both cases",
  });
}

Deno.test("explain() makes a TLS hint exact: TS_CA_CERT named when set, told to set it when not", () => {
  const e = selfSignedFailure();
  const withCa = explain(e, { caCertFile: "/etc/ionrun/ts.pem" });
  assert.ok(withCa instanceof NetworkError && withCa !== e);
  assert.match(
    withCa.hint,
    /^TS_CA_CERT \(\/etc\/ionrun\/ts\.pem\) is set but is not this server's certificate/,
  );
  const without = explain(e, {}) as NetworkError;
  assert.equal(
    without.hint,
    "the server's certificate is self-signed: copy the server's /etc/ssl/certs/ssl-cert-snakeoil.pem (Torrent Suite's self-signed certificate) and set TS_CA_CERT to that copy",
    "no TS_CA_CERT: the hint does not wonder whether it is set",
  );
  for (const x of [withCa, without] as NetworkError[]) {
    assert.deepEqual(
      [x.message, x.method, x.url, x.kind, x.outcomeUnknown, x.cause],
      [e.message, e.method, e.url, "tls", false, e.cause],
    );
  }
});

Deno.test("explain() leaves other errors as they are: not TLS, not a NetworkError, or no settings", () => {
  const tls = selfSignedFailure();
  assert.equal(explain(tls, undefined), tls);
  const refused = new NetworkError("GET u: cannot connect", {
    method: "GET",
    url: "https://ts.lab/",
    kind: "connection",
    hint: "nothing listens",
  });
  assert.equal(explain(refused, { caCertFile: "/x.pem" }), refused);
  const usage = new UsageError("bad flag");
  assert.equal(explain(usage, {}), usage);
  assert.equal(explain("a string", {}), "a string");
});

Deno.test("connect() builds the settings and a client from the flags: URL normalized, user kept, timeout in seconds", async () => {
  await using sim = await simulator({ reports: 3 });
  const { config, client } = await connect({
    url: `${sim.url}/rundb/api/v1/`,
    user: "ionuser",
    requestTimeout: 0.25,
  });
  using _client = client;
  assert.equal(config.url, sim.url, "the API path is dropped");
  assert.equal(config.user, "ionuser");
  assert.equal(config.profile, undefined, "a --url names no profile");
  assert.equal(client.baseUrl, sim.url);
  assert.equal(client.user, "ionuser");
  assert.deepEqual(await client.get("torrentsuite/version/"), {
    "meta_version": "5.18.1",
  });
  // The per-request timeout is --request-timeout seconds: a stalled server
  // makes a (never retried) write time out, saying after how long.
  sim.pause();
  const error = await client.request("POST", "results/1/plugin/", {
    body: { plugin: "igv" },
  }).then(() => null, (e) => e);
  sim.resume();
  assert.ok(error instanceof NetworkError, String(error));
  assert.equal(error.kind, "timeout");
  assert.match(error.message, /timed out after 0\.25 s/);
});

Deno.test("connect() refuses a --ca-cert it cannot read, naming the file", async () => {
  await assert.rejects(
    connect({
      url: "https://ts.lab",
      caCert: "/no/such/ts.pem",
      requestTimeout: 30,
    }),
    (e) =>
      e instanceof UsageError &&
      /Cannot read TS_CA_CERT file \/no\/such\/ts\.pem/.test(e.message),
  );
});
