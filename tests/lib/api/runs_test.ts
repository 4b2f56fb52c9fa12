import assert from "node:assert/strict";
import { PaginationError } from "../../../lib/errors.ts";
import { launchPlugin } from "../../../lib/api/launch.ts";
import {
  getRuns,
  latestRuns,
  newRuns,
  pairKey,
  reportOf,
  runsOf,
  waitForRuns,
} from "../../../lib/api/runs.ts";
import { classifyState } from "../../../lib/states.ts";
import { clientFor, freshReports, simulator } from "../../_helpers.ts";

Deno.test("waitForRuns() follows runs to Completed and Error", async () => {
  // The simulator's clock moves only between polls: the runs cannot all be
  // done by the first one, however slow this machine is.
  let clock = Date.now();
  await using sim = await simulator({ failureRate: 0.5, now: () => clock });
  using client = await clientFor(sim);
  const ids: number[] = [];
  for (const report of sim.reportIds().slice(0, 6)) {
    ids.push(
      (await launchPlugin(client, { report, plugin: "sampleID" })).run!.id,
    );
  }
  const polls: number[] = [];
  const { runs, pending } = await waitForRuns(client, ids, {
    pollMs: 50,
    timeoutMs: 10_000,
    onPoll: (seen) => {
      polls.push(seen.size);
      clock += 60;
    },
  });
  assert.deepEqual(pending, []);
  const states = ids.map((id) => runs.get(id)!.state);
  assert.ok(
    states.every((s) => s === "Completed" || s === "Error"),
    states.join(),
  );
  assert.ok(polls.length >= 2, "it polled more than once");
});

Deno.test("waitForRuns() rides out failed status checks; a 401 still ends it", async () => {
  await using sim = await simulator();
  using client = await clientFor(sim);
  const { run } = await launchPlugin(client, {
    report: sim.reportIds()[0]!,
    plugin: "sampleID",
  });
  // The server restarts: eight answers in a row are 503, one a dropped
  // connection. The client retries each poll 3 times; two polls fail whole.
  sim.addFault({
    method: "GET",
    path: "pluginresult",
    nth: 1,
    times: 8,
    action: { type: "status", status: 503 },
  });
  sim.addFault({
    method: "GET",
    path: "pluginresult",
    nth: 9,
    action: { type: "reset" },
  });
  const errors: string[] = [];
  const result = await waitForRuns(client, [run!.id], {
    pollMs: 20,
    timeoutMs: 10_000,
    onPollError: (message) => errors.push(message),
  });
  assert.equal(errors.length, 2, errors.join("\n"));
  assert.match(errors[0]!, /503/);
  assert.deepEqual(result.pending, []);
  assert.equal(result.runs.get(run!.id)!.state, "Completed");
  assert.equal(result.lastError, undefined);

  sim.clearFaults();
  sim.addFault({
    method: "GET",
    path: "pluginresult",
    action: { type: "status", status: 401 },
  });
  await assert.rejects(
    waitForRuns(client, [run!.id], { pollMs: 20, timeoutMs: 10_000 }),
    /401/,
  );
});

Deno.test("waitForRuns() gives up at the timeout and lists what still runs", async () => {
  await using sim = await simulator({ queuedMs: 60_000 });
  using client = await clientFor(sim);
  const { run } = await launchPlugin(client, {
    report: sim.reportIds()[0]!,
    plugin: "sampleID",
  });
  const { pending, runs } = await waitForRuns(client, [run!.id], {
    pollMs: 20,
    timeoutMs: 100,
  });
  assert.deepEqual(pending, [run!.id]);
  assert.equal(classifyState(runs.get(run!.id)!.state), "running");
});

Deno.test("latestRuns() finds the newest run per pair in one batched request", async () => {
  await using sim = await simulator({ reports: 1000 });
  using client = await clientFor(sim);
  const reports = sim.reportIds().slice(0, 700);
  const old = sim.addPluginResult(reports[5]!, "igv", "Error");
  const newer = sim.addPluginResult(reports[5]!, "igv", "Completed");
  sim.clearLog();
  const latest = await latestRuns(client, { reports, plugins: ["igv"] });
  assert.equal(latest.get(pairKey(reports[5]!, "igv"))!.id, newer);
  assert.ok(newer > old);
  assert.equal(sim.requests.length, 1);
  assert.match(sim.requests[0]!.path, /result__in=\d+,\d+/);
});

