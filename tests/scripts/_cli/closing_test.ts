import assert from "node:assert/strict";
import type { PairStatus } from "../../../lib/status.ts";
import { countOutcomes, type RowResult } from "../../../lib/summary.ts";
import {
  bulkClosing,
  renderClosing,
  rerunCommand,
  shellQuote,
  statusClosing,
} from "../../../scripts/_cli/closing.ts";

const base: PairStatus = {
  report: 1,
  reportName: "R_1",
  reportFound: true,
  plugin: "igv",
  state: "Completed",
  stateClass: "completed",
  id: 1,
  starttime: null,
  endtime: null,
  durationSeconds: null,
  url: null,
  validationErrors: [],
};

Deno.test("statusClosing() counts the groups, names up to ten failures with their reason, notes stale, cancelled and missing", () => {
  const statuses: PairStatus[] = [
    base,
    ...Array.from({ length: 12 }, (_, i): PairStatus => ({
      ...base,
      report: 100 + i,
      state: "Error",
      stateClass: "failed",
      id: 200 + i,
    })),
    {
      ...base,
      report: 50,
      state: "Failed Validation",
      stateClass: "failed",
      id: 9,
      validationErrors: ["igv requires configuration before execution."],
    },
    { ...base, report: 60, state: "Started", stateClass: "stale", id: 7 },
    { ...base, report: 61, state: "Cancelled", stateClass: "cancelled", id: 8 },
    { ...base, report: 70, state: null, stateClass: "missing", id: null },
    {
      ...base,
      report: 99999,
      reportFound: false,
      plugin: "",
      state: null,
      stateClass: "missing",
      id: null,
    },
  ];
  const logs = new Map([[200, {
    report: 100,
    plugin: "igv",
    id: 200,
    url: null,
    status: "ok" as const,
    lines: ["Reading BAM", "ERROR: samtools: failed to open BAM file", "x"],
    errorLines: [1],
    truncated: false,
    message: "",
  }]]);
  const lines = renderClosing(
    statusClosing(statuses, { rerun: "RERUN", logs }),
  );
  const text = lines.join("\n");
  assert.match(
    lines[1]!,
    /^18 pair\(s\): 1 completed, 13 failed, 1 stale, 1 cancelled, 1 never run, 1 no such report$/,
  );
  assert.match(text, /^13 failed \(the first 10\):$/m);
  assert.match(
    text,
    /^ {2}100 {2}R_1 {2}igv: Error: ERROR: samtools: failed to open BAM file$/m,
  );
  assert.match(text, /^ {2}101 {2}R_1 {2}igv: Error$/m);
  assert.match(text, /^ {2}… and 3 more$/m);
  assert.doesNotMatch(text, /^ {2}50 /m, "the 13th is not named");
  assert.match(text, /1 stale .*60 igv #7/);
  assert.match(text, /1 cancelled by a user/);
  assert.match(text, /1 report\(s\) not on this server: 99999/);
  assert.match(text, /Rerun the failed ones:\n {2}RERUN$/);
  assert.ok(!text.includes("\x1b["), "no color unless asked");
  assert.ok(
    renderClosing(statusClosing(statuses), { color: true }).join("\n")
      .includes("\x1b[1;31m13 failed"),
  );
  const ok = renderClosing(statusClosing([base], { rerun: "RERUN" }));
  assert.deepEqual(ok.slice(1), ["1 pair(s): 1 completed"]);
});

Deno.test("bulkClosing() turns a bulk summary into the same block", () => {
  const results: RowResult[] = [
    {
      line: 2,
      report: 1,
      plugin: "igv",
      outcome: "launched",
      run: 5,
      message: "",
      state: "Completed",
    },
    {
      line: 3,
      report: 2,
      plugin: "igv",
      outcome: "launched",
      run: 6,
      message: "",
      state: "Error",
    },
    {
      line: 4,
      report: 3,
      plugin: "igv",
      outcome: "failed",
      run: null,
      message: "plugin not launchable (410)",
      state: null,
    },
    {
      line: 5,
      report: 4,
      plugin: "igv",
      outcome: "skipped",
      run: 7,
      message: "already completed",
      state: "Completed",
    },
  ];
  const text = renderClosing(bulkClosing({
    results,
    counts: countOutcomes(results),
    interrupted: false,
    resumed: 0,
    pendingAfterWait: 1,
    duplicates: 0,
  }, { rerun: rerunCommand(["in.csv.journal.ndjson"]) })).join("\n");
  assert.match(text, /^4 row\(s\): 2 launched, 1 skipped, 1 failed$/m);
  assert.match(text, /^2 failed to launch or ended in a failure:$/m);
  assert.match(text, /^ {2}2 {2}igv: Error$/m);
  assert.match(text, /^ {2}3 {2}igv: failed: plugin not launchable \(410\)$/m);
  assert.match(text, /1 still running when --timeout ended the wait/);
  assert.match(
    text,
    /deno run -A \S*scripts\/status\.ts in\.csv\.journal\.ndjson --failed --format csv \| deno run -A \S*scripts\/bulk_run\.ts -$/,
  );
});

Deno.test("shellQuote() quotes what a shell would split", () => {
  assert.equal(shellQuote("runs.csv"), "runs.csv");
  assert.equal(shellQuote("my runs.csv"), "'my runs.csv'");
  assert.equal(shellQuote("it's"), "'it'\\''s'");
});
