// Tests of the shared queue's realism: production load, runs on broken
// reports, the Basic `:` bug, held, rebooted and upgraded jobs, SGE's
// scheduling interval, mod_wsgi recycling and the realistic profile.

import assert from "node:assert/strict";
import {
  REALISTIC,
  type Simulator,
  startSimulator,
} from "../../simulator/mod.ts";
import { API, call, type Json, launch } from "./_helpers.ts";

const T0 = Date.UTC(2024, 4, 1);
const HOUR = 3_600_000;

async function state(sim: Simulator, id: number): Promise<Json> {
  return (await call(sim, `${API}pluginresult/${id}/`)).json();
}

async function reportOf(sim: Simulator, id: number): Promise<Json> {
  return (await call(sim, `${API}results/${id}/`)).json();
}

Deno.test("production: reports finish over time, the pipeline and another user share the FIFO slots", async () => {
  let t = T0;
  const opts = {
    reports: 20,
    slots: 1,
    runMs: 60_000,
    runSpread: 0,
    production: { reportsPerHour: 2, manualPerHour: 1, analysisMs: HOUR },
    now: () => t,
  };
  await using sim = await startSimulator(opts);
  assert.deepEqual(sim.users.map((u) => u.username), [
    "ionadmin",
    "ionuser",
    "ionpipeline",
    "ionlab",
  ]);
  const before = Math.max(...sim.reportIds());
  assert.deepEqual(sim.productionRuns(), []);
  t += 6 * HOUR;
  const runs = sim.productionRuns();
  assert.ok(runs.some((r) => r.kind === "pipeline"));
  assert.ok(runs.some((r) => r.kind === "manual"));
  for (const r of runs) {
    assert.equal(r.owner, r.kind === "pipeline" ? "ionpipeline" : "ionlab");
    assert.ok(r.createdAt >= T0 && r.createdAt <= t);
  }
  // New reports: Completed once their analysis ended, timeStamp then.
  const fresh = sim.reportIds().filter((id) => id > before);
  assert.ok(fresh.length >= 3, `${fresh.length} new reports`);
  const first = await reportOf(sim, fresh[0]!);
  assert.equal(first.status, "Completed");
  const pipe = runs.filter((r) =>
    r.kind === "pipeline" && r.report === fresh[0]
  );
  assert.ok(pipe.length > 0);
  assert.ok(Math.abs(Date.parse(first.timeStamp) - pipe[0]!.createdAt) < 1000);
  // The API shows them with their owner.
  const listed = await call(
    sim,
    `${API}pluginresult/?owner__username=ionpipeline&limit=1000`,
  );
  assert.equal(
    listed.json().objects.length,
    runs.filter((r) => r.kind === "pipeline").length,
  );
  // One slot: the runs never overlap, and start in creation order.
  const started = runs.filter((r) => r.startedAt !== null);
  for (let i = 1; i < started.length; i++) {
    assert.ok(started[i]!.startedAt! >= started[i - 1]!.endedAt!);
    assert.ok(started[i]!.createdAt >= started[i - 1]!.createdAt);
  }
  // A client's launch waits behind the production runs queued before it.
  const waiting = sim.queue().queued.length + sim.queue().running.length;
  assert.equal((await launch(sim, 1, { plugin: "igv" })).status, 202);
  const mine = sim.launches[0]!.pluginResultId!;
  assert.equal(sim.queue().queued.at(-1), mine);
  assert.equal(
    sim.queue().queued.length + sim.queue().running.length,
    waiting + 1,
  );
  // Deterministic from the seed and the clock.
  let t2 = T0;
  await using again = await startSimulator({ ...opts, now: () => t2 });
  t2 += 6 * HOUR;
  assert.deepEqual(
    again.productionRuns().map((r) => [r.report, r.plugin, r.createdAt]),
    runs.map((r) => [r.report, r.plugin, r.createdAt]),
  );
});

