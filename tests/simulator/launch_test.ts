// Tests of the simulator's launches, job lifecycle and injected faults, over
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

Deno.test("simulator jobs go Queued → Started → Completed on the injected clock", async () => {
  let t = Date.UTC(2024, 4, 1);
  await using sim = await startSimulator({
    reports: 10,
    queuedMs: 100,
    runMs: 1000,
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
  assert.deepEqual([done.state, done.can_terminate, done.apikey], [
    "Completed",
    false,
    null,
  ]);
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

Deno.test("simulator: Failed Validation without a config, and stop/ relabels", async () => {
  await using sim = await startSimulator({ reports: 10 });
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

Deno.test("simulator faults: status, html, reset, delay, nth, after", async () => {
  await using sim = await startSimulator({ reports: 20 });
  sim.addFault({
    path: "/plugin/",
    method: "GET",
    nth: 2,
    action: { type: "status", status: 500 },
  });
  const statuses = [];
  for (let i = 0; i < 3; i++) {
    statuses.push((await call(sim, `${API}plugin/`)).status);
  }
  assert.deepEqual(statuses, [200, 500, 200]);
  sim.clearFaults();
  sim.addFault({
    path: /^\/rundb\/api\/v1\/results\/$/,
    action: { type: "status", status: 502, html: true },
  });
  const proxy = await call(sim, `${API}results/`);
  assert.deepEqual([proxy.status, proxy.headers.get("content-type")], [
    502,
    "text/html; charset=iso-8859-1",
  ]);
  sim.clearFaults();
  sim.addFault({
    method: "POST",
    nth: 1,
    action: { type: "status", status: 503 },
  });
  sim.addFault({
    method: "POST",
    nth: 2,
    after: true,
    action: { type: "status", status: 500 },
  });
  assert.equal((await launch(sim, 1, { plugin: "igv" })).status, 503);
  assert.equal(sim.launches.length, 0, "refused before the handler");
  assert.equal((await launch(sim, 1, { plugin: "igv" })).text, CANNED);
  assert.equal(sim.launches.length, 1, "launched, then answered 500");
  sim.clearFaults();
  // reset: fetch rejects, on a fresh or a reused keep-alive connection alike.
  sim.addFault({ method: "POST", after: true, action: { type: "reset" } });
  for (let i = 0; i < 2; i++) {
    await assert.rejects(launch(sim, 1, { plugin: "igv" }), TypeError);
  }
  assert.equal(
    sim.launches.length,
    3,
    "each was recorded once: no silent resend",
  );
  assert.equal(sim.requests.at(-1)!.status, 0);
  sim.clearFaults();
  sim.addFault({ path: "/version/", action: { type: "reset" } });
  await assert.rejects(call(sim, `${API}torrentsuite/version/`), TypeError);
  sim.clearFaults();
  sim.addFault({ path: "/version/", action: { type: "delay", ms: 150 } });
  const started = performance.now();
  assert.equal((await call(sim, `${API}torrentsuite/version/`)).status, 200);
  assert.ok(performance.now() - started >= 140);
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

Deno.test("simulator faults: bare reset, rate, times; pluginresult reruns", async () => {
  await using sim = await startSimulator({ reports: 10 });
  // A bare close on a fresh connection: fetch rejects, the launch happened.
  sim.addFault({
    method: "POST",
    after: true,
    nth: 1,
    action: { type: "reset", bare: true },
  });
  await assert.rejects(launch(sim, 1, { plugin: "igv" }), TypeError);
  assert.equal(sim.launches.length, 1);
  sim.clearFaults();
  const pattern = async (s: Simulator) => {
    s.addFault({
      path: "/version/",
      rate: 0.5,
      times: 6,
      action: { type: "status", status: 503 },
    });
    const out: number[] = [];
    for (let i = 0; i < 30; i++) {
      out.push((await call(s, `${API}torrentsuite/version/`)).status);
    }
    s.clearFaults();
    return out;
  };
  const first = await pattern(sim);
  assert.equal(first.filter((s) => s === 503).length, 6);
  await using twin = await startSimulator({ reports: 10 });
  assert.deepEqual(await pattern(twin), first, "deterministic for a seed");
  // `pluginresult` reruns into an existing run of the report.
  const old = sim.addPluginResult(2, "igv", "Error");
  assert.equal(
    (await launch(sim, 2, { plugin: "igv", pluginresult: old })).status,
    202,
  );
  assert.equal(sim.launches.at(-1)!.pluginResultId, old);
  const rerun = (await call(sim, `${API}pluginresult/${old}/`)).json();
  assert.deepEqual([rerun.state, rerun.plugin_result_jobs.length], [
    "Queued",
    2,
  ]);
  const opts = await call(
    sim,
    `${API}pluginresult/`,
    { method: "OPTIONS" },
    null,
  );
  assert.deepEqual([opts.status, opts.headers.get("allow")], [
    200,
    "GET,POST,PUT,DELETE,PATCH",
  ]);
});
