import assert from "node:assert/strict";
import {
  ByteReader,
  closeQuietly,
  parseHeaders,
  readBody,
  writeAll,
} from "../../lib/_http1.ts";
import {
  createKeepAliveFetch,
  type KeepAliveFetch,
} from "../../lib/_keepalive_fetch.ts";
import type { Simulator } from "../../simulator/mod.ts";
import { simulator } from "../_helpers.ts";

const enc = new TextEncoder();

/** One request as a hand-written test server saw it. */
interface Seen {
  connection: number;
  head: string[];
  body: string;
}

/**
 * A bare HTTP server on 127.0.0.1 whose `answer` writes raw bytes: it decides
 * per request what goes on the wire, and whether the connection goes on.
 */
function rawServer(
  answer: (
    seen: Seen,
    conn: Deno.Conn,
    index: number,
  ) => Promise<"keep" | "close">,
) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const seen: Seen[] = [];
  const conns = new Set<Deno.Conn>();
  const tasks: Promise<void>[] = [];
  let connections = 0;
  const serve = async (conn: Deno.Conn, connection: number) => {
    const reader = new ByteReader(conn);
    try {
      for (;;) {
        const head = await reader.readHead(65_536);
        if (head === null) return;
        const body = await readBody(reader, parseHeaders(head.slice(1), 8190));
        const s = { connection, head, body: new TextDecoder().decode(body!) };
        seen.push(s);
        if (await answer(s, conn, seen.length - 1) === "close") return;
      }
    } catch {
      // the client went away
    } finally {
      conns.delete(conn);
      closeQuietly(conn);
      await reader.settled();
    }
  };
  const accepting = (async () => {
    for await (const conn of listener) {
      conns.add(conn);
      tasks.push(serve(conn, ++connections));
    }
  })();
  return {
    url: `http://127.0.0.1:${(listener.addr as Deno.NetAddr).port}`,
    seen,
    connections: () => connections,
    async [Symbol.asyncDispose]() {
      listener.close();
      await accepting.catch(() => {});
      for (const conn of conns) conn.close();
      await Promise.all(tasks);
    },
  };
}

const OK =
  "HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\nContent-Type: text/html\r\n\r\n";

/** Launches igv on a simulator report through `fetch`; returns the answer. */
function launch(fetch: KeepAliveFetch, sim: Simulator, report: number) {
  const user = sim.users[0]!;
  return fetch(`${sim.url}/rundb/api/v1/results/${report}/plugin/`, {
    method: "POST",
    headers: {
      "Authorization": `ApiKey ${user.username}:${user.apiKey}`,
      "Content-Type": "application/json",
    },
    body: JSON.stringify({ plugin: ["igv"] }),
  });
}

function post(url: string, body = '{"plugin":["igv"]}') {
  return {
    input: `${url}/rundb/api/v1/results/7/plugin/`,
    init: {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body,
    },
  };
}

Deno.test("keep-alive fetch sends successive POSTs on one connection, each once", async () => {
  await using sim = await simulator();
  const fetch = createKeepAliveFetch();
  try {
    const [a, b, c] = sim.reportIds();
    for (const report of [a!, b!, c!]) {
      const res = await launch(fetch, sim, report);
      assert.equal(res.status, 202);
      assert.equal(await res.text(), "");
    }
    assert.deepEqual(sim.launches.map((l) => l.report), [a, b, c]);
    const used = new Set(sim.requests.map((r) => r.connection));
    assert.equal(used.size, 1, "one connection for all three");
    assert.equal(sim.requests[0]!.headers["content-length"], "18");
    assert.equal(sim.requests[0]!.bodyText, '{"plugin":["igv"]}');
  } finally {
    fetch.close();
  }
});

Deno.test("keep-alive fetch reports a connection that fails after a reused request went out, and never resends it", async () => {
  await using server = rawServer(async (_seen, conn, index) => {
    if (index === 0) {
      await writeAll(conn, enc.encode(OK));
      return "keep";
    }
    return "close"; // the request was read, then the connection dropped
  });
  const fetch = createKeepAliveFetch();
  try {
    const first = post(server.url);
    assert.equal((await fetch(first.input, first.init)).status, 202);
    const second = post(server.url, '{"plugin":["igv"],"n":2}');
    await assert.rejects(
      fetch(second.input, second.init),
      /connection closed before the answer was complete/,
    );
    assert.equal(server.seen.length, 2, "sent once, not again");
    assert.equal(server.connections(), 1);
    assert.equal(server.seen[1]!.body, '{"plugin":["igv"],"n":2}');
  } finally {
    fetch.close();
  }
});

