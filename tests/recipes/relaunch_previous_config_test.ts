// recipes/relaunch_previous_config.ts: each pair launched again with its
// newest run's config, completed ones too; a running pair left alone.

import assert from "node:assert/strict";
import { launchPlugin } from "../../lib/api/mod.ts";
import { waitForRuns } from "../../mod.ts";
import {
  clientFor,
  envFor,
  freshReports,
  runRecipe,
  simulator,
} from "../_helpers.ts";

Deno.test("relaunch_previous_config.ts sends each pair's previous config, skips the running one", async () => {
  await using sim = await simulator({ reports: 60 });
  using client = await clientFor(sim);
  const [done, never, busy] = freshReports(sim, "coverageAnalysis", 3);
  const config = { minimum_coverage: 37, barcode: "IonXpress_007" };
  const { run } = await launchPlugin(client, {
    report: done!,
    plugin: "coverageAnalysis",
  }, { config });
  const waited = await waitForRuns(client, [run!.id], { pollMs: 50 });
  assert.equal(waited.runs.get(run!.id)?.state, "Completed");
  sim.addPluginResult(busy!, "coverageAnalysis", "Started");
  sim.clearLog();

  const r = await runRecipe(
    "relaunch_previous_config.ts",
    ["coverageAnalysis", String(done), String(never), String(busy)],
    { env: envFor(sim) },
  );
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(
    sim.launches.map((l) => l.report).sort((a, b) => a - b),
    [done!, never!].sort((a, b) => a - b),
  );
  const again = sim.launches.find((l) => l.report === done)!;
  assert.deepEqual(again.config, config);
  const first = sim.launches.find((l) => l.report === never)!;
  assert.ok(
    first.config === null ||
      Object.keys(first.config as object).length === 0,
    "never run: the server's own config",
  );
  assert.match(
    r.stderr,
    new RegExp(`report ${busy}: run \\d+ is Started, left alone`),
  );
  assert.doesNotMatch(r.stdout + r.stderr, /IonXpress_007|37/);
});

Deno.test("relaunch_previous_config.ts: no reports, or a report that is not a number, exit 2", async () => {
  for (const args of [["coverageAnalysis"], ["coverageAnalysis", "12x"]]) {
    const r = await runRecipe("relaunch_previous_config.ts", args, {});
    assert.equal(r.code, 2, args.join(" "));
    assert.match(
      r.stderr,
      /^usage: relaunch_previous_config\.ts PLUGIN REPORT/,
    );
  }
});
