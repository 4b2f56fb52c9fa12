import assert from "node:assert/strict";
import { credentialCheck, proxyCheck } from "../../../lib/doctor/_access.ts";

const answer = (status: number) => ({
  status,
  body: '{"meta": {"total_count": 1}, "objects": []}',
  headers: new Headers(),
});
const BASE = "https://ts.example.org";
const env = (vars: Record<string, string>) => (name: string) => vars[name];

Deno.test("credentialCheck() names the form used, never the secret, and the fix for a refusal", () => {
  const key = { url: BASE, user: "ionuser", apiKey: "k".repeat(40) };
  const ok = credentialCheck(key, answer(200), BASE);
  assert.equal(ok.status, "pass");
  assert.match(
    ok.detail,
    /API key for user "ionuser" \(ApiKey header, TS_API_KEY\)/,
  );
  const refused = credentialCheck(key, answer(401), BASE);
  assert.equal(refused.status, "fail");
  assert.match(refused.fix!, /\/configure\/account\//);
  const pw = credentialCheck(
    { url: BASE, user: "ionuser", password: "Secret-pw" },
    answer(401),
    BASE,
  );
  assert.match(
    pw.detail,
    /password for user "ionuser" \(HTTP Basic, TS_PASSWORD\)/,
  );
  assert.match(pw.fix!, /a password with ':' fails/);
  const text = JSON.stringify([ok, refused, pw]);
  assert.ok(!text.includes("k".repeat(40)) && !text.includes("Secret-pw"));
  const none = credentialCheck({ url: BASE }, answer(200), BASE);
  assert.match(none.detail, /none sent/);
});

Deno.test("proxyCheck() says which proxy is in effect, its password hidden, and NO_PROXY", () => {
  const through = proxyCheck(
    BASE,
    "http://alice:pr0xy-pw@proxy.lab:3128",
    env({ HTTPS_PROXY: "http://alice:pr0xy-pw@proxy.lab:3128" }),
    undefined,
  );
  assert.equal(through.status, "pass");
  assert.match(
    through.detail,
    /^through http:\/\/alice:\*\*\*@proxy\.lab:3128\/? \(HTTPS_PROXY\)$/,
  );
  assert.ok(!through.detail.includes("pr0xy-pw"));
  const down = proxyCheck(
    BASE,
    "http://proxy.lab:3128",
    env({ HTTPS_PROXY: "http://proxy.lab:3128" }),
    { kind: "connection" },
  );
  assert.equal(down.status, "fail");
  assert.match(down.fix!, /add ts\.example\.org to NO_PROXY/);
  const direct = proxyCheck(
    BASE,
    undefined,
    env({ HTTPS_PROXY: "http://proxy.lab:3128", NO_PROXY: ".example.org" }),
    undefined,
  );
  assert.match(
    direct.detail,
    /^direct: NO_PROXY \(\.example\.org\) matches ts\.example\.org$/,
  );
  assert.equal(
    proxyCheck(BASE, undefined, env({}), undefined).detail,
    "direct (no proxy variable set)",
  );
});
