// Tests of the simulator's launch endpoint and what a launch creates, over
// real HTTP with plain fetch.

import assert from "node:assert/strict";
import { type Simulator, startSimulator } from "../../simulator/mod.ts";
import { API, API_KEY, call, CANNED, type Json, launch } from "./_helpers.ts";

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

Deno.test("simulator launch: body forms, 202 empty, 410, 404, 400, 500", async () => {
  await using sim = await startSimulator({ reports: 20 });
  const vc = (sim.plugins() as Json[]).filter((p) =>
    p.name === "variantCaller" && p.active
  );
  assert.equal(vc.length, 2, "two active versions");
  const igv = (sim.plugins() as Json[]).find((p) => p.name === "igv")!;
  for (
    const body of [
      { plugin: "variantCaller" },
      { plugin: ["igv", "sampleID"] },
      { plugin: igv.id },
      { plugin: { name: "igv" } },
    ]
  ) {
    const r = await launch(sim, 3, body);
    assert.deepEqual([r.status, r.text], [202, ""], JSON.stringify(body));
  }
  assert.deepEqual(sim.launches.map((l) => l.plugin), [
    "variantCaller",
    "igv",
    "igv",
    "igv",
  ]);
  assert.equal(
    (await newestRun(sim, 3, "variantCaller")).pluginVersion,
    "5.12.0.4",
  );
  const disabled = (sim.plugins() as Json[]).find((p) =>
    p.active && !p.selected
  )!;
  for (
    const body of [{ plugin: "noSuch" }, { plugin: disabled.name }, {}, {
      plugin: null,
    }, { plugin: { name: "variantCaller" } }]
  ) {
    assert.deepEqual(
      [(await launch(sim, 3, body)).status],
      [410],
      JSON.stringify(body),
    );
  }
  for (const pk of [987654, "abc"]) {
    const r = await launch(sim, pk, "not json");
    assert.deepEqual([r.status, r.text], [404, CANNED]);
  }
  for (const body of ["{bad", ""]) {
    assert.equal((await launch(sim, 3, body)).text, '{"error": ""}');
  }
  assert.equal(
    (await launch(sim, 3, "plugin=igv", "application/x-www-form-urlencoded"))
      .text,
    CANNED,
  );
  assert.equal((await launch(sim, 3, '["igv"]')).status, 500);
  assert.equal(sim.launches.length, 4);
  const config = { threshold: 3 };
  await launch(sim, 4, { plugin: ["igv"], pluginconfig: config });
  assert.deepEqual(sim.launches.at(-1)!.config, config);
  assert.deepEqual(
    (await newestRun(sim, 4, "igv")).plugin_result_jobs[0].config,
    config,
  );
});

Deno.test("simulator: Failed Validation without a config, and stop/ relabels", async () => {
  // Without the config chain: with it (the default since the chain was
  // added), variantCaller would run with the plan's settings of the report.
  await using sim = await startSimulator({ reports: 10, configChain: false });
  const needy = (sim.plugins() as Json[]).find((p) =>
    p.requires_configuration && p.selected && p.active
  )!;
  assert.equal(
    (await launch(sim, 1, { plugin: needy.name, pluginconfig: {} })).status,
    202,
  );
  const run = await newestRun(sim, 1, needy.name);
  assert.equal(run.state, "Failed Validation");
  assert.deepEqual(run.validation_errors, {
    "validation_errors": [
      `${needy.name} requires configuration before execution.`,
    ],
  });
  await launch(sim, 1, { plugin: needy.name, pluginconfig: { account: "x" } });
  assert.equal((await newestRun(sim, 1, needy.name)).state, "Queued");
  const done = sim.addPluginResult(2, "igv", "Completed");
  const stop = await call(sim, `${API}pluginresult/${done}/stop/`);
  assert.deepEqual([stop.status, stop.text], [204, ""]);
  assert.equal(
    (await call(sim, `${API}pluginresult/${done}/`)).json().state,
    "Cancelled",
  );
  assert.equal(
    (await call(sim, `${API}pluginresult/999999/stop/`)).text,
    CANNED,
  );
  assert.equal((await call(sim, `${API}pluginresult/999999/`)).status, 404);
});

