// Tests of the simulator's plugin queue: slots, first come first served,
// run times, stops and stuck runs, on an injected clock, over real HTTP.

import assert from "node:assert/strict";
import {
  DEFAULT_USERS,
  type Simulator,
  startSimulator,
} from "../../simulator/mod.ts";
import { formatDatetime } from "../../simulator/tastypie.ts";
import { API, call, type Json, launch } from "./_helpers.ts";

const T0 = Date.UTC(2024, 4, 1);
const iso = (ms: number) => formatDatetime(ms);

async function run(sim: Simulator, id: number): Promise<Json> {
  return (await call(sim, `${API}pluginresult/${id}/`)).json();
}

async function launchAll(sim: Simulator, plugins: string[], report = 1) {
  for (const plugin of plugins) {
    const r = await launch(sim, report, { plugin, pluginconfig: { x: 1 } });
    assert.equal(r.status, 202);
  }
  return sim.launches.map((l) => l.pluginResultId!);
}

Deno.test("queue: runs wait Queued for one of the slots, first come first served", async () => {
  let t = T0;
  await using sim = await startSimulator({
    reports: 10,
    queuedMs: 100,
    pluginRunMs: { igv: 1000, sampleID: 2000 },
    runSpread: 0,
    now: () => t,
  });
  const [a, b] = await launchAll(sim, ["igv", "sampleID"]);
  // c is launched by the other user: one queue for everyone.
  const other = DEFAULT_USERS[1]!;
  await call(sim, `${API}results/2/plugin/`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: '{"plugin": "igv"}',
  }, { Authorization: `ApiKey ${other.username}:${other.apiKey}` });
  const c = sim.launches[2]!.pluginResultId!;
  assert.deepEqual(sim.queue(), { slots: 2, running: [], queued: [a, b, c] });
  const queued = await run(sim, a!);
  assert.deepEqual([queued.state, queued.starttime], ["Queued", null]);
  assert.equal(queued.plugin_result_jobs[0].starttime, null);
  t += 100;
  assert.deepEqual(sim.queue(), { slots: 2, running: [a, b], queued: [c] });
  assert.deepEqual(
    [(await run(sim, a!)).state, (await run(sim, c!)).state],
    ["Started", "Queued"],
  );
  assert.equal((await run(sim, a!)).starttime, iso(T0 + 100));
  t += 1000; // a ends and c takes its slot at that instant
  assert.deepEqual(sim.queue().running, [b, c]);
  const done = await run(sim, a!);
  assert.deepEqual([done.state, done.endtime], ["Completed", iso(T0 + 1100)]);
  assert.equal((await run(sim, c!)).starttime, iso(T0 + 1100));
  t += 5000;
  assert.deepEqual(sim.queue(), { slots: 2, running: [], queued: [] });
  const [pc] = sim.pluginResults({ report: 2, plugin: "igv" }) as Json[];
  assert.deepEqual([pc!.id, pc!.startedAt, pc!.endedAt], [
    c,
    T0 + 1100,
    T0 + 2100,
  ]);
  assert.deepEqual(sim.launches.map((l) => l.created), [T0, T0, T0]);
});

Deno.test("queue: unlimited slots start every run after queuedMs; seeded runs take none", async () => {
  for (const slots of [0, Infinity]) {
    let t = T0;
    await using sim = await startSimulator({
      reports: 10,
      slots,
      queuedMs: 50,
      now: () => t,
    });
    const ids = await launchAll(sim, ["igv", "igv", "igv", "sampleID"]);
    t += 50;
    assert.deepEqual(sim.queue(), {
      slots: Infinity,
      running: ids,
      queued: [],
    });
  }
  let t = T0;
  await using one = await startSimulator({
    reports: 40,
    slots: 1,
    now: () => t,
  });
  // The seed has runs in Started and Queued (the newest reports): fixed
  // states, outside the queue.
  const seeded = (one.pluginResults() as Json[]).filter((p) =>
    p.state === "Started"
  );
  assert.ok(seeded.length > 0);
  one.addPluginResult(2, "igv", "Started");
  const [id] = await launchAll(one, ["igv"]);
  t += 300;
  assert.deepEqual(one.queue(), { slots: 1, running: [id], queued: [] });
});

