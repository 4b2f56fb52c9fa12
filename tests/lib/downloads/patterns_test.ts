import assert from "node:assert/strict";
import {
  compilePattern,
  insideRun,
  unsafePath,
} from "../../../lib/downloads/patterns.ts";
import { UsageError } from "../../../lib/errors.ts";

Deno.test("compilePattern() matches like .gitignore: a name at any depth, or a path with /", () => {
  const cases: [string, string, boolean][] = [
    ["*.vcf.gz", "IonXpress_001/TSVC_variants_IonXpress_001.vcf.gz", true],
    ["*.vcf.gz", "TSVC_variants.vcf.gz", true],
    ["*.vcf.gz", "IonXpress_001/TSVC_variants.vcf.gz.tbi", false],
    [
      "*.amplicon.cov.xls",
      "IonXpress_003/IonXpress_003_R_1.amplicon.cov.xls",
      true,
    ],
    ["IonXpress_*/*.xls", "IonXpress_003/a.xls", true],
    ["IonXpress_*/*.xls", "a.xls", false],
    ["/*.xls", "R_1.bc_summary.xls", true],
    ["/*.xls", "IonXpress_001/a.xls", false],
    ["**/*.tbi", "a/b/c.tbi", true],
    ["**/*.tbi", "c.tbi", true],
    [
      "TSVC_variants_IonXpress_00[1-3].vcf.gz",
      "IonXpress_002/TSVC_variants_IonXpress_002.vcf.gz",
      true,
    ],
    [
      "TSVC_variants_IonXpress_00[!1-3].vcf.gz",
      "IonXpress_002/TSVC_variants_IonXpress_002.vcf.gz",
      false,
    ],
    ["results.json", "results.json", true],
    ["result?.json", "results.json", true],
    ["*.json", "sub/x.jsonl", false],
  ];
  for (const [pattern, path, expected] of cases) {
    assert.equal(
      compilePattern(pattern).test(path),
      expected,
      `${pattern} ${path}`,
    );
  }
});

Deno.test("compilePattern() refuses '..', empty patterns; unsafePath() and insideRun() keep names inside the run", () => {
  for (const bad of ["", "/", "../x", "a/../b"]) {
    assert.throws(() => compilePattern(bad), UsageError, bad);
  }
  assert.equal(unsafePath("a/b.vcf.gz"), null);
  for (const bad of ["/etc/passwd", "../x", "a/./b", "a//b", "a\\b", ""]) {
    assert.notEqual(unsafePath(bad), null, bad);
  }
  const run = "/output/Home/R_1_001/plugin_out/variantCaller_out.7/";
  assert.equal(
    insideRun(run, `${run}IonXpress_001/x%20y.vcf.gz`),
    "IonXpress_001/x y.vcf.gz",
  );
  assert.equal(insideRun(run, `${run}../../rawlib.bam`), null);
  assert.equal(
    insideRun(run, "/output/Home/R_2_002/plugin_out/variantCaller_out.7/a"),
    null,
  );
  assert.equal(insideRun(run.slice(0, -1), `${run}a.txt`), "a.txt");
});
