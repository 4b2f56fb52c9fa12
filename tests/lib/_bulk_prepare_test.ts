// Tests of getting tasks ready to launch: a stale guard view is looked up
// again (in one request, the next pairs with it), pairs another launcher
// started are skipped, pairs are claimed, intents are synced to the journal.

import assert from "node:assert/strict";
import { Beacon } from "../../lib/_beacon.ts";
import type { Task } from "../../lib/_bulk_context.ts";
import {
  type GuardView,
  prepare,
  REFRESH_BATCH,
  REFRESH_MS,
} from "../../lib/_bulk_prepare.ts";
import { Registry } from "../../lib/_registry.ts";
import { Journal, readJournal } from "../../lib/journal.ts";
import type { Simulator } from "../../simulator/mod.ts";
import {
  bulkContext,
  clientFor,
  freshReports,
  simulator,
  taskFor,
} from "../_helpers.ts";

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

Deno.test("prepare() launches on a fresh view without a request, and syncs every intent first", async () => {
  await using sim = await simulator();
  using client = await clientFor(sim);
  const dir = await Deno.makeTempDir();
  const path = `${dir}/j.ndjson`;
  const journal = await Journal.open(path);
  try {
    const tasks = freshReports(sim, "igv", 3).map((r) => taskFor(r, "igv"));
    tasks[1]!.before = 12;
    const ctx = bulkContext(client, { journal });
    sim.clearLog();
    const ready = await prepare(ctx, tasks, {
      view: viewAt(tasks, Date.now()),
      queue: [],
    });
    assert.deepEqual(ready, tasks);
    assert.equal(sim.requests.length, 0, "a view this fresh is not read again");
    // On disk before prepare() returns (no flush or close in between).
    const { records } = await readJournal(path);
    assert.deepEqual(
      records.map((r) => r.type === "intent" && [r.report, r.before]),
      tasks.map((t) => [t.report, t.before]),
    );
    assert.deepEqual(
      await prepare(ctx, [], { view: viewAt([], 0), queue: [] }),
      [],
    );
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

Deno.test("prepare() claims its pairs, and skips those another job is launching or has launched", async () => {
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
    const now = Date.now();
    // Our view was read a second ago; the other job launched since.
    const view = viewAt(tasks, now - 1_000);
    await other.claim([tasks[1]!, tasks[2]!]);
    await other.launched([{ report: done!, plugin: "igv", run: null }]);
    const ready = await prepare(bulkContext(client, { registry }), tasks, {
      view,
      queue: [],
    });
    assert.deepEqual(ready, [tasks[0]]);
    assert.equal(tasks[0]!.claimed, true);
    assert.deepEqual(outcomes(tasks), ["planned", "skipped", "skipped"]);
    assert.match(
      tasks[1]!.rows[0]!.message,
      new RegExp(
        `^being launched by pid ${Deno.pid} since .* \\(another job\\)$`,
      ),
    );
    assert.match(
      tasks[2]!.rows[0]!.message,
      new RegExp(`^launched by another job \\(pid ${Deno.pid} since .*\\) at `),
    );
    assert.equal(tasks[1]!.claimed, undefined);
  } finally {
    mine.close();
    theirs.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("prepare() settles a dead job's claims from the server before launching them", async () => {
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
    // Another job claimed the three, and died before recording what it sent.
    await (await open("dead", dead)).claim(tasks);
    dead.close();
    const run = sim.addPluginResult(landed!, "igv", "Queued");
    const view = viewAt(tasks, Date.now());

    // Its launch landed: skipped. No run, settle window over: launched.
    const quick = bulkContext(client, { registry, settleMs: 0 });
    const ready = await prepare(quick, tasks.slice(0, 2), { view, queue: [] });
    assert.deepEqual(ready, [tasks[1]]);
    assert.equal(tasks[1]!.claimed, true);
    assert.equal(tasks[1]!.sentAt, undefined);
    assert.deepEqual(
      [tasks[0]!.rows[0]!.outcome, tasks[0]!.rows[0]!.run],
      ["skipped", run],
    );
    assert.equal(
      tasks[0]!.rows[0]!.message,
      `launched by another job: run ${run}`,
    );
    // No run, still within the window: in doubt, not launched.
    const slow = bulkContext(client, { registry, settleMs: 600_000 });
    assert.deepEqual(
      await prepare(slow, tasks.slice(2), { view, queue: [] }),
      [],
    );
    const doubt = tasks[2]!.rows[0]!;
    assert.equal(doubt.outcome, "in-doubt");
    assert.match(
      doubt.message,
      /^sent at .* by another job \(pid \d+ since .*\) that stopped before its answer; no run on the server yet: run the same command after /,
    );
    assert.equal(sim.launches.length, 0);
  } finally {
    mine.close();
    dead.close();
    await Deno.remove(dir, { recursive: true });
  }
});