Deno.test("runsOf() and latestRuns() without plugin names give every plugin's runs, batched, never an empty list", async () => {
  await using sim = await simulator({ reports: 1000 });
  using client = await clientFor(sim);
  const reports = sim.reportIds().slice(0, 900);
  const a = reports[3]!, b = reports[850]!;
  sim.addPluginResult(a, "igv", "Error");
  const igv = sim.addPluginResult(a, "igv", "Completed");
  const cov = sim.addPluginResult(a, "coverageAnalysis", "Error");
  const tvc = sim.addPluginResult(b, "variantCaller", "Started");
  sim.clearLog();
  const runs = await runsOf(client, { reports });
  // A few batched look-ups for 900 reports (result__in only, no plugin
  // filter), never one per report.
  assert.ok(sim.requests.length <= 3, `${sim.requests.length} requests`);
  for (const r of sim.requests) {
    assert.match(r.path, /result__in=/);
    assert.doesNotMatch(r.path, /plugin__name/);
  }
  const wanted = new Set(reports);
  assert.ok(runs.every((r) => wanted.has(reportOf(r))));
  const names = new Set(runs.map((r) => r.pluginName));
  for (const n of ["igv", "coverageAnalysis", "variantCaller"]) {
    assert.ok(names.has(n), n);
  }
  const latest = await latestRuns(client, { reports: [a, b], plugins: [] });
  assert.equal(latest.get(pairKey(a, "igv"))!.id, igv);
  assert.equal(latest.get(pairKey(a, "coverageAnalysis"))!.id, cov);
  assert.equal(latest.get(pairKey(b, "variantCaller"))!.id, tvc);
  // Each pair of the two reports is there, whatever plugin it is.
  const onAB = runs.filter((r) => [a, b].includes(reportOf(r)));
  assert.equal(
    latest.size,
    new Set(onAB.map((r) => pairKey(reportOf(r), r.pluginName))).size,
  );
  assert.deepEqual(await runsOf(client, { reports: [] }), []);
});

Deno.test("getRuns() stops at once when the look-up's list never ends", async () => {
  await using sim = await simulator({ reports: 20 });
  using client = await clientFor(sim);
  const report = sim.reportIds()[0]!;
  const ids = ["igv", "sampleID", "coverageAnalysis"].map((plugin) =>
    sim.addPluginResult(report, plugin, "Completed")
  );
  assert.deepEqual(
    [...(await getRuns(client, ids)).keys()].sort((a, b) => a - b),
    ids,
  );
  // A broken proxy or cache: total_count grows by a page every page and
  // meta.next never ends.
  sim.addFault({
    path: "pluginresult/",
    action: { type: "next", mode: "growing" },
  });
  sim.clearLog();
  const error = await getRuns(client, ids).catch((e) => e);
  assert.ok(error instanceof PaginationError, String(error));
  assert.match(error.message, /for a look-up of at most 3 objects/);
  assert.ok(sim.requests.length <= 2, `${sim.requests.length} requests`);
});

const runGets = (sim: { requests: { method: string; path: string }[] }) =>
  sim.requests.filter((r) =>
    r.method === "GET" && r.path.includes("pluginresult")
  );

Deno.test("newRuns() finds each pair's runs above its own bound, oldest first, in one request", async () => {
  await using sim = await simulator();
  using client = await clientFor(sim);
  const [a, b, c] = freshReports(sim, "igv", 3);
  const old = sim.addPluginResult(b!, "igv", "Completed");
  const a1 = sim.addPluginResult(a!, "igv", "Queued");
  const a2 = sim.addPluginResult(a!, "igv", "Started");
  const b1 = sim.addPluginResult(b!, "igv", "Queued");
  sim.addPluginResult(a!, "sampleID", "Queued"); // another plugin
  sim.clearLog();
  const found = await newRuns(client, [
    { report: a!, plugin: "igv", before: 0 },
    { report: b!, plugin: "igv", before: old },
    { report: c!, plugin: "igv", before: 0 },
  ]);
  assert.deepEqual(
    [...found].map(([key, runs]) => [key, runs.map((r) => r.id)]).sort(),
    [[`${a}/igv`, [a1, a2]], [`${b}/igv`, [b1]]].sort(),
  );
  assert.equal(found.has(`${c}/igv`), false, "no run: absent");
  assert.equal(runGets(sim).length, 1);
  assert.ok(
    runGets(sim)[0]!.path.includes(`id__gt=0`),
    "bounded below by the lowest bound",
  );

  sim.clearLog();
  assert.equal((await newRuns(client, [])).size, 0);
  assert.equal(sim.requests.length, 0, "nothing to look for: no request");
});

Deno.test("waitForRuns() with staleAfterMs leaves runs a reboot left Started and held runs the queue passed, or Queued that long since their launch", async () => {
  await using sim = await simulator({ slots: 1, queuedMs: 10 });
  using client = await clientFor(sim);
  const [a, b, c, d] = freshReports(sim, "sampleID", 4);
  const dead = sim.addPluginResult(a!, "sampleID", "Started"); // no grid job
  const held = sim.addPluginResult(b!, "sampleID", "Queued"); // held for ever
  const newer = sim.addPluginResult(c!, "sampleID", "Completed"); // passed `held`
  const waiting = sim.addPluginResult(d!, "sampleID", "Queued"); // nothing newer
  await new Promise((r) => setTimeout(r, 80));
  // Passage is seen among the runs followed (a job's own), as here.
  const ids = [dead, held, newer, waiting];
  const plain = await waitForRuns(client, ids, { timeoutMs: 100, pollMs: 20 });
  assert.deepEqual(plain.stale, [], "without a limit every run is followed");
  assert.deepEqual(plain.pending.sort(), [dead, held, waiting].sort());

  const limited = await waitForRuns(client, ids, {
    timeoutMs: 100,
    pollMs: 20,
    staleAfterMs: 50,
  });
  assert.deepEqual(limited.stale.sort(), [dead, held].sort());
  assert.deepEqual(limited.pending, [waiting], "not passed, launch unknown");

  const launched = await waitForRuns(client, [waiting], {
    timeoutMs: 100,
    pollMs: 20,
    staleAfterMs: 50,
    launchedAt: new Map([[waiting, Date.now() - 60]]),
  });
  assert.deepEqual(launched.stale, [waiting]);
});
