// Tests of `GET pluginresult/<pk>/stop/`: the wait per running job, Error
// instead of Cancelled, finished runs relabelled.

import assert from "node:assert/strict";
import { startSimulator } from "../../simulator/mod.ts";
import { API, call, launch } from "./_helpers.ts";

Deno.test("stop waits stopMs per running job, then the run is Cancelled", async () => {
  let t = Date.UTC(2024, 4, 1);
  await using sim = await startSimulator({
    reports: 5,
    slots: 1,
    queuedMs: 0,
    stopMs: 150,
    now: () => t,
  });
  await launch(sim, 1, { plugin: "igv" });
  await launch(sim, 2, { plugin: "igv" });
  const [running, queued] = sim.launches.map((l) => l.pluginResultId);
  t += 1;
  let started = performance.now();
  assert.equal(
    (await call(sim, `${API}pluginresult/${queued}/stop/`)).status,
    204,
  );
  assert.ok(performance.now() - started < 100, "a queued job: no wait");
  started = performance.now();
  assert.equal(
    (await call(sim, `${API}pluginresult/${running}/stop/`)).status,
    204,
  );
  assert.ok(performance.now() - started >= 140, "waited for the running job");
  const run = (await call(sim, `${API}pluginresult/${running}/`)).json();
  assert.deepEqual([run.state, run.can_terminate], ["Cancelled", false]);
});

Deno.test("stop: stopErrorRate ends killed jobs in Error; a finished run becomes Cancelled", async () => {
  let t = Date.UTC(2024, 4, 1);
  await using sim = await startSimulator({
    reports: 5,
    queuedMs: 0,
    stopErrorRate: 1,
    now: () => t,
  });
  await launch(sim, 1, { plugin: "igv" });
  const id = sim.launches[0]!.pluginResultId;
  t += 1;
  await call(sim, `${API}pluginresult/${id}/stop/`);
  assert.equal(
    (await call(sim, `${API}pluginresult/${id}/`)).json().state,
    "Error",
  );
  const done = sim.addPluginResult(2, "igv", "Completed");
  await call(sim, `${API}pluginresult/${done}/stop/`);
  const relabelled = (await call(sim, `${API}pluginresult/${done}/`)).json();
  assert.equal(relabelled.state, "Cancelled");
  assert.equal(relabelled.plugin_result_jobs[0].grid_engine_jobid, -1);
});
