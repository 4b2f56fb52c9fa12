import assert from "node:assert/strict";
import { serverCheck, tlsCheck } from "../../../lib/doctor/_server.ts";
import { NetworkError } from "../../../lib/errors.ts";

const answer = (
  status: number,
  body: string,
  headers: Record<string, string> = {},
) => ({ status, body, headers: new Headers(headers) });
const BASE = "https://ts.example.org";

Deno.test("serverCheck() passes Torrent Suite's top level, and says what else answered", () => {
  const ts = answer(
    200,
    JSON.stringify({ results: {}, pluginresult: {}, plugin: {} }),
  );
  assert.equal(serverCheck(BASE, ts, undefined).check.status, "pass");
  const html404 = serverCheck(
    BASE,
    answer(404, "<html><title>404 Not Found</title></html>", {
      "Content-Type": "text/html",
    }),
    undefined,
  ).check;
  assert.equal(html404.status, "fail");
  assert.match(
    html404.fix!,
    /TS_URL must be the Torrent Suite server's address/,
  );
  const other = serverCheck(
    BASE,
    answer(200, '{"status": "ok"}', { "Content-Type": "application/json" }),
    undefined,
  ).check;
  assert.match(other.detail, /answers, but not with Torrent Suite's API/);
  const login = serverCheck(
    BASE,
    answer(302, "", { Location: "/login/?next=/rundb/api/v1/" }),
    undefined,
  ).check;
  assert.match(login.fix!, /login page, not the API/);
  const toHttps = serverCheck(
    "http://ts.example.org",
    answer(301, "", { Location: "https://ts.example.org/rundb/api/v1/" }),
    undefined,
  ).check;
  assert.equal(
    toHttps.fix,
    "the server wants HTTPS: TS_URL=https://ts.example.org",
  );
  const down = serverCheck(BASE, undefined, new Error("connection refused"))
    .check;
  assert.match(
    down.detail,
    /^no answer from https:\/\/ts\.example\.org: connection refused/,
  );
});

Deno.test("tlsCheck() over http:// says the secrets travel in clear, or that the server speaks HTTPS there", async () => {
  const plain = await tlsCheck(new URL("http://ts.example.org/"), {
    failure: undefined,
    caCert: undefined,
    caCertFile: undefined,
    inspect: false,
    timeoutMs: 1000,
  });
  assert.equal(plain.status, "pass");
  assert.match(plain.detail, /travels unencrypted/);
  const spoke = await tlsCheck(new URL("http://ts.example.org:443/"), {
    failure: new NetworkError("x", {
      method: "GET",
      url: "http://ts.example.org:443/",
      kind: "connection",
      hint: "the server speaks HTTPS (TLS) on port 443, not plain HTTP",
    }),
    caCert: undefined,
    caCertFile: undefined,
    inspect: false,
    timeoutMs: 1000,
  });
  assert.equal(spoke.status, "fail");
  assert.equal(spoke.fix, "use TS_URL=https://ts.example.org:443");
});
