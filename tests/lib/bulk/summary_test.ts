import assert from "node:assert/strict";
import { parse } from "csv-parse/sync";
import {
  countOutcomes,
  formatSummary,
  type RowResult,
} from "../../../lib/bulk/summary.ts";

const results: RowResult[] = [
  {
    line: 2,
    report: 7,
    plugin: "igv",
    outcome: "launched",
    run: 41,
    message: 'first run, "quoted", with, commas',
    state: "Completed",
    configSource: "plan",
    warnings: ["report 7's analysis ended in error (Error in Alignment)"],
  },
  {
    line: 3,
    report: null,
    plugin: null,
    outcome: "invalid",
    run: null,
    message: "report key is empty",
    state: null,
  },
];

Deno.test("formatSummary() writes CSV that reads back, and a JSON array", () => {
  const csv = formatSummary(results, "csv");
  assert.deepEqual(parse(csv, { columns: true }), [
    {
      line: "2",
      report: "7",
      plugin: "igv",
      outcome: "launched",
      plugin_result_id: "41",
      state: "Completed",
      message: 'first run, "quoted", with, commas',
      config_source: "plan",
      warnings: "report 7's analysis ended in error (Error in Alignment)",
    },
    {
      line: "3",
      report: "",
      plugin: "",
      outcome: "invalid",
      plugin_result_id: "",
      state: "",
      message: "report key is empty",
      config_source: "",
      warnings: "",
    },
  ]);
  const json = JSON.parse(formatSummary(results, "json"));
  assert.equal(json.length, 2);
  assert.equal(json[0].plugin_result_id, 41);
  assert.equal(json[1].report, null);
  assert.equal(json[0].config_source, "plan");
  assert.deepEqual(json[0].warnings, [
    "report 7's analysis ended in error (Error in Alignment)",
  ]);
  assert.deepEqual(json[1].warnings, []);
  assert.equal(
    "config" in json[0],
    false,
    "would read back as the rows' config",
  );
});

Deno.test("countOutcomes() counts every outcome, zeros included", () => {
  assert.deepEqual(countOutcomes(results), {
    launched: 1,
    skipped: 0,
    failed: 0,
    "in-doubt": 0,
    invalid: 1,
    planned: 0,
    "not-started": 0,
  });
});
