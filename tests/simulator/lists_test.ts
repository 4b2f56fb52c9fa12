// Tests of the server's time per serialized object (objectCostMs).

import assert from "node:assert/strict";
import { startSimulator } from "../../simulator/mod.ts";
import { API, call } from "./_helpers.ts";

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await fn();
  return performance.now() - started;
}

Deno.test("objectCostMs: a list page costs per object, a detail view once", async () => {
  await using sim = await startSimulator({ reports: 50, objectCostMs: 5 });
  const page = await timed(() => call(sim, `${API}pluginresult/?limit=40`));
  assert.ok(page >= 190, `40 objects took ${page} ms`);
  const small = await timed(() => call(sim, `${API}pluginresult/?limit=2`));
  assert.ok(small < 150, `2 objects took ${small} ms`);
  const one = await timed(() => call(sim, `${API}results/3/`));
  assert.ok(one >= 4 && one < 150, `a detail view took ${one} ms`);
  await using free = await startSimulator({ reports: 50 });
  const cheap = await timed(() => call(free, `${API}pluginresult/?limit=40`));
  assert.ok(cheap < 150, `no cost by default: ${cheap} ms`);
});