Deno.test("simulator: a launch whose reply is delayed is recorded; close() ends the wait", async () => {
  const sim = await startSimulator({ reports: 5 });
  sim.addFault({
    method: "POST",
    after: true,
    action: { type: "delay", ms: 60_000 },
  });
  const pending = fetch(`${sim.url}${API}results/1/plugin/`, {
    method: "POST",
    headers: { ...API_KEY, "Content-Type": "application/json" },
    body: '{"plugin": "igv"}',
    signal: AbortSignal.timeout(200),
  }).then((r) => r.body?.cancel(), (e) => e);
  assert.ok((await pending) instanceof DOMException);
  assert.equal(sim.launches.length, 1);
  const closing = performance.now();
  await sim.close();
  await sim.close();
  assert.ok(performance.now() - closing < 1000);
});

Deno.test("simulator serves 2,000 launches and 1,000-id filters quickly", async () => {
  await using sim = await startSimulator({ reports: 2500 });
  const started = performance.now();
  const ids = sim.reportIds().slice(0, 2000);
  for (let w = 0; w < 8; w++) {
    await Promise.all(
      ids.slice(w * 250, w * 250 + 250).map((id) =>
        launch(sim, id, { plugin: "bubbleRun" })
      ),
    );
  }
  assert.equal(sim.launches.length, 2000);
  const batch = ids.slice(0, 1000).join(",");
  const r = await call(
    sim,
    `${API}pluginresult/?plugin__name=bubbleRun&result__in=${batch}&limit=1000`,
  );
  assert.equal(r.json().meta.total_count >= 1000, true);
  assert.ok(
    performance.now() - started < 15_000,
    `${performance.now() - started} ms`,
  );
});

async function until(test: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!test()) {
    if (Date.now() > end) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A launch POST whose client gives up after `ms`. */
function impatient(sim: Simulator, report: number, ms: number) {
  return fetch(`${sim.url}${API}results/${report}/plugin/`, {
    method: "POST",
    headers: { ...API_KEY, "Content-Type": "application/json" },
    body: '{"plugin": "igv"}',
    signal: AbortSignal.timeout(ms),
  }).then((r) => r.body?.cancel(), (e) => e);
}

Deno.test("simulator: a slow launch creates its run after the client gave up", async () => {
  await using sim = await startSimulator({ reports: 5, createDelayMs: 300 });
  assert.ok((await impatient(sim, 1, 50)) instanceof DOMException);
  assert.equal(sim.launches.length, 0, "not created yet");
  await until(() => sim.launches.length === 1);
  const rec = sim.launches[0]!;
  assert.ok(rec.created - rec.time >= 250, `${rec.created - rec.time} ms`);
  assert.equal((await newestRun(sim, 1, "igv")).id, rec.pluginResultId);
  // The fault does the same for matching requests only.
  await using fast = await startSimulator({ reports: 5 });
  fast.addFault({
    method: "POST",
    nth: 1,
    action: { type: "slow-create", ms: 300 },
  });
  assert.ok((await impatient(fast, 2, 50)) instanceof DOMException);
  assert.equal((await launch(fast, 3, { plugin: "igv" })).status, 202);
  assert.deepEqual(fast.launches.map((l) => l.report), [3]);
  await until(() => fast.launches.length === 2);
  assert.equal(fast.launches[1]!.report, 2);
  // Only close() ends the wait, and then no run is created.
  const closing = await startSimulator({ reports: 5, createDelayMs: 60_000 });
  const gone = impatient(closing, 1, 50);
  await gone;
  await closing.close();
  assert.equal(closing.launches.length, 0);
});

Deno.test("simulator: failed grid submissions (Unknown) and missing report folders (500)", async () => {
  await using sim = await startSimulator({
    reports: 10,
    unknownRate: 1,
    brokenReports: [3],
  });
  assert.equal((await launch(sim, 1, { plugin: "igv" })).status, 202);
  const run = await newestRun(sim, 1, "igv");
  assert.deepEqual([run.state, run.plugin_result_jobs], ["Unknown", []]);
  assert.deepEqual(sim.queue().queued, []);
  for (const plugin of ["igv", "noSuchPlugin"]) {
    const broken = await launch(sim, 3, { plugin });
    assert.deepEqual([broken.status, broken.text], [500, CANNED], plugin);
  }
  assert.equal(sim.launches.length, 1);
});
