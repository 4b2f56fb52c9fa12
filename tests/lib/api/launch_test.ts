import assert from "node:assert/strict";
import { ApiError } from "../../../lib/errors.ts";
import { launchPlugin, postLaunch } from "../../../lib/api/launch.ts";
import { classifyState } from "../../../lib/states.ts";
import { clientFor, simulator } from "../../_helpers.ts";

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
  const first = await launchPlugin(client, {
    report,
    plugin: "coverageAnalysis",
  });
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
  const second = await launchPlugin(
    client,
    { report, plugin: "coverageAnalysis" },
    { config },
  );
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
  const result = await launchPlugin(client, { report: a!, plugin: "igv" });
  assert.ok(result.run, "the run was found");
  assert.equal(sim.launches.length, 1);
  assert.equal(result.run!.id, sim.launches[0]!.pluginResultId);

  // Refused before anything happened: the error comes back, nothing launched.
  sim.clearFaults();
  sim.addFault({ method: "POST", action: { type: "status", status: 503 } });
  await assert.rejects(
    launchPlugin(client, { report: b!, plugin: "igv" }),
    ApiError,
  );
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
    postLaunch(client, { report, plugin: disabled.name }),
    (e) =>
      e instanceof ApiError && e.status === 410 &&
      e.message.includes(`"${disabled.name}" cannot be launched`),
  );
  await assert.rejects(
    postLaunch(client, { report: 987_654, plugin: "igv" }),
    (e) =>
      e instanceof ApiError && e.status === 404 &&
      /report 987654 does not exist/.test(e.message),
  );
  assert.equal(sim.launches.length, 0);
});

Deno.test("without a config the server uses the plan's settings, and fails validation when there are none", async () => {
  await using sim = await simulator({ reports: 60 });
  using client = await clientFor(sim);
  // variantCaller needs a configuration and has no global one: the plan's
  // settings decide (the report's analysis settings, selectedPlugins).
  const planned: number[] = [];
  const unplanned: number[] = [];
  for (const id of sim.reportIds()) {
    const report = await client.get<{ eas: string | null }>(`results/${id}/`);
    const eas = report.eas
      ? await client.get<
        { selectedPlugins: Record<string, { userInput?: unknown }> }
      >(report.eas)
      : undefined;
    const input = eas?.selectedPlugins.variantCaller?.userInput;
    (input && Object.keys(input).length ? planned : unplanned).push(id);
  }
  assert.ok(planned.length > 0 && unplanned.length > 0);
  const asPlanned = await launchPlugin(client, {
    report: planned[0]!,
    plugin: "variantCaller",
  });
  assert.equal(asPlanned.run!.state, "Queued");
  const none = await launchPlugin(client, {
    report: unplanned[0]!,
    plugin: "variantCaller",
  });
  assert.equal(none.run!.state, "Failed Validation");
  assert.match(
    none.run!.validation_errors!.validation_errors![0]!,
    /requires configuration/,
  );
  assert.equal(classifyState(none.run!.state), "failed");
  // A given config replaces the plan's: sent as is.
  const given = await launchPlugin(client, {
    report: planned[0]!,
    plugin: "variantCaller",
  }, {
    config: { librarytype: "AmpliSeq" },
  });
  assert.deepEqual(sim.launches.at(-1)!.effectiveConfig, {
    librarytype: "AmpliSeq",
  });
  assert.equal(given.run!.state, "Queued");
});
