// deno-lint-ignore-file no-control-regex -- the display is made of escape codes
// Tests of the progress display with an injected writer, clock and width.

import assert from "node:assert/strict";
import type { RowResult } from "../../../lib/bulk/summary.ts";
import {
  describeRow,
  formatDuration,
  Progress,
} from "../../../scripts/_cli/progress.ts";

const row = (line: number, outcome: RowResult["outcome"]): RowResult => ({
  line,
  report: 100 + line,
  plugin: "igv",
  outcome,
  run: outcome === "launched" ? 900 + line : null,
  message: outcome === "failed" ? "410 Gone" : "first run on this report",
  state: null,
});

function recorder() {
  const out: string[] = [];
  return { out, write: (text: string) => void out.push(text) };
}

Deno.test("Progress off a terminal: one plain line per event, written in batches", () => {
  const { out, write } = recorder();
  const progress = new Progress({ write, terminal: false, color: false });
  progress.handle({ type: "phase", phase: "launch", total: 2 });
  progress.handle({ type: "row", result: row(2, "launched") });
  progress.handle({ type: "row", result: row(3, "failed") });
  assert.deepEqual(out, [], "batched, not one write per line");
  progress.finish();
  assert.deepEqual(out, [
    "launching (2)\n" +
    "line 2: report 102 igv: launched run 902 (first run on this report)\n" +
    "line 3: report 103 igv: failed (410 Gone)\n",
  ]);
  assert.ok(!out.join("").includes("\x1b"), "no escape codes off a terminal");
});

Deno.test("Progress on a terminal: a redrawn bar that fits the width, failures above it", () => {
  const { out, write } = recorder();
  let now = 0;
  const progress = new Progress({
    write,
    terminal: true,
    color: false,
    now: () => now,
    columns: () => 40,
  });
  progress.handle({ type: "phase", phase: "launch", total: 4 });
  for (
    const [i, outcome] of (["launched", "failed", "launched"] as const)
      .entries()
  ) {
    now += 500; // past the redraw interval
    progress.handle({ type: "row", result: row(i + 2, outcome) });
  }
  progress.finish();
  const text = out.join("");
  const bars = text.split("\r\x1b[K").map((s) => s.split("\n")[0]!).filter((
    s,
  ) => s.startsWith("launch "));
  assert.ok(bars.length >= 3, text);
  for (const bar of bars) assert.ok(bar.length <= 39, `${bar.length}: ${bar}`);
  // The failure is printed on a line of its own, the bar cleared first.
  assert.match(text, /\r\x1b\[Kline 3: report 103 igv: failed \(410 Gone\)\n/);
  assert.ok(text.endsWith("\n"), "the last bar is ended");
  assert.ok(!/\x1b\[3\dm/.test(text), "no colors when color is off");
});

Deno.test("Progress quiet: nothing off a terminal", () => {
  const { out, write } = recorder();
  const progress = new Progress({ write, terminal: false, quiet: true });
  progress.handle({ type: "phase", phase: "launch", total: 1 });
  progress.handle({ type: "row", result: row(2, "launched") });
  progress.finish();
  assert.deepEqual(out, []);
});

Deno.test("describeRow() colors only when asked; formatDuration() reads as a clock", () => {
  assert.equal(
    describeRow(row(5, "skipped")),
    "line 5: report 105 igv: skipped (first run on this report)",
  );
  assert.match(describeRow(row(5, "failed"), true), /\x1b\[31mfailed\x1b\[0m/);
  assert.equal(formatDuration(59.6), "1:00");
  assert.equal(formatDuration(3723), "1:02:03");
});
