// Tests of the end of a job: the runs its launches created are looked up (a
// failed look-up is a warning: the launches happened), and the summary is
// put together, also for a job that had already finished.

import assert from "node:assert/strict";
import type { Task } from "../../../lib/bulk/_context.ts";
import { findNewRuns, finished, summarize } from "../../../lib/bulk/_finish.ts";
import type { OpenedJob } from "../../../lib/bulk/_job.ts";
import type { Plan } from "../../../lib/bulk/_plan.ts";
import type { Registry } from "../../../lib/claims/_registry.ts";
import type { JournalRecord } from "../../../lib/bulk/journal.ts";
import { replayJournal } from "../../../lib/bulk/journal_replay.ts";
import type { BulkEvent, Outcome } from "../../../lib/bulk/summary.ts";
import {
  bulkContext,
  clientFor,
  freshReports,
  simulator,
  taskFor,
} from "../../_helpers.ts";

function withOutcome(report: number, outcome: Outcome, line = report): Task {
  const task = taskFor(report, "igv");
  task.rows[0]!.outcome = outcome;
  task.rows[0]!.line = line;
  return task;
}

/** A plan of these tasks (their rows are its results). */
const planOf = (tasks: Task[]): Plan => ({
  results: tasks.flatMap((t) => t.rows),
  tasks,
  candidates: tasks,
  latest: new Map(),
});

const runGets = (sim: { requests: { method: string; path: string }[] }) =>
  sim.requests.filter((r) =>
    r.method === "GET" && r.path.includes("pluginresult")
  );

Deno.test("findNewRuns() looks up the runs of the launched pairs only, and counts those launched twice", async () => {
  await using sim = await simulator();
  using client = await clientFor(sim);
  const [a, b, c] = freshReports(sim, "igv", 3);
  const a1 = sim.addPluginResult(a!, "igv", "Queued");
  const b1 = sim.addPluginResult(b!, "igv", "Queued");
  const b2 = sim.addPluginResult(b!, "igv", "Queued");
  const c1 = sim.addPluginResult(c!, "igv", "Started");
  const tasks = [
    withOutcome(a!, "launched"),
    withOutcome(b!, "launched"),
    withOutcome(c!, "skipped"),
  ];
  const events: BulkEvent[] = [];
  sim.clearLog();
  const ctx = bulkContext(client, { emit: (e) => events.push(e) });
  assert.equal(await findNewRuns(ctx, tasks), 1);
  assert.deepEqual(tasks.map((t) => t.rows[0]!.run), [a1, b1, null]);
  assert.ok(c1 > 0);
  assert.match(
    tasks[1]!.rows[0]!.message,
    new RegExp(`launched twice, runs ${b1} and ${b2}`),
  );
  assert.deepEqual(events[0], { type: "phase", phase: "resolve", total: 2 });
  const [query] = runGets(sim);
  assert.equal(runGets(sim).length, 1);
  const reports = new URL(query!.path, sim.url).searchParams.get("result__in");
  assert.deepEqual(reports!.split(",").map(Number).sort(), [a, b].sort());

  // Nothing launched: nothing looked up, no phase.
  sim.clearLog();
  events.length = 0;
  assert.equal(await findNewRuns(ctx, [withOutcome(c!, "skipped")]), 0);
  assert.equal(sim.requests.length, 0);
  assert.deepEqual(events, []);
});

Deno.test("findNewRuns() warns when the look-up fails: the launches stay launched, their run ids unknown", async () => {
  await using sim = await simulator();
  using client = await clientFor(sim);
  const [a, b] = freshReports(sim, "igv", 2);
  sim.addPluginResult(a!, "igv", "Queued");
  const known = withOutcome(b!, "launched");
  known.rows[0]!.run = 77;
  known.rows[0]!.message = "launched by an earlier invocation";
  const tasks = [withOutcome(a!, "launched"), known];
  sim.addFault({
    method: "GET",
    path: "/pluginresult/",
    action: { type: "status", status: 503 },
  });
  const warnings: string[] = [];
  const ctx = bulkContext(client, {
    emit: (e) => e.type === "warning" && warnings.push(e.message),
  });
  assert.equal(await findNewRuns(ctx, tasks), 0);
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]!, /^cannot look up the new runs: .*503/);
  const [lost] = tasks.map((t) => t.rows[0]!);
  assert.equal(lost!.outcome, "launched");
  assert.equal(lost!.run, null);
  assert.equal(
    lost!.message,
    "launched (run id not known: the server did not answer the look-up)",
  );
  assert.equal(known.rows[0]!.message, "launched by an earlier invocation");
  assert.equal(known.rows[0]!.run, 77);
});

