import assert from "node:assert/strict";
import {
  journalLaunchTimes,
  pairStatuses,
  pluginTotals,
  stopRuns,
} from "../../../lib/status/status.ts";
import { clientFor, freshReports, simulator } from "../../_helpers.ts";

Deno.test("pairStatuses() gives the newest run of each pair, never-run pairs included", async () => {
  await using sim = await simulator();
  using client = await clientFor(sim);
  const [a, b] = sim.reportIds().filter((id) =>
    sim.pluginResults({ report: id, plugin: "igv" }).length === 0
  );
  sim.addPluginResult(a!, "igv", "Error");
  const newest = sim.addPluginResult(a!, "igv", "Completed");
  sim.clearLog();
  const statuses = await pairStatuses(client, {
    reports: [b!, a!],
    plugins: ["igv"],
  });
  assert.deepEqual(
    statuses.map((s) => [s.report, s.state, s.stateClass, s.id]),
    [[a, "Completed", "completed", newest], [b, null, "missing", null]].sort((
      x,
      y,
    ) => (x[0] as number) - (y[0] as number)),
  );
  assert.ok(statuses.every((s) => s.reportFound === true && s.reportName));
  assert.equal(
    sim.requests.length,
    2,
    "one for the runs, one for the report without a run",
  );
  assert.match(statuses.find((s) => s.id)!.logUrl!, /drmaa_stdout\.txt$/);
});

Deno.test("pairStatuses() without plugins gives the newest run of every plugin that ran, and says which reports do not exist", async () => {
  await using sim = await simulator();
  using client = await clientFor(sim);
  const ids = sim.reportIds();
  const c = ids.find((id) => sim.pluginResults({ report: id }).length === 0)!;
  const [a, b] = ids;
  sim.addPluginResult(a!, "igv", "Error");
  sim.addPluginResult(a!, "igv", "Completed");
  sim.addPluginResult(b!, "sampleID", "Started");
  // Expected: the newest run of each plugin name on each report.
  const expected: unknown[][] = [];
  for (const report of [a!, b!]) {
    const runs = sim.pluginResults({ report }) as {
      id: number;
      pluginName: string;
    }[];
    const newest = new Map<string, number>();
    for (const r of runs) {
      newest.set(r.pluginName, Math.max(newest.get(r.pluginName) ?? 0, r.id));
    }
    for (const name of [...newest.keys()].sort()) {
      expected.push([report, name, newest.get(name), true]);
    }
  }
  expected.push([c, "", null, true], [99_999, "", null, false]);
  sim.clearLog();
  const statuses = await pairStatuses(client, {
    reports: [a!, b!, c, 99_999],
  });
  assert.deepEqual(
    statuses.map((s) => [s.report, s.plugin, s.id, s.reportFound]),
    expected,
  );
  assert.equal(
    statuses.find((s) => s.plugin === "sampleID" && s.report === b)!
      .stateClass,
    "running",
  );
  assert.equal(statuses.at(-1)!.stateClass, "missing");
  assert.ok(sim.requests.length <= 2, `${sim.requests.length} requests`);
  const missing = await pairStatuses(client, {
    reports: [99_999],
    plugins: ["igv"],
  });
  assert.deepEqual(
    missing.map((s) => [s.plugin, s.state, s.reportFound]),
    [["igv", null, false]],
  );
});

Deno.test("pairStatuses() calls a run queued since a journaled launch 25 h ago stale", async () => {
  await using sim = await simulator({ queuedMs: 60_000 });
  using client = await clientFor(sim);
  const [a, b] = freshReports(sim, "igv", 2);
  sim.addPluginResult(a!, "igv", "Queued");
  sim.addPluginResult(b!, "igv", "Queued");
  const longAgo = Date.now() - 26 * 3_600_000;
  const statuses = await pairStatuses(client, {
    reports: [a!, b!],
    plugins: ["igv"],
  }, { launchedAt: new Map([[`${a}/igv`, longAgo]]) });
  assert.deepEqual(statuses.map((s) => s.stateClass), ["stale", "running"]);
  const short = await pairStatuses(client, {
    reports: [a!],
    plugins: ["igv"],
  }, {
    launchedAt: new Map([[`${a}/igv`, Date.now() - 120_000]]),
    staleAfterMs: 60_000,
  });
  assert.equal(short[0]!.stateClass, "stale");
});

