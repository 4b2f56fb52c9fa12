// Tests of the launch worker pool: bounded concurrency, a launch whose
// answer was lost handed to the settler and never sent again, retries of
// launches that certainly did not reach the server, and stopping.

import assert from "node:assert/strict";
import type { BulkContext, Task } from "../../../lib/bulk/_context.ts";
import { launchAll } from "../../../lib/bulk/_launch.ts";
import type { GuardView } from "../../../lib/bulk/_prepare.ts";
import { Settler } from "../../../lib/bulk/_settle.ts";
import { TsClient } from "../../../lib/http/client.ts";
import { AuthError } from "../../../lib/errors.ts";
import { Journal, readJournal } from "../../../lib/bulk/journal.ts";
import type { Transport } from "../../../lib/http/transport.ts";
import { undiciTransport } from "../../../lib/http/_undici.ts";
import type { BulkEvent } from "../../../lib/bulk/summary.ts";
import type { Simulator } from "../../../simulator/mod.ts";
import {
  bulkContext,
  clientFor,
  freshReports,
  launchCounts,
  simulator,
  taskFor,
} from "../../_helpers.ts";

const tasksOn = (reports: number[]) => reports.map((r) => taskFor(r, "igv"));

/** A view read just now: no look-up before the launches. */
const freshView = (tasks: Task[]): GuardView => ({
  latest: new Map(),
  checkedAt: new Map(tasks.map((t) => [t.key, Date.now()])),
});

const posts = (sim: Simulator) =>
  sim.requests.filter((r) => r.method === "POST").length;

const outcomes = (tasks: Task[]) => {
  const counts: Record<string, number> = {};
  for (const t of tasks) {
    const o = t.rows[0]!.outcome;
    counts[o] = (counts[o] ?? 0) + 1;
  }
  return counts;
};

/** Launches, then lets the settler finish (as bulkRun does). */
async function launch(ctx: BulkContext, tasks: Task[]) {
  const settler = new Settler(ctx);
  try {
    return {
      ...(await launchAll(ctx, { tasks, view: freshView(tasks), settler })),
      settler,
    };
  } finally {
    await settler.finish();
  }
}

function assertOnceEach(sim: Simulator) {
  for (const [pair, n] of launchCounts(sim)) {
    assert.equal(n, 1, `${pair}: ${n}×`);
  }
}

Deno.test("launchAll() keeps at most `concurrency` launches in flight, and uses them all", async () => {
  await using sim = await simulator({ launchDelayMs: 40 });
  // The client's own transport, counting the POSTs it has in flight.
  const inner = undiciTransport();
  let inFlight = 0;
  let most = 0;
  const counting: Transport = {
    async send(request) {
      if (request.method !== "POST") return await inner.send(request);
      most = Math.max(most, ++inFlight);
      try {
        return await inner.send(request);
      } finally {
        inFlight--;
      }
    },
    close: () => inner.close(),
  };
  const user = sim.users[0]!;
  await using client = new TsClient({
    url: sim.url,
    user: user.username,
    apiKey: user.apiKey,
    transport: counting,
  });
  const tasks = tasksOn(freshReports(sim, "igv", 14));
  const outcome = await launch(bulkContext(client, { concurrency: 3 }), tasks);
  assert.deepEqual(outcome.stoppedBy, undefined);
  assert.equal(outcome.interrupted, false);
  assert.deepEqual(outcomes(tasks), { launched: 14 });
  assert.equal(sim.launches.length, 14);
  assertOnceEach(sim);
  assert.ok(most <= 3, `${most} launches in flight at once`);
  assert.equal(most, 3, "the allowance is used");
});

