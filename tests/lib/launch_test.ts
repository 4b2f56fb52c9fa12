import assert from "node:assert/strict";
import { ApiError } from "../../lib/errors.ts";
import { guard } from "../../lib/guard.ts";
import { launchPlugin, postLaunch } from "../../lib/launch.ts";
import { latestRuns, pairKey, waitForRuns } from "../../lib/runs.ts";
import { classifyState } from "../../lib/states.ts";
import { clientFor, simulator } from "../_helpers.ts";

type SimPlugin = {
  name: string;
  active: boolean;
  selected: boolean;
  requires_configuration?: boolean;
};

Deno.test("launchPlugin() sends exactly the documented request and finds the new run", async () => {
  await using sim = await simulator();
  using client = await clientFor(sim);
  const report = sim.reportIds()[3]!;
  const first = await launchPlugin(client, report, "coverageAnalysis");
  const post = sim.requests.find((r) => r.method === "POST")!;
  // Same URL and body as the classic recipe (run-a-plugin.txt) and the
  // reference: results/<pk>/plugin/ with a trailing slash, a list of one name.
  assert.equal(post.path, `/rundb/api/v1/results/${report}/plugin/`);
  assert.deepEqual(JSON.parse(post.bodyText!), {
    plugin: ["coverageAnalysis"],
  });
  assert.match(post.headers["content-type"]!, /^application\/json/);
  assert.equal(post.headers["accept"], "application/json");
  assert.equal(post.status, 202);
  assert.ok(first.run, "the new run is found after the 202");
  assert.ok(first.run.id > first.previousId);
  assert.equal(first.run.pluginName, "coverageAnalysis");

  // With a config, pluginconfig is sent as given.
  const config = { minimum_coverage: 20, targets: "panel.bed" };
  const second = await launchPlugin(client, report, "coverageAnalysis", {
    config,
  });
  const posts = sim.requests.filter((r) => r.method === "POST");
  assert.deepEqual(JSON.parse(posts[1]!.bodyText!), {
    plugin: ["coverageAnalysis"],
    pluginconfig: config,
  });
  // The server has no duplicate check: a second launch is a second run.
  assert.equal(second.previousId, first.run.id);
  assert.ok(second.run!.id > first.run.id);
  assert.equal(sim.launches.length, 2);
});

Deno.test("launchPlugin() never sends twice: a lost answer is checked on the server", async () => {
  await using sim = await simulator();
  using client = await clientFor(sim);
  const [a, b] = sim.reportIds();
  // Recorded, then the connection drops: the launch happened.
  sim.addFault({ method: "POST", after: true, action: { type: "reset" } });
  const result = await launchPlugin(client, a!, "igv");
  assert.ok(result.run, "the run was found");
  assert.equal(sim.launches.length, 1);
  assert.equal(result.run!.id, sim.launches[0]!.pluginResultId);

  // Refused before anything happened: the error comes back, nothing launched.
  sim.clearFaults();
  sim.addFault({ method: "POST", action: { type: "status", status: 503 } });
  await assert.rejects(launchPlugin(client, b!, "igv"), ApiError);
  assert.equal(sim.launches.length, 1);
  assert.equal(sim.requests.filter((r) => r.method === "POST").length, 2);
});

Deno.test("postLaunch() explains 410 (not launchable) and 404 (no report)", async () => {
  await using sim = await simulator();
  using client = await clientFor(sim);
  const disabled = (sim.plugins() as SimPlugin[]).find((p) =>
    p.active && !p.selected
  )!;
  const report = sim.reportIds()[0]!;
  await assert.rejects(
    postLaunch(client, report, disabled.name),
    (e) =>
      e instanceof ApiError && e.status === 410 &&
      e.message.includes(`"${disabled.name}" cannot be launched`),
  );
  await assert.rejects(
    postLaunch(client, 987_654, "igv"),
    (e) =>
      e instanceof ApiError && e.status === 404 &&
      /report 987654 does not exist/.test(e.message),
  );
  assert.equal(sim.launches.length, 0);
});

