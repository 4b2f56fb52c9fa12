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
