// recipes/launch_matching.ts: the plan first, launches only with --go, and
// only on the completed full reports whose name matches.

import assert from "node:assert/strict";
import { listReports, type Report } from "../../mod.ts";
import { clientFor, envFor, runRecipe, simulator } from "../_helpers.ts";

Deno.test("launch_matching.ts plans without launching, then --go launches each match once", async () => {
  await using sim = await simulator({ reports: 120, thumbnails: true });
  using client = await clientFor(sim);
  const all: Report[] = [];
  for await (const r of listReports(client)) all.push(r);
  const isThumb = (r: { metaData?: unknown }) =>
    JSON.stringify(r.metaData ?? {}).includes("thumb");
  const matches = (pattern: string) =>
    all.filter((r) =>
      r.status === "Completed" && !isThumb(r) &&
      r.resultsName.toLowerCase().includes(pattern.toLowerCase())
    ).map((r) => r.id).sort((a, b) => a - b);
  // A name prefix shared by a few completed reports (each run takes a slot).
  const name = all.find((r) => r.status === "Completed")!.resultsName;
  let pattern = name.slice(0, 2);
  for (let n = 2; n <= name.length && matches(pattern).length > 8; n++) {
    pattern = name.slice(0, n);
  }
  const expected = matches(pattern);
  assert.ok(expected.length >= 1, `${pattern}: ${expected.length}`);
  sim.clearLog();

  const cwd = await Deno.makeTempDir({ prefix: "ionrun-recipe-" });
  const plan = await runRecipe("launch_matching.ts", ["igv", pattern], {
    env: envFor(sim),
    cwd,
  });
  assert.equal(plan.code, 0, plan.stderr);
  assert.equal(sim.launches.length, 0, "a plan launches nothing");
  assert.match(
    plan.stderr,
    new RegExp(`${expected.length} report\\(s\\); add --go`),
  );
  assert.equal(plan.stdout.trim().split("\n").length, expected.length + 1);

  const go = await runRecipe("launch_matching.ts", ["igv", pattern, "--go"], {
    env: envFor(sim),
    cwd,
  });
  assert.equal(go.code, 0, go.stderr);
  const launched = sim.launches.map((l) => l.report).sort((a, b) => a - b);
  assert.equal(new Set(launched).size, launched.length, "none twice");
  // Every launch is a match; a match is skipped only by the guard (its
  // newest run running or completed), which the summary says.
  for (const r of launched) assert.ok(expected.includes(r), `${r}`);
  const rows = go.stdout.trim().split("\n").slice(1);
  assert.equal(rows.length, expected.length);
  assert.equal(
    rows.filter((l) => l.split(",")[3] === "launched").length,
    launched.length,
  );
  await Deno.remove(cwd, { recursive: true });
});

Deno.test("launch_matching.ts: anything but --go as the third argument is a usage error", async () => {
  await using sim = await simulator({ reports: 5 });
  const r = await runRecipe("launch_matching.ts", ["igv", "x", "--gogo"], {
    env: envFor(sim),
  });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /^usage: launch_matching\.ts PLUGIN PATTERN \[--go\]/);
  assert.equal(sim.launches.length, 0);
});
