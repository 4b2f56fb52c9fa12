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

/** A Progress on a terminal of `columns`, with its clock and all it wrote. */
function onTerminal(columns = 80, quiet = false) {
  const { out, write } = recorder();
  const clock = { now: 0 };
  const progress = new Progress({
    write,
    terminal: true,
    color: false,
    quiet,
    now: () => clock.now,
    columns: () => columns,
  });
  /** The bars drawn so far (the text after each clear). */
  const bars = () =>
    out.join("").split("\r\x1b[K").map((s) => s.split("\n")[0]!).filter((
      s,
    ) => s !== "");
  return { out, progress, clock, bars };
}

Deno.test("Progress: phases whose count never moves show no bar (guard, preflight)", () => {
  const t = onTerminal();
  t.progress.handle({ type: "phase", phase: "guard", total: 200 });
  t.clock.now += 500;
  t.progress.handle({ type: "row", result: row(2, "skipped") });
  t.progress.finish();
  for (const bar of t.bars()) {
    assert.doesNotMatch(bar, /\[[#.]+\]|0\/200/, bar);
  }
  assert.ok(t.bars().some((b) => b.startsWith("checking existing runs")));
});

Deno.test("Progress: no rate in the wait phase; rate and ETA come before the details, never cut at 80 columns", () => {
  const t = onTerminal(80);
  t.progress.handle({ type: "phase", phase: "launch", total: 200 });
  for (let i = 0; i < 5; i++) {
    t.clock.now += 500;
    t.progress.handle({
      type: "pace",
      active: 2,
      waiting: 195,
      done: i,
      others: 3,
    } as never);
    t.progress.handle({ type: "row", result: row(i + 2, "launched") });
  }
  const launching = t.bars().filter((b) => b.startsWith("launch"));
  assert.ok(launching.length > 0);
  for (const bar of launching) {
    assert.ok(bar.length <= 79, bar);
    assert.match(bar, /\d+(\.\d)?\/s {2}ETA \S+/, bar);
  }
  t.progress.handle({ type: "phase", phase: "wait", total: 5 });
  t.clock.now += 500;
  t.progress.handle({
    type: "wait",
    running: 2,
    completed: 3,
    failed: 0,
  } as never);
  t.progress.finish();
  const waiting = t.bars().filter((b) => b.startsWith("wait"));
  assert.ok(waiting.length > 0);
  for (const bar of waiting) assert.doesNotMatch(bar, /\/s|ETA/, bar);
});

Deno.test("Progress: all launched, the bar does not say waiting; clear() before a question leaves the line empty", () => {
  const t = onTerminal(120);
  t.progress.handle({ type: "phase", phase: "launch", total: 1 });
  t.progress.handle({
    type: "pace",
    active: 1,
    waiting: 1,
    done: 0,
  } as never);
  t.clock.now += 500;
  t.progress.handle({ type: "row", result: row(2, "launched") });
  const last = t.bars().at(-1)!;
  assert.match(last, /1\/1/);
  assert.doesNotMatch(last, /waiting 1/, last);
  t.progress.clear();
  assert.ok(t.out.join("").endsWith("\r\x1b[K"), "the line is cleared");
});

Deno.test("Progress quiet on a terminal (run.ts): no bar left behind at the end", () => {
  const t = onTerminal(80, true);
  t.progress.handle({ type: "phase", phase: "preflight", total: 2 });
  t.clock.now += 500;
  t.progress.handle({ type: "phase", phase: "launch", total: 2 });
  t.clock.now += 500;
  t.progress.handle({ type: "row", result: row(2, "launched") });
  t.progress.finish();
  const text = t.out.join("");
  assert.ok(text === "" || text.endsWith("\r\x1b[K"), JSON.stringify(text));
  assert.doesNotMatch(text, /\n/);
});
