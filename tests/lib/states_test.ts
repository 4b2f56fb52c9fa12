import assert from "node:assert/strict";
import {
  classifyRun,
  classifyState,
  countStates,
  passedSince,
} from "../../lib/states.ts";

Deno.test("classifyState() groups Torrent Suite states", () => {
  for (const s of ["Pending", "Queued", "Started"]) {
    assert.equal(classifyState(s), "running", s);
  }
  assert.equal(classifyState("Completed"), "completed");
  for (
    const s of [
      "Error",
      "Timed Out",
      "Declined",
      "Resource",
      "Unknown",
      "Archived",
      "Failed Validation",
      "Something New",
      "",
      "completed",
    ]
  ) {
    assert.equal(classifyState(s), "failed", s);
  }
  assert.equal(classifyState(null), "missing");
  assert.equal(classifyState("Cancelled"), "cancelled", "stopped on purpose");
});

Deno.test("countStates() tallies running, completed and failed runs", () => {
  const counts = countStates([
    { state: "Queued" },
    { state: "Started" },
    { state: "Completed" },
    { state: "Error" },
    { state: "Failed Validation" },
    { state: "Cancelled" },
    { state: null },
  ]);
  assert.deepEqual(counts, {
    running: 2,
    completed: 1,
    failed: 2,
    cancelled: 1,
  });
});

Deno.test("classifyRun() calls a run stale past the limit, from its start or from its launch", () => {
  const now = Date.parse("2026-03-02T12:00:00Z");
  const hours = (h: number) => h * 3_600_000;
  const started = (h: number) => ({
    state: "Started",
    starttime: new Date(now - hours(h)).toISOString().replace("Z", "+00:00"),
  });
  assert.equal(classifyRun(started(24), { now }), "running");
  assert.equal(classifyRun(started(26), { now }), "stale");
  assert.equal(
    classifyRun(started(26), { now, staleAfterMs: hours(30) }),
    "running",
  );
  // Queued: no start time on the server; the journal's launch time counts.
  const queued = { state: "Queued", starttime: null };
  assert.equal(classifyRun(queued, { now }), "running");
  assert.equal(
    classifyRun(queued, { now, launchedAt: now - hours(30) }),
    "stale",
  );
  assert.equal(
    classifyRun({ state: "Error", starttime: null }, { now }),
    "failed",
  );
  assert.equal(classifyRun({ state: "Cancelled" }, { now }), "cancelled");
  assert.equal(classifyRun(undefined, { now }), "missing");
});

Deno.test("passedSince() dates each waiting run by the first newer run that started; classifyRun() counts a run held past the limit as stale", () => {
  const at = (h: number) =>
    `2026-03-01T${String(h).padStart(2, "0")}:00:00+00:00`;
  const runs = [
    { id: 5, state: "Completed", starttime: at(9) },
    { id: 3, state: "Queued", starttime: null }, // passed by 4 (08:00) and 5
    { id: 4, state: "Started", starttime: at(8) },
    { id: 6, state: "Queued", starttime: null }, // nothing newer: not passed
    { id: 2, state: "Pending", starttime: null }, // passed by 4 first
    { id: 1, state: "Started", starttime: at(1) },
  ];
  const passed = passedSince(runs);
  assert.deepEqual([...passed.keys()].sort(), [2, 3]);
  assert.equal(passed.get(3), Date.parse("2026-03-01T08:00:00Z"));
  assert.equal(passed.get(2), Date.parse("2026-03-01T08:00:00Z"));

  const now = Date.parse("2026-03-02T12:00:00Z"); // 28 h after 08:00
  const queued = { state: "Queued", starttime: null };
  assert.equal(classifyRun(queued, { now, passedAt: passed.get(3) }), "stale");
  assert.equal(
    classifyRun(queued, {
      now,
      passedAt: passed.get(3),
      staleAfterMs: 30 * 3600_000,
    }),
    "running",
  );
  // Not passed and no launch time known: waiting, never stale.
  assert.equal(
    classifyRun(queued, { now, passedAt: passed.get(6) }),
    "running",
  );
  // Passed recently, launched long ago: the launch says stale.
  assert.equal(
    classifyRun(queued, {
      now,
      passedAt: now - 1000,
      launchedAt: now - 26 * 3600_000,
    }),
    "stale",
  );
});
