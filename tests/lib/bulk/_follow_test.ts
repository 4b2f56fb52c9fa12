// Tests of the last phase: finding the run each launch created (saying so
// plainly when a pair shows two), and following the runs to their end.

import assert from "node:assert/strict";
import { Beacon } from "../../../lib/claims/_beacon.ts";
import type { Task } from "../../../lib/bulk/_context.ts";
import { resolveRuns, waitAll } from "../../../lib/bulk/_follow.ts";
import { launchTimes, Registry } from "../../../lib/claims/_registry.ts";
import {
  Journal,
  type JournalRecord,
  readJournal,
} from "../../../lib/bulk/journal.ts";
import type { BulkEvent } from "../../../lib/bulk/summary.ts";
import {
  bulkContext,
  clientFor,
  freshReports,
  simulator,
  taskFor,
} from "../../_helpers.ts";

/** A task the server accepted (202), its run not known yet. */
function accepted(report: number, before = 0, plugin = "igv"): Task {
  const task = { ...taskFor(report, plugin), before };
  task.rows[0]!.outcome = "launched";
  return task;
}

const strip = (records: JournalRecord[]) =>
  records.map(({ time: _, ...rest }) => rest as Record<string, unknown>);

Deno.test("resolveRuns() gives each launch the oldest new run, counts pairs launched twice, and records them", async () => {
  await using sim = await simulator();
  using client = await clientFor(sim);
  const dir = await Deno.makeTempDir();
  const beacon = await Beacon.start(`${dir}/procs`);
  const journal = await Journal.open(`${dir}/j.ndjson`);
  try {
    const registry = await Registry.open(dir, {
      server: client.baseUrl,
      job: "job-1",
      beacon,
      settleMs: 60_000,
    });
    const [a, b] = freshReports(sim, "igv", 2);
    const old = sim.addPluginResult(b!, "igv", "Completed");
    const a1 = sim.addPluginResult(a!, "igv", "Queued");
    const b1 = sim.addPluginResult(b!, "igv", "Queued");
    const b2 = sim.addPluginResult(b!, "igv", "Queued");
    const ta = accepted(a!);
    const duplicateRow = {
      ...ta.rows[0]!,
      line: 99,
      outcome: "skipped" as const,
    };
    ta.rows.push(duplicateRow);
    const tb = accepted(b!, old);
    await registry.claim([ta, tb]);
    const ctx = bulkContext(client, { journal, registry });

    const doubles = await resolveRuns(ctx, [ta, tb]);
    assert.equal(doubles, 1);
    assert.equal(ta.rows[0]!.run, a1);
    assert.equal(duplicateRow.run, a1, "duplicate rows follow");
    assert.equal(tb.rows[0]!.run, b1, "the oldest new run, not the old one");
    assert.equal(
      tb.rows[0]!.message,
      `report ${b} igv: launched twice, runs ${b1} and ${b2}`,
    );
    assert.equal(tb.rows[0]!.outcome, "launched");
    await journal.flush();
    assert.deepEqual(
      strip((await readJournal(`${dir}/j.ndjson`)).records),
      [
        { type: "resolved", report: a, plugin: "igv", run: a1 },
        { type: "resolved", report: b, plugin: "igv", run: b1 },
      ],
    );
    const times = await launchTimes(dir, {
      server: client.baseUrl,
      pairs: [ta, tb],
    });
    assert.deepEqual(
      [times.get(`${a}/igv`)?.run, times.get(`${b}/igv`)?.run],
      [a1, b1],
      "the registry knows the runs",
    );
    assert.equal(await resolveRuns(ctx, []), 0);
  } finally {
    await journal.close();
    beacon.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("resolveRuns() fails a launch the server accepted without creating a run, and keeps a run already known", async () => {
  await using sim = await simulator();
  using client = await clientFor(sim);
  const dir = await Deno.makeTempDir();
  const journal = await Journal.open(`${dir}/j.ndjson`);
  try {
    const [lost, resumed, known] = freshReports(sim, "igv", 3);
    const noRun = accepted(lost!);
    // Resumed from the journal: its run is known and no newer one shows.
    const fromJournal = accepted(resumed!);
    fromJournal.rows[0]!.run = 555;
    fromJournal.rows[0]!.message = "launched by an earlier invocation";
    // Its run known, and the server shows it: the known one stays.
    const first = sim.addPluginResult(known!, "igv", "Queued");
    const second = sim.addPluginResult(known!, "igv", "Queued");
    const withRun = accepted(known!);
    withRun.rows[0]!.run = second;
    const doubles = await resolveRuns(bulkContext(client, { journal }), [
      noRun,
      fromJournal,
      withRun,
    ]);
    assert.equal(doubles, 1, `${first} and ${second}: twice`);
    assert.equal(noRun.rows[0]!.outcome, "failed");
    assert.match(
      noRun.rows[0]!.message,
      /accepted the launch \(202\) but created no plugin run/,
    );
    assert.deepEqual(
      [fromJournal.rows[0]!.outcome, fromJournal.rows[0]!.run],
      ["launched", 555],
    );
    assert.equal(
      fromJournal.rows[0]!.message,
      "launched by an earlier invocation",
    );
    assert.equal(withRun.rows[0]!.run, second);
    await journal.flush();
    const records = strip((await readJournal(`${dir}/j.ndjson`)).records);
    assert.deepEqual(records, [
      {
        type: "failed",
        report: lost,
        plugin: "igv",
        error: "accepted, no run created",
      },
      { type: "resolved", report: known, plugin: "igv", run: second },
    ]);
  } finally {
    await journal.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("waitAll() follows launched runs to their end: states on every row, failures failed, final states journaled", async () => {
  await using sim = await simulator({ runSpread: 0 });
  using client = await clientFor(sim);
  const dir = await Deno.makeTempDir();
  const journal = await Journal.open(`${dir}/j.ndjson`);
  try {
    const [live, done, broken, skipped] = freshReports(sim, "igv", 4);
    await client.post(`results/${live}/plugin/`, { plugin: ["igv"] });
    const tasks = [accepted(live!), accepted(done!), accepted(broken!)];
    tasks[1]!.rows[0]!.run = sim.addPluginResult(done!, "igv", "Completed");
    tasks[2]!.rows[0]!.run = sim.addPluginResult(broken!, "igv", "Error");
    const duplicate = {
      ...tasks[0]!.rows[0]!,
      line: 50,
      outcome: "skipped" as const,
    };
    tasks[0]!.rows.push(duplicate);
    const notLaunched = taskFor(skipped!, "igv");
    notLaunched.rows[0]!.outcome = "skipped";
    notLaunched.rows[0]!.run = sim.addPluginResult(skipped!, "igv", "Started");
    const events: BulkEvent[] = [];
    const ctx = bulkContext(client, { journal, emit: (e) => events.push(e) });
    await resolveRuns(ctx, tasks.slice(0, 1));
    const liveRun = tasks[0]!.rows[0]!.run!;
    assert.ok(liveRun > 0);

    const left = await waitAll(ctx, [...tasks, notLaunched], {
      timeoutMs: 30_000,
      pollMs: 20,
    });
    assert.deepEqual(left, { pending: 0, stale: 0 });
    assert.deepEqual(
      events.find((e) => e.type === "phase"),
      { type: "phase", phase: "wait", total: 3 },
      "only launched runs are followed",
    );
    assert.ok(events.some((e) => e.type === "wait"));
    const rows = tasks.map((t) => t.rows[0]!);
    assert.deepEqual(rows.map((r) => [r.outcome, r.state]), [
      ["launched", "Completed"],
      ["launched", "Completed"],
      ["failed", "Error"],
    ]);
    assert.equal(duplicate.state, "Completed");
    assert.equal(rows[2]!.message, `run ${rows[2]!.run} ended Error`);
    assert.equal(
      notLaunched.rows[0]!.state,
      null,
      "a skipped row is not followed",
    );
    const finals = strip((await readJournal(`${dir}/j.ndjson`)).records)
      .filter((r) => r.type === "final");
    assert.deepEqual(finals.map((r) => r.state as string).sort(), [
      "Completed",
      "Completed",
      "Error",
    ]);
  } finally {
    await journal.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("waitAll() says which runs still ran at the timeout, and what it could not check", async () => {
  await using sim = await simulator();
  using client = await clientFor(sim);
  const [stuck, unseen] = freshReports(sim, "igv", 2);
  const running = accepted(stuck!);
  running.rows[0]!.run = sim.addPluginResult(stuck!, "igv", "Started");
  const events: BulkEvent[] = [];
  const ctx = bulkContext(client, { emit: (e) => events.push(e) });
  const left = await waitAll(ctx, [running], { timeoutMs: 100, pollMs: 20 });
  assert.deepEqual(left, { pending: 1, stale: 0 });
  assert.equal(running.rows[0]!.outcome, "launched");
  assert.equal(running.rows[0]!.state, "Started");
  assert.equal(
    running.rows[0]!.message,
    `run ${running.rows[0]!.run} still Started when --timeout passed`,
  );

  // Every status check fails: the state is not known, and the row says why.
  const unknown = accepted(unseen!);
  unknown.rows[0]!.run = sim.addPluginResult(unseen!, "igv", "Started");
  unknown.rows[0]!.message = "first run on this report";
  sim.addFault({
    method: "GET",
    path: "/pluginresult/",
    action: { type: "status", status: 503 },
  });
  events.length = 0;
  const still = await waitAll(ctx, [unknown], { timeoutMs: 100, pollMs: 20 });
  assert.deepEqual(still, { pending: 1, stale: 0 });
  assert.match(
    unknown.rows[0]!.message,
    new RegExp(
      `^run ${
        unknown.rows[0]!.run
      }: state not known \\(the last status check failed: .*503`,
    ),
  );
  assert.equal(unknown.rows[0]!.state, null);
  assert.ok(
    events.some((e) =>
      e.type === "warning" &&
      /status check failed, still waiting/.test(e.message)
    ),
  );
});

Deno.test("waitAll() stops when the signal aborts, counting the runs it followed", async () => {
  await using sim = await simulator();
  using client = await clientFor(sim);
  const [a, b] = freshReports(sim, "igv", 2);
  const tasks = [accepted(a!), accepted(b!)];
  tasks[0]!.rows[0]!.run = sim.addPluginResult(a!, "igv", "Started");
  tasks[1]!.rows[0]!.run = sim.addPluginResult(b!, "igv", "Started");
  const stop = new AbortController();
  const ctx = bulkContext(client, {
    signal: stop.signal,
    emit: (e) => e.type === "wait" && stop.abort(),
  });
  const left = await waitAll(ctx, tasks, { timeoutMs: 60_000, pollMs: 20 });
  assert.deepEqual(left, { pending: 2, stale: 0 });
  assert.ok(tasks.every((t) => t.rows[0]!.state === null));
});
