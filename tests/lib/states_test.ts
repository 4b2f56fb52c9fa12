import assert from "node:assert/strict";
import { classifyState, countStates } from "../../lib/states.ts";

Deno.test("classifyState() groups Torrent Suite states", () => {
  for (const s of ["Pending", "Queued", "Started"]) {
    assert.equal(classifyState(s), "running", s);
  }
  assert.equal(classifyState("Completed"), "completed");
  for (
    const s of [
      "Error",
      "Timed Out",
      "Cancelled",
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
});

Deno.test("countStates() tallies running, completed and failed runs", () => {
  const counts = countStates([
    { state: "Queued" },
    { state: "Started" },
    { state: "Completed" },
    { state: "Error" },
    { state: "Failed Validation" },
    { state: null },
  ]);
  assert.deepEqual(counts, { running: 2, completed: 1, failed: 2 });
});