Deno.test("journalLaunchTimes() reads when each pair was launched", () => {
  const text = [
    JSON.stringify({ type: "job", time: "2026-03-01T00:00:00Z", id: "x" }),
    JSON.stringify({
      type: "intent",
      time: "2026-03-01T10:00:00.000Z",
      report: 7,
      plugin: "igv",
      before: 0,
    }),
    JSON.stringify({
      type: "launched",
      time: "2026-03-01T10:00:01.000Z",
      report: 7,
      plugin: "igv",
      before: 0,
      run: 9,
    }),
    JSON.stringify({
      type: "launched",
      time: "2026-03-02T00:00:00.000Z",
      report: 8,
      plugin: "igv",
      before: 0,
      run: 10,
    }),
    "not json",
  ].join("\n");
  assert.deepEqual(
    [...journalLaunchTimes(text)],
    [
      ["7/igv", Date.parse("2026-03-01T10:00:00.000Z")],
      ["8/igv", Date.parse("2026-03-02T00:00:00.000Z")],
    ],
  );
  assert.equal(journalLaunchTimes("report\n1\n").size, 0);
});

Deno.test("pluginTotals() counts each plugin's groups, median and longest run time", () => {
  const base = {
    report: 1,
    reportName: null,
    state: null,
    id: null,
    starttime: null,
    endtime: null,
    url: null,
    validationErrors: [],
  };
  const totals = pluginTotals([
    { ...base, plugin: "igv", stateClass: "completed", durationSeconds: 30 },
    { ...base, plugin: "igv", stateClass: "completed", durationSeconds: 90 },
    { ...base, plugin: "igv", stateClass: "failed", durationSeconds: 10 },
    { ...base, plugin: "igv", stateClass: "running", durationSeconds: 500 },
    { ...base, plugin: "igv", stateClass: "missing", durationSeconds: null },
    { ...base, plugin: "", stateClass: "missing", durationSeconds: null },
    { ...base, plugin: "a", stateClass: "stale", durationSeconds: 99_000 },
  ]);
  assert.deepEqual(totals.map((t) => t.plugin), ["a", "igv"]);
  const igv = totals[1]!;
  assert.equal(igv.total, 5);
  assert.deepEqual(igv.counts, {
    completed: 2,
    failed: 1,
    running: 1,
    stale: 0,
    cancelled: 0,
    missing: 1,
  });
  assert.equal(igv.medianSeconds, 30);
  assert.equal(igv.longestSeconds, 500);
  assert.equal(totals[0]!.medianSeconds, null);
});

Deno.test("stopRuns() stops running runs and never touches finished ones", async () => {
  await using sim = await simulator();
  using client = await clientFor(sim);
  const report = sim.reportIds()[0]!;
  const running = sim.addPluginResult(report, "igv", "Started");
  const done = sim.addPluginResult(report, "igv", "Completed");
  const result = await stopRuns(client, [running, done, 999_999]);
  assert.deepEqual(result, {
    stopped: [running],
    finished: [{ id: done, state: "Completed" }],
    missing: [999_999],
  });
  const stops = sim.requests.filter((r) => r.path.includes("/stop/"));
  assert.deepEqual(stops.map((r) => r.path), [
    `/rundb/api/v1/pluginresult/${running}/stop/`,
  ]);
  const states = sim.pluginResults({ report, plugin: "igv" }) as {
    id: number;
    state: string;
  }[];
  assert.equal(states.find((r) => r.id === done)!.state, "Completed");
  assert.equal(states.find((r) => r.id === running)!.state, "Cancelled");
});
