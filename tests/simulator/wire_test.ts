import assert from "node:assert/strict";
import {
  ByteReader,
  closeQuietly,
  parseHeaders,
  readBody,
  writeAll,
} from "../../simulator/wire.ts";

/** A connected pair of TCP connections on 127.0.0.1. */
async function pair() {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  const [server, client] = await Promise.all([
    listener.accept(),
    Deno.connect({ hostname: "127.0.0.1", port }),
  ]);
  listener.close();
  client.setNoDelay(true);
  return { server, client };
}

Deno.test("ByteReader reads a head and a chunked body however the bytes are split", async () => {
  const { server, client } = await pair();
  const reader = new ByteReader(server);
  // A bug that misses a split CRLF CRLF would wait forever: end it instead.
  const deadline = setTimeout(() => server.close(), 5_000);
  try {
    const message =
      "POST /x/ HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n" +
      "4\r\nab\r\n\r\n0\r\n\r\n" +
      "GET /y/ HTTP/1.1\r\nHost: a\r\n\r\n";
    const bytes = new TextEncoder().encode(message);
    // One byte per write, so that CRLF CRLF and chunk sizes straddle reads.
    const writing = (async () => {
      for (let i = 0; i < bytes.length; i++) {
        await writeAll(client, bytes.subarray(i, i + 1));
        if (i % 7 === 0) await new Promise((r) => setTimeout(r, 1));
      }
    })();
    const first = await reader.readHead(65_536);
    assert.deepEqual(first, [
      "POST /x/ HTTP/1.1",
      "Host: a",
      "Transfer-Encoding: chunked",
    ]);
    const body = await readBody(reader, parseHeaders(first!.slice(1), 8190));
    assert.equal(new TextDecoder().decode(body!), "ab\r\n");
    assert.deepEqual(await reader.readHead(65_536), [
      "GET /y/ HTTP/1.1",
      "Host: a",
    ]);
    await writing;
    client.close();
    assert.equal(await reader.readHead(65_536), null, "the end of the stream");
  } finally {
    clearTimeout(deadline);
    closeQuietly(server); // perhaps closed by the deadline already
    await reader.settled();
  }
});

Deno.test("ByteReader refuses a head larger than its limit; parseHeaders a malformed line", async () => {
  const { server, client } = await pair();
  const reader = new ByteReader(server);
  try {
    await writeAll(
      client,
      new TextEncoder().encode(`GET /${"a".repeat(40_000)}`),
    );
    assert.equal(await reader.readHead(16_384), null);
    assert.throws(() => parseHeaders(["no colon here"], 8190), /malformed/);
  } finally {
    client.close();
    server.close();
    await reader.settled();
  }
});
