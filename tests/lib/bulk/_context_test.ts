import assert from "node:assert/strict";
import {
  type BulkContext,
  decide,
  recordOutcome,
  resultOf,
} from "../../../lib/bulk/_context.ts";
import type { BulkEvent } from "../../../lib/bulk/summary.ts";
import type { PluginResult } from "../../../lib/types.ts";
import { bulkContext, taskFor } from "../../_helpers.ts";

const HOUR = 3_600_000;
const noClient = {} as BulkContext["client"];

Deno.test("decide() counts a Queued run as stale only by this machine's launch time of that very run", () => {
  const now = Date.UTC(2026, 0, 10);
  const queued = { id: 42, state: "Queued", starttime: null } as PluginResult;
  const ctx = (run: number) =>
    bulkContext(noClient, {
      now: () => now,
      policy: ["stale"],
      staleAfterMs: 25 * HOUR,
      launchedAt: new Map([["7/igv", { at: now - 30 * HOUR, run }]]),
    });
  // Launched 30 h ago and still Queued: its job is gone.
  const stale = decide(ctx(42), queued, "7/igv");
  assert.equal(stale.class, "stale");
  assert.equal(stale.launch, true);
  // The launch time of another run of the pair says nothing about this one.
  const other = decide(ctx(41), queued, "7/igv");
  assert.equal(other.class, "running");
  assert.equal(other.launch, false);
  // Nor does a launch time of another pair.
  assert.equal(decide(ctx(42), queued, "8/igv").class, "running");
  // The policy decides what a stale run means.
  const kept = decide({ ...ctx(42), policy: ["failed"] }, queued, "7/igv");
  assert.equal(kept.launch, false);
  assert.match(kept.reason, /stale: run 42 is Queued/);
});

Deno.test("decide() follows the context's policy, clock and stale limit", () => {
  const now = Date.UTC(2026, 0, 10);
  const started = (hoursAgo: number) =>
    ({
      id: 5,
      state: "Started",
      starttime: new Date(now - hoursAgo * HOUR).toISOString(),
    }) as PluginResult;
  const ctx = bulkContext(noClient, {
    now: () => now,
    policy: ["stale"],
    staleAfterMs: 2 * HOUR,
  });
  assert.equal(decide(ctx, started(1), "1/igv").launch, false);
  assert.equal(decide(ctx, started(3), "1/igv").launch, true);
  assert.equal(decide(ctx, undefined, "1/igv").launch, true);
  const failed = { id: 6, state: "Error", starttime: null } as PluginResult;
  assert.equal(decide(ctx, failed, "1/igv").launch, false);
  assert.equal(
    decide({ ...ctx, policy: "always" }, started(1), "1/igv").launch,
    true,
  );
});

Deno.test("recordOutcome() records the outcome on the first row, the run on its duplicates, and reports it once", () => {
  const events: BulkEvent[] = [];
  const ctx = bulkContext(noClient, {
    emit: (e) => events.push(e),
    redact: (text) => text.replaceAll("hunter2", "***"),
  });
  const task = taskFor(7, "igv");
  const duplicate = { ...task.rows[0]!, line: 9, outcome: "skipped" as const };
  task.rows.push(duplicate);
  recordOutcome(ctx, task, {
    outcome: "failed",
    run: 31,
    message: "server said: password=hunter2",
  });
  const first = resultOf(task);
  assert.equal(first, task.rows[0]);
  assert.equal(first.outcome, "failed");
  assert.equal(first.run, 31);
  assert.equal(first.message, "server said: password=***", "redacted");
  assert.equal(first.state, null, "no state given: null");
  assert.equal(first.line, 7, "the rest of the row is kept");
  assert.equal(duplicate.run, 31);
  assert.equal(duplicate.outcome, "skipped", "a duplicate keeps its outcome");
  assert.deepEqual(events, [{ type: "row", result: first }]);

  recordOutcome(bulkContext(noClient), task, {
    outcome: "skipped",
    run: 32,
    message: "already running: run 32 is Started",
    state: "Started",
  });
  assert.equal(first.state, "Started");
  assert.equal(first.message, "already running: run 32 is Started");
});
