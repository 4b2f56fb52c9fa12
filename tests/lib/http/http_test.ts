import assert from "node:assert/strict";
import { httpFor, readCaCert, userAgent } from "../../../lib/http/http.ts";
import type {
  Transport,
  TransportRequest,
} from "../../../lib/http/transport.ts";
import { NetworkError, UsageError } from "../../../lib/errors.ts";
import { VERSION } from "../../../lib/version.ts";

/** A transport that records what it is asked to send and answers 200. */
function recorder(): Transport & { sent: TransportRequest[] } {
  const sent: TransportRequest[] = [];
  return {
    sent,
    send(req) {
      sent.push(req);
      return Promise.resolve({ status: 200, headers: new Headers(), body: "" });
    },
    close: () => Promise.resolve(),
  };
}

const noEnv = () => undefined;
const basic = (user: string, password: string) =>
  `Basic ${btoa(`${user}:${password}`)}`;

Deno.test("httpFor() sends the credential of its purpose: 'api' the API key or else Basic, 'files' Basic only", async () => {
  const url = new URL("http://ts.example/x/");
  const cases = [
    {
      purpose: "api",
      creds: { user: "u", apiKey: "k", password: "p" },
      form: "apikey",
      header: "ApiKey u:k",
    },
    {
      purpose: "api",
      creds: { user: "u", password: "p" },
      form: "basic",
      header: basic("u", "p"),
    },
    { purpose: "api", creds: {}, form: "none", header: undefined },
    {
      purpose: "files",
      creds: { user: "u", apiKey: "k", password: "p" },
      form: "basic",
      header: basic("u", "p"),
    },
    {
      purpose: "files",
      creds: { user: "u", apiKey: "k" },
      form: "none",
      header: undefined,
    },
  ] as const;
  for (const c of cases) {
    const transport = recorder();
    const http = httpFor({
      url: "http://ts.example/",
      purpose: c.purpose,
      ...c.creds,
      transport,
      getEnv: noEnv,
    });
    assert.equal(http.credentialForm, c.form, `${c.purpose} ${c.form}`);
    await http.send({ url });
    await http.send({ url, auth: false });
    assert.equal(transport.sent[0]!.headers["Authorization"], c.header);
    assert.equal(transport.sent[1]!.headers["Authorization"], undefined);
    assert.equal(transport.sent[0]!.method, "GET");
  }
});

Deno.test("httpFor() sends its User-Agent, the caller's headers, body and stream wish", async () => {
  const transport = recorder();
  const http = httpFor({
    url: "http://ts.example/rundb/api/v1/",
    purpose: "api",
    transport,
    getEnv: noEnv,
    agent: "doctor",
  });
  assert.equal(http.baseUrl, "http://ts.example");
  await http.send({
    method: "POST",
    url: new URL("http://ts.example/a/"),
    headers: { Accept: "application/json", "User-Agent": "someone else" },
    body: "{}",
    stream: true,
  });
  const [req] = transport.sent;
  assert.equal(req!.method, "POST");
  assert.equal(req!.body, "{}");
  assert.equal(req!.stream, true);
  assert.equal(req!.headers["Accept"], "application/json");
  assert.equal(
    req!.headers["User-Agent"],
    `ionrun/${VERSION} doctor (Deno ${Deno.version.deno})`,
  );
  assert.equal(userAgent(), `ionrun/${VERSION} (Deno ${Deno.version.deno})`);
});

Deno.test("httpFor() takes the proxy from the environment, unless NO_PROXY names the host", () => {
  const env = (vars: Record<string, string>) => (name: string) => vars[name];
  const at = (vars: Record<string, string>) =>
    httpFor({
      url: "https://ts.lab.example",
      purpose: "files",
      getEnv: env(vars),
    }).proxy;
  assert.equal(
    at({ HTTPS_PROXY: "http://proxy:3128" }),
    "http://proxy:3128",
  );
  assert.equal(
    at({ HTTPS_PROXY: "http://proxy:3128", NO_PROXY: ".lab.example" }),
    undefined,
  );
  assert.equal(at({}), undefined);
});

