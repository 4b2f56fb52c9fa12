// Unit tests of the journal's replay: what a resumed invocation learns the
// job launched, failed or left in doubt.

import assert from "node:assert/strict";
import type { JournalRecord } from "../../../lib/bulk/journal.ts";
import { replayJournal } from "../../../lib/bulk/journal_replay.ts";

const T = "2026-01-01T00:00:00.000Z";
const r = (x: Record<string, unknown>, time = T) =>
  ({ time, ...x }) as JournalRecord;

Deno.test("replayJournal() tells launched, failed and in-doubt pairs apart", () => {
  const at = (s: number) => new Date(Date.parse(T) + s * 1000).toISOString();
  const records = [
    r({
      type: "job",
      id: "j1",
      input: "x",
      flags: {},
      version: "1",
      maxBefore: 9,
    }),
    r({ type: "start", pid: 1, version: "1" }),
    // Sent, no answer recorded: in doubt since its intent.
    r({ type: "intent", report: 1, plugin: "a", before: 7 }, at(1)),
    // Sent, its answer lost, recorded as such: in doubt since its intent.
    r({ type: "intent", report: 5, plugin: "a", before: 2 }, at(2)),
    r(
      { type: "in-doubt", report: 5, plugin: "a", before: 2, error: "timeout" },
      at(30),
    ),
    // Accepted; its run found later.
    r({ type: "intent", report: 2, plugin: "a", before: 0 }, at(3)),
    r({ type: "launched", report: 2, plugin: "a", before: 0, run: null }),
    r({ type: "resolved", report: 2, plugin: "a", run: 41 }),
    // Refused: failed (the guard decides next time).
    r({ type: "intent", report: 3, plugin: "a", before: 0 }),
    r({ type: "failed", report: 3, plugin: "a", error: "410" }),
    // Intent written, never sent (stopped first): nothing happened.
    r({ type: "intent", report: 4, plugin: "a", before: 0 }),
    r({ type: "not-sent", report: 4, plugin: "a" }),
    r({ type: "interrupted" }, at(40)),
  ];
  const state = replayJournal(records, [7]);
  assert.equal(state.job?.id, "j1");
  assert.equal(state.ended, undefined);
  assert.deepEqual(state.damaged, [7]);
  assert.equal(state.latest, Date.parse(at(40)));
  assert.deepEqual(Object.fromEntries(state.pairs), {
    "1/a": {
      status: "in-doubt",
      before: 7,
      run: null,
      sentAt: Date.parse(at(1)),
    },
    "5/a": {
      status: "in-doubt",
      before: 2,
      run: null,
      sentAt: Date.parse(at(2)),
    },
    "2/a": {
      status: "launched",
      before: 0,
      run: 41,
      sentAt: Date.parse(at(3)),
    },
    "3/a": { status: "failed", before: 0, run: null, sentAt: Date.parse(T) },
  });
  // The job's end, and only the end, makes it finished.
  const ended = replayJournal([
    ...records,
    r({ type: "end", counts: { launched: 1 } }),
  ]);
  assert.deepEqual(ended.ended?.counts, { launched: 1 });
  const resumedAfter = replayJournal([
    ...records,
    r({ type: "end", counts: {} }),
    r({ type: "start", pid: 2, version: "1" }),
  ]);
  assert.equal(resumedAfter.ended, undefined);
});

Deno.test("replayJournal() keeps the last plan and which of its pairs were sent since", () => {
  const records = [
    r({
      type: "job",
      id: "j",
      input: "x",
      flags: {},
      version: "1",
      maxBefore: 0,
    }),
    r({ type: "start", pid: 1, version: "1" }),
    r({ type: "intent", report: 1, plugin: "a", before: 0 }),
    r({ type: "failed", report: 1, plugin: "a", error: "refused" }),
    r({ type: "interrupted" }),
    r({ type: "start", pid: 2, version: "1" }),
    // The resume relaunches 1/a (it certainly did not launch) and 2/a.
    r({ type: "plan", pairs: ["1/a", "2/a", "3/a"], launch: ["1/a", "2/a"] }),
    r({ type: "intent", report: 2, plugin: "a", before: 0 }),
  ];
  const state = replayJournal(records);
  assert.deepEqual(state.plan, {
    pairs: ["1/a", "2/a", "3/a"],
    launch: ["1/a", "2/a"],
  });
  // 1/a's failure was before the plan: it is still to be sent.
  assert.deepEqual([...state.sincePlan!], ["2/a"]);
  assert.equal(state.ended, undefined);
  assert.equal(replayJournal(records.slice(0, 3)).plan, undefined);
});
