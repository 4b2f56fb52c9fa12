import assert from "node:assert/strict";
import { AuthError } from "../../../lib/errors.ts";
import { countOutcomes, type RowResult } from "../../../lib/bulk/summary.ts";
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
  duplicates: 0,
  counts: countOutcomes(results),
  ...extra,
});

Deno.test("launchExitCode(): 0 done, 1 failed, in doubt, not started or still running, 2 invalid and nothing launched, 3 auth, 130 interrupted", () => {
  assert.equal(launchExitCode(summary(rows("launched", "skipped"))), 0);
  assert.equal(launchExitCode(summary(rows("launched", "failed"))), 1);
  assert.equal(launchExitCode(summary(rows("not-started"))), 1);
  assert.equal(
    launchExitCode(summary(rows("launched"), { pendingAfterWait: 1 })),
    1,
  );
  // Refused rows beside launched ones: 1; invalid rows and nothing launched: 2.
  assert.equal(launchExitCode(summary(rows("invalid", "launched"))), 1);
  assert.equal(launchExitCode(summary(rows("invalid", "skipped"))), 2);
  assert.equal(launchExitCode(summary(rows("in-doubt", "launched"))), 1);
  assert.equal(launchExitCode(summary(rows("launched"), { duplicates: 1 })), 1);
  assert.equal(
    launchExitCode(summary(rows("launched", "not-started"), {
      stoppedBy: new AuthError("401", {
        method: "POST",
        url: "u",
        credentialForm: "apikey",
      }),
    })),
    3,
  );
  assert.equal(
    launchExitCode(summary(rows("launched"), { interrupted: true })),
    130,
  );
});
