import assert from "node:assert/strict";
import { pairStatuses, stopRuns } from "../../lib/status.ts";
import { clientFor, simulator } from "../_helpers.ts";

Deno.test("pairStatuses() gives the newest run of each pair, never-run pairs included", async () => {
  await using sim = await simulator();
  using client = await clientFor(sim);
  const [a, b] = sim.reportIds().filter((id) =>
    sim.pluginResults({ report: id, plugin: "igv" }).length === 0
  );
  sim.addPluginResult(a!, "igv", "Error");
  const newest = sim.addPluginResult(a!, "igv", "Completed");
  sim.clearLog();
  const statuses = await pairStatuses(client, {
    reports: [b!, a!],
    plugins: ["igv"],
  });
  assert.deepEqual(
    statuses.map((s) => [s.report, s.state, s.stateClass, s.id]),
    [[a, "Completed", "completed", newest], [b, null, "missing", null]].sort((
      x,
      y,
    ) => (x[0] as number) - (y[0] as number)),
  );
  assert.equal(sim.requests.length, 1);
});

Deno.test("stopRuns() stops running runs and never touches finished ones", async () => {
  await using sim = await simulator();
  using client = await clientFor(sim);
  const report = sim.reportIds()[0]!;
  const running = sim.addPluginResult(report, "igv", "Started");
  const done = sim.addPluginResult(report, "igv", "Completed");
  const result = await stopRuns(client, [running, done, 999_999]);
  assert.deepEqual(result, {
    stopped: [running],
    finished: [{ id: done, state: "Completed" }],
    missing: [999_999],
  });
  const stops = sim.requests.filter((r) => r.path.includes("/stop/"));
  assert.deepEqual(stops.map((r) => r.path), [
    `/rundb/api/v1/pluginresult/${running}/stop/`,
  ]);
  const states = sim.pluginResults({ report, plugin: "igv" }) as {
    id: number;
    state: string;
  }[];
  assert.equal(states.find((r) => r.id === done)!.state, "Completed");
  assert.equal(states.find((r) => r.id === running)!.state, "Cancelled");
});
