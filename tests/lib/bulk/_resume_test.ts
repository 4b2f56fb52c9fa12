// Tests of the resume step: what the job launched is settled, never launched
// again; what it left in doubt is looked for on the server, and launched
// again only once the settle window has passed.

import assert from "node:assert/strict";
import type { Task } from "../../../lib/bulk/_context.ts";
import { resumeTasks } from "../../../lib/bulk/_resume.ts";
import { Settler } from "../../../lib/bulk/_settle.ts";
import type { JournalRecord } from "../../../lib/bulk/journal.ts";
import { replayJournal } from "../../../lib/bulk/journal_replay.ts";
import type { PluginResult } from "../../../lib/types.ts";
import {
  bulkContext,
  clientFor,
  freshReports,
  simulator,
} from "../../_helpers.ts";

function task(report: number, before = 0): Task {
  return {
    key: `${report}/igv`,
    report,
    plugin: "igv",
    given: null,
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

Deno.test("resumeTasks() settles what the job launched and looks for what it left in doubt", async () => {
  await using sim = await simulator();
  await using client = await clientFor(sim);
  const [a, b, c, d, e] = freshReports(sim, "igv", 5);
  const now = Date.now();
  const ctx = bulkContext(client, {
    settleMs: 60_000,
    graceMs: 10,
    now: () => now,
  });
  // b's in-doubt launch did land; c's and d's did not (c long ago, d just now).
  const landed = sim.addPluginResult(b!, "igv", "Queued");
  const iso = (ms: number) => new Date(ms).toISOString();
  const rec = (x: Record<string, unknown>, time: number) =>
    ({ time: iso(time), ...x }) as JournalRecord;
  const state = replayJournal([
    rec(
      { type: "launched", report: a, plugin: "igv", before: 0, run: 77 },
      now - 5000,
    ),
    rec({ type: "intent", report: b, plugin: "igv", before: 0 }, now - 5000),
    rec({ type: "intent", report: c, plugin: "igv", before: 0 }, now - 120_000),
    rec({ type: "intent", report: d, plugin: "igv", before: 0 }, now - 1000),
  ]);
  const tasks = [task(a!), task(b!, landed), task(c!), task(d!), task(e!)];
  const latest = new Map<string, PluginResult>([
    [`${b}/igv`, { id: landed, state: "Queued" } as PluginResult],
  ]);
  const settler = new Settler(ctx);
  const { remaining, resumed, inDoubt } = await resumeTasks(ctx, {
    tasks,
    state,
    latest,
  });
  for (const t of inDoubt) settler.add(t);
  assert.equal(resumed, 2, "a from the journal, b found on the server");
  const outcome = (t: Task) => [t.report, t.rows[0]!.outcome, t.rows[0]!.run];
  assert.deepEqual(outcome(tasks[0]!), [a, "launched", 77]);
  assert.deepEqual(outcome(tasks[1]!), [b, "launched", landed]);
  assert.equal(
    tasks[1]!.before,
    0,
    "the bound of the journal, not of the plan",
  );
  // c: settle window passed, no run: launched again. e: never sent.
  assert.deepEqual(remaining.map((t) => t.report), [c, e]);
  // d: in doubt until the window passes; this invocation does not send it.
  assert.deepEqual([...settler.open].map((t) => t.report), [d]);
  await settler.finish();
  assert.equal(tasks[3]!.rows[0]!.outcome, "in-doubt");
  assert.match(tasks[3]!.rows[0]!.message, /run the same command after /);
});

Deno.test("resumeTasks() treats every unsettled pair as in doubt when a record is unreadable", async () => {
  await using sim = await simulator();
  await using client = await clientFor(sim);
  const [a, b] = freshReports(sim, "igv", 2);
  const now = Date.now();
  const ctx = bulkContext(client, {
    settleMs: 60_000,
    graceMs: 10,
    now: () => now,
  });
  // The unreadable record was a's intent: a's run landed after the job began.
  const job = {
    type: "job",
    id: "j",
    input: "x",
    flags: {},
    version: "1",
    maxBefore: 0,
  };
  const state = replayJournal([
    { time: new Date(now - 2000).toISOString(), ...job } as JournalRecord,
  ], [3]);
  const landed = sim.addPluginResult(a!, "igv", "Started");
  const settler = new Settler(ctx);
  const tasks = [task(a!, landed), task(b!)];
  const { remaining, resumed, inDoubt } = await resumeTasks(ctx, {
    tasks,
    state,
    latest: new Map([[
      `${a}/igv`,
      { id: landed, state: "Started" } as PluginResult,
    ]]),
  });
  for (const t of inDoubt) settler.add(t);
  assert.equal(resumed, 1);
  assert.equal(tasks[0]!.rows[0]!.outcome, "launched");
  assert.deepEqual(
    remaining,
    [],
    "b may have been sent too: not relaunched yet",
  );
  assert.equal(settler.open.size, 1);
  await settler.finish();
  assert.equal(tasks[1]!.rows[0]!.outcome, "in-doubt");
});
