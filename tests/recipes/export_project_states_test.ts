// recipes/export_project_states.ts: one CSV row per (report, plugin) of the
// project's reports, every plugin, never-run reports included.

import assert from "node:assert/strict";
import { listReports } from "../../mod.ts";
import { clientFor, envFor, runRecipe, simulator } from "../_helpers.ts";

Deno.test("export_project_states.ts writes the newest run of every plugin on the project's reports", async () => {
  await using sim = await simulator({ reports: 100 });
  using client = await clientFor(sim);
  const project = "Tumor_Hotspots";
  const ids: number[] = [];
  for await (const r of listReports(client, { project })) ids.push(r.id);
  assert.ok(ids.length > 3);
  // Two runs of one plugin on one report: only the newest is a row.
  sim.addPluginResult(ids[0]!, "sampleID", "Error");
  const newest = sim.addPluginResult(ids[0]!, "sampleID", "Completed");
  sim.clearLog();

  const r = await runRecipe("export_project_states.ts", [project], {
    env: envFor(sim),
  });
  assert.equal(r.code, 0, r.stderr);
  const [header, ...lines] = r.stdout.trim().split("\n");
  assert.equal(header, "report,report_name,plugin,state,run,started,ended,url");
  const rows = lines.map((l) => l.split(","));
  assert.deepEqual(
    [...new Set(rows.map((c) => Number(c[0])))].sort((a, b) => a - b),
    [...ids].sort((a, b) => a - b),
  );
  const mine = rows.filter((c) =>
    Number(c[0]) === ids[0] && c[2] === "sampleID"
  );
  assert.equal(mine.length, 1);
  assert.equal(mine[0]![3], "Completed");
  assert.equal(Number(mine[0]![4]), newest);
  // Every plugin that ran on the project's reports, from the server's view.
  const expected = new Set<string>();
  for (const id of ids) {
    for (
      const pr of sim.pluginResults({ report: id }) as { pluginName: string }[]
    ) {
      expected.add(`${id} ${pr.pluginName}`);
    }
  }
  const got = new Set(
    rows.filter((c) => c[2] !== "").map((c) => `${c[0]} ${c[2]}`),
  );
  assert.deepEqual(got, expected);
  assert.equal(sim.launches.length, 0);
  assert.ok(sim.requests.length <= 8, `${sim.requests.length} requests`);
});

Deno.test("export_project_states.ts without a project is a usage error, exit 2", async () => {
  const r = await runRecipe("export_project_states.ts", [], {});
  assert.equal(r.code, 2);
  assert.match(r.stderr, /^usage: export_project_states\.ts PROJECT/);
});
