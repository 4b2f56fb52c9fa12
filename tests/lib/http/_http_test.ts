// Unit tests of the HTTP client's internals: redaction of secrets in URLs,
// messages of the server, and how failures are classified.

import assert from "node:assert/strict";
import {
  authorizationFor,
  basicAuth,
  causeChain,
  networkError,
  redactUrl,
  serverMessage,
  shortUrl,
  statusError,
} from "../../../lib/http/_http.ts";
import { ApiError, AuthError } from "../../../lib/errors.ts";

const KEY = "0123456789abcdef0123456789abcdef01234567";

Deno.test("redactUrl() hides every secret query parameter, keeps the rest", () => {
  const url = new URL("https://ts.example.org/rundb/api/v1/results/");
  for (const name of ["api_key", "password", "apikey", "key"]) {
    url.search = `username=ionuser&${name}=${KEY}&limit=5`;
    const redacted = redactUrl(url);
    assert.ok(!redacted.includes(KEY), name);
    assert.equal(
      redacted,
      `https://ts.example.org/rundb/api/v1/results/?username=ionuser&${name}=[redacted]&limit=5`,
    );
  }
  // No secret: unchanged.
  assert.equal(redactUrl("http://ts/x/?a=1"), "http://ts/x/?a=1");
});

Deno.test("redactUrl() follows lib/redact.ts's rule: any secret-named parameter, the key alone, userinfo passwords", () => {
  // Every name the secret-key rule matches, in any case, as well as `key`.
  for (
    const name of [
      "API_KEY",
      "ApiKey",
      "api-key",
      "token",
      "access_token",
      "client_secret",
      "user_password",
      "passwd",
      "credentials",
      "auth%5Bpassword%5D",
    ]
  ) {
    const redacted = redactUrl(`https://ts/x/?${name}=${KEY}&limit=5`);
    assert.equal(redacted, `https://ts/x/?${name}=[redacted]&limit=5`, name);
  }
  // The key without a username (the PluginKey form), after `;`, in the
  // fragment, or percent-encoded: hidden all the same.
  for (
    const [raw, shown] of [
      [
        `https://ts/x/?pluginresult=7&api_key=${KEY}`,
        "https://ts/x/?pluginresult=7&api_key=[redacted]",
      ],
      [
        `https://ts/x/?username=u;api_key=${KEY}`,
        "https://ts/x/?username=u;api_key=[redacted]",
      ],
      [
        `https://ts/x/#access_token=${KEY}&state=1`,
        "https://ts/x/#access_token=[redacted]&state=1",
      ],
      [
        `https://ts/x/?api_key=a%20b%26${KEY}`,
        "https://ts/x/?api_key=[redacted]",
      ],
    ]
  ) assert.equal(redactUrl(raw!), shown, raw);
  // Userinfo: the password goes, with or without a user name.
  assert.equal(
    redactUrl(`https://ionuser:${KEY}@ts/x/?limit=1`),
    "https://ionuser:[redacted]@ts/x/?limit=1",
  );
  assert.equal(
    redactUrl(`http://:${KEY}@proxy:3128/`),
    "http://:[redacted]@proxy:3128/",
  );
  // Not secrets: the user name, ordinary parameters, an empty value.
  assert.equal(
    redactUrl("https://ts/x/?username=ionuser&keyword=a&api_key="),
    "https://ts/x/?username=ionuser&keyword=a&api_key=",
  );
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
  const url = `https://ts/rundb/api/v1/plugin/?api_key=[redacted]`;
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

// The set-up mistakes, each tried for real where it can be made on this
// machine (TLS with openssl-made certificates against the simulator; plain
// sockets answering like Apache), else with the error the stack raises.

import { createClient } from "../../../lib/http/client.ts";
import {
  type NetworkError,
  UnreadableAnswerError,
} from "../../../lib/errors.ts";
import { startSimulator } from "../../../simulator/mod.ts";
import { explain } from "../../../scripts/_cli/connect.ts";
import { testNeeding } from "../../_needs.ts";
import { makePki } from "../../_pki.ts";

/** The error of one GET through the real client. */
async function failure(
  url: string,
  options: { caCert?: string; caCertFile?: string } = {},
): Promise<unknown> {
  using client = await createClient({
    url,
    readRetries: { retries: 0 },
    timeoutMs: 5_000,
    ...options,
  });
  try {
    await client.get("torrentsuite/version/");
  } catch (error) {
    return error;
  }
  throw new Error("expected a failure");
}

/** A self-signed certificate (CA:TRUE, as `openssl req -x509` makes) with the given names. */
async function selfSigned(san: string): Promise<{ cert: string; key: string }> {
  const dir = await Deno.makeTempDir({ prefix: "ionrun-hint-" });
  const out = await new Deno.Command("openssl", {
    args: [
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-keyout",
      "k.pem",
      "-out",
      "c.pem",
      "-days",
      "2",
      "-subj",
      "/CN=ts.lab.local",
      "-addext",
      `subjectAltName=${san}`,
    ],
    cwd: dir,
    stderr: "null",
  }).output();
  assert.equal(out.code, 0);
  const pair = {
    cert: await Deno.readTextFile(`${dir}/c.pem`),
    key: await Deno.readTextFile(`${dir}/k.pem`),
  };
  await Deno.remove(dir, { recursive: true });
  return pair;
}

testNeeding(
  "openssl",
  "openssl",
  "TLS failures get a hint that fits them (tried against the simulator over HTTPS)",
  async (t) => {
    const pki = await makePki();
    await t.step(
      "a private CA's leaf, no TS_CA_CERT: set it to the CA",
      async () => {
        await using sim = await startSimulator({ reports: 2, tls: pki.leaf });
        const e = await failure(sim.url) as NetworkError;
        assert.equal(e.kind, "tls");
        assert.match(
          e.hint,
          /signed by a CA this machine does not trust: set TS_CA_CERT/,
        );
        const exact = explain(e, {}) as NetworkError;
        assert.doesNotMatch(exact.hint, /if TS_CA_CERT is set already/);
      },
    );
    await t.step(
      "a self-signed server, TS_CA_CERT set to another one: says so, does not say to set it",
      async () => {
        await using sim = await startSimulator({ reports: 2, tls: pki.old });
        const e = await failure(sim.url, {
          caCert: pki.impostor.cert,
        }) as NetworkError;
        assert.match(e.hint, /self-signed/);
        const exact = explain(e, {
          caCertFile: "/etc/ionrun/ts.pem",
        }) as NetworkError;
        assert.match(
          exact.hint,
          /^TS_CA_CERT \(\/etc\/ionrun\/ts\.pem\) is set but is not this server's certificate/,
        );
        assert.doesNotMatch(exact.hint, /set TS_CA_CERT to/);
        const none = explain(await failure(sim.url), {}) as NetworkError;
        assert.match(
          none.hint,
          /^the server's certificate is self-signed: copy the server's \/etc\/ssl\/certs\/ssl-cert-snakeoil\.pem/,
        );
      },
    );
    await t.step(
      "a self-signed CA certificate used as the server's, trusted: works",
      async () => {
        const ca = await selfSigned("DNS:localhost,IP:127.0.0.1");
        await using sim = await startSimulator({ reports: 2, tls: ca });
        using client = await createClient({ url: sim.url, caCert: ca.cert });
        assert.deepEqual(await client.get("torrentsuite/version/"), {
          "meta_version": "5.18.1",
        });
      },
    );
    await t.step(
      "a certificate for another name: names the names to use",
      async () => {
        const other = await selfSigned("DNS:ts.lab.local,DNS:ts");
        await using sim = await startSimulator({ reports: 2, tls: other });
        const e = await failure(sim.url, {
          caCert: other.cert,
        }) as NetworkError;
        assert.equal(e.kind, "tls");
        assert.match(
          e.hint,
          new RegExp(
            `^the server's certificate is for ts\\.lab\\.local, ts, not 127\\.0\\.0\\.1: use that name, TS_URL=https://ts\\.lab\\.local:${sim.port}`,
          ),
        );
      },
    );
    await t.step("http:// against the HTTPS port: use https://", async () => {
      await using sim = await startSimulator({ reports: 2, tls: pki.leaf });
      const e = await failure(
        sim.url.replace("https:", "http:"),
      ) as NetworkError;
      assert.equal(e.kind, "connection");
      assert.equal(
        e.hint,
        `the server speaks HTTPS (TLS) on port ${sim.port}, not plain HTTP: use TS_URL=https://127.0.0.1:${sim.port}`,
      );
    });
  },
);

/** A TCP server that reads a request and answers `reply` (raw bytes). */
function rawServer(reply: string): { url: string; close(): void } {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  (async () => {
    for await (const conn of listener) {
      (async () => {
        await conn.read(new Uint8Array(8192)).catch(() => null);
        await conn.write(new TextEncoder().encode(reply)).catch(() => 0);
        try {
          conn.close();
        } catch { /* closed */ }
      })();
    }
  })().catch(() => {});
  const { port } = listener.addr as Deno.NetAddr;
  return { url: `127.0.0.1:${port}`, close: () => listener.close() };
}

Deno.test("https:// against a plain HTTP port (Apache answers its 400): use http://", async () => {
  const server = rawServer(
    "HTTP/1.1 400 Bad Request\r\nContent-Type: text/html\r\nContent-Length: 11\r\nConnection: close\r\n\r\nBad Request",
  );
  try {
    const e = await failure(`https://${server.url}`) as NetworkError;
    assert.equal(e.kind, "tls");
    assert.equal(
      e.hint,
      `the server answers plain HTTP on port ${
        server.url.split(":")[1]
      }, not HTTPS: use TS_URL=http://${server.url}`,
    );
  } finally {
    server.close();
  }
});

Deno.test('http:// against Apache\'s HTTPS port (its "plain HTTP to an SSL-enabled server port" page): use https://', async () => {
  const page =
    `<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN"><html><head><title>400 Bad Request</title></head><body><h1>Bad Request</h1><p>Your browser sent a request that this server could not understand.<br />Reason: You're speaking plain HTTP to an SSL-enabled server port.<br /> Instead use the HTTPS scheme to access this URL, please.<br /></p></body></html>`;
  const server = rawServer(
    `HTTP/1.1 400 Bad Request\r\nContent-Type: text/html; charset=iso-8859-1\r\nContent-Length: ${page.length}\r\nConnection: close\r\n\r\n${page}`,
  );
  try {
    const e = await failure(`http://${server.url}`) as ApiError;
    assert.equal(e.status, 400);
    assert.match(
      e.message,
      new RegExp(
        `\\(hint: the server speaks HTTPS on this port: use TS_URL=https://${server.url}\\)$`,
      ),
    );
  } finally {
    server.close();
  }
});

Deno.test("a TS_URL that is not Torrent Suite (an HTML 404, an HTML 200) says so", async () => {
  await using web = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    (req) =>
      new URL(req.url).pathname.startsWith("/wiki")
        ? new Response(
          "<html><title>Lab wiki</title><body>Welcome</body></html>",
          {
            headers: { "content-type": "text/html" },
          },
        )
        : new Response(
          "<html><title>404 Not Found</title><body>Not Found</body></html>",
          {
            status: 404,
            headers: { "content-type": "text/html" },
          },
        ),
  );
  const base = `http://127.0.0.1:${web.addr.port}`;
  const e = await failure(base) as ApiError;
  assert.equal(e.status, 404);
  assert.match(
    e.message,
    new RegExp(
      `\\(hint: ${
        base.replaceAll(".", "\\.")
      } is not a Torrent Suite API \\(no /rundb/api/v1/ there\\): TS_URL must be the server's own address`,
    ),
  );
  const prefixed = await failure(`${base}/ts`) as ApiError;
  assert.match(prefixed.message, /drop the path \/ts\)$/);
  const html = await failure(`${base}/wiki`) as UnreadableAnswerError;
  assert.ok(html instanceof UnreadableAnswerError);
  assert.match(
    html.message,
    /not the API's JSON: is TS_URL the Torrent Suite server itself\?/,
  );
});

