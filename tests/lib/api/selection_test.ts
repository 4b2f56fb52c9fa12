import assert from "node:assert/strict";
import { clientFor, freshReports, simulator } from "../../_helpers.ts";
import { choose, chooseRuns, type RunChoice } from "../../../lib/api/mod.ts";
import type { PluginResult } from "../../../lib/types.ts";

const run = (id: number, state: string): PluginResult => ({
  id,
  state,
  resource_uri: `/rundb/api/v1/pluginresult/${id}/`,
  result: "/rundb/api/v1/results/7/",
  plugin: "/rundb/api/v1/plugin/3/",
  pluginName: "coverageAnalysis",
  pluginVersion: "5.12.0.2",
  starttime: null,
  endtime: null,
  resultName: "R_7",
});

Deno.test("choose() takes the newest Completed run and keeps the newer reruns it passed over", () => {
  const runs = [
    run(9, "Started"),
    run(8, "Error"),
    run(5, "Completed"),
    run(2, "Completed"),
  ];
  const c = choose(7, "coverageAnalysis", runs, "completed");
  assert.equal(c.run?.id, 5);
  assert.deepEqual(c.newer.map((r) => r.id), [9, 8]);
  assert.equal(c.reason, null);
  assert.equal(c.reportName, "R_7");
  assert.equal(choose(7, "x", runs, "newest").run?.id, 8, "newest finished");
  assert.equal(choose(7, "x", runs, 2).run?.id, 2);
  assert.equal(choose(7, "x", runs, 3).reason, "not-found");
  assert.equal(choose(7, "x", [], "completed").reason, "no-run");
  assert.equal(
    choose(7, "x", [run(3, "Queued")], "completed").reason,
    "running",
  );
  assert.equal(
    choose(7, "x", [run(3, "Error"), run(2, "Cancelled")], "completed").reason,
    "only-failed",
  );
});

Deno.test("chooseRuns() reads 450 reports × 2 plugins in a few batched look-ups, pairs in input order", async () => {
  await using sim = await simulator({ reports: 1500 });
  using client = await clientFor(sim);
  const reports = freshReports(sim, "sampleID", 450).reverse();
  const ids = new Map<number, number>();
  for (const report of reports) {
    ids.set(
      report,
      sim.addRun({ report, plugin: "sampleID", state: "Completed" }),
    );
  }
  sim.clearLog();
  const choices: RunChoice[] = [];
  for await (
    const c of chooseRuns(client, reports, ["sampleID", "coverageAnalysis"])
  ) choices.push(c);
  assert.deepEqual(
    choices.map((c) => `${c.report}/${c.plugin}`),
    reports.flatMap((r) => [`${r}/sampleID`, `${r}/coverageAnalysis`]),
  );
  for (const c of choices.filter((c) => c.plugin === "sampleID")) {
    assert.equal(c.run?.id, ids.get(c.report));
  }
  const gets = sim.requests.filter((r) => r.path.includes("pluginresult/"));
  assert.ok(gets.length <= 6, `${gets.length} look-ups for 450 reports`);
  assert.ok(gets.every((r) => r.method === "GET"));
});
