// Tests of the transport interface: what the client hands a transport, what
// it expects back, and what the client's own transport (npm undici) does
// with the requests the interface leaves to it (redirects, the body).

import assert from "node:assert/strict";
import { TsClient } from "../../../lib/http/client.ts";
import { NetworkError, RedirectError } from "../../../lib/errors.ts";
import type {
  Transport,
  TransportRequest,
  TransportResponse,
} from "../../../lib/http/transport.ts";
import { undiciTransport } from "../../../lib/http/_undici.ts";
import { simulator } from "../../_helpers.ts";

/** A transport that records each request and answers `answer(request)`. */
function recording(
  answer: (request: TransportRequest) => Promise<TransportResponse>,
): Transport & { seen: TransportRequest[]; closed: number } {
  const t = {
    seen: [] as TransportRequest[],
    closed: 0,
    send(request: TransportRequest) {
      t.seen.push(request);
      return answer(request);
    },
    close() {
      t.closed++;
      return Promise.resolve();
    },
  };
  return t;
}

const json = (status: number, body: unknown): Promise<TransportResponse> =>
  Promise.resolve({
    status,
    headers: new Headers({ "content-type": "application/json" }),
    body: body === undefined ? "" : JSON.stringify(body),
  });

Deno.test("a transport gets each request as TransportRequest describes it", async () => {
  const transport = recording(() => json(202, undefined));
  const client = new TsClient({
    url: "https://ts.example.org",
    user: "ionuser",
    apiKey: "k".repeat(40),
    transport,
  });
  const posted = await client.post("results/7/plugin/", { plugin: ["igv"] });
  assert.equal(posted.status, 202);
  assert.equal(posted.data, undefined, "an empty body is no data");
  const [post] = transport.seen;
  assert.equal(post!.method, "POST");
  assert.ok(post!.url instanceof URL);
  assert.equal(
    post!.url.href,
    "https://ts.example.org/rundb/api/v1/results/7/plugin/",
  );
  assert.equal(post!.body, JSON.stringify({ plugin: ["igv"] }));
  assert.equal(post!.headers["Content-Type"], "application/json");
  assert.equal(post!.headers["Accept"], "application/json");
  assert.equal(
    post!.headers["Authorization"],
    `ApiKey ionuser:${"k".repeat(40)}`,
  );
  assert.match(post!.headers["User-Agent"]!, /^ionrun\//);
  assert.ok(post!.signal instanceof AbortSignal);
  assert.equal(post!.signal.aborted, false);

  transport.seen.length = 0;
  await client.get("plugin/", { params: { limit: 2 } });
  const [get] = transport.seen;
  assert.equal(get!.method, "GET");
  assert.equal(get!.url.search, "?limit=2");
  assert.equal(get!.body, undefined, "a GET has no body");
  assert.equal(get!.headers["Content-Type"], undefined);
  await client.close();
  assert.equal(transport.closed, 1, "closing the client closes its transport");
});

Deno.test("a transport's signal aborts when the client's timeout passes, and a lost POST is not sent again", async () => {
  const transport = recording((request) =>
    new Promise((_, reject) =>
      request.signal.addEventListener(
        "abort",
        () => reject(request.signal.reason),
      )
    )
  );
  using client = new TsClient({
    url: "https://ts.example.org",
    timeoutMs: 30,
    transport,
  });
  const error = await client.post("results/7/plugin/", { plugin: ["igv"] })
    .catch((e) => e);
  assert.ok(error instanceof NetworkError, String(error));
  assert.equal(error.kind, "timeout");
  assert.equal(error.outcomeUnknown, true);
  assert.equal(transport.seen.length, 1, "sent once");
  assert.equal(transport.seen[0]!.signal.aborted, true);
});

Deno.test("a redirect a transport returns is an error, never followed", async () => {
  const transport = recording(() =>
    Promise.resolve({
      status: 302,
      headers: new Headers({ location: "https://ts.example.org/login/" }),
      body: "",
    })
  );
  using client = new TsClient({ url: "https://ts.example.org", transport });
  await assert.rejects(
    client.post("results/7/plugin/", { plugin: ["igv"] }),
    RedirectError,
  );
  assert.equal(transport.seen.length, 1);
});

Deno.test("the client's own transport returns redirects as they are and reads the body in full", async () => {
  await using sim = await simulator({ reports: 3 });
  const transport = undiciTransport();
  try {
    const user = sim.users[0]!;
    const headers = {
      Accept: "application/json",
      Authorization: `ApiKey ${user.username}:${user.apiKey}`,
    };
    // No trailing slash: the server answers 301, which is not followed.
    const moved = await transport.send({
      method: "GET",
      url: new URL(`${sim.url}/rundb/api/v1/plugin`),
      headers,
      signal: new AbortController().signal,
    });
    assert.equal(moved.status, 301);
    assert.match(
      moved.headers.get("location") ?? "",
      /\/rundb\/api\/v1\/plugin\/$/,
    );
    assert.equal(sim.requests.length, 1);

    const listed = await transport.send({
      method: "GET",
      url: new URL(`${sim.url}/rundb/api/v1/plugin/?limit=3`),
      headers,
      signal: new AbortController().signal,
    });
    assert.equal(listed.status, 200);
    assert.ok(listed.headers instanceof Headers);
    assert.equal(typeof listed.body, "string");
    const page = JSON.parse(listed.body) as { objects: unknown[] };
    assert.equal(page.objects.length, 3);
  } finally {
    await transport.close();
  }
});
