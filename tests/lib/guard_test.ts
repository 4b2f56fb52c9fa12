import assert from "node:assert/strict";
import { guard } from "../../lib/guard.ts";

Deno.test("guard() decides per rerun policy", () => {
  const cases: [
    string | undefined,
    "failed" | "missing" | "always",
    boolean,
  ][] = [
    [undefined, "failed", true],
    [undefined, "missing", true],
    ["Started", "failed", false],
    ["Queued", "missing", false],
    ["Pending", "always", true],
    ["Completed", "failed", false],
    ["Completed", "always", true],
    ["Error", "failed", true],
    ["Error", "missing", false],
    ["Failed Validation", "failed", true],
    ["Timed Out", "failed", true],
  ];
  for (const [state, policy, launch] of cases) {
    const latest = state === undefined ? undefined : { id: 9, state };
    assert.equal(guard(latest, policy).launch, launch, `${state} ${policy}`);
  }
  assert.match(
    guard({ id: 9, state: "Started" }, "failed").reason,
    /running: run 9/,
  );
});
