// Tables fit the terminal by display width (wide characters count 2),
// --wide wherever there is a table, -o for --format (issue 21, items 3, 11).

import assert from "node:assert/strict";
import { envFor, freshReports, runCommand, simulator } from "../_helpers.ts";
import {
  cutText,
  displayWidth,
  renderTable,
} from "../../scripts/_cli/output.ts";
import { main as bulkRunMain } from "../../scripts/bulk_run.ts";
import { main as runMain } from "../../scripts/run.ts";
import { main as listMain } from "../../scripts/list.ts";
import { RESULT_COLUMNS } from "../../scripts/_cli/launch_report.ts";

Deno.test("renderTable() fits by display width: wide characters count 2, cut cells too", () => {
  assert.equal(displayWidth("日本語abc"), 9);
  assert.equal(displayWidth("e\u0301"), 1);
  assert.equal(displayWidth(cutText("日本語のサンプル名です", 9)), 9);
  const rows = [{ id: 1, name: "患者サンプル第一番の再解析レポート" }, {
    id: 22,
    name: "plain",
  }];
  const table = renderTable(rows, [
    { name: "id", value: (r) => r.id, right: true },
    { name: "name", value: (r) => r.name, minWidth: 6 },
  ], { width: 20 });
  for (const line of table.trimEnd().split("\n")) {
    assert.ok(displayWidth(line) <= 20, `${line}: ${displayWidth(line)}`);
  }
  const [, first] = table.split("\n");
  assert.match(first!, /^ 1 {2}患者サンプル.*…$/, table);
});

Deno.test("run.ts and bulk_run.ts tables fit an 80-column terminal; --wide cuts nothing", async () => {
  await using sim = await simulator({ queuedMs: 60_000 });
  const reports = freshReports(sim, "coverageAnalysis", 3);
  const terminal = { stdout: true };
  const narrow = await runCommand(
    runMain,
    ["coverageAnalysis", ...reports.map(String), "--dry-run"],
    { env: envFor(sim), terminal, columns: 80 },
  );
  assert.equal(narrow.code, 0, narrow.stderr);
  const lines = narrow.stdout.trimEnd().split("\n");
  assert.equal(lines.length, 4, narrow.stdout);
  for (const line of lines) assert.ok(displayWidth(line) <= 80, line);
  const wide = await runCommand(
    runMain,
    ["coverageAnalysis", ...reports.map(String), "--dry-run", "--wide"],
    { env: envFor(sim), terminal, columns: 80 },
  );
  assert.equal(wide.code, 0, wide.stderr);
  assert.ok(
    wide.stdout.split("\n").some((l) => displayWidth(l) > 80),
    "--wide: nothing cut",
  );
  const bulk = await runCommand(
    bulkRunMain,
    ["-", "--plugin", "coverageAnalysis", "--dry-run"],
    {
      env: envFor(sim),
      terminal,
      columns: 80,
      stdin: `${reports.join("\n")}\n`,
    },
  );
  assert.equal(bulk.code, 0, bulk.stderr);
  for (const line of bulk.stdout.trimEnd().split("\n")) {
    assert.ok(displayWidth(line) <= 80, line);
  }
});

Deno.test("list.ts: --wide on both tables, -o as --format, before or after the command", async () => {
  await using sim = await simulator({ reports: 5 });
  const env = envFor(sim);
  for (
    const args of [
      ["reports", "--wide", "--limit", "2"],
      ["plugins", "--wide"],
      ["-o", "json"],
      ["reports", "-o", "json", "--limit", "2"],
    ]
  ) {
    const r = await runCommand(listMain, args, { env });
    assert.equal(r.code, 0, `${args.join(" ")}: ${r.stderr}`);
    if (args.includes("json")) JSON.parse(r.stdout);
  }
});

Deno.test("a long in-doubt message is whole in a table that has the room (cut only to fit the terminal)", () => {
  const message =
    "sent, answer lost, no run on the server yet: the same command settles it after 2026-12-07T12:10:00.000Z (it launches it only if the server still shows no run)";
  const table = renderTable(
    [{
      line: 2,
      report: 7,
      plugin: "igv",
      outcome: "in-doubt",
      run: null,
      state: null,
      message,
    }],
    RESULT_COLUMNS as never,
    { width: 240 },
  );
  assert.ok(table.includes(message), table);
});