Deno.test("waitForRuns() follows runs to Completed and Error", async () => {
  await using sim = await simulator({ failureRate: 0.5 });
  using client = await clientFor(sim);
  const ids: number[] = [];
  for (const report of sim.reportIds().slice(0, 6)) {
    ids.push((await launchPlugin(client, report, "sampleID")).run!.id);
  }
  const polls: number[] = [];
  const { runs, pending } = await waitForRuns(client, ids, {
    pollMs: 50,
    timeoutMs: 10_000,
    onPoll: (seen) => polls.push(seen.size),
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
  const { run } = await launchPlugin(client, sim.reportIds()[0]!, "sampleID");
  // The server restarts: two polls get 503, one a dropped connection.
  sim.addFault({
    method: "GET",
    path: "pluginresult",
    nth: 1,
    times: 2,
    action: { type: "status", status: 503 },
  });
  sim.addFault({
    method: "GET",
    path: "pluginresult",
    nth: 3,
    action: { type: "reset" },
  });
  const errors: string[] = [];
  const result = await waitForRuns(client, [run!.id], {
    pollMs: 20,
    timeoutMs: 10_000,
    onPollError: (message) => errors.push(message),
  });
  assert.equal(errors.length, 3);
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
  const { run } = await launchPlugin(client, sim.reportIds()[0]!, "sampleID");
  const { pending, runs } = await waitForRuns(client, [run!.id], {
    pollMs: 20,
    timeoutMs: 100,
  });
  assert.deepEqual(pending, [run!.id]);
  assert.equal(classifyState(runs.get(run!.id)!.state), "running");
});

Deno.test("a plugin that needs a config ends in Failed Validation without one", async () => {
  await using sim = await simulator();
  using client = await clientFor(sim);
  const plugin = (sim.plugins() as SimPlugin[]).find((p) =>
    p.requires_configuration && p.active && p.selected
  )!;
  const { run } = await launchPlugin(client, sim.reportIds()[0]!, plugin.name);
  assert.equal(run!.state, "Failed Validation");
  assert.match(
    run!.validation_errors!.validation_errors![0]!,
    /requires configuration/,
  );
  assert.equal(classifyState(run!.state), "failed");
});

Deno.test("latestRuns() finds the newest run per pair in one batched request", async () => {
  await using sim = await simulator({ reports: 1000 });
  using client = await clientFor(sim);
  const reports = sim.reportIds().slice(0, 700);
  const old = sim.addPluginResult(reports[5]!, "igv", "Error");
  const newer = sim.addPluginResult(reports[5]!, "igv", "Completed");
  sim.clearLog();
  const latest = await latestRuns(client, reports, ["igv"]);
  assert.equal(latest.get(pairKey(reports[5]!, "igv"))!.id, newer);
  assert.ok(newer > old);
  assert.equal(sim.requests.length, 1);
  assert.match(sim.requests[0]!.path, /result__in=\d+,\d+/);
});

Deno.test("guard() decides per rerun policy", () => {
  const cases: [
    string | undefined,
    "failed" | "missing" | "always",
    boolean,
  ][] = [
    [undefined, "failed", true],
    [undefined, "missing", true],
    ["Started", "failed", false],
    ["Queued", "missing", false],
    ["Pending", "always", true],
    ["Completed", "failed", false],
    ["Completed", "always", true],
    ["Error", "failed", true],
    ["Error", "missing", false],
    ["Failed Validation", "failed", true],
    ["Timed Out", "failed", true],
  ];
  for (const [state, policy, launch] of cases) {
    const latest = state === undefined ? undefined : { id: 9, state };
    assert.equal(guard(latest, policy).launch, launch, `${state} ${policy}`);
  }
  assert.match(
    guard({ id: 9, state: "Started" }, "failed").reason,
    /running: run 9/,
  );
});