Deno.test("refused, unknown host, connect timeout and expired certificates get their own hints", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  const refused = await failure(`http://127.0.0.1:${port}`) as NetworkError;
  assert.match(
    refused.hint,
    new RegExp(
      `^nothing listens on 127\\.0\\.0\\.1 port ${port}: check TS_URL`,
    ),
  );
  const url = new URL("https://ts.example.org/rundb/api/v1/results/");
  const ctx = { method: "GET", url, timedOut: false, timeoutMs: 1 };
  const coded = (message: string, code: string) =>
    Object.assign(new Error(message), { code });
  assert.match(
    networkError(
      coded("getaddrinfo ENOTFOUND ts.example.org", "ENOTFOUND"),
      ctx,
    ).hint,
    /^the host name ts\.example\.org is unknown here/,
  );
  assert.match(
    networkError(coded("Connect Timeout Error", "UND_ERR_CONNECT_TIMEOUT"), ctx)
      .hint,
    /^no connection to ts\.example\.org port 443: a firewall/,
  );
  const expired = networkError(
    coded("certificate has expired", "CERT_HAS_EXPIRED"),
    ctx,
  );
  assert.equal(expired.kind, "tls");
  assert.match(expired.hint, /has expired: renew it on the server/);
  assert.match(
    networkError(coded("x", "CERT_NOT_YET_VALID"), ctx).hint,
    /clock/,
  );
});

