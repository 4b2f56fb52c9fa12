// recipes/download_vcfs.ts: every variantCaller VCF into a folder, and the
// list of them for bcftools; again: nothing fetched twice.

import assert from "node:assert/strict";
import { envFor, freshReports, runRecipe, simulator } from "../_helpers.ts";
import { sha256File } from "../../lib/downloads/mod.ts";

Deno.test("download_vcfs.ts fetches every VCF once, lists them for bcftools, and refuses to start without the password", async () => {
  await using sim = await simulator({ reports: 40 });
  const reports = freshReports(sim, "variantCaller", 3);
  const runs = reports.map((report) =>
    sim.addRun({ report, plugin: "variantCaller", state: "Completed" })
  );
  const user = sim.users[0]!;
  const env = { ...envFor(sim), TS_PASSWORD: user.password };
  const cwd = await Deno.makeTempDir({ prefix: "ionrun-recipe-" });
  try {
    await Deno.writeTextFile(
      `${cwd}/reports.csv`,
      `report\n${reports.join("\n")}\n`,
    );
    const r = await runRecipe("download_vcfs.ts", ["reports.csv", "vcfs"], {
      env,
      cwd,
    });
    assert.equal(r.code, 0, r.stderr);
    const listed = r.stdout.trim().split("\n");
    const expected = runs.flatMap((run) =>
      sim.filesOf(run).filter((f) => /TSVC_variants_.*\.vcf\.gz$/.test(f.path))
    );
    assert.equal(listed.length, expected.length);
    for (const path of listed) {
      const sha = await sha256File(`${cwd}/${path}`);
      assert.ok(expected.some((f) => f.sha256 === sha), path);
    }
    sim.clearLog();
    const again = await runRecipe("download_vcfs.ts", ["reports.csv", "vcfs"], {
      env,
      cwd,
    });
    assert.equal(again.code, 0, again.stderr);
    assert.match(
      again.stderr,
      new RegExp(`0 downloaded, ${expected.length} already there`),
    );
    const refused = await runRecipe("download_vcfs.ts", [
      "reports.csv",
      "other",
    ], { env: envFor(sim), cwd });
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /TS_PASSWORD/);
  } finally {
    await Deno.remove(cwd, { recursive: true });
  }
});
