// Tests of getting tasks ready to launch: a stale guard view is looked up
// again (in one request, the next pairs with it), pairs another launcher
// started are skipped, pairs are claimed, intents are synced to the journal.

import assert from "node:assert/strict";
import { Beacon } from "../../../lib/claims/_beacon.ts";
import type { Task } from "../../../lib/bulk/_context.ts";
import {
  gate,
  type GuardView,
  prepare,
  REFRESH_BATCH,
  REFRESH_MS,
  refreshAfter,
} from "../../../lib/bulk/_prepare.ts";
import { Settler } from "../../../lib/bulk/_settle.ts";
import { Registry } from "../../../lib/claims/_registry.ts";
import { Journal, readJournal } from "../../../lib/bulk/journal.ts";
import type { Simulator } from "../../../simulator/mod.ts";
import {
  bulkContext,
  clientFor,
  freshReports,
  simulator,
  taskFor,
} from "../../_helpers.ts";

const runGets = (sim: Simulator) =>
  sim.requests.filter((r) =>
    r.method === "GET" && r.path.includes("pluginresult")
  );

/** A guard view that read every task's pair at `at`, with no runs. */
const viewAt = (tasks: Task[], at: number): GuardView => ({
  latest: new Map(),
  checkedAt: new Map(tasks.map((t) => [t.key, at])),
});

const outcomes = (tasks: Task[]) => tasks.map((t) => t.rows[0]!.outcome);

