import assert from "node:assert/strict";
import { parse } from "csv-parse/sync";
import {
  countOutcomes,
  formatSummary,
  type RowResult,
} from "../../lib/summary.ts";

const results: RowResult[] = [
  {
    line: 2,
    report: 7,
    plugin: "igv",
    outcome: "launched",
    run: 41,
    message: 'first run, "quoted", with, commas',
    state: "Completed",
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
    },
    {
      line: "3",
      report: "",
      plugin: "",
      outcome: "invalid",
      plugin_result_id: "",
      state: "",
      message: "report key is empty",
    },
  ]);
  const json = JSON.parse(formatSummary(results, "json"));
  assert.equal(json.length, 2);
  assert.equal(json[0].plugin_result_id, 41);
  assert.equal(json[1].report, null);
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