Deno.test("production: a launch during the analysis is followed by the pipeline's own run of the plugin", async () => {
  let t = T0;
  await using sim = await startSimulator({
    reports: 20,
    production: { reportsPerHour: 1, analysisMs: HOUR, pluginsPerReport: 1 },
    now: () => t,
  });
  // Seeded reports still being analysed finish within analysisMs.
  const ids = sim.reportIds();
  const busy = [];
  for (const id of ids.slice(-3)) {
    const r = await reportOf(sim, id);
    if (r.status !== "Completed") busy.push(id);
  }
  assert.ok(busy.length > 0);
  const report = busy[0]!;
  assert.equal(
    (await launch(sim, report, { plugin: "coverageAnalysis" })).status,
    202,
  );
  const mine = sim.launches[0]!.pluginResultId!;
  t += HOUR;
  assert.equal((await reportOf(sim, report)).status, "Completed");
  const auto = sim.productionRuns().filter((r) => r.report === report);
  assert.equal(auto.length, 1);
  assert.equal(auto[0]!.plugin, "coverageAnalysis");
  assert.ok(auto[0]!.pluginResultId > mine);
  const [newest] = sim.pluginResults({
    report,
    plugin: "coverageAnalysis",
  }) as Json[];
  assert.equal(newest!.id, auto[0]!.pluginResultId);
});

Deno.test("brokenReportRuns: runs on unfinished, failed or archived reports are accepted and end in Error", async () => {
  for (const broken of [false, true]) {
    let t = T0;
    await using sim = await startSimulator({
      reports: 40,
      slots: 0,
      brokenReportRuns: broken,
      brokenReports: [2],
      now: () => t,
    });
    const statuses = new Map<number, string>();
    for (const id of sim.reportIds()) {
      statuses.set(id, (await reportOf(sim, id)).status);
    }
    const bad = [...statuses].filter(([id, s]) => s !== "Completed" && id !== 2)
      .map(([id]) => id);
    const good = [...statuses].filter(([id, s]) =>
      s === "Completed" && id !== 2
    )
      .map(([id]) => id);
    assert.ok(bad.length >= 2);
    for (const id of [bad[0]!, bad[1]!, good[0]!]) {
      assert.equal((await launch(sim, id, { plugin: "igv" })).status, 202);
    }
    assert.equal((await launch(sim, 2, { plugin: "igv" })).status, 500);
    t += HOUR;
    const states = [];
    for (const l of sim.launches) {
      states.push((await state(sim, l.pluginResultId!)).state);
    }
    assert.deepEqual(
      states,
      broken
        ? ["Error", "Error", "Completed"]
        : ["Completed", "Completed", "Completed"],
    );
  }
  // Archived output too.
  let t = T0;
  await using arch = await startSimulator({
    reports: 10,
    slots: 0,
    brokenReportRuns: true,
    fileFaults: { archivedRate: 1 },
    now: () => t,
  });
  const good = arch.reportIds()[0]!;
  assert.equal((await reportOf(arch, good)).status, "Completed");
  await launch(arch, good, { plugin: "igv" });
  t += HOUR;
  assert.equal(
    (await state(arch, arch.launches[0]!.pluginResultId!)).state,
    "Error",
  );
});

Deno.test("djangoBasicBug: a ':' in the Basic password or bad base64 is a Django 500 page; /auth/ splits at the first colon", async () => {
  const users = [
    { username: "ionadmin", password: "pa:ss", apiKey: "a".repeat(40) },
  ];
  const basic = (s: string) => ({ Authorization: `Basic ${btoa(s)}` });
  for (const bug of [false, true]) {
    await using sim = await startSimulator({
      reports: 5,
      users,
      djangoBasicBug: bug,
    });
    const api = await call(
      sim,
      `${API}plugin/?limit=1`,
      {},
      basic("ionadmin:pa:ss"),
    );
    const [pr] = sim.pluginResults() as Json[];
    const out = await call(
      sim,
      pr!.URL,
      {},
      basic("ionadmin:pa:ss"),
    );
    const auth = await call(
      sim,
      `/auth${pr!.URL}`,
      {},
      basic("ionadmin:pa:ss"),
    );
    const bad = await call(sim, `${API}plugin/`, {}, {
      Authorization: "Basic %%%",
    });
    if (bug) {
      assert.equal(api.status, 500);
      assert.match(api.headers.get("content-type")!, /text\/html/);
      assert.match(api.text, /Server Error \(500\)/);
      assert.equal(out.status, 500);
      assert.equal(bad.status, 500);
    } else {
      assert.equal(api.status, 200);
      assert.notEqual(out.status, 500);
      assert.equal(bad.status, 401);
    }
    assert.ok(auth.status === 200 || auth.status === 404, `${auth.status}`);
    // Other credentials are not affected.
    const key = await call(sim, `${API}plugin/?limit=1`, {}, {
      Authorization: `ApiKey ionadmin:${"a".repeat(40)}`,
    });
    assert.equal(key.status, 200);
  }
});

