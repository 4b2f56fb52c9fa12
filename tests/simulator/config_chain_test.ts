// Tests of the config a launched run uses (sent, else the plugin's global
// config, else the plan's userInput) and of validation on it, over HTTP.

import assert from "node:assert/strict";
import { type Simulator, startSimulator } from "../../simulator/mod.ts";
import { API, call, type Json, launch } from "./_helpers.ts";

/** Report ids whose plan has (or has not) a variantCaller userInput. */
async function reportsByPlan(sim: Simulator) {
  const eas = (await call(sim, `${API}experimentanalysissettings/?limit=0`))
    .json().objects as Json[];
  const withInput: number[] = [];
  const without: number[] = [];
  for (const e of eas) {
    const vc = e.selectedPlugins.variantCaller;
    if (!vc) continue;
    const id = Number(/\/(\d+)\/$/.exec(e.results[0])![1]);
    (Object.keys(vc.userInput).length ? withInput : without).push(id);
  }
  return { withInput, without, eas };
}

async function newest(sim: Simulator, report: number, plugin: string) {
  const r = await call(
    sim,
    `${API}pluginresult/?result=${report}&plugin__name=${plugin}&order_by=-id&limit=1`,
  );
  return r.json().objects[0] as Json;
}

Deno.test("config chain: plan userInput, else global config; a sent config replaces both", async () => {
  await using sim = await startSimulator({ reports: 200 });
  const needy = (sim.plugins() as Json[]).filter((p) =>
    p.requires_configuration
  ).map((p) => p.name);
  assert.deepEqual([...new Set(needy)].sort(), [
    "DataExport",
    "molecularCoverageAnalysis",
    "variantCaller",
  ]);
  const global = (sim.plugins() as Json[]).filter((p) =>
    Object.keys(p.config).length
  ).map((p) => p.name);
  assert.ok(
    global.includes("DataExport") && global.includes("coverageAnalysis"),
  );
  const { withInput, without, eas } = await reportsByPlan(sim);
  assert.ok(withInput.length > without.length && without.length > 0);
  const report = withInput[0]!;
  const plan = eas.find((e) => e.results.includes(`${API}results/${report}/`))!
    .selectedPlugins.variantCaller.userInput;
  // Relaunch "as planned": no pluginconfig, or an empty one.
  for (
    const body of [{ plugin: "variantCaller" }, {
      plugin: "variantCaller",
      pluginconfig: {},
    }]
  ) {
    assert.equal((await launch(sim, report, body)).status, 202);
    const run = await newest(sim, report, "variantCaller");
    assert.equal(run.state, "Queued");
    assert.deepEqual(run.plugin_result_jobs[0].config, plan);
    assert.deepEqual(sim.launches.at(-1)!.effectiveConfig, plan);
  }
  assert.equal(sim.launches[0]!.config, null);
  assert.deepEqual(sim.launches[1]!.config, {});
  // A sent config replaces the plan's: nothing merged.
  await launch(sim, report, {
    plugin: "variantCaller",
    pluginconfig: { meta: { configuration: "mine" } },
  });
  assert.deepEqual(
    (await newest(sim, report, "variantCaller")).plugin_result_jobs[0].config,
    { meta: { configuration: "mine" } },
  );
  // A global config comes before the plan's settings.
  sim.setPlugin("variantCaller", { config: { site: "default" } });
  const listed = (await call(sim, `${API}plugin/?name=variantCaller`)).json()
    .objects[0];
  assert.deepEqual(listed.config, { site: "default" });
  await launch(sim, report, { plugin: "variantCaller" });
  assert.deepEqual(sim.launches.at(-1)!.effectiveConfig, { site: "default" });
});

Deno.test("config chain: validation runs on the effective config; 202 either way", async () => {
  await using sim = await startSimulator({ reports: 200 });
  const { without, withInput } = await reportsByPlan(sim);
  const r = await launch(sim, without[0]!, { plugin: "variantCaller" });
  assert.deepEqual([r.status, r.text], [202, ""]);
  const failed = await newest(sim, without[0]!, "variantCaller");
  assert.deepEqual(
    [failed.state, failed.plugin_result_jobs, failed.validation_errors],
    ["Failed Validation", [], {
      "validation_errors": [
        "variantCaller requires configuration before execution.",
      ],
    }],
  );
  // The test hook: a key "invalid" fails any plugin, naming the key.
  await launch(sim, 1, { plugin: "igv", pluginconfig: { invalid: "yes" } });
  const hooked = await newest(sim, 1, "igv");
  assert.equal(hooked.state, "Failed Validation");
  assert.match(hooked.validation_errors.validation_errors[0], /"invalid"/);
  assert.equal(sim.launches.length, 2, "both were accepted");
  // Without the chain the config is what was sent: the plan is not used.
  await using plain = await startSimulator({
    reports: 200,
    configChain: false,
  });
  await launch(plain, withInput[0]!, { plugin: "variantCaller" });
  assert.equal(
    (await newest(plain, withInput[0]!, "variantCaller")).state,
    "Failed Validation",
  );
  await launch(plain, 2, { plugin: "coverageAnalysis" });
  assert.deepEqual(plain.launches.at(-1)!.effectiveConfig, {});
});
