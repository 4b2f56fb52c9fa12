import assert from "node:assert/strict";
import {
  leafPaths,
  parseKeyPath,
  resolveColumns,
  valueAt,
} from "../../../lib/results/columns.ts";
import { UsageError } from "../../../lib/errors.ts";

Deno.test("resolveColumns() takes aliases (with or without _pct), plugin.alias and key paths", () => {
  const plugins = ["coverageAnalysis", "variantCaller", "sampleID"];
  const names = resolveColumns(plugins, [
    "uniformity",
    "mean_depth",
    "variantCaller.het_snps",
    "variants.homo_snps",
    'sampleID.loci_cov."Coverage at 20x"',
  ]).map((c) => `${c.plugin}:${c.name}`);
  assert.deepEqual(names, [
    "coverageAnalysis:uniformity_pct",
    "coverageAnalysis:mean_depth",
    "variantCaller:het_snps",
    "coverageAnalysis:coverageAnalysis.variants.homo_snps",
    "variantCaller:variantCaller.variants.homo_snps",
    "sampleID:sampleID.variants.homo_snps",
    'sampleID:sampleID.loci_cov."Coverage at 20x"',
  ]);
});

Deno.test("resolveColumns() defaults to each plugin's main aliases, prefixing the names two plugins share", () => {
  const names = resolveColumns(["coverageAnalysis", "sampleID"]).map((c) =>
    c.name
  );
  assert.ok(names.includes("coverageAnalysis.mapped_reads"), names.join());
  assert.ok(names.includes("sampleID.mapped_reads"), names.join());
  assert.ok(names.includes("uniformity_pct") && names.includes("gender"));
  assert.deepEqual(resolveColumns(["igv"]), [], "no aliases: no defaults");
});

Deno.test("resolveColumns() names the aliases that exist for an unknown column", () => {
  assert.throws(
    () => resolveColumns(["coverageAnalysis"], ["depth"]),
    (e: Error) =>
      e instanceof UsageError &&
      /unknown column depth: the aliases of coverageAnalysis are mapped_reads, on_target_pct, mean_depth/
        .test(e.message) &&
      /--list-columns/.test(e.message),
  );
});

Deno.test("parseKeyPath(), valueAt() and leafPaths() agree on quoted keys", () => {
  const store = {
    "Sample ID": "F-12",
    loci_cov: { "Coverage at 20x": "97.5%" },
    variants: { het_snps: 4 },
  };
  for (const path of leafPaths(store)) {
    assert.notEqual(valueAt(store, parseKeyPath(path)), undefined, path);
  }
  assert.deepEqual(leafPaths(store), [
    '"Sample ID"',
    'loci_cov."Coverage at 20x"',
    "variants.het_snps",
  ]);
  assert.equal(valueAt(store, ["variants", "missing"]), undefined);
  assert.equal(valueAt(store, ["Sample ID", "x"]), undefined);
  for (const bad of ["a..b", '"open', "a.", '"a"b']) {
    assert.throws(() => parseKeyPath(bad), UsageError, bad);
  }
});
