// Tests of the state file: a simulator stopped and started again on the
// same file (and port) goes on with the same data, runs and queue.

import assert from "node:assert/strict";
import { startSimulator } from "../../simulator/mod.ts";
import { API, call, type Json, launch } from "./_helpers.ts";

Deno.test("state file: a restart on the same port keeps plugins, reports, runs and the queue", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sim-state-" });
  const stateFile = `${dir}/state.json`;
  let t = Date.UTC(2024, 4, 1);
  const options = {
    reports: 30,
    slots: 1,
    queuedMs: 0,
    pluginRunMs: { igv: 10_000 },
    runSpread: 0,
    stateFile,
    now: () => t,
  };
  const first = await startSimulator(options);
  for (const report of [1, 2, 3]) {
    await launch(first, report, { plugin: "igv" });
  }
  const [a, b, c] = first.launches.map((l) => l.pluginResultId!) as [
    number,
    number,
    number,
  ];
  first.setPlugin("igv", { config: { zoom: 2 } });
  t += 4000;
  await call(first, `${API}pluginresult/${b}/stop/`);
  const before = {
    queue: first.queue(),
    runs: first.pluginResults(),
    reports: first.reportIds(),
    plugins: first.plugins(),
  };
  assert.deepEqual(before.queue, { slots: 1, running: [a], queued: [c] });
  await first.close();
  const names = [];
  for await (const e of Deno.readDir(dir)) names.push(e.name);
  assert.deepEqual(names, ["state.json"], "no temporary file left");
  // Another seed and size: the file wins.
  const again = await startSimulator({
    ...options,
    reports: 5,
    seed: 9,
    port: first.port,
  });
  assert.equal(again.url, first.url);
  assert.deepEqual(again.queue(), before.queue);
  assert.deepEqual(again.pluginResults(), before.runs);
  assert.deepEqual(again.reportIds(), before.reports);
  assert.deepEqual(again.plugins(), before.plugins);
  t += 6000; // a ends, c takes the slot, as if nothing had happened
  assert.deepEqual(again.queue(), { slots: 1, running: [c], queued: [] });
  await launch(again, 4, { plugin: "igv" });
  assert.equal(again.launches[0]!.pluginResultId, c + 1, "ids go on");
  const job = (await call(again, `${API}pluginresult/${c + 1}/`)).json()
    .plugin_result_jobs[0] as Json;
  assert.deepEqual(job.config, { zoom: 2 });
  await again.close();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("state file: written soon after a change, atomically; a foreign file is refused", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sim-state-" });
  const stateFile = `${dir}/state.json`;
  await using sim = await startSimulator({ reports: 5, stateFile });
  await launch(sim, 1, { plugin: "igv" });
  let saved: Json | null = null;
  for (let i = 0; i < 50 && !saved; i++) {
    await new Promise((r) => setTimeout(r, 20));
    try {
      saved = JSON.parse(await Deno.readTextFile(stateFile));
    } catch { /* not written yet */ }
  }
  assert.ok(saved, "written within a second, before close()");
  assert.equal(saved.prs.at(-1).id, sim.launches[0]!.pluginResultId);
  await Deno.writeTextFile(`${dir}/other.json`, '{"hello": 1}');
  await assert.rejects(
    startSimulator({ stateFile: `${dir}/other.json` }),
    /not a simulator state file/,
  );
  await sim.close();
  await Deno.remove(dir, { recursive: true });
});