Deno.test("httpFor() turns a lost answer into a NetworkError, a timeout into one that says so, a caller's abort into its reason", async () => {
  const failing: Transport = {
    send: (req) =>
      new Promise((_, reject) => {
        req.signal.addEventListener("abort", () => reject(req.signal.reason));
        if (req.url.pathname === "/refused/") {
          reject(Object.assign(new Error("connect ECONNREFUSED"), {
            code: "ECONNREFUSED",
          }));
        }
      }),
    close: () => Promise.resolve(),
  };
  const http = httpFor({
    url: "http://ts.example",
    purpose: "api",
    transport: failing,
    getEnv: noEnv,
    timeoutMs: 20,
  });
  await assert.rejects(
    http.send({ method: "POST", url: new URL("http://ts.example/refused/") }),
    (e: unknown) =>
      e instanceof NetworkError && e.kind === "connection" &&
      !e.outcomeUnknown,
  );
  await assert.rejects(
    http.send({ method: "POST", url: new URL("http://ts.example/slow/") }),
    (e: unknown) =>
      e instanceof NetworkError && e.kind === "timeout" && e.outcomeUnknown &&
      /timed out after 0.02 s/.test(e.message),
  );
  const caller = new AbortController();
  const reason = new Error("Ctrl-C");
  setTimeout(() => caller.abort(reason), 1);
  await assert.rejects(
    http.send({
      url: new URL("http://ts.example/slow/"),
      signal: caller.signal,
      timeoutMs: 5_000,
    }),
    (e: unknown) => e === reason,
  );
});

Deno.test("readCaCert() reads the CA file, and says which one it cannot read", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/ca.pem`, "PEM");
    assert.equal(await readCaCert(`${dir}/ca.pem`), "PEM");
    assert.equal(await readCaCert(undefined), undefined);
    await assert.rejects(
      readCaCert(`${dir}/missing.pem`),
      (e: unknown) =>
        e instanceof UsageError &&
        e.message.startsWith(`Cannot read TS_CA_CERT file ${dir}/missing.pem:`),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the undici transport streams a body when asked: Range, 206, ETag, Content-Length and Last-Modified come through", async () => {
  const data = new TextEncoder().encode("0123456789".repeat(10_000));
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    (request) => {
      const range = /^bytes=(\d+)-$/.exec(request.headers.get("range") ?? "");
      const from = range ? Number(range[1]) : 0;
      const part = data.subarray(from);
      return new Response(part, {
        status: range ? 206 : 200,
        headers: {
          "Content-Length": String(part.length),
          "ETag": '"v1"',
          "Last-Modified": "Mon, 07 Dec 2026 10:00:00 GMT",
          ...(range
            ? {
              "Content-Range": `bytes ${from}-${
                data.length - 1
              }/${data.length}`,
            }
            : {}),
        },
      });
    },
  );
  const url = `http://127.0.0.1:${server.addr.port}`;
  const http = httpFor({ url, purpose: "files", getEnv: noEnv });
  try {
    const whole = await http.send({ url: new URL(`${url}/f`), stream: true });
    assert.equal(whole.status, 200);
    assert.equal(whole.body, "");
    assert.ok(whole.bodyStream);
    const got = new Uint8Array(
      await new Response(whole.bodyStream).arrayBuffer(),
    );
    assert.deepEqual(got, data);
    const rest = await http.send({
      url: new URL(`${url}/f`),
      headers: { Range: "bytes=99990-" },
      stream: true,
    });
    assert.equal(rest.status, 206);
    assert.equal(rest.headers.get("etag"), '"v1"');
    assert.equal(rest.headers.get("content-length"), "10");
    assert.equal(
      rest.headers.get("last-modified"),
      "Mon, 07 Dec 2026 10:00:00 GMT",
    );
    assert.equal(
      rest.headers.get("content-range"),
      "bytes 99990-99999/100000",
    );
    assert.equal(await new Response(rest.bodyStream).text(), "0123456789");
    // A stream given up on is cancelled; the connection is not left hanging.
    const dropped = await http.send({ url: new URL(`${url}/f`), stream: true });
    await dropped.bodyStream!.cancel();
    // Without stream the body is read in full, as before.
    const text = await http.send({ url: new URL(`${url}/f`) });
    assert.equal(text.body.length, data.length);
    assert.equal(text.bodyStream, undefined);
  } finally {
    await http.close();
    await server.shutdown();
  }
});
