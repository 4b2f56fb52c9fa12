// Tests of the simulator's HTTP layer: Apache's 414 on long request lines.

import assert from "node:assert/strict";
import { startSimulator } from "../../simulator/mod.ts";
import { API, call } from "./_helpers.ts";

Deno.test("simulator answers 414 to a request line over 8190 bytes", async () => {
  await using sim = await startSimulator({ reports: 5 });
  const ids = Array.from({ length: 2000 }, (_, i) => i + 1).join(",");
  const r = await call(sim, `${API}results/?id__in=${ids}`);
  assert.equal(r.status, 414);
  assert.match(r.text, /Request-URI Too Long/);
  const fits = `${API}results/?id__in=${ids.slice(0, 8000 - API.length)}`
    .replace(/,\d*$/, "");
  assert.equal((await call(sim, fits)).status, 200);
  assert.deepEqual(sim.requests.map((q) => q.status), [414, 200]);
});

Deno.test("simulator keeps connections alive as Apache does: the hint, the idle timeout, the request limit", async () => {
  await using sim = await startSimulator({
    reports: 3,
    keepAliveTimeoutMs: 300,
    maxKeepAliveRequests: 2,
  });
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: sim.port });
  const get = new TextEncoder().encode(
    "GET /rundb/api/v1/torrentsuite/version/ HTTP/1.1\r\nHost: x\r\n\r\n",
  );
  const read = async () => {
    const buf = new Uint8Array(4096);
    const n = await conn.read(buf);
    return n === null ? null : new TextDecoder().decode(buf.subarray(0, n));
  };
  await conn.write(get);
  const first = (await read())!;
  assert.match(
    first,
    /\r\nKeep-Alive: timeout=1, max=1\r\nConnection: Keep-Alive\r\n/,
  );
  await conn.write(get);
  const second = (await read())!;
  assert.match(second, /\r\nConnection: close\r\n/, "the 2nd of at most 2");
  assert.equal(await read(), null, "then it closes");
  conn.close();

  // An idle connection is closed after the keep-alive timeout.
  const idle = await Deno.connect({ hostname: "127.0.0.1", port: sim.port });
  await idle.write(get);
  await idle.read(new Uint8Array(4096));
  const started = Date.now();
  assert.equal(await idle.read(new Uint8Array(16)), null);
  assert.ok(Date.now() - started >= 250, "closed by the idle timer");
  idle.close();
});
