// Unit tests of the HTTP client's internals: redaction of secrets in URLs,
// messages of the server, and how failures are classified.

import assert from "node:assert/strict";
import {
  causeChain,
  networkError,
  redactUrl,
  serverMessage,
  shortUrl,
  statusError,
} from "../../lib/_http.ts";
import { ApiError, AuthError } from "../../lib/errors.ts";

const KEY = "0123456789abcdef0123456789abcdef01234567";

Deno.test("redactUrl() hides every secret query parameter, keeps the rest", () => {
  const url = new URL("https://ts.example.org/rundb/api/v1/results/");
  for (const name of ["api_key", "password", "apikey", "key"]) {
    url.search = `username=ionuser&${name}=${KEY}&limit=5`;
    const redacted = redactUrl(url);
    assert.ok(!redacted.includes(KEY), name);
    assert.equal(
      redacted,
      `https://ts.example.org/rundb/api/v1/results/?username=ionuser&${name}=***&limit=5`,
    );
  }
  // No secret: unchanged.
  assert.equal(redactUrl("http://ts/x/?a=1"), "http://ts/x/?a=1");
});

Deno.test("shortUrl() shortens long id lists and leaves short ones", () => {
  const ids = Array.from({ length: 72 }, (_, i) => i + 1).join(",");
  assert.equal(
    shortUrl(`https://ts/rundb/api/v1/results/?id__in=${ids}&limit=1000`),
    "https://ts/rundb/api/v1/results/?id__in=1,2,3,…,72 (72 values)&limit=1000",
  );
  assert.equal(
    shortUrl("https://ts/x/?id__in=1,2,3"),
    "https://ts/x/?id__in=1,2,3",
  );
});

Deno.test("serverMessage() takes Tastypie's error, an HTML title, or an excerpt", () => {
  assert.equal(
    serverMessage('{"error": "bad limit"}', "application/json"),
    "bad limit",
  );
  assert.equal(
    serverMessage('{"error_message": "Sorry"}', "application/json"),
    "Sorry",
  );
  assert.equal(
    serverMessage(
      "<html><head><title>502 Bad Gateway</title></head><body>x</body></html>",
      "text/html",
    ),
    "HTML page: 502 Bad Gateway x",
  );
  assert.equal(serverMessage("", "text/html"), "");
  assert.equal(serverMessage("a".repeat(300), "text/plain").length, 200);
});

Deno.test("statusError() names the credential form for a 401, never the secret", () => {
  const url = `https://ts/rundb/api/v1/plugin/?api_key=***`;
  const request = { url, credentialForm: "apikey" as const, user: "ionuser" };
  const e401 = statusError({ ...request, method: "GET" }, {
    status: 401,
    message: "",
  });
  assert.ok(e401 instanceof AuthError);
  assert.match(e401.message, /an API key for user "ionuser"/);
  assert.equal(e401.credentialForm, "apikey");
  const e500 = statusError({ ...request, method: "POST" }, {
    status: 500,
    message: "Sorry",
  });
  assert.ok(e500 instanceof ApiError && !(e500 instanceof AuthError));
  assert.equal(
    e500.message,
    `POST ${url} failed with 500 Internal Server Error: Sorry`,
  );
  assert.equal(e500.serverMessage, "Sorry");
});

Deno.test("networkError() marks which failures may have reached the server", () => {
  const url = new URL(
    `https://ts/rundb/api/v1/results/7/plugin/?api_key=${KEY}`,
  );
  const timeout = networkError(new Error("aborted"), {
    method: "POST",
    url,
    timedOut: true,
    timeoutMs: 30_000,
  });
  assert.equal(timeout.kind, "timeout");
  assert.equal(
    timeout.outcomeUnknown,
    true,
    "a timed-out POST may have launched",
  );
  assert.ok(!timeout.message.includes(KEY) && !timeout.url.includes(KEY));

  const refused = networkError(
    new TypeError("fetch failed", {
      cause: new Error("Connection refused (os error 111)"),
    }),
    { method: "POST", url, timedOut: false, timeoutMs: 30_000 },
  );
  assert.equal(refused.kind, "connection");
  assert.equal(
    refused.outcomeUnknown,
    false,
    "a refused connection sent nothing",
  );
  assert.match(refused.hint, /check TS_URL/);

  const reset = networkError(new Error("connection reset"), {
    method: "POST",
    url,
    timedOut: false,
    timeoutMs: 1,
  });
  assert.equal(reset.outcomeUnknown, true);
  const getReset = networkError(new Error("connection reset"), {
    method: "GET",
    url,
    timedOut: false,
    timeoutMs: 1,
  });
  assert.equal(getReset.outcomeUnknown, false, "a GET changes nothing");

  const tls = networkError(
    new Error("invalid peer certificate: UnknownIssuer"),
    { method: "GET", url, timedOut: false, timeoutMs: 1 },
  );
  assert.equal(tls.kind, "tls");
  assert.match(tls.hint, /TS_CA_CERT/);
});

Deno.test("networkError() reads undici's and Node's error codes", () => {
  const url = new URL("https://ts/rundb/api/v1/results/7/plugin/");
  const ctx = { method: "POST", url, timedOut: false, timeoutMs: 1 };
  const coded = (message: string, code: string) =>
    Object.assign(new Error(message), { code });
  const refused = networkError(
    coded("connect ECONNREFUSED 10.0.0.1:443", "ECONNREFUSED"),
    ctx,
  );
  assert.equal(refused.outcomeUnknown, false);
  const dns = networkError(coded("getaddrinfo ENOTFOUND ts", "ENOTFOUND"), ctx);
  assert.equal(dns.outcomeUnknown, false);
  const closed = networkError(
    coded("other side closed", "UND_ERR_SOCKET"),
    ctx,
  );
  assert.equal(closed.kind, "connection");
  assert.equal(
    closed.outcomeUnknown,
    true,
    "the answer was lost after sending",
  );
  const selfSigned = networkError(
    coded("self-signed certificate", "DEPTH_ZERO_SELF_SIGNED_CERT"),
    ctx,
  );
  assert.equal(selfSigned.kind, "tls");
  assert.equal(selfSigned.outcomeUnknown, false);
});

Deno.test("causeChain() joins an error's causes once each", () => {
  const e = new Error("a", { cause: new Error("b", { cause: "c" }) });
  assert.equal(causeChain(e), "a: b: c");
  assert.equal(causeChain(new Error("x", { cause: new Error("x") })), "x");
});