Deno.test("prepare() launches on a fresh view without a request, and journals nothing yet", async () => {
  await using sim = await simulator();
  using client = await clientFor(sim);
  const dir = await Deno.makeTempDir();
  const path = `${dir}/j.ndjson`;
  const journal = await Journal.open(path);
  try {
    const tasks = freshReports(sim, "igv", 3).map((r) => taskFor(r, "igv"));
    const ctx = bulkContext(client, { journal });
    sim.clearLog();
    const ready = await prepare(ctx, tasks, {
      view: viewAt(tasks, Date.now()),
      queue: [],
    });
    assert.deepEqual(ready, tasks);
    assert.equal(sim.requests.length, 0, "a view this fresh is not read again");
    // An intent says "may have been sent": none before the gate.
    assert.deepEqual((await readJournal(path)).records, []);
    assert.deepEqual(
      await prepare(ctx, [], { view: viewAt([], 0), queue: [] }),
      [],
    );
  } finally {
    await journal.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("gate() syncs each intent right before its launch, timed then", async () => {
  await using sim = await simulator();
  using client = await clientFor(sim);
  const dir = await Deno.makeTempDir();
  const path = `${dir}/j.ndjson`;
  const journal = await Journal.open(path);
  try {
    const tasks = freshReports(sim, "igv", 3).map((r) => taskFor(r, "igv"));
    tasks[1]!.before = 12;
    const ctx = bulkContext(client, { journal });
    const settler = new Settler(ctx);
    const view = viewAt(tasks, Date.now());
    const before = Date.now();
    const gates = await Promise.all(
      tasks.map((t) => gate(ctx, t, { view, settler })),
    );
    assert.deepEqual(gates, tasks.map(() => ({ go: true })));
    // On disk when gate() returns (no flush or close in between), timed now.
    const { records } = await readJournal(path);
    assert.deepEqual(
      records.map((r) => r.type === "intent" && [r.report, r.before]),
      tasks.map((t) => [t.report, t.before]),
    );
    for (const r of records) assert.ok(Date.parse(r.time) >= before - 1);
    assert.equal(sim.requests.length, 0);
  } finally {
    await journal.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("prepare() reads a stale view again with the next pairs, and skips what was started since the plan", async () => {
  await using sim = await simulator();
  using client = await clientFor(sim);
  const [started, failed, untouched, next, fresh] = freshReports(sim, "igv", 5);
  const chunk = [started!, failed!, untouched!].map((r) => taskFor(r, "igv"));
  const queue = [next!, fresh!].map((r) => taskFor(r, "igv"));
  const now = Date.now();
  const view = viewAt([...chunk, ...queue], now - REFRESH_MS - 1_000);
  view.checkedAt.set(queue[1]!.key, now); // read just now: not again
  // Since the plan, another launcher started one pair; another's run failed.
  const running = sim.addPluginResult(started!, "igv", "Started");
  const error = sim.addPluginResult(failed!, "igv", "Error");
  sim.clearLog();
  const ctx = bulkContext(client, { now: () => now });
  const ready = await prepare(ctx, chunk, { view, queue });
  assert.equal(
    runGets(sim).length,
    1,
    "one request for the chunk and the next",
  );
  const asked = new URL(runGets(sim)[0]!.path, sim.url).searchParams
    .get("result__in")!.split(",").map(Number).sort();
  assert.deepEqual(asked, [started, failed, untouched, next].sort());
  assert.deepEqual(ready.map((t) => t.report), [failed, untouched]);
  assert.equal(ready[0]!.before, error, "the failed run is the new bound");
  const skipped = chunk[0]!.rows[0]!;
  assert.deepEqual(
    [skipped.outcome, skipped.run, skipped.state],
    ["skipped", running, "Started"],
  );
  assert.equal(
    skipped.message,
    `since the plan, already running: run ${running} is Started`,
  );
  assert.equal(view.checkedAt.get(queue[0]!.key), now, "looked at ahead");
  assert.equal(view.latest.get(chunk[1]!.key)?.id, error);
  assert.ok(REFRESH_BATCH >= 5);
});

Deno.test("prepare() goes on with the plan's view when the look-up fails", async () => {
  await using sim = await simulator();
  using client = await clientFor(sim);
  const tasks = freshReports(sim, "igv", 2).map((r) => taskFor(r, "igv"));
  const view = viewAt(tasks, 0);
  sim.addFault({
    method: "GET",
    path: "/pluginresult/",
    action: { type: "status", status: 503 },
  });
  const ready = await prepare(bulkContext(client), tasks, { view, queue: [] });
  assert.deepEqual(ready, tasks, "the launch itself will meet the trouble");
  assert.ok(runGets(sim).length >= 1);
  assert.equal(view.checkedAt.get(tasks[0]!.key), 0, "not counted as read");
  assert.deepEqual(outcomes(tasks), ["planned", "planned"]);
});

Deno.test("gate() claims its pair; another live job's launch in flight is deferred, its launch skipped", async () => {
  await using sim = await simulator();
  using client = await clientFor(sim);
  const dir = await Deno.makeTempDir();
  const mine = await Beacon.start(`${dir}/procs`);
  const theirs = await Beacon.start(`${dir}/procs`);
  try {
    const open = (job: string, beacon: Beacon) =>
      Registry.open(dir, {
        server: client.baseUrl,
        job,
        beacon,
        settleMs: 60_000,
      });
    const registry = await open("mine", mine);
    const other = await open("theirs", theirs);
    const [free, busy, done] = freshReports(sim, "igv", 3);
    const tasks = [free!, busy!, done!].map((r) => taskFor(r, "igv"));
    // Our view was read a second ago; the other job launched since.
    const view = viewAt(tasks, Date.now() - 1_000);
    await other.claim([tasks[1]!, tasks[2]!]);
    await other.launched([{ report: done!, plugin: "igv", run: null }]);
    const ctx = bulkContext(client, { registry });
    const settler = new Settler(ctx);
    const gates = await Promise.all(
      tasks.map((t) => gate(ctx, t, { view, settler })),
    );
    assert.deepEqual(gates[0], { go: true });
    assert.equal(tasks[0]!.claimed, true);
    // Not skipped: the other job's launch may yet fail; tried again later.
    assert.deepEqual(gates[1], {
      go: false,
      deferred: {
        holder: `pid ${Deno.pid} since ${theirs.owner.started}`,
        pid: Deno.pid,
        stopped: false,
      },
    });
    assert.equal(tasks[1]!.claimed, undefined);
    assert.deepEqual(gates[2], { go: false });
    assert.deepEqual(outcomes(tasks), ["planned", "planned", "skipped"]);
    assert.match(
      tasks[2]!.rows[0]!.message,
      new RegExp(
        `^launched by another job still running \\(pid ${Deno.pid} since .*\\) at `,
      ),
    );
  } finally {
    mine.close();
    theirs.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("gate() settles a dead job's claims from the server before launching them", async () => {
  await using sim = await simulator();
  using client = await clientFor(sim);
  const dir = await Deno.makeTempDir();
  const mine = await Beacon.start(`${dir}/procs`);
  const dead = await Beacon.start(`${dir}/procs`);
  try {
    const open = (job: string, beacon: Beacon) =>
      Registry.open(dir, {
        server: client.baseUrl,
        job,
        beacon,
        settleMs: 60_000,
      });
    const registry = await open("mine", mine);
    const [landed, quiet, recent] = freshReports(sim, "igv", 3);
    const old = sim.addPluginResult(landed!, "igv", "Completed");
    const tasks = [landed!, quiet!, recent!].map((r) => taskFor(r, "igv"));
    tasks[0]!.before = old;
    // Another job (without a journal to tell) claimed the three, and died
    // before recording what it sent.
    await (await open("dead", dead)).claim(tasks);
    dead.close();
    const run = sim.addPluginResult(landed!, "igv", "Queued");
    const view = viewAt(tasks, Date.now());

    // Its launch landed: skipped. No run, settle window over: launched.
    const quick = bulkContext(client, { registry, settleMs: 0 });
    const settler = new Settler(quick);
    assert.deepEqual(await gate(quick, tasks[0]!, { view, settler }), {
      go: false,
    });
    assert.deepEqual(await gate(quick, tasks[1]!, { view, settler }), {
      go: true,
    });
    assert.equal(tasks[1]!.claimed, true);
    assert.equal(tasks[1]!.sentAt, undefined);
    assert.deepEqual(
      [tasks[0]!.rows[0]!.outcome, tasks[0]!.rows[0]!.run],
      ["skipped", run],
    );
    assert.match(
      tasks[0]!.rows[0]!.message,
      new RegExp(
        `^launched by another job \\(.*no longer running\\): run ${run}$`,
      ),
    );
    // No run, still within the window: in doubt, followed, not launched.
    const slow = bulkContext(client, { registry, settleMs: 600_000 });
    const slowSettler = new Settler(slow);
    assert.deepEqual(
      await gate(slow, tasks[2]!, { view, settler: slowSettler }),
      {
        go: false,
      },
    );
    assert.deepEqual([...slowSettler.open], [tasks[2]]);
    assert.match(
      tasks[2]!.rows[0]!.message,
      /^sent at .* by another job \(pid \d+ since .*\) that stopped before its answer$/,
    );
    await slowSettler.finish();
    assert.equal(tasks[2]!.rows[0]!.outcome, "in-doubt");
    assert.equal(sim.launches.length, 0);
  } finally {
    mine.close();
    dead.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("gate() reads a dead job's journal: a pair it never sent is launched at once, one it sent waits out the window from its send", async () => {
  await using sim = await simulator();
  using client = await clientFor(sim);
  const dir = await Deno.makeTempDir();
  const mine = await Beacon.start(`${dir}/procs`);
  const dead = await Beacon.start(`${dir}/procs`);
  try {
    const [never, sent, done] = freshReports(sim, "igv", 3);
    const tasks = [never!, sent!, done!].map((r) => taskFor(r, "igv"));
    // The dead job: its journal has an intent for one pair and a launch for
    // another; its registry claims all three.
    const journalPath = `${dir}/dead.journal.ndjson`;
    const journal = await Journal.open(journalPath);
    await journal.append({
      type: "job",
      id: "abc",
      input: "in.csv",
      flags: {},
      version: "0",
      maxBefore: 0,
    });
    await journal.append({
      type: "intent",
      report: sent!,
      plugin: "igv",
      before: 0,
    });
    await journal.append({
      type: "intent",
      report: done!,
      plugin: "igv",
      before: 0,
    });
    await journal.append({
      type: "launched",
      report: done!,
      plugin: "igv",
      before: 0,
      run: 777,
    });
    await journal.close();
    const theirs = await Registry.open(dir, {
      server: client.baseUrl,
      job: `${journalPath}#abc`,
      beacon: dead,
      settleMs: 60_000,
    });
    await theirs.claim(tasks);
    dead.close();
    const registry = await Registry.open(dir, {
      server: client.baseUrl,
      job: "mine",
      beacon: mine,
      settleMs: 60_000,
    });
    const ctx = bulkContext(client, { registry, settleMs: 60_000 });
    const settler = new Settler(ctx);
    const view = viewAt(tasks, Date.now());
    sim.clearLog();
    const gates = [];
    for (const t of tasks) gates.push(await gate(ctx, t, { view, settler }));
    assert.deepEqual(gates, [{ go: true }, { go: false }, { go: false }]);
    assert.deepEqual([...settler.open], [tasks[1]]);
    assert.deepEqual(
      [tasks[2]!.rows[0]!.outcome, tasks[2]!.rows[0]!.run],
      ["skipped", 777],
    );
    // Only the sent one was looked for on the server.
    assert.equal(
      sim.requests.filter((r) => r.path.includes("pluginresult")).length,
      1,
    );
    await settler.finish();
  } finally {
    mine.close();
    dead.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("prepare() reads a view again once it is older than half a short settle window (the registry forgets a launch after the window)", async () => {
  await using sim = await simulator();
  using client = await clientFor(sim);
  const tasks = freshReports(sim, "igv", 2).map((r) => taskFor(r, "igv"));
  const ctx = bulkContext(client, { settleMs: 3_000 });
  sim.clearLog();
  // 2 s old: fresh by the 5 s rule, stale for a 3 s window.
  await prepare(ctx, tasks, {
    view: viewAt(tasks, Date.now() - 2_000),
    queue: [],
  });
  assert.equal(runGets(sim).length, 1);
  assert.equal(refreshAfter(ctx), 1_500);
  assert.equal(refreshAfter({ settleMs: 600_000 }), REFRESH_MS);
});
