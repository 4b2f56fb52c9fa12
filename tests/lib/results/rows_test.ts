import assert from "node:assert/strict";
import { clientFor, freshReports, simulator } from "../../_helpers.ts";
import {
  parseCell,
  resolveColumns,
  type ResultRow,
  resultRows,
  storeParts,
} from "../../../lib/results/mod.ts";

const PLUGINS = ["coverageAnalysis", "variantCaller"];

Deno.test("resultRows() over 200 reports: every (report, barcode) row equals the simulator's stores, parsed; a failed rerun shows the good results and a note", async () => {
  await using sim = await simulator({ reports: 400, barcodeErrorRate: 0.05 });
  using client = await clientFor(sim);
  // Ten reports on which variantCaller only ever failed; the others get a
  // good run of both plugins (newer than whatever the simulator seeded).
  const onlyFailed = new Set(freshReports(sim, "variantCaller", 10));
  const reports = [
    ...onlyFailed,
    ...sim.reportIds().filter((r) => !onlyFailed.has(r)).slice(0, 190),
  ];
  const good = new Map<string, number>();
  const rerunFailed = new Set<number>();
  reports.forEach((report, i) => {
    for (const plugin of PLUGINS) {
      if (plugin === "variantCaller" && onlyFailed.has(report)) {
        sim.addRun({ report, plugin, state: "Error" });
        continue;
      }
      good.set(
        `${report}/${plugin}`,
        sim.addRun({ report, plugin, state: "Completed" }),
      );
      if (plugin === "coverageAnalysis" && i % 10 === 3) {
        sim.addRun({ report, plugin, state: "Error" });
        rerunFailed.add(report);
      }
    }
  });
  const barcoded = reports.filter((r) => sim.barcodesOf(r).length > 0);
  assert.ok(barcoded.length > 20 && barcoded.length < 200, "both kinds");
  const columns = resolveColumns(PLUGINS, [
    "mapped_reads",
    "on_target",
    "mean_depth",
    "uniformity",
    "variants",
    "het_snps",
    "hotspots",
  ]);
  sim.clearLog();
  const rows: ResultRow[] = [];
  for await (
    const { row } of resultRows(client, reports, { plugins: PLUGINS, columns })
  ) rows.push(row);
  const lookUps = sim.requests.filter((r) => r.path.includes("pluginresult"));
  assert.ok(
    lookUps.length <= 2 * 2 * 2,
    `≤ 2 requests per 100 reports per plugin: ${lookUps.length}`,
  );

  const byReport = Map.groupBy(rows, (r) => r.report as number);
  assert.equal(byReport.size, 200, "every report has rows");
  let checked = 0;
  for (const report of reports) {
    const mine = byReport.get(report)!;
    const covRun = good.get(`${report}/coverageAnalysis`)!;
    const covParts = storeParts(sim.storeOf(covRun));
    const expectedBarcodes = covParts.map((p) => p.barcode || null);
    assert.deepEqual(mine.map((r) => r.barcode), expectedBarcodes, `${report}`);
    for (const row of mine) {
      assert.equal(row["coverageAnalysis.run"], covRun, "the good run is read");
      const part = covParts.find((p) => (p.barcode || null) === row.barcode)!;
      const want = (key: string) => parseCell(part.data[key]);
      assert.equal(row.mapped_reads, want("Number of mapped reads"));
      assert.equal(row.on_target_pct, want("Percent reads on target"));
      assert.equal(row.sample, part.data["Sample Name"] ?? null);
      if (typeof part.data.Error === "string") {
        assert.equal(row["coverageAnalysis.error"], part.data.Error);
      }
      if (rerunFailed.has(report)) {
        assert.match(
          String(row["coverageAnalysis.note"]),
          /newer run \d+ is Error/,
        );
      } else assert.equal(row["coverageAnalysis.note"], null);
      if (onlyFailed.has(report)) {
        assert.equal(row["variantCaller.run"], null);
        assert.match(String(row["variantCaller.note"]), /only failed runs/);
        assert.equal(row.het_snps, null, "missing is empty, never zero");
        continue;
      }
      const vcParts = storeParts(
        sim.storeOf(good.get(`${report}/variantCaller`)!),
      );
      const vc = vcParts.find((p) => (p.barcode || null) === row.barcode);
      if (row.barcode === null) {
        assert.match(String(row["variantCaller.note"]), /no-metrics/);
        assert.equal(row.variants, null);
      } else {
        const counts = vc?.data.variants as Record<string, number> | undefined;
        assert.equal(row.het_snps, counts?.het_snps ?? null);
        assert.equal(row.variants, counts?.variants ?? null);
      }
      checked++;
    }
  }
  assert.ok(checked > 200, `${checked} rows checked`);
  assert.ok(
    rows.some((r) => typeof r.uniformity_pct === "number"),
    "percentages parsed",
  );
});

Deno.test("resultRows() names why a report has no usable run: never run, only running, empty store", async () => {
  await using sim = await simulator({ reports: 30 });
  using client = await clientFor(sim);
  const [never, running, empty] = freshReports(sim, "sampleID", 3);
  sim.addRun({ report: running!, plugin: "sampleID", state: "Started" });
  sim.addRun({
    report: empty!,
    plugin: "sampleID",
    state: "Completed",
    storeFate: "patch-failed",
  });
  const columns = resolveColumns(["sampleID"]);
  const notes = new Map<number, unknown>();
  for await (
    const { row } of resultRows(client, [never!, running!, empty!], {
      plugins: ["sampleID"],
      columns,
    })
  ) notes.set(row.report as number, row["sampleID.note"]);
  assert.equal(notes.get(never!), "no run");
  assert.match(String(notes.get(running!)), /^running \(run \d+: Started\)$/);
  assert.match(String(notes.get(empty!)), /no-metrics: empty store/);
});

Deno.test("resultRows() --raw keeps the server's text; --run newest reads a failed rerun", async () => {
  await using sim = await simulator({ reports: 20 });
  using client = await clientFor(sim);
  const [report] = freshReports(sim, "coverageAnalysis", 1);
  const first = sim.addRun({
    report: report!,
    plugin: "coverageAnalysis",
    state: "Completed",
  });
  const failed = sim.addRun({
    report: report!,
    plugin: "coverageAnalysis",
    state: "Error",
  });
  const plugins = ["coverageAnalysis"];
  const columns = resolveColumns(plugins, ["uniformity"]);
  const raw: ResultRow[] = [];
  for await (
    const { row } of resultRows(client, [report!], { plugins, columns }, {
      raw: true,
    })
  ) raw.push(row);
  const part = storeParts(sim.storeOf(first))[0]!;
  const text = part.data["Uniformity of base coverage"] ??
    part.data["Uniformity of amplicon coverage"];
  assert.equal(typeof text, "string");
  assert.equal(raw[0]!.uniformity_pct, text);
  const newest: ResultRow[] = [];
  for await (
    const { row } of resultRows(client, [report!], { plugins, columns }, {
      pick: "newest",
    })
  ) newest.push(row);
  assert.equal(newest[0]!["coverageAnalysis.run"], failed);
  assert.equal(newest[0]!["coverageAnalysis.state"], "Error");
});
