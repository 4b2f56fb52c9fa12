// Tests of the settler: a launch whose answer was lost is never sent again;
// its run is looked for on the server, and what is not found by the end of
// the grace period is reported in doubt, with when to settle it.

import assert from "node:assert/strict";
import type { Task } from "../../../lib/bulk/_context.ts";
import { confirmLaunched, Settler, twice } from "../../../lib/bulk/_settle.ts";
import { createClient } from "../../../lib/http/client.ts";
import { Journal, readJournal } from "../../../lib/bulk/journal.ts";
import type { PluginResult } from "../../../lib/types.ts";
import {
  bulkContext,
  clientFor,
  freshReports,
  simulator,
  taskFor,
} from "../../_helpers.ts";

/** A task sent at `sentAt` whose answer was lost. */
function sent(report: number, sentAt: number, before = 0): Task {
  return { ...taskFor(report, "igv"), before, sentAt };
}

Deno.test("Settler marks a pair launched once its run shows on the server, and journals it", async () => {
  await using sim = await simulator();
  using client = await clientFor(sim);
  const dir = await Deno.makeTempDir();
  const journal = await Journal.open(`${dir}/j.ndjson`);
  const [a] = freshReports(sim, "igv", 1);
  const ctx = bulkContext(client, { journal, graceMs: 10_000 });
  const settler = new Settler(ctx);
  const task = sent(a!, Date.now());
  // The server is busy for a while: failed look-ups are tried again later.
  sim.addFault({
    method: "GET",
    path: "/pluginresult/",
    times: 6,
    action: { type: "status", status: 503 },
  });
  const run = sim.addPluginResult(a!, "igv", "Queued");
  settler.add(task);
  assert.equal(settler.open.size, 1);
  await settler.finish();
  await journal.close();
  assert.equal(settler.open.size, 0);
  assert.ok(
    sim.requests.some((r) => r.status === 503),
    "looked up in vain first",
  );
  const row = task.rows[0]!;
  assert.equal(row.outcome, "launched");
  assert.equal(row.run, run);
  assert.match(
    row.message,
    new RegExp(`its answer was lost; run ${run} found`),
  );
  assert.equal(task.sentAt, undefined, "no longer in doubt");
  const { records } = await readJournal(`${dir}/j.ndjson`);
  assert.deepEqual(
    records.map((r) => ({ ...r, time: "" })),
    [{
      type: "launched",
      time: "",
      report: a,
      plugin: "igv",
      before: 0,
      run,
    }],
  );
  assert.equal(sim.launches.length, 0, "the settler never launches");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("Settler.finish() looks on until the grace period ends, then reports what is still in doubt", async () => {
  await using sim = await simulator();
  using client = await clientFor(sim);
  const [late, never] = freshReports(sim, "igv", 2);
  const now = Date.now();
  const ctx = bulkContext(client, { graceMs: 800, settleMs: 60_000 });
  const settler = new Settler(ctx);
  const lateTask = sent(late!, now);
  const neverTask = sent(never!, now);
  settler.add(lateTask);
  settler.add(neverTask);
  // A run that lands after finish() is called, within the grace period.
  let landed = 0;
  const timer = setTimeout(() => {
    landed = sim.addPluginResult(late!, "igv", "Queued");
  }, 100);
  try {
    await settler.finish();
  } finally {
    clearTimeout(timer);
  }
  assert.ok(landed > 0);
  assert.equal(lateTask.rows[0]!.outcome, "launched");
  assert.equal(lateTask.rows[0]!.run, landed);
  const row = neverTask.rows[0]!;
  assert.equal(row.outcome, "in-doubt");
  assert.equal(row.run, null);
  assert.match(
    row.message,
    new RegExp(
      `no run on the server yet: run the same command after ${
        new Date(now + 60_000).toISOString().replaceAll(".", "\\.")
      } to settle it`,
    ),
  );
  assert.equal(sim.launches.length, 0);
});

Deno.test("twice() says plainly how often a pair was launched, and confirmLaunched() uses it", async () => {
  await using sim = await simulator();
  using client = await clientFor(sim);
  const [a] = freshReports(sim, "igv", 1);
  const task = sent(a!, Date.now());
  const runs = [41, 44, 47].map((id) => ({ id }) as PluginResult);
  assert.equal(
    twice(task, runs.slice(0, 2)),
    `report ${a} igv: launched twice, runs 41 and 44`,
  );
  assert.equal(
    twice(task, runs),
    `report ${a} igv: launched 3 times, runs 41 and 44 and 47`,
  );
  confirmLaunched(bulkContext(client), task, runs.slice(0, 2), "found");
  assert.equal(task.rows[0]!.outcome, "launched");
  assert.equal(task.rows[0]!.run, 41, "the oldest new run is the launch's");
  assert.match(task.rows[0]!.message, /launched twice/);
  confirmLaunched(bulkContext(client), task, runs.slice(2), "found it");
  assert.equal(task.rows[0]!.message, "found it");
});

Deno.test("Settler looks again soon after a new pair is added, however long its backoff had grown", async () => {
  await using sim = await simulator();
  // Real sleeps: the backoff is what is tested.
  const user = sim.users[0]!;
  using client = await createClient({
    url: sim.url,
    user: user.username,
    apiKey: user.apiKey,
  });
  const [quiet, landed] = freshReports(sim, "igv", 2);
  const ctx = bulkContext(client, {
    graceMs: 60_000,
    settleMs: 60_000,
    // The longest backoff: looks at 0.5, 1.5, 3.5, then 7.5 s.
    retry: { retries: 0, baseDelayMs: 1, random: () => 1 },
  });
  const settler = new Settler(ctx);
  settler.add(sent(quiet!, Date.now())); // never shows: the backoff grows
  await new Promise((r) => setTimeout(r, 4_000));
  const task = sent(landed!, Date.now());
  sim.addPluginResult(landed!, "igv", "Queued");
  const added = Date.now();
  settler.add(task);
  while (settler.open.has(task) && Date.now() - added < 10_000) {
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.ok(!settler.open.has(task), "found");
  assert.ok(Date.now() - added < 1_500, `${Date.now() - added} ms`);
  settler.drop([...settler.open][0]!);
  await settler.finish();
});
