import assert from "node:assert/strict";
import { countOutcomes, type RowResult } from "../../../lib/summary.ts";
import { launchExitCode } from "../../../scripts/_cli/launch_report.ts";

const rows = (...outcomes: RowResult["outcome"][]): RowResult[] =>
  outcomes.map((outcome, i) => ({
    line: i + 2,
    report: i + 1,
    plugin: "igv",
    outcome,
    run: null,
    message: "",
    state: null,
  }));
const summary = (results: RowResult[], extra = {}) => ({
  interrupted: false,
  pendingAfterWait: 0,
  counts: countOutcomes(results),
  ...extra,
});

Deno.test("launchExitCode(): 0 done, 1 failed or not started or still running, 2 invalid, 130 interrupted", () => {
  assert.equal(launchExitCode(summary(rows("launched", "skipped"))), 0);
  assert.equal(launchExitCode(summary(rows("launched", "failed"))), 1);
  assert.equal(launchExitCode(summary(rows("not-started"))), 1);
  assert.equal(
    launchExitCode(summary(rows("launched"), { pendingAfterWait: 1 })),
    1,
  );
  assert.equal(launchExitCode(summary(rows("invalid", "launched"))), 2);
  assert.equal(
    launchExitCode(summary(rows("launched"), { interrupted: true })),
    130,
  );
});
