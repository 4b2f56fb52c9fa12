import assert from "node:assert/strict";
import { type Simulator, startSimulator } from "../../simulator/mod.ts";
import { storeKb } from "../../simulator/lists.ts";
import { API, call, type Json } from "./_helpers.ts";

/** The first report with (or without) barcodes. */
function reportWith(sim: Simulator, barcoded: boolean): number {
  const id = sim.reportIds().find((r) =>
    (sim.barcodesOf(r).length > 1) === barcoded &&
    (barcoded || sim.barcodesOf(r).length === 0)
  );
  assert.ok(id !== undefined);
  return id;
}

const FLOAT = /^-?\d+\.\d+%?$/;

/** Every float in a store is text (Decimal → str), never a JSON number with a fraction. */
function noFloats(v: unknown): void {
  if (typeof v === "number") assert.ok(Number.isInteger(v), `float ${v}`);
  else if (v && typeof v === "object") Object.values(v).forEach(noFloats);
}

Deno.test("stores: barcodes agree across the plan, barcodesampleinfo and coverageAnalysis; values are strings with units", async () => {
  await using sim = await startSimulator({ reports: 30, barcodeErrorRate: 0 });
  const report = reportWith(sim, true);
  const bcs = sim.barcodesOf(report);
  const r = (await call(sim, `${API}results/${report}/`)).json();
  const eas = (await call(sim, r.eas.replace("/rundb/api/v1/", API))).json();
  const fromPlan = Object.entries(eas.barcodedSamples as Json).flatMap((
    [sample, v],
  ) => (v.barcodes as string[]).map((b) => [b, sample]));
  assert.deepEqual(
    fromPlan.sort(),
    bcs.map((b) => [b.barcode, b.sample]).sort(),
  );
  assert.notEqual(eas.barcodeKitName, "");
  const info = (await call(sim, `${API}results/${report}/barcodesampleinfo/`))
    .json();
  assert.deepEqual(Object.keys(info), bcs.map((b) => b.barcode));
  for (const b of bcs) {
    assert.equal(info[b.barcode].sample, b.sample);
    assert.equal(info[b.barcode].barcode_index, b.index);
    assert.equal(typeof info[b.barcode].read_count, "number");
  }
  const pr = sim.addRun({
    report,
    plugin: "coverageAnalysis",
    state: "Completed",
    config: { tier1: 30, tier2: 200, tier3: 1000 },
  });
  const store: Json = (await call(sim, `${API}pluginresult/${pr}/`)).json()
    .store;
  assert.deepEqual(sim.storeOf(pr), store);
  assert.deepEqual(sim.resultsJsonOf(pr), store);
  assert.equal(store.barcoded, "true");
  assert.equal(store["Tier 2 Coverage Depth"], "200");
  assert.deepEqual(Object.keys(store.barcodes), bcs.map((b) => b.barcode));
  noFloats(store);
  for (const b of bcs) {
    const s = store.barcodes[b.barcode];
    assert.equal(s["Sample Name"], b.sample);
    assert.match(s["Number of mapped reads"], /^\d+$/);
    assert.match(s["Percent reads on target"], /^\d+\.\d\d%$/);
    assert.match(s["Average base coverage depth"], FLOAT);
    assert.ok(
      Object.keys(s).some((k) => /(at least 200 reads|at 200x)$/.test(k)),
      "tier keys follow the config",
    );
    assert.ok(s.Alignments.startsWith(`${b.barcode}_`));
  }
});

Deno.test("stores: non-barcoded runs keep per-sample keys at the top level; variantCaller carries no metrics", async () => {
  await using sim = await startSimulator({ reports: 10, unbarcodedRate: 1 });
  const report = reportWith(sim, false);
  const ca = sim.addRun({
    report,
    plugin: "coverageAnalysis",
    state: "Completed",
  });
  const vc = sim.addRun({
    report,
    plugin: "variantCaller",
    state: "Completed",
  });
  const caStore = sim.storeOf(ca) as Json;
  assert.equal(caStore.barcoded, "false");
  assert.equal(caStore.barcodes, undefined);
  assert.match(caStore["Number of mapped reads"], /^\d+$/);
  const vcStore = sim.storeOf(vc) as Json;
  assert.deepEqual(Object.keys(vcStore).sort(), ["barcoded", "files"]);
  assert.equal(vcStore.barcoded, "false");
  assert.ok(vcStore.files.every((f: Json) => f.barcode === undefined));
  assert.deepEqual(
    (await call(sim, `${API}results/${report}/barcodesampleinfo/`)).json(),
    {},
  );
  const r = (await call(sim, `${API}results/${report}/`)).json();
  const eas = (await call(sim, r.eas.replace("/rundb/api/v1/", API))).json();
  assert.deepEqual([eas.barcodeKitName, eas.barcodedSamples], ["", {}]);
});

