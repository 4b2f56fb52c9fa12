// Tests of the request pipeline's pause gate: a stalled server that reads
// requests and answers them later.

import assert from "node:assert/strict";
import { startSimulator } from "../../simulator/mod.ts";
import { API, API_KEY, call } from "./_helpers.ts";

Deno.test("pause(): requests wait, resume() answers them, also a launch whose client gave up", async () => {
  await using sim = await startSimulator({ reports: 5 });
  sim.pause();
  const abandoned = await fetch(`${sim.url}${API}results/1/plugin/`, {
    method: "POST",
    headers: { ...API_KEY, "Content-Type": "application/json" },
    body: '{"plugin": "igv"}',
    signal: AbortSignal.timeout(100),
  }).then((r) => r.body?.cancel(), (e) => e);
  assert.ok(abandoned instanceof DOMException);
  const waiting = call(sim, `${API}torrentsuite/version/`);
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(sim.requests.length, 2, "both were read");
  assert.equal(sim.launches.length, 0, "none handled");
  sim.resume();
  assert.equal((await waiting).status, 200);
  for (let i = 0; i < 100 && !sim.launches.length; i++) {
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.equal(sim.launches.length, 1, "the abandoned launch ran");
  assert.equal(sim.requests[0]!.status, 202);
  // close() does not wait for a paused request.
  const stalled = await startSimulator({ reports: 5 });
  stalled.pause();
  const pending = call(stalled, `${API}plugin/`).catch((e) => e);
  await new Promise((r) => setTimeout(r, 50));
  const started = performance.now();
  await stalled.close();
  assert.ok(performance.now() - started < 1000);
  assert.ok((await pending) instanceof TypeError);
});
