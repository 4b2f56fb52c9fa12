// recipes/qc_pass_fail.ts: a pass/fail row per barcode from coverageAnalysis's
// newest Completed run, thresholds from the arguments.

import assert from "node:assert/strict";
import { parse } from "csv-parse/sync";
import { parseCell, storeParts } from "../../lib/results/mod.ts";
import { envFor, freshReports, runRecipe, simulator } from "../_helpers.ts";

Deno.test("qc_pass_fail.ts passes a barcode when depth and uniformity reach the thresholds, and says why not", async () => {
  await using sim = await simulator({ reports: 40 });
  const reports = freshReports(sim, "coverageAnalysis", 4);
  const runs = reports.slice(0, 3).map((report) =>
    sim.addRun({ report, plugin: "coverageAnalysis", state: "Completed" })
  );
  const cwd = await Deno.makeTempDir({ prefix: "ionrun-recipe-" });
  try {
    await Deno.writeTextFile(
      `${cwd}/reports.csv`,
      `report\n${reports.join("\n")}\n`,
    );
    const r = await runRecipe("qc_pass_fail.ts", ["reports.csv", "500", "90"], {
      env: envFor(sim),
      cwd,
    });
    assert.equal(r.code, 0, r.stderr);
    const rows = parse(r.stdout, { columns: true }) as Record<string, string>[];
    for (const [i, run] of runs.entries()) {
      for (const part of storeParts(sim.storeOf(run))) {
        const row = rows.find((x) =>
          Number(x.report) === reports[i] && x.barcode === part.barcode
        )!;
        assert.ok(row, `${reports[i]} ${part.barcode}`);
        const depth = parseCell(
          part.data["Average base coverage depth"] ??
            part.data["Average base coverage depth per target"] ??
            part.data["Average reads per amplicon"],
        );
        const uniformity = parseCell(
          part.data["Uniformity of base coverage"] ??
            part.data["Uniformity of amplicon coverage"] ??
            part.data["Uniformity of base coverage per target"],
        );
        const pass = typeof depth === "number" &&
          typeof uniformity === "number" &&
          depth >= 500 && uniformity >= 90;
        assert.equal(row.qc, pass ? "pass" : "fail", JSON.stringify(row));
      }
    }
    const none = rows.find((x) => Number(x.report) === reports[3])!;
    assert.equal(none.qc, "fail");
    assert.equal(none.why, "no run");
    const usage = await runRecipe("qc_pass_fail.ts", [], {});
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /^usage: qc_pass_fail\.ts/);
  } finally {
    await Deno.remove(cwd, { recursive: true });
  }
});