Deno.test("a gateway's HTML error page and a timeout say what they likely mean", () => {
  const url = "https://ts.example.org/rundb/api/v1/results/";
  const gateway = statusError(
    { method: "GET", url, credentialForm: "apikey", user: "u" },
    {
      status: 502,
      message:
        "HTML page: 502 Bad Gateway: The proxy server received an invalid response",
    },
  );
  assert.match(
    gateway.message,
    /\(hint: a proxy or gateway answered, not Torrent Suite: .*HTTPS_PROXY, NO_PROXY/,
  );
  const plain = statusError(
    { method: "GET", url, credentialForm: "apikey", user: "u" },
    {
      status: 500,
      message:
        "Sorry, this request could not be processed. Please try again later.",
    },
  );
  assert.doesNotMatch(
    plain.message,
    /hint:/,
    "Torrent Suite's own 500 needs none",
  );
  const timeout = networkError(new Error("aborted"), {
    method: "GET",
    url: new URL(url),
    timedOut: true,
    timeoutMs: 30_000,
  });
  assert.match(timeout.hint, /raise --request-timeout/);
});

Deno.test("authorizationFor(): the API key first, else Basic in UTF-8, else nothing", () => {
  assert.deepEqual(
    authorizationFor({ user: "ionuser", apiKey: "k1", password: "p" }),
    { form: "apikey", header: "ApiKey ionuser:k1" },
  );
  // "müller:pässword" in UTF-8, as Django's Basic decoding reads it.
  const basic = authorizationFor({ user: "müller", password: "pässword" });
  assert.equal(basic.form, "basic");
  assert.equal(basic.header, "Basic bcO8bGxlcjpww6Rzc3dvcmQ=");
  assert.equal(basic.header, basicAuth("müller", "pässword"));
  assert.deepEqual(authorizationFor({ user: "ionuser" }), {
    form: "none",
    header: undefined,
  });
});
