// recipes/rerun_failed_since.ts: reruns exactly the failed pairs, once,
// even when the same command is run again.

import assert from "node:assert/strict";
import { envFor, freshReports, runRecipe, simulator } from "../_helpers.ts";

Deno.test("rerun_failed_since.ts relaunches each failed pair once; again: nothing", async () => {
  await using sim = await simulator({ reports: 80 });
  const [a, b, c, d, e] = freshReports(sim, "igv", 5);
  for (const r of [a, b, c]) sim.addPluginResult(r!, "igv", "Error");
  sim.addPluginResult(d!, "igv", "Failed Validation");
  sim.addPluginResult(e!, "igv", "Completed");
  sim.clearLog();
  const cwd = await Deno.makeTempDir({ prefix: "ionrun-recipe-" });
  const r = await runRecipe("rerun_failed_since.ts", ["igv", "2000-01-01"], {
    env: envFor(sim),
    cwd,
  });
  assert.equal(r.code, 0, r.stderr);
  const launched = sim.launches.map((l) => l.report);
  assert.equal(new Set(launched).size, launched.length, "none twice");
  for (const mine of [a, b, c, d]) {
    assert.ok(launched.includes(mine!), `${mine}`);
  }
  assert.ok(!launched.includes(e!), "a completed pair is left alone");
  // Each launch was a pair whose newest run had failed: its run before this
  // one is in a failed state.
  for (const report of launched) {
    const runs = sim.pluginResults({ report, plugin: "igv" }) as {
      state: string;
    }[];
    assert.match(runs[1]!.state, /Error|Failed|Timed Out/, `${report}`);
  }
  assert.match(r.stdout, /^line,report,plugin,outcome/);
  assert.match(r.stderr, /"launched":\d+/);

  // The up-arrow: the same command again resumes the finished job.
  const again = await runRecipe(
    "rerun_failed_since.ts",
    ["igv", "2000-01-01"],
    {
      env: envFor(sim),
      cwd,
    },
  );
  assert.equal(again.code, 0, again.stderr);
  assert.equal(sim.launches.length, launched.length, "nothing launched again");
  await Deno.remove(cwd, { recursive: true });
});

Deno.test("rerun_failed_since.ts: runs launched before DATE are left alone", async () => {
  await using sim = await simulator({ reports: 40 });
  const [a] = freshReports(sim, "igv", 1);
  sim.addPluginResult(a!, "igv", "Error");
  sim.clearLog();
  const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
  const r = await runRecipe("rerun_failed_since.ts", ["igv", tomorrow], {
    env: envFor(sim),
  });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(sim.launches.length, 0);
  // Newest first, stopped at the first older run: one page, not the list.
  const lists = sim.requests.filter((q) => q.path.includes("pluginresult"));
  assert.equal(lists.length, 1);
});

Deno.test("rerun_failed_since.ts: a missing or bad date is a usage error, exit 2", async () => {
  await using sim = await simulator({ reports: 5 });
  for (const args of [["igv"], ["igv", "yesterday"], []]) {
    const r = await runRecipe("rerun_failed_since.ts", args, {
      env: envFor(sim),
    });
    assert.equal(r.code, 2, args.join(" "));
    assert.match(r.stderr, /^usage: rerun_failed_since\.ts PLUGIN DATE/);
  }
  assert.equal(sim.launches.length, 0);
});