Deno.test("findNewRuns() lets a bug through instead of calling it a failed look-up", async () => {
  await using sim = await simulator();
  using client = await clientFor(sim);
  const [a] = freshReports(sim, "igv", 1);
  sim.addPluginResult(a!, "igv", "Queued");
  const broken = {
    launched: () => Promise.reject(new TypeError("x is undefined")),
  } as unknown as Registry;
  const warnings: BulkEvent[] = [];
  const ctx = bulkContext(client, {
    registry: broken,
    emit: (e) => e.type === "warning" && warnings.push(e),
  });
  await assert.rejects(
    findNewRuns(ctx, [withOutcome(a!, "launched")]),
    TypeError,
  );
  assert.deepEqual(warnings, []);
});

Deno.test("finished() launches nothing and tells each row what the finished job had", async () => {
  const now = Date.UTC(2026, 2, 1, 10);
  const iso = (ms: number) => new Date(ms).toISOString();
  const rec = (x: Record<string, unknown>) =>
    ({ time: iso(now), ...x }) as JournalRecord;
  const ended = { type: "end", counts: { launched: 1, failed: 1 } };
  const state = {
    ...replayJournal([
      rec({ type: "launched", report: 1, plugin: "igv", before: 0, run: 11 }),
      rec({
        type: "final",
        report: 1,
        plugin: "igv",
        run: 11,
        state: "Completed",
      }),
      rec({ type: "failed", report: 2, plugin: "igv", error: "404" }),
      rec(ended),
    ]),
    torn: undefined,
  };
  const job: OpenedJob = {
    journal: undefined,
    state,
    notes: [],
    release: () => Promise.resolve(),
  };
  const tasks = [
    withOutcome(1, "planned"),
    withOutcome(2, "planned"),
    withOutcome(3, "planned"),
  ];
  const events: BulkEvent[] = [];
  const ctx = bulkContext({} as Parameters<typeof bulkContext>[0], {
    emit: (e) => events.push(e),
  });
  const summary = await finished(ctx, planOf(tasks), job);
  const rows = tasks.map((t) => t.rows[0]!);
  assert.ok(rows.every((r) => r.outcome === "skipped"));
  assert.deepEqual(rows.map((r) => [r.run, r.state]), [
    [11, "Completed"],
    [null, null],
    [null, null],
  ]);
  assert.equal(
    rows[0]!.message,
    `the job finished at ${iso(now)} (this pair: launched)`,
  );
  assert.equal(
    rows[1]!.message,
    `the job finished at ${iso(now)} (this pair: failed)`,
  );
  assert.equal(rows[2]!.message, `the job finished at ${iso(now)}`);
  assert.deepEqual(summary.finished, { at: iso(now), counts: ended.counts });
  assert.equal(summary.counts.skipped, 3);
  assert.equal(summary.resumed, 0);
  assert.equal(summary.duplicates, 0);
  assert.equal(events.filter((e) => e.type === "row").length, 3);
});

Deno.test("summarize() lists results in input order and says when the latest launch in doubt can be settled", () => {
  const sentAt = Date.UTC(2026, 2, 1, 10);
  const doubtEarly = withOutcome(5, "in-doubt", 4);
  doubtEarly.sentAt = sentAt;
  const doubtLate = withOutcome(6, "in-doubt", 2);
  doubtLate.sentAt = sentAt + 30_000;
  const inheritedNoTime = withOutcome(7, "in-doubt", 5);
  const launched = withOutcome(8, "launched", 3);
  launched.sentAt = sentAt + 90_000; // not in doubt: does not count
  const tasks = [doubtEarly, doubtLate, inheritedNoTime, launched];
  const plan = planOf(tasks);
  plan.results.push({
    line: 1,
    report: null,
    plugin: null,
    outcome: "invalid",
    run: null,
    message: "no report",
    state: null,
  });
  const summary = summarize(plan, {
    resumed: 2,
    duplicates: 1,
    pendingAfterWait: 3,
    interrupted: true,
    settleMs: 600_000,
  });
  assert.deepEqual(summary.results.map((r) => r.line), [1, 2, 3, 4, 5]);
  assert.equal(summary.counts["in-doubt"], 3);
  assert.equal(summary.counts.invalid, 1);
  assert.equal(summary.counts.launched, 1);
  assert.equal(summary.settleAfter, new Date(sentAt + 630_000).toISOString());
  assert.equal(summary.resumed, 2);
  assert.equal(summary.duplicates, 1);
  assert.equal(summary.pendingAfterWait, 3);
  assert.equal(summary.interrupted, true);

  const calm = summarize(planOf([withOutcome(9, "launched")]), {
    resumed: 0,
    duplicates: 0,
  });
  assert.equal(calm.interrupted, false);
  assert.equal(calm.pendingAfterWait, 0);
  assert.equal(
    "settleAfter" in calm,
    false,
    "nothing in doubt: no settle time",
  );
});