Deno.test("keep-alive fetch notices a connection the server closed while idle and uses a new one", async () => {
  await using server = rawServer(async (_seen, conn) => {
    await writeAll(conn, enc.encode(OK));
    return "close"; // answered as keep-alive, then closed: Apache's idle timeout
  });
  const fetch = createKeepAliveFetch();
  try {
    for (let i = 0; i < 3; i++) {
      const { input, init } = post(server.url);
      assert.equal((await fetch(input, init)).status, 202);
      await new Promise((r) => setTimeout(r, 30));
    }
    assert.equal(server.seen.length, 3);
    assert.equal(server.connections(), 3);
  } finally {
    fetch.close();
  }
});

Deno.test("keep-alive fetch reads chunked, sized and close-delimited answers and skips 100 Continue", async () => {
  const answers = [
    "HTTP/1.1 100 Continue\r\n\r\n" +
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\n" +
    '5\r\n{"a":\r\n3;ext=1\r\n 1}\r\n0\r\nX-Trailer: t\r\n\r\n',
    "HTTP/1.1 404 Not Found\r\nContent-Type: text/html\r\nContent-Length: 20\r\n\r\n<h1>Not Found</h1>\r\n",
    "HTTP/1.0 500 Internal Server Error\r\nContent-Type: text/plain\r\n\r\nboom, no length",
    "HTTP/1.1 204 No Content\r\n\r\n",
  ];
  await using server = rawServer(async (_seen, conn, index) => {
    await writeAll(conn, enc.encode(answers[index]!));
    return index === 2 ? "close" : "keep";
  });
  const fetch = createKeepAliveFetch();
  try {
    const results: [number, string][] = [];
    for (let i = 0; i < answers.length; i++) {
      const { input, init } = post(server.url);
      const res = await fetch(input, init);
      results.push([res.status, await res.text()]);
    }
    assert.deepEqual(results, [
      [200, '{"a": 1}'],
      [404, "<h1>Not Found</h1>\r\n"],
      [500, "boom, no length"],
      [204, ""],
    ]);
    // The answer without a length ended its connection; the others kept it.
    assert.deepEqual(server.seen.map((s) => s.connection), [1, 1, 1, 2]);
  } finally {
    fetch.close();
  }
});

Deno.test("keep-alive fetch: an abort closes the connection and rejects with the reason", async () => {
  let closed!: () => void;
  const gone = new Promise<void>((resolve) => closed = resolve);
  await using server = rawServer(async (_seen, conn) => {
    // Never answers; learns when the client hangs up.
    const n = await conn.read(new Uint8Array(16)).catch(() => null);
    if (n === null) closed();
    return "close";
  });
  const fetch = createKeepAliveFetch();
  try {
    const { input, init } = post(server.url);
    const controller = new AbortController();
    setTimeout(
      () => controller.abort(new DOMException("timed out", "TimeoutError")),
      50,
    );
    await assert.rejects(
      fetch(input, { ...init, signal: controller.signal }),
      (e: unknown) => e instanceof DOMException && e.name === "TimeoutError",
    );
    await gone;
    assert.equal(server.seen.length, 1);
  } finally {
    fetch.close();
  }
});

Deno.test("keep-alive fetch does not reuse a connection idle longer than idleMs", async () => {
  await using sim = await simulator();
  const fetch = createKeepAliveFetch({ idleMs: 0 });
  try {
    for (const report of sim.reportIds().slice(0, 2)) {
      const res = await launch(fetch, sim, report);
      assert.equal(res.status, 202);
      await new Promise((r) => setTimeout(r, 5));
    }
    assert.deepEqual(sim.requests.map((r) => r.connection), [1, 2]);
  } finally {
    fetch.close();
  }
});

Deno.test("keep-alive fetch follows Apache's MaxKeepAliveRequests and KeepAliveTimeout", async () => {
  await using sim = await simulator({
    maxKeepAliveRequests: 3,
    keepAliveTimeoutMs: 100,
  });
  const fetch = createKeepAliveFetch();
  try {
    const reports = sim.reportIds().slice(0, 6);
    for (const report of reports.slice(0, 5)) {
      assert.equal((await launch(fetch, sim, report)).status, 202);
    }
    // The server closed the idle connection meanwhile: a new one, no error.
    await new Promise((r) => setTimeout(r, 250));
    assert.equal((await launch(fetch, sim, reports[5]!)).status, 202);
    assert.deepEqual(sim.requests.map((r) => r.connection), [1, 1, 1, 2, 2, 3]);
    assert.deepEqual(sim.launches.map((l) => l.report), reports);
  } finally {
    fetch.close();
  }
});
