import assert from "node:assert/strict";
import { runDoctor, skip } from "../../../lib/doctor/doctor.ts";
import { startSimulator } from "../../../simulator/mod.ts";
import { testNeeding } from "../../_needs.ts";
import { makePki } from "../../_pki.ts";
import { simulator } from "../../_helpers.ts";

const noProxy = () => undefined;
const statuses = (r: Awaited<ReturnType<typeof runDoctor>>) =>
  r.checks.map((c) => `${c.id}:${c.status}`);

Deno.test("runDoctor() passes every check against a good server, in order, naming the credential form", async () => {
  await using sim = await simulator({ reports: 10 });
  const user = sim.users[1]!;
  const withKey = await runDoctor(
    { url: sim.url, user: user.username, apiKey: user.apiKey },
    { getEnv: noProxy },
  );
  assert.deepEqual(statuses(withKey), [
    "server:pass",
    "tls:pass",
    "credentials:pass",
    "read:pass",
    "proxy:pass",
    "clock:pass",
  ]);
  assert.ok(withKey.ok);
  assert.equal(withKey.version, "5.18.1");
  const [server, tls, creds, read, proxy] = withKey.checks;
  assert.match(
    server!.detail,
    /answers: a Torrent Suite API, version 5\.18\.1$/,
  );
  assert.match(tls!.detail, /^not used \(http:\/\/\)/);
  assert.match(creds!.detail, /API key for user "ionuser" \(ApiKey header/);
  assert.match(
    read!.detail,
    /^can read 10 reports and \d+ plugin results; run logs need TS_PASSWORD/,
  );
  assert.equal(proxy!.detail, "direct (no proxy variable set)");
  const withPassword = await runDoctor(
    { url: sim.url, user: user.username, password: user.password },
    { getEnv: noProxy },
  );
  assert.ok(withPassword.ok);
  assert.match(
    withPassword.checks[2]!.detail,
    /password for user "ionuser" \(HTTP Basic/,
  );
  assert.match(
    withPassword.checks[3]!.detail,
    /run logs readable with the password$/,
  );
  const json = JSON.stringify(withKey) + JSON.stringify(withPassword);
  assert.ok(!json.includes(user.apiKey) && !json.includes("Basic "));
});

Deno.test("runDoctor() fails wrong credentials with a fix, skips what needs them, and catches a clock off", async () => {
  await using sim = await simulator({ reports: 5 });
  const report = await runDoctor(
    { url: sim.url, user: "ionuser", apiKey: "0000000000" },
    { getEnv: noProxy, now: () => Date.now() + 10 * 60_000 },
  );
  assert.ok(!report.ok);
  assert.deepEqual(statuses(report), [
    "server:pass",
    "tls:pass",
    "credentials:fail",
    "read:skip",
    "proxy:pass",
    "clock:fail",
  ]);
  assert.match(
    report.checks[2]!.fix!,
    /check TS_USER and TS_API_KEY: the key is on the server at http:\/\/127\.0\.0\.1:\d+\/configure\/account\//,
  );
  assert.match(
    report.checks[5]!.detail,
    /^this machine's clock is 60[01] s ahead of the server$/,
  );
  assert.match(report.checks[5]!.fix!, /NTP/);
  const none = await runDoctor({ url: sim.url }, { getEnv: noProxy });
  assert.match(none.checks[2]!.fix!, /set TS_USER and TS_API_KEY/);
});

Deno.test("runDoctor() says when TS_URL is not Torrent Suite, or nothing answers", async () => {
  await using web = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    () =>
      new Response("<html><title>Not Found</title></html>", {
        status: 404,
        headers: { "content-type": "text/html" },
      }),
  );
  const notTs = await runDoctor({ url: `http://127.0.0.1:${web.addr.port}` }, {
    getEnv: noProxy,
  });
  assert.deepEqual(statuses(notTs).slice(0, 4), [
    "server:fail",
    "tls:pass",
    "credentials:skip",
    "read:skip",
  ]);
  assert.match(notTs.checks[0]!.detail, /failed with 404 Not Found/);
  assert.match(
    notTs.checks[0]!.fix!,
    /TS_URL must be the Torrent Suite server's address/,
  );
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  const down = await runDoctor({ url: `http://127.0.0.1:${port}` }, {
    getEnv: noProxy,
  });
  assert.equal(down.checks[0]!.status, "fail");
  assert.match(down.checks[0]!.fix!, /nothing listens on 127\.0\.0\.1 port/);
  assert.equal(down.checks[5]!.status, "skip");
});

Deno.test("runDoctor() names the proxy in effect (its password hidden) and fails it when the server does not answer through it", async () => {
  await using sim = await simulator({ reports: 2 });
  const user = sim.users[0]!;
  const env = (vars: Record<string, string>) => (n: string) => vars[n];
  const direct = await runDoctor(
    { url: sim.url, user: user.username, apiKey: user.apiKey },
    {
      getEnv: env({
        HTTP_PROXY: "http://proxy.invalid:3128",
        NO_PROXY: "127.0.0.1",
      }),
    },
  );
  assert.match(
    direct.checks[4]!.detail,
    /^direct: NO_PROXY \(127\.0\.0\.1\) matches 127\.0\.0\.1$/,
  );
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  const through = await runDoctor(
    { url: sim.url, user: user.username, apiKey: user.apiKey },
    {
      getEnv: env({
        HTTP_PROXY: `http://proxyuser:pr0xy-pw@127.0.0.1:${port}`,
      }),
    },
  );
  const proxy = through.checks[4]!;
  assert.equal(proxy.status, "fail");
  assert.match(
    proxy.detail,
    new RegExp(
      `^through http://proxyuser:\\*\\*\\*@127\\.0\\.0\\.1:${port}/ \\(HTTP_PROXY\\), and the server did not answer$`,
    ),
  );
  assert.ok(!JSON.stringify(through).includes("pr0xy-pw"));
  assert.match(proxy.fix!, /NO_PROXY/);
});

testNeeding(
  "openssl",
  "openssl",
  "runDoctor() shows the certificate the server presents, against TS_CA_CERT, with the fix",
  async () => {
    const pki = await makePki();
    await using sim = await startSimulator({ reports: 2, tls: pki.old });
    const user = sim.users[0]!;
    const config = { url: sim.url, user: user.username, apiKey: user.apiKey };
    const unset = await runDoctor(config, { getEnv: noProxy });
    assert.deepEqual(statuses(unset).slice(0, 3), [
      "server:fail",
      "tls:fail",
      "credentials:skip",
    ]);
    const tls = unset.checks[1]!;
    assert.match(
      tls.detail,
      /the server presents CN=ts\.example\.org \(no subjectAltName\), self-signed, valid until .+, SHA-256 ([0-9A-F]{2}:){31}[0-9A-F]{2}; TS_CA_CERT is not set$/,
    );
    assert.match(
      tls.fix!,
      /^the server's certificate is self-signed: copy the server's \/etc\/ssl\/certs\/ssl-cert-snakeoil\.pem/,
    );
    const dir = await Deno.makeTempDir();
    try {
      await Deno.writeTextFile(`${dir}/other.pem`, pki.impostor.cert);
      const wrong = await runDoctor({
        ...config,
        caCertFile: `${dir}/other.pem`,
      }, { getEnv: noProxy });
      assert.match(wrong.checks[1]!.detail, /TS_CA_CERT holds SHA-256 /);
      assert.match(
        wrong.checks[1]!.fix!,
        /^TS_CA_CERT \(.+other\.pem\) is set but is not this server's certificate/,
      );
      await Deno.writeTextFile(`${dir}/ts.pem`, pki.old.cert);
      const right = await runDoctor(
        { ...config, caCertFile: `${dir}/ts.pem` },
        { getEnv: noProxy },
      );
      assert.ok(right.ok, JSON.stringify(right.checks));
      assert.match(
        right.checks[1]!.detail,
        /^verified against TS_CA_CERT \(.+ts\.pem\); the server presents CN=ts\.example\.org/,
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);

Deno.test("skip() names the check that made this one meaningless", () => {
  assert.deepEqual(skip("read", "Reports and runs", "the credentials"), {
    id: "read",
    title: "Reports and runs",
    status: "skip",
    detail: "not checked: needs the credentials",
  });
});