Deno.test("launchAll() never sends again a launch whose answer was lost; it retries one that was turned away", async () => {
  await using sim = await simulator();
  using client = await clientFor(sim);
  const dir = await Deno.makeTempDir();
  const path = `${dir}/j.ndjson`;
  const journal = await Journal.open(path);
  try {
    // 2nd POST: recorded, then the connection drops. 4th: 500 after the
    // server acted. 6th: 429, not handled: safe to send again.
    sim.addFault({
      method: "POST",
      nth: 2,
      after: true,
      action: { type: "reset" },
    });
    sim.addFault({
      method: "POST",
      nth: 4,
      after: true,
      action: { type: "status", status: 500 },
    });
    sim.addFault({
      method: "POST",
      nth: 6,
      action: { type: "status", status: 429 },
    });
    const tasks = tasksOn(freshReports(sim, "igv", 8));
    const events: BulkEvent[] = [];
    const ctx = bulkContext(client, {
      journal,
      concurrency: 2,
      retry: { retries: 3, baseDelayMs: 1, random: () => 0 },
      graceMs: 5_000,
      emit: (e) => events.push(e),
    });
    const { settler } = await launch(ctx, tasks);
    await journal.flush();
    assert.equal(posts(sim), 9, "8 launches, the 429 once more");
    assert.equal(sim.launches.length, 8);
    assertOnceEach(sim);
    assert.deepEqual(outcomes(tasks), { launched: 8 });
    assert.equal(settler.open.size, 0);
    const retries = events.filter((e) => e.type === "retry");
    assert.equal(retries.length, 1);
    assert.match(retries[0]!.type === "retry" ? retries[0]!.error : "", /429/);
    const lost = tasks.filter((t) =>
      /its answer was lost; run \d+ found on the server/.test(
        t.rows[0]!.message,
      )
    );
    assert.equal(lost.length, 2);
    const { records } = await readJournal(path);
    const doubts = records.filter((r) => r.type === "in-doubt");
    assert.equal(doubts.length, 2, "each lost answer journaled in doubt");
    // Every launch sent had its intent journaled first.
    for (const t of tasks) {
      const mine = records.filter((r) => "report" in r && r.report === t.report)
        .map((r) => r.type);
      assert.equal(mine[0], "intent", `${t.report}: ${mine}`);
    }
  } finally {
    await journal.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("launchAll() fails a refused launch at once, without a retry", async () => {
  await using sim = await simulator();
  using client = await clientFor(sim);
  const [a] = freshReports(sim, "igv", 1);
  const tasks = [taskFor(999_999, "igv"), taskFor(a!, "igv")];
  const ctx = bulkContext(client, {
    retry: { retries: 3, baseDelayMs: 1, random: () => 0 },
  });
  const outcome = await launch(ctx, tasks);
  assert.equal(outcome.stoppedBy, undefined);
  assert.deepEqual(
    [tasks[0]!.rows[0]!.outcome, tasks[0]!.rows[0]!.message],
    ["failed", "report 999999 does not exist (404)"],
  );
  assert.equal(tasks[1]!.rows[0]!.outcome, "launched");
  assert.equal(posts(sim), 2);
});

Deno.test("launchAll() stops starting launches when the server stays down, sending none twice", async () => {
  await using sim = await simulator();
  using client = await clientFor(sim);
  sim.addFault({ method: "POST", action: { type: "status", status: 503 } });
  const tasks = tasksOn(freshReports(sim, "igv", 12));
  // A lost answer counts towards "server down" once its grace period passed
  // with no run; none here, so that the count of sends does not depend on
  // how fast this machine is.
  const ctx = bulkContext(client, { concurrency: 1, graceMs: 0 });
  const outcome = await launch(ctx, tasks);
  assert.equal(outcome.interrupted, false, "not a signal");
  assert.equal(outcome.stoppedBy, undefined);
  assert.deepEqual(outcomes(tasks), { "in-doubt": 5, "not-started": 7 });
  assert.equal(posts(sim), 5, "the five in doubt, sent once each");
  const notStarted = tasks.find((t) => t.rows[0]!.outcome === "not-started")!;
  // One short line per row; why, once, beside.
  assert.equal(
    notStarted.rows[0]!.message,
    "not launched: the server stopped answering (run the same command again when it is back)",
  );
  assert.equal(
    outcome.serverDown,
    "the last 5 launches failed or were lost (no answer, and no run on the server)",
  );
});

Deno.test("launchAll() stops at once on an auth error, and says why the rest did not go", async () => {
  await using sim = await simulator();
  using client = await clientFor(sim);
  const dir = await Deno.makeTempDir();
  const path = `${dir}/j.ndjson`;
  const journal = await Journal.open(path);
  try {
    sim.addFault({
      method: "POST",
      nth: 2,
      action: { type: "status", status: 401 },
    });
    const tasks = tasksOn(freshReports(sim, "igv", 6));
    const ctx = bulkContext(client, { journal, concurrency: 1 });
    const outcome = await launch(ctx, tasks);
    assert.ok(
      outcome.stoppedBy instanceof AuthError,
      String(outcome.stoppedBy),
    );
    assert.equal(outcome.interrupted, false);
    assert.deepEqual(outcomes(tasks), {
      launched: 1,
      failed: 1,
      "not-started": 4,
    });
    assert.equal(posts(sim), 2);
    assert.match(
      tasks[2]!.rows[0]!.message,
      /^not launched: stopped after: .*401/,
    );
    await journal.flush();
    const { records } = await readJournal(path);
    // The rest of the chunk had its intents synced: they are said not sent.
    const intents = records.filter((r) => r.type === "intent").length;
    const notSent = records.filter((r) => r.type === "not-sent").length;
    assert.equal(
      notSent,
      intents - 2,
      `${intents} intents, ${notSent} not sent`,
    );
  } finally {
    await journal.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("launchAll() stops starting launches when the signal aborts", async () => {
  await using sim = await simulator();
  using client = await clientFor(sim);
  const tasks = tasksOn(freshReports(sim, "igv", 10));
  const stop = new AbortController();
  const ctx = bulkContext(client, {
    concurrency: 1,
    signal: stop.signal,
    emit: (e) => {
      if (e.type === "row" && e.result.outcome === "launched") stop.abort();
    },
  });
  const outcome = await launch(ctx, tasks);
  assert.equal(outcome.interrupted, true);
  assert.deepEqual(outcomes(tasks), { launched: 1, "not-started": 9 });
  assert.equal(tasks[1]!.rows[0]!.message, "not launched: interrupted");
  assert.equal(sim.launches.length, 1);

  // Aborted before it began: nothing is sent.
  sim.clearLog();
  const more = tasksOn(freshReports(sim, "igv", 12).slice(10));
  const none = await launch(ctx, more);
  assert.equal(none.interrupted, true);
  assert.deepEqual(outcomes(more), { "not-started": 2 });
  assert.equal(posts(sim), 0);
});