Deno.test("stores: variantCaller counts are integers and its files sit under the run's URL; sampleID has a gender letter and nested loci_cov", async () => {
  await using sim = await startSimulator({ reports: 30 });
  const report = reportWith(sim, true);
  const bcs = sim.barcodesOf(report);
  const vc = sim.addRun({
    report,
    plugin: "variantCaller",
    state: "Completed",
  });
  const j = (await call(sim, `${API}pluginresult/${vc}/`)).json();
  const s = j.store;
  assert.equal(s.barcoded, "true");
  for (const b of bcs) {
    const e = s.barcodes[b.barcode];
    for (const k of ["variants", "hotspots"]) {
      assert.deepEqual(Object.keys(e[k]).sort(), [
        "het_indels",
        "het_snps",
        "homo_indels",
        "homo_snps",
        "no_call",
        "other",
        "variants",
      ]);
      assert.ok(Object.values(e[k]).every(Number.isInteger));
    }
    assert.equal(typeof e.deamination_metric, "string");
    const vcf = s.files.find((f: Json) =>
      f.type === "variants_vcf_gz" && f.barcode === b.barcode
    );
    assert.equal(vcf.sample, b.sample);
    assert.equal(
      vcf.download_path,
      `${j.URL}${b.barcode}/TSVC_variants_${b.barcode}.vcf.gz`,
    );
    assert.equal(vcf.server_path, `${j.path}/${b.barcode}/${vcf.filename}`);
  }
  const sid = sim.storeOf(
    sim.addRun({ report, plugin: "sampleID", state: "Completed" }),
  ) as Json;
  for (const b of bcs) {
    const e = sid.barcodes[b.barcode];
    assert.match(e["Sample ID"], /^[FM?]-[ACGT]{8}$/);
    assert.match(e.loci_cov["Coverage at 20x"], /%$/);
    assert.equal(typeof e.target_cov, "object");
  }
  const mca = sim.storeOf(
    sim.addRun({
      report,
      plugin: "molecularCoverageAnalysis",
      state: "Completed",
    }),
  ) as Json;
  assert.equal(mca["Barcode-specific Targets"], "No");
  noFloats(mca);
});

Deno.test("stores: {} while queued or started; a rerun keeps the old store until it ends; pluginStore and pluginstore/ show the newest run whatever its state", async () => {
  await using sim = await startSimulator({ reports: 30 });
  const report = reportWith(sim, true);
  const old = sim.addRun({
    report,
    plugin: "coverageAnalysis",
    state: "Completed",
  });
  const done = sim.storeOf(old);
  assert.ok(Object.keys(done).length > 5);
  sim.addRun({ pluginResult: old, state: "Started" });
  assert.deepEqual(sim.storeOf(old), done, "old store stays during a rerun");
  assert.equal(sim.resultsJsonOf(old), null, "results.json not written yet");
  const fresh = sim.addRun({
    report,
    plugin: "coverageAnalysis",
    state: "Queued",
  });
  assert.deepEqual(sim.storeOf(fresh), {});
  const r = (await call(sim, `${API}results/${report}/`)).json();
  assert.deepEqual(r.pluginStore.coverageAnalysis, {});
  assert.equal(r.pluginState.coverageAnalysis, "Queued");
  const ps = (await call(sim, `${API}results/${report}/pluginstore/`)).json();
  assert.deepEqual(ps.coverageAnalysis, {});
  const listed = (await call(sim, `${API}results/?plugin=true&id=${report}`))
    .json();
  assert.deepEqual(listed.objects[0].pluginStore.coverageAnalysis, {});
  const second = sim.addRun({ pluginResult: old, state: "Completed" });
  assert.equal(second, old);
  assert.notDeepEqual(sim.storeOf(old), done, "the rerun's own values");
});

Deno.test("stores: failed PATCH, failed runs, early failures and per-barcode errors", async () => {
  await using sim = await startSimulator({ reports: 30, barcodeErrorRate: 1 });
  const report = reportWith(sim, true);
  const bcs = sim.barcodesOf(report);
  const lost = sim.addRun({
    report,
    plugin: "coverageAnalysis",
    state: "Completed",
    storeFate: "patch-failed",
  });
  assert.deepEqual(sim.storeOf(lost), {});
  const disk = sim.resultsJsonOf(lost) as Json;
  assert.equal(Object.keys(disk.barcodes).length, bcs.length);
  for (const b of bcs) {
    assert.deepEqual(Object.keys(disk.barcodes[b.barcode]).sort(), [
      "Error",
      "Sample Name",
    ]);
  }
  const failed = sim.addRun({
    report,
    plugin: "variantCaller",
    state: "Error",
    storeFate: "ok",
  });
  const f = sim.storeOf(failed) as Json;
  assert.equal(typeof f.Error, "string");
  assert.ok(Object.keys(f.barcodes ?? {}).length < bcs.length, "partial");
  const early = sim.addRun({
    report,
    plugin: "sampleID",
    state: "Error",
    storeFate: "no-results",
  });
  assert.deepEqual(sim.storeOf(early), {});
  assert.equal(sim.resultsJsonOf(early), null);
  const hits = (await call(
    sim,
    `${API}pluginresult/?store__contains=%22Error%22&result=${report}`,
  )).json();
  const ids = hits.objects.map((o: Json) => o.id);
  assert.ok(ids.includes(failed) && !ids.includes(early));
});

Deno.test("stores: deterministic from the seed, seeded PATCH failures follow storePatchFailRate", async () => {
  const take = async (seed: number) => {
    // Seeded names hold times relative to the clock: fix it.
    const now = () => Date.UTC(2024, 4, 1);
    await using sim = await startSimulator({ reports: 40, seed, now });
    return sim.pluginResults().map((p) => [
      (p as Json).id,
      (p as Json).store,
    ]);
  };
  assert.deepEqual(await take(3), await take(3));
  assert.notDeepEqual(await take(3), await take(4));
  await using all = await startSimulator({
    reports: 40,
    storePatchFailRate: 1,
  });
  for (const p of all.pluginResults() as Json[]) {
    assert.deepEqual(p.store, {}, `run ${p.id}`);
  }
});

Deno.test("stores: storeKb counts the KB of store and pluginStore fields", () => {
  assert.equal(storeKb([{ store: { a: "x".repeat(1016) } }]), 1);
  assert.equal(storeKb([{ pluginStore: {} }, { other: 1 }, null]), 2 / 1024);
});
