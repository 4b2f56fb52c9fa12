import assert from "node:assert/strict";
import { bulkRun } from "../../../lib/bulk/bulk_run.ts";
import { createClient } from "../../../lib/http/client.ts";
import type { RunRow } from "../../../lib/run_rows.ts";
import type { Simulator } from "../../../simulator/mod.ts";
import {
  clientFor,
  freshReports,
  launchCounts,
  simulator,
} from "../../_helpers.ts";

/** Samples the simulator's plugin queue: the most jobs it held at once. */
function watchQueue(sim: Simulator, ids?: () => Set<number>) {
  let most = 0;
  let busy = 0;
  let samples = 0;
  const timer = setInterval(() => {
    const q = sim.queue();
    const mine = ids ? ids() : undefined;
    const count = (list: number[]) =>
      mine ? list.filter((id) => mine.has(id)).length : list.length;
    most = Math.max(most, count(q.running) + count(q.queued));
    samples++;
    if (q.running.length === q.slots) busy++;
  }, 5);
  return {
    stop: () => clearInterval(timer),
    get most() {
      return most;
    },
    get busyShare() {
      return samples ? busy / samples : 0;
    },
  };
}

/** A client whose sleeps are real (the pacer's own pace), not shortened. */
function realClient(sim: Simulator) {
  return createClient({
    url: sim.url,
    user: sim.users[0]!.username,
    apiKey: sim.users[0]!.apiKey,
  });
}

const rowsFor = (reports: number[], plugin: string): RunRow[] =>
  reports.map((report, i) => ({ line: i + 2, report, plugin, config: null }));

Deno.test("bulkRun() maxActive keeps at most N of the job's runs on the queue, polling them in batches", async () => {
  await using sim = await simulator({
    slots: 2,
    pluginRunMs: { igv: 80 },
    runSpread: 0,
  });
  using client = await realClient(sim);
  const reports = freshReports(sim, "igv", 24);
  const paces: number[] = [];
  const queue = watchQueue(sim);
  const summary = await bulkRun(client, rowsFor(reports, "igv"), {
    file: "in.csv",
    maxActive: 3,
    concurrency: 8,
    wait: { timeoutMs: 60_000, pollMs: 100 },
    onEvent: (e) => {
      if (e.type === "pace") paces.push(e.active);
    },
  });
  queue.stop();
  assert.equal(summary.counts.launched, 24, JSON.stringify(summary.counts));
  assert.ok(summary.results.every((r) => r.state === "Completed"));
  for (const [pair, n] of launchCounts(sim)) assert.equal(n, 1, pair);
  assert.ok(queue.most <= 3, `${queue.most} runs on the queue at once`);
  assert.equal(queue.most, 3, "the allowance is used, not one at a time");
  assert.ok(Math.max(...paces) <= 3);
  // Polls are batched: far fewer looks at the job's runs than runs, and a
  // look at the server's queue (yielding to others) at most once per poll.
  const looks = sim.requests.filter((r) =>
    r.method === "GET" && r.path.includes("pluginresult/?result__in=")
  );
  const queueLooks = sim.requests.filter((r) =>
    r.method === "GET" &&
    r.path.startsWith("/rundb/api/v1/pluginresult/?order_by=-id")
  );
  const all = () => sim.requests.map((r) => r.path).join("\n");
  assert.ok(looks.length < 24, `${looks.length} looks for 24 runs:\n${all()}`);
  assert.ok(queueLooks.length <= looks.length + 2, all());
  assert.ok(summary.estimate && summary.estimate.runs === 24);
});

Deno.test("bulkRun() maxActive counts this user's other jobs on the same server (the registry's board)", async () => {
  await using sim = await simulator({
    slots: 4,
    pluginRunMs: { igv: 600, sampleID: 50 },
    runSpread: 0,
  });
  using client = await clientFor(sim);
  const dir = await Deno.makeTempDir();
  const registry = `${dir}/registry`;
  const first = freshReports(sim, "igv", 2);
  const second = freshReports(sim, "sampleID", 2);
  // Job A fills its allowance with two long runs, and launches no more.
  const a = bulkRun(client, rowsFor(first, "igv"), {
    file: "a.csv",
    journal: `${dir}/a.journal.ndjson`,
    registry,
    maxActive: 2,
    wait: { timeoutMs: 30_000, pollMs: 50 },
  });
  while (sim.launches.length < 2) await new Promise((r) => setTimeout(r, 5));
  const aRuns = () =>
    new Set(
      (sim.pluginResults({ plugin: "igv" }) as { id: number }[])
        .map((r) => r.id).slice(0, 2),
    );
  const idsOfA = aRuns();
  const queue = watchQueue(sim);
  // Job B, same user, machine and server: A's two count against its limit.
  const b = await bulkRun(client, rowsFor(second, "sampleID"), {
    file: "b.csv",
    journal: `${dir}/b.journal.ndjson`,
    registry,
    maxActive: 2,
  });
  await a;
  queue.stop();
  assert.equal(b.counts.launched, 2);
  const launchedAt = (plugin: string) =>
    sim.launches.filter((l) => l.plugin === plugin).map((l) => l.time);
  const aEnded = Math.min(
    ...(sim.pluginResults({ plugin: "igv" }) as {
      id: number;
      endedAt: number;
    }[]).filter((r) => idsOfA.has(r.id)).map((r) => r.endedAt),
  );
  assert.ok(
    Math.min(...launchedAt("sampleID")) >= aEnded,
    "B waited for one of A's runs to finish",
  );
  assert.ok(queue.most <= 2, `${queue.most} of this user's runs at once`);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("bulkRun() without maxActive queues every run at once (what pacing prevents)", async () => {
  await using sim = await simulator({
    slots: 2,
    pluginRunMs: { igv: 300 },
    runSpread: 0,
  });
  using client = await clientFor(sim);
  const reports = freshReports(sim, "igv", 8);
  const queue = watchQueue(sim);
  await bulkRun(client, rowsFor(reports, "igv"), {
    file: "in.csv",
    concurrency: 8,
  });
  await new Promise((r) => setTimeout(r, 30));
  queue.stop();
  assert.equal(queue.most, 8);
});

Deno.test("bulkRun() pacing: a poll whose look at the queue shows the job's runs all still running is that one request", async () => {
  await using sim = await simulator({
    slots: 2,
    pluginRunMs: { igv: 1500 },
    runSpread: 0,
  });
  using client = await realClient(sim);
  const reports = freshReports(sim, "igv", 6);
  sim.clearLog();
  const summary = await bulkRun(client, rowsFor(reports, "igv"), {
    file: "in.csv",
    maxActive: 2,
  });
  assert.equal(summary.counts.launched, 6, JSON.stringify(summary.counts));
  for (const [pair, n] of launchCounts(sim)) assert.equal(n, 1, pair);
  const gets = (prefix: string) =>
    sim.requests.filter((r) =>
      r.method === "GET" && r.path.startsWith(`/rundb/api/v1/${prefix}`)
    ).length;
  const queueLooks = gets("pluginresult/?order_by=-id");
  const runLooks = gets("pluginresult/?result__in=");
  const all = sim.requests.map((r) => `${r.method} ${r.path}`).join("\n");
  // Three waves of 2 runs of 1.5 s: polls in between see them running and
  // ask nothing more; the runs (and next pairs) are looked at about once
  // per wave, when some ended, plus the plan's and the launches' looks.
  assert.ok(queueLooks >= 4, all);
  assert.ok(runLooks < queueLooks, `${runLooks} run looks:\n${all}`);
});
