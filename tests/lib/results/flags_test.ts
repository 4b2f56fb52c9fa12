import assert from "node:assert/strict";
import {
  firedRules,
  fires,
  parseFlagRule,
} from "../../../lib/results/flags.ts";
import { UsageError } from "../../../lib/errors.ts";

Deno.test("parseFlagRule() reads column, comparison and value; a missing cell never fires", () => {
  const low = parseFlagRule("uniformity_pct<90");
  assert.deepEqual(
    { column: low.column, op: low.op, value: low.value },
    { column: "uniformity_pct", op: "<", value: 90 },
  );
  assert.ok(fires(low, 85.2));
  assert.ok(!fires(low, 90));
  assert.ok(!fires(low, null), "missing is not low");
  assert.ok(!fires(low, "85"), "text is not compared with <");
  const ge = parseFlagRule("mean_depth >= 100");
  assert.ok(fires(ge, 100) && !fires(ge, 99.9));
  const gender = parseFlagRule("sampleID.gender!=F");
  assert.equal(gender.value, "F");
  assert.ok(fires(gender, "M") && !fires(gender, "F") && !fires(gender, null));
  const eq = parseFlagRule("on_target_pct=95%");
  assert.equal(eq.op, "==");
  assert.equal(eq.value, 95);
  assert.deepEqual(
    firedRules([low, ge], { uniformity_pct: 80, mean_depth: 120 }),
    ["uniformity_pct<90", "mean_depth >= 100"],
  );
});

Deno.test("parseFlagRule() refuses a malformed rule and a column the table lacks", () => {
  for (const bad of ["uniformity", "<90", "uniformity_pct<high"]) {
    assert.throws(() => parseFlagRule(bad), UsageError, bad);
  }
  assert.throws(
    () => parseFlagRule("depth<10", ["report", "mean_depth"]),
    (e: Error) =>
      e instanceof UsageError && /no column depth.*mean_depth/.test(e.message),
  );
});
