// Tests of the simulator's job lifecycle on an injected clock.

import assert from "node:assert/strict";
import { type Simulator, startSimulator } from "../../simulator/mod.ts";
import { API, call, type Json, launch } from "./_helpers.ts";

async function newestRun(
  sim: Simulator,
  report: number,
  plugin: string,
): Promise<Json> {
  const r = await call(
    sim,
    `${API}pluginresult/?result=${report}&plugin__name=${plugin}&order_by=-id&limit=1`,
  );
  return r.json().objects[0];
}

Deno.test("simulator jobs go Queued → Started → Completed on the injected clock", async () => {
  let t = Date.UTC(2024, 4, 1);
  // Exact run times: sampleID's own factor and the ±20% spread (defaults
  // since the plugin queue was added) are set aside.
  await using sim = await startSimulator({
    reports: 10,
    queuedMs: 100,
    pluginRunMs: { sampleID: 1000 },
    runSpread: 0,
    now: () => t,
  });
  await launch(sim, 2, { plugin: "sampleID" });
  const id = sim.launches[0]!.pluginResultId!;
  const state = async () =>
    (await call(sim, `${API}pluginresult/${id}/`)).json();
  const queued = await state();
  assert.deepEqual([queued.state, queued.can_terminate, typeof queued.apikey], [
    "Queued",
    true,
    "string",
  ]);
  t += 100;
  assert.equal((await state()).state, "Started");
  t += 999;
  assert.equal((await state()).state, "Started");
  t += 1;
  const done = await state();
  // Correction 8: the run's key is not nulled on completion.
  assert.deepEqual([done.state, done.can_terminate], ["Completed", false]);
  assert.match(done.apikey, /^[0-9a-f]{40}$/);
  assert.equal(done.endtime, "2024-05-01T00:00:01.000100+00:00");
  assert.equal(typeof done.size, "string");
  assert.equal(
    done.plugin_result_jobs[0].resource_uri,
    `${API}PluginResultJob/${done.plugin_result_jobs[0].id}/`,
  );
  const detail = (await call(sim, `${API}results/2/`)).json();
  assert.equal(detail.pluginState.sampleID, "Completed");
  assert.ok(
    !("pluginState" in
      (await call(sim, `${API}results/2/?noplugin=true`)).json()),
  );
  const bare = (await call(sim, `${API}results/2/pluginresults/`)).json();
  assert.ok(
    Array.isArray(bare) &&
      bare.some((p: Json) => p.id === id && p.State === "Completed"),
  );
  await using failing = await startSimulator({
    reports: 5,
    failureRate: 1,
    queuedMs: 0,
    runMs: 0,
  });
  await launch(failing, 1, { plugin: "igv" });
  assert.equal((await newestRun(failing, 1, "igv")).state, "Error");
});
