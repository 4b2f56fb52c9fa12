// Unit tests of the resume step: which tasks an interrupted session already
// launched (settled, never relaunched) and which are left to do.

import assert from "node:assert/strict";
import type { BulkContext, Task } from "../../lib/_bulk_context.ts";
import { resumeTasks } from "../../lib/_bulk_resume.ts";
import type { BulkEvent } from "../../lib/summary.ts";
import type { PluginResult } from "../../lib/types.ts";

function task(report: number, before: number): Task {
  return {
    key: `${report}/igv`,
    report,
    plugin: "igv",
    config: null,
    before,
    rows: [{
      line: report,
      report,
      plugin: "igv",
      outcome: "planned",
      run: null,
      message: "",
      state: null,
    }],
  };
}

Deno.test("resumeTasks() settles what the journal launched and checks the in-doubt ones", () => {
  const events: BulkEvent[] = [];
  const ctx: BulkContext = {
    client: undefined as unknown as BulkContext["client"], // not used
    journal: undefined,
    emit: (e) => void events.push(e),
    signal: undefined,
    retry: { retries: 0, baseDelayMs: 1, random: Math.random },
    concurrency: 1,
  };
  const run = (id: number) => ({ id, state: "Queued" }) as PluginResult;
  const tasks = [task(1, 0), task(2, 10), task(3, 20), task(4, 5)];
  // Task n's newest run now: 1 → run 31 (launched), 2 → run 12 (newer than
  // the 10 recorded: the in-doubt POST landed), 3 → still 20 (it did not).
  const latest = new Map([["1/igv", run(31)], ["2/igv", run(12)], [
    "3/igv",
    run(20),
  ]]);
  tasks[1]!.before = 12;
  const unfinished = new Map([
    ["1/igv", { status: "launched" as const, before: 0, run: 31 }],
    ["2/igv", { status: "in-doubt" as const, before: 10, run: null }],
    ["3/igv", { status: "in-doubt" as const, before: 20, run: null }],
  ]);
  const { remaining, resumed } = resumeTasks(ctx, {
    tasks,
    unfinished,
    latest,
  });
  assert.equal(resumed, 2);
  assert.deepEqual(remaining.map((t) => t.report), [3, 4]);
  assert.deepEqual(
    tasks.slice(0, 2).map((
      t,
    ) => [t.rows[0]!.outcome, t.rows[0]!.run, t.before]),
    [["launched", 31, 0], ["launched", 12, 10]],
  );
  assert.equal(events.length, 2);
});