Deno.test("stuckQueuedRate, reboot() and upgrade(): held, dead and detached jobs", async () => {
  let t = T0;
  await using held = await startSimulator({
    reports: 5,
    stuckQueuedRate: 1,
    now: () => t,
  });
  await launch(held, 1, { plugin: "igv" });
  t += 100 * HOUR;
  assert.equal(
    (await state(held, held.launches[0]!.pluginResultId!)).state,
    "Queued",
  );
  assert.deepEqual(held.queue().queued, []);

  t = T0;
  await using sim = await startSimulator({
    reports: 5,
    slots: 1,
    queuedMs: 0,
    pluginRunMs: { igv: 1000 },
    runSpread: 0,
    now: () => t,
  });
  for (let i = 0; i < 3; i++) await launch(sim, 1, { plugin: "igv" });
  const [a, b, c] = sim.launches.map((l) => l.pluginResultId!);
  t += 500;
  assert.deepEqual(sim.queue().running, [a]);
  assert.deepEqual(sim.reboot(), [a]);
  assert.deepEqual(sim.queue().running, [b]); // the slot is free, b starts
  t += 100 * HOUR - 500;
  assert.equal((await state(sim, a!)).state, "Started");
  assert.equal((await state(sim, b!)).state, "Completed");
  // Upgrade: queued jobs become Error (job id -1) but SGE still runs them.
  for (let i = 0; i < 2; i++) await launch(sim, 1, { plugin: "igv" });
  const [d, e] = sim.launches.slice(3).map((l) => l.pluginResultId!);
  assert.deepEqual(sim.queue().running, [d]);
  const changed = sim.upgrade();
  assert.ok(changed.includes(e!));
  assert.ok(changed.includes(a!)); // Started over 25 h ago
  const pe = await state(sim, e!);
  assert.equal(pe.state, "Error");
  assert.equal(pe.plugin_result_jobs[0].grid_engine_jobid, -1);
  assert.equal((await state(sim, a!)).state, "Error");
  t += 1000;
  assert.deepEqual(sim.queue().running, [e]); // holds the slot
  assert.equal((await state(sim, e!)).state, "Error");
  void c;
});

Deno.test("schedulerIntervalMs: jobs start only when the scheduler runs; wsgiMaxRequests recycles processes", async () => {
  let t = T0 + 1;
  await using sim = await startSimulator({
    reports: 5,
    queuedMs: 100,
    schedulerIntervalMs: 4000,
    now: () => t,
  });
  await launch(sim, 1, { plugin: "igv" });
  const id = sim.launches[0]!.pluginResultId!;
  t += 3998;
  assert.equal((await state(sim, id)).state, "Queued");
  t += 1;
  const started = await state(sim, id);
  assert.equal(started.state, "Started");
  assert.equal((sim.pluginResults() as Json[])[0]!.startedAt, T0 + 4000);

  await using w = await startSimulator({
    reports: 5,
    wsgiMaxRequests: 2,
    wsgiProcesses: 1,
    wsgiStartupMs: 300,
  });
  const took = [];
  for (let i = 0; i < 4; i++) {
    const t0 = performance.now();
    await call(w, `${API}plugin/?limit=1`);
    took.push(performance.now() - t0);
  }
  assert.ok(took[2]! >= 290, `${took}`);
  assert.ok(took[3]! < 290, `${took}`);
});

Deno.test("profile realistic: REALISTIC under the given options, scaled by timeScale", async () => {
  assert.equal(REALISTIC.slots, 2);
  assert.equal(REALISTIC.schedulerIntervalMs, 4000);
  let t = T0;
  await using sim = await startSimulator({
    profile: "realistic",
    reports: 60,
    timeScale: 0.001,
    wsgiMaxRequests: 0,
    now: () => t,
  });
  assert.ok(sim.users.some((u) => u.username === "ionpipeline"));
  // The ':' bug is on.
  const api = await call(sim, `${API}plugin/`, {}, {
    Authorization: `Basic ${btoa("ionadmin:a:b")}`,
  });
  assert.equal(api.status, 500);
  // 200 scaled hours: production keeps about half of the 2 slots busy.
  const hours = 200;
  t += hours * HOUR * 0.001;
  const runs = sim.productionRuns();
  let busy = 0;
  for (const r of runs) {
    if (r.startedAt !== null) busy += (r.endedAt ?? t) - r.startedAt;
  }
  const share = busy / (2 * hours * HOUR * 0.001);
  assert.ok(
    share > 0.25 && share < 0.8,
    `production uses ${share} of the slots`,
  );
  await assert.rejects(
    () => startSimulator({ profile: "nope" as "realistic" }),
    RangeError,
  );
});
