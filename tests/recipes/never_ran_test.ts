// recipes/never_ran.ts against the simulator, in the checkout and copied
// alone into another folder (run with the checkout's deno.json).

import assert from "node:assert/strict";
import { envFor, runRecipe, simulator } from "../_helpers.ts";

Deno.test("never_ran.ts lists exactly the reports without a run of the plugin, launches nothing", async () => {
  await using sim = await simulator({ reports: 60 });
  sim.addPluginResult(sim.reportIds()[0]!, "igv", "Error");
  const ran = new Set(
    (sim.pluginResults({ plugin: "igv" }) as { result: string }[]).map((r) =>
      Number(/\/results\/(\d+)\//.exec(r.result)![1])
    ),
  );
  const expected = sim.reportIds().filter((id) => !ran.has(id));
  assert.ok(expected.length > 0 && ran.size > 0, "both kinds present");
  sim.clearLog();
  const r = await runRecipe("never_ran.ts", ["igv"], { env: envFor(sim) });
  assert.equal(r.code, 0, r.stderr);
  const [header, ...ids] = r.stdout.trim().split("\n");
  assert.equal(header, "report");
  assert.deepEqual(ids.map(Number).sort((a, b) => a - b), expected);
  assert.equal(sim.launches.length, 0);
  // Batched: a few requests, not one per report.
  assert.ok(sim.requests.length <= 6, `${sim.requests.length} requests`);

  // A date in the future: no report is that new.
  const later = await runRecipe("never_ran.ts", ["igv", "2999-01-01"], {
    env: envFor(sim),
  });
  assert.equal(later.code, 0, later.stderr);
  assert.equal(later.stdout.trim(), "report");
});

Deno.test("never_ran.ts copied alone into another folder: with --config, or one import in its own deno.json", async () => {
  await using sim = await simulator({ reports: 30 });
  const inRepo = await runRecipe("never_ran.ts", ["coverageAnalysis"], {
    env: envFor(sim),
  });
  assert.match(inRepo.stdout, /^report\n\d+/);
  for (const copied of ["flag", "deno.json"] as const) {
    const r = await runRecipe("never_ran.ts", ["coverageAnalysis"], {
      env: envFor(sim),
      copied,
    });
    assert.equal(r.code, 0, `${copied}: ${r.stderr}`);
    assert.equal(r.stdout, inRepo.stdout, copied);
  }
});

Deno.test("never_ran.ts: usage errors exit 2 with one line; a server error is one line, exit 1", async () => {
  await using sim = await simulator({ reports: 5 });
  const none = await runRecipe("never_ran.ts", [], { env: envFor(sim) });
  assert.equal(none.code, 2);
  assert.match(none.stderr, /^usage: never_ran\.ts PLUGIN/);
  const bad = await runRecipe("never_ran.ts", ["igv", "last tuesday"], {
    env: envFor(sim),
  });
  assert.equal(bad.code, 2);
  const wrong = await runRecipe("never_ran.ts", ["igv"], {
    env: { ...envFor(sim), TS_API_KEY: "not-the-key" },
  });
  assert.equal(wrong.code, 1);
  assert.match(wrong.stderr, /^error: .*(401|credentials|rejected)/i);
  assert.doesNotMatch(wrong.stderr, /not-the-key|\n {4}at /);
  assert.equal(wrong.stderr.trim().split("\n").length, 1);
});