Deno.test("queue: run times follow the plugin, spread ±20% by the seed", async () => {
  const durations = async (seed: number) => {
    let t = T0;
    await using sim = await startSimulator({
      reports: 10,
      slots: 0,
      queuedMs: 0,
      runMs: 1000,
      seed,
      now: () => t,
    });
    const names = ["igv", "variantCaller", "sampleID", "FieldSupport"];
    for (const name of names) sim.setPlugin(name, { selected: true });
    await launchAll(sim, [...names, ...names]);
    t += 100_000;
    const mine = new Set(sim.launches.map((l) => l.pluginResultId));
    const prs = (sim.pluginResults() as Json[]).filter((p) => mine.has(p.id));
    return prs.reverse().map((p) => ({
      name: p.pluginName as string,
      ms: (p.endedAt as number) - (p.startedAt as number),
    }));
  };
  const runs = await durations(3);
  const base: Record<string, number> = {
    igv: 200,
    variantCaller: 4000,
    sampleID: 500,
    FieldSupport: 1000,
  };
  for (const { name, ms } of runs) {
    assert.ok(
      ms >= base[name]! * 0.8 && ms <= base[name]! * 1.2,
      `${name} ${ms}`,
    );
  }
  assert.notEqual(runs[0]!.ms, runs[4]!.ms, "spread per run");
  assert.deepEqual(await durations(3), runs, "the same for a seed");
});

Deno.test("queue: a stopped run frees its slot at the stop; a queued one never starts", async () => {
  let t = T0;
  await using sim = await startSimulator({
    reports: 10,
    slots: 1,
    queuedMs: 0,
    pluginRunMs: { igv: 10_000 },
    runSpread: 0,
    now: () => t,
  });
  const [a, b, c] = await launchAll(sim, ["igv", "igv", "igv"]);
  t += 3000;
  assert.deepEqual(sim.queue().running, [a]);
  assert.equal((await call(sim, `${API}pluginresult/${c}/stop/`)).status, 204);
  const never = await run(sim, c!);
  assert.deepEqual([never.state, never.starttime, never.endtime], [
    "Cancelled",
    null,
    iso(T0 + 3000),
  ]);
  assert.equal((await call(sim, `${API}pluginresult/${a}/stop/`)).status, 204);
  const stopped = await run(sim, a!);
  assert.deepEqual([stopped.state, stopped.endtime], [
    "Cancelled",
    iso(T0 + 3000),
  ]);
  assert.deepEqual(sim.queue(), { slots: 1, running: [b], queued: [] });
  assert.equal((await run(sim, b!)).starttime, iso(T0 + 3000));
});

Deno.test("queue: stuck runs stay Started for ever and hold no slot; failureRate ends runs in Error", async () => {
  let t = T0;
  await using sim = await startSimulator({
    reports: 10,
    slots: 1,
    queuedMs: 0,
    stuckRate: 1,
    now: () => t,
  });
  const [a, b] = await launchAll(sim, ["igv", "igv"]);
  t += 1;
  assert.deepEqual(sim.queue(), { slots: 1, running: [], queued: [] });
  t += 30 * 86_400_000;
  for (const id of [a, b]) {
    const r = await run(sim, id!);
    assert.deepEqual([r.state, r.endtime, r.can_terminate], [
      "Started",
      null,
      true,
    ]);
  }
  await using failing = await startSimulator({
    reports: 5,
    failureRate: 1,
    queuedMs: 0,
    runMs: 0,
  });
  const [f] = await launchAll(failing, ["igv"]);
  await new Promise((r) => setTimeout(r, 5));
  assert.equal((await run(failing, f!)).state, "Error");
});
