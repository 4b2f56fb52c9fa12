import assert from "node:assert/strict";
import type { PairStatus } from "../../../lib/status/status.ts";
import { renderTable } from "../../../scripts/_cli/output.ts";
import {
  COLUMNS,
  shortTime,
  stateText,
} from "../../../scripts/_cli/status_columns.ts";

const URL_BASE = "https://ts.example.org/output/Home";

/** Rows as a bulk run leaves them: long names, URLs and validation errors. */
function rows(): PairStatus[] {
  return Array.from({ length: 30 }, (_, i): PairStatus => {
    const name = `Auto_user_S5XL-0117-${200 + i}-AmpliSeq_Exome_${1400 + i}`;
    const failed = i % 3 === 0;
    return {
      report: 14_000 + i,
      reportName: name,
      reportFound: true,
      plugin: i % 2 ? "coverageAnalysis" : "molecularCoverageAnalysis",
      state: failed ? "Failed Validation" : "Completed",
      stateClass: failed ? "failed" : "completed",
      id: 90_000 + i,
      starttime: "2026-11-30T08:15:02.000120+00:00",
      endtime: "2026-11-30T09:47:40.000998+00:00",
      durationSeconds: 5558,
      url: `${URL_BASE}/${name}_001/plugin_out/coverageAnalysis_out.${
        90_000 + i
      }/`,
      logUrl: null,
      validationErrors: failed
        ? [
          "molecularCoverageAnalysis requires configuration before execution.",
          "targetregions: a BED file is required",
        ]
        : [],
    };
  });
}

Deno.test("status table fits a 160-column terminal (and an 80-column one) without wrapping; the report's name comes first", () => {
  const all = rows();
  const full = renderTable(all, COLUMNS);
  const widest = Math.max(...full.split("\n").map((l) => l.length));
  assert.ok(widest > 200, `the natural table is wide: ${widest}`);
  for (const width of [160, 120, 80]) {
    const table = renderTable(all, COLUMNS, { width });
    const lines = table.trimEnd().split("\n");
    for (const l of lines) {
      assert.ok(l.length <= width, `${width}: ${l.length}: ${l}`);
    }
    assert.equal(lines.length, all.length + 1, "one line per row, no wrap");
    const header = lines[0]!.split(/\s+/);
    // The name leads while it fits; on a narrow terminal it may go.
    if (width >= 120) assert.equal(header[0], "name", `${width}: ${lines[0]}`);
    else assert.ok(["name", "report"].includes(header[0]!), lines[0]);
    assert.ok(header.includes("report") && header.includes("state"));
    // Every row keeps its key, plugin and state whole.
    for (const [i, s] of all.entries()) {
      const l = lines[i + 1]!;
      for (const part of [String(s.report), s.plugin, s.state!]) {
        assert.ok(l.includes(part), `${width}: ${part} in ${l}`);
      }
    }
  }
  // At 160 the URL goes (half a URL opens nothing); the reasons stay.
  const at160 = renderTable(all, COLUMNS, { width: 160 });
  assert.ok(!at160.includes("http"), "no URL, not even cut");
  assert.match(at160.split("\n")[0]!, /\bwhy\b/, "validation errors shown");
  assert.match(at160, /molecularCoverageAnalysis requires/);
  // Nothing to say in "why": the column is left out, and the names fit whole.
  const fine = all.filter((s) => s.validationErrors.length === 0);
  const table = renderTable(fine, COLUMNS, { width: 160 });
  const header = table.split("\n")[0]!;
  assert.doesNotMatch(header, /\bwhy\b/);
  for (const s of fine) assert.ok(table.includes(s.reportName!), "whole name");
  assert.match(
    renderTable(fine, COLUMNS).split("\n")[0]!,
    /\bwhy\b/,
    "kept in a pipe",
  );
});

Deno.test("status table without a width (not a terminal, or --wide): nothing cut", () => {
  const all = rows();
  const table = renderTable(all, COLUMNS);
  for (const s of all) {
    assert.ok(table.includes(s.url!), "whole URL");
    assert.ok(table.includes(s.reportName!));
    for (const e of s.validationErrors) assert.ok(table.includes(e), e);
  }
});

Deno.test("stateText() and shortTime() say it for people", () => {
  const [s] = rows();
  assert.equal(stateText(s!), "Failed Validation");
  assert.equal(
    stateText({ ...s!, stateClass: "stale", state: "Started" }),
    "Started (stale)",
  );
  assert.equal(
    stateText({ ...s!, state: null, stateClass: "missing" }),
    "never run",
  );
  assert.equal(
    stateText({ ...s!, plugin: "", state: null, stateClass: "missing" }),
    "no plugin ran",
  );
  assert.equal(
    stateText({
      ...s!,
      reportFound: false,
      state: null,
      stateClass: "missing",
    }),
    "no such report",
  );
  assert.match(
    shortTime("2026-11-30T08:15:02.000120+00:00"),
    /^2026-11-3\d \d\d:\d\d$/,
  );
  assert.equal(shortTime(null), "");
});
