// recipes/wait_and_tail.ts: follows a run to its end; a failed run's log
// tail (behind the web login: a password), a completed run's state alone.

import assert from "node:assert/strict";
import { launchPlugin } from "../../lib/api/mod.ts";
import {
  clientFor,
  envFor,
  freshReports,
  runRecipe,
  simulator,
} from "../_helpers.ts";

function passwordEnv(sim: { url: string }) {
  return { TS_URL: sim.url, TS_USER: "ionadmin", TS_PASSWORD: "ionadmin" };
}

Deno.test("wait_and_tail.ts waits for a failing run and prints its log tail, exit 1", async () => {
  await using sim = await simulator({ reports: 20, failureRate: 1 });
  using client = await clientFor(sim);
  const [report] = freshReports(sim, "coverageAnalysis", 1);
  const { run } = await launchPlugin(client, {
    report: report!,
    plugin: "coverageAnalysis",
  });
  const r = await runRecipe("wait_and_tail.ts", [String(run!.id)], {
    env: passwordEnv(sim),
  });
  assert.equal(r.code, 1, r.stderr);
  assert.match(
    r.stdout,
    new RegExp(
      `^run ${
        run!.id
      } \\(coverageAnalysis on .+\\): Error\\noutput: ${sim.url}/output/Home/.+/plugin_out/coverageAnalysis_out\\.${
        run!.id
      }/\\n`,
    ),
  );
  // The log's own lines, the simulator's progress messages among them.
  assert.match(r.stdout, /coverage|Computing|plugin/i);
  assert.ok(r.stdout.trim().split("\n").length > 3, r.stdout);
  assert.doesNotMatch(r.stdout + r.stderr, /ionadmin:ionadmin|TS_PASSWORD=/);
});

Deno.test("wait_and_tail.ts: a completed run is one line, exit 0; only an API key: the log needs a password", async () => {
  await using sim = await simulator({ reports: 20 });
  using client = await clientFor(sim);
  const [a] = freshReports(sim, "igv", 1);
  const { run } = await launchPlugin(client, { report: a!, plugin: "igv" });
  const ok = await runRecipe("wait_and_tail.ts", [String(run!.id)], {
    env: envFor(sim),
  });
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(
    ok.stdout,
    new RegExp(
      `^run ${run!.id} \\(igv on .+\\): Completed\\noutput: http.+/igv_out\\.${
        run!.id
      }/\\n$`,
    ),
  );

  const failed = sim.addPluginResult(a!, "igv", "Error");
  const key = await runRecipe("wait_and_tail.ts", [String(failed)], {
    env: envFor(sim),
  });
  assert.equal(key.code, 1);
  assert.match(key.stdout, /run logs need TS_PASSWORD/);
  const missing = await runRecipe("wait_and_tail.ts", ["999999"], {
    env: envFor(sim),
  });
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /^error: run 999999 does not exist/);
});
