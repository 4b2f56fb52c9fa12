// Tests of the simulator's resource specs: model fields filter and order,
// computed fields are refused (400), relations follow `__`, and every field
// a resource serves is known to its spec, all seen through list requests.

import assert from "node:assert/strict";
import { seedStore } from "../../simulator/data.ts";
import { jobJson, pluginJson, prJson } from "../../simulator/json.ts";
import { DEFAULT_USERS, startSimulator } from "../../simulator/mod.ts";
import { resourceSpecs } from "../../simulator/specs.ts";
import { API, call, type Json, launch } from "./_helpers.ts";

const T0 = Date.UTC(2024, 4, 1);

Deno.test("every field a plugin, plugin result or job serves is in its spec (so a filter on it is applied or refused, never ignored)", () => {
  const store = seedStore({ count: 3, seed: 1, now: T0, thumbnails: false });
  const specs = resourceSpecs(store);
  const plugin = store.plugins[0]!;
  const pr = store.addPr(store.reports[0]!, plugin, 1, "k".repeat(40));
  const job = store.addJob(pr, {
    state: "Completed",
    runLevel: "default",
    starttime: T0,
    endtime: T0 + 1,
    config: {},
    life: null,
  });
  const cases: [string, Record<string, unknown>, Record<string, unknown>][] = [
    ["plugin", pluginJson(plugin), specs.plugin.fields],
    ["pluginresult", prJson(pr, T0), specs.pluginresult.fields],
    ["job", jobJson(job, T0), specs.job.fields],
  ];
  for (const [name, served, fields] of cases) {
    assert.deepEqual(
      Object.keys(served).filter((k) => !(k in fields)),
      [],
      `${name} fields served but unknown to its spec`,
    );
  }
});

Deno.test("plugin: model fields filter and order; computed ones (versionedName, isSupported, …) are refused", async () => {
  await using sim = await startSimulator({ reports: 3 });
  const names = async (query: string) =>
    ((await call(sim, `${API}plugin/?limit=0&${query}`)).json()
      .objects as Json[]).map((p) => p.name);
  // Corrections 1: in 5.10–5.18 exactly these require a configuration.
  assert.deepEqual(
    [...new Set(await names("requires_configuration=true"))].sort(),
    ["DataExport", "molecularCoverageAnalysis", "variantCaller"],
  );
  assert.deepEqual(await names("name=igv"), ["igv"]);
  assert.deepEqual(await names("name__iexact=IGV"), ["igv"]);
  assert.deepEqual(await names("packageName=&order_by=name"), [
    "AmpliconRep",
    "bubbleRun",
    "FastqCreator",
    "PartekFlowUploader",
    "smallRNA",
    "top100Ionogram",
    "validateVariantCaller",
  ]);
  assert.deepEqual(await names("script=launch.sh"), ["FilterDuplicates"]);
  const sorted = await names("order_by=name");
  assert.deepEqual(
    sorted,
    [...sorted].sort((a, b) => a.localeCompare(b, "en")),
    "order_by=name sorts by name",
  );
  const byDate = (await call(sim, `${API}plugin/?limit=0&order_by=-date`))
    .json().objects as Json[];
  assert.ok(byDate.every((p, i) => i === 0 || byDate[i - 1]!.date >= p.date));
  for (
    const field of [
      "versionedName",
      "isSupported",
      "isUpgradable",
      "availableVersions",
      "input",
      "resource_uri",
      "hasAbout",
      "isInstance",
      "isPlanConfig",
    ]
  ) {
    const f = await call(sim, `${API}plugin/?${field}=x`);
    assert.deepEqual([f.status, f.json()], [400, {
      error: `The '${field}' field does not allow filtering.`,
    }], field);
    const o = await call(sim, `${API}plugin/?order_by=-${field}`);
    assert.deepEqual([o.status, o.json()], [400, {
      error: `The '${field}' field does not allow ordering.`,
    }], field);
  }
  const deep = await call(sim, `${API}plugin/?name__startswith__x=i`);
  assert.equal(deep.status, 400, "a str field has no relations");
  assert.deepEqual(deep.json(), {
    error: "The 'name' field does not support relations.",
  });
  const ignored = await call(sim, `${API}plugin/?limit=0&nosuchfield=1`);
  assert.equal(ignored.json().meta.total_count, (await names("")).length);
});

Deno.test("pluginresult: relations to the report, the plugin and any of its jobs filter; computed fields are refused", async () => {
  let t = T0;
  await using sim = await startSimulator({
    reports: 20,
    queuedMs: 100,
    runSpread: 0,
    now: () => t,
  });
  const ionuser = DEFAULT_USERS[1]!;
  const asUser = {
    Authorization: `ApiKey ${ionuser.username}:${ionuser.apiKey}`,
  };
  const r = await call(sim, `${API}results/7/plugin/`, {
    method: "POST",
    headers: { ...asUser, "Content-Type": "application/json" },
    body: '{"plugin": "sampleID"}',
  });
  assert.equal(r.status, 202);
  const mine = sim.launches[0]!.pluginResultId!;
  const ids = async (query: string) =>
    ((await call(sim, `${API}pluginresult/?limit=0&${query}`)).json()
      .objects as Json[]).map((p) => p.id);
  assert.deepEqual(await ids("owner=2"), [mine], "only ionuser's launch");
  assert.ok((await ids("plugin_result_jobs__state=Queued")).includes(mine));
  assert.ok(!(await ids("plugin_result_jobs__state=Completed")).includes(mine));
  const report = (await call(sim, `${API}results/7/`)).json();
  const byName = await ids(
    `result__resultsName=${encodeURIComponent(report.resultsName)}`,
  );
  assert.ok(byName.includes(mine));
  assert.deepEqual(
    byName.sort(),
    (await ids("result=7")).sort(),
    "the report's name or pk: the same runs",
  );
  const sampleIds = await ids("plugin__name=sampleID");
  const viaId = await ids("plugin=16");
  assert.deepEqual(viaId.sort(), sampleIds.sort(), "plugin=<id> follows id");
  const pv = await call(sim, `${API}pluginresult/?plugin__versionedName=x`);
  assert.deepEqual([pv.status, pv.json()], [400, {
    error: "The 'versionedName' field does not allow filtering.",
  }], "computed fields are refused through a relation too");
  const byPlugin =
    (await call(sim, `${API}pluginresult/?limit=0&order_by=plugin__name`))
      .json().objects as Json[];
  const pluginNames = byPlugin.map((p) => p.pluginName);
  assert.deepEqual(
    pluginNames,
    [...pluginNames].sort((a, b) => a.localeCompare(b, "en")),
  );
  for (
    const field of [
      "state",
      "pluginName",
      "pluginVersion",
      "resultName",
      "reportLink",
      "path",
      "URL",
      "files",
      "major",
      "can_terminate",
      "starttime",
      "endtime",
      "resource_uri",
    ]
  ) {
    const f = await call(sim, `${API}pluginresult/?${field}=x`);
    assert.deepEqual([f.status, f.json()], [400, {
      error: `The '${field}' field does not allow filtering.`,
    }], field);
  }
  // `status` is no field of the resource: silently ignored, as on TS.
  const all = (await call(sim, `${API}pluginresult/?limit=1`)).json();
  const ignored = (await call(sim, `${API}pluginresult/?limit=1&status=x`))
    .json();
  assert.equal(ignored.meta.total_count, all.meta.total_count);
  t += 10_000;
  assert.ok((await ids("plugin_result_jobs__state=Completed")).includes(mine));
});

Deno.test("results: relations to the experiment, projects and plan settings filter; computed fields are refused", async () => {
  await using sim = await startSimulator({ reports: 40 });
  const all = (await call(sim, `${API}results/?limit=0`)).json()
    .objects as Json[];
  const ids = async (query: string) =>
    ((await call(sim, `${API}results/?limit=0&${query}`)).json()
      .objects as Json[]).map((r) => r.id);
  const some = all[5]!;
  const eas = (await call(sim, some.eas)).json();
  assert.deepEqual(
    await ids(`eas=${eas.id}`),
    [some.id],
    "one report per plan settings here",
  );
  assert.ok(
    (await ids(`eas__reference=${encodeURIComponent(eas.reference)}`))
      .includes(some.id),
  );
  const expId = /(\d+)\/$/.exec(some.experiment)![1];
  assert.deepEqual(
    await ids(`experiment=${expId}`),
    all.filter((r) => r.experiment === some.experiment).map((r) => r.id),
  );
  assert.deepEqual(
    await ids("status__startswith=Completed"),
    all.filter((r) => r.status.startsWith("Completed")).map((r) => r.id),
  );
  const oldest = await ids("order_by=timeStamp");
  const stamps = new Map(all.map((r) => [r.id, Date.parse(r.timeStamp)]));
  assert.ok(
    oldest.every((id, i) =>
      i === 0 || stamps.get(oldest[i - 1]!)! <= stamps.get(id)!
    ),
  );
  const project = some.projects[0];
  assert.deepEqual(
    await ids(`projects=${/(\d+)\/$/.exec(project)![1]}`),
    all.filter((r) => r.projects.includes(project)).map((r) => r.id),
  );
  assert.deepEqual(await ids("representative=false"), all.map((r) => r.id));
  assert.deepEqual(await ids("representative=true"), []);
  for (const field of ["resource_uri", "i18nstatus", "reportstorage"]) {
    const f = await call(sim, `${API}results/?${field}=x`);
    assert.deepEqual([f.status, f.json()], [400, {
      error: `The '${field}' field does not allow filtering.`,
    }], field);
  }
  const bad = await call(sim, `${API}results/?processedflows=many`);
  assert.deepEqual([bad.status, bad.json()], [400, {
    error: "Invalid resource lookup data provided (mismatched type).",
  }]);
});

Deno.test("PluginResultJob: state and run_level filter; plugin_result is no field and is ignored", async () => {
  let t = T0;
  await using sim = await startSimulator({
    reports: 5,
    queuedMs: 100,
    runSpread: 0,
    now: () => t,
  });
  await launch(sim, 2, { plugin: "igv" });
  const pr = (await call(
    sim,
    `${API}pluginresult/${sim.launches[0]!.pluginResultId}/`,
  )).json();
  const jobId = pr.plugin_result_jobs[0].id;
  const ids = async (query: string) =>
    ((await call(sim, `${API}PluginResultJob/?limit=0&${query}`)).json()
      .objects as Json[]).map((j) => j.id);
  const everything = await ids("");
  assert.ok(everything.length > 1);
  assert.deepEqual(await ids("state=Queued"), [jobId]);
  assert.deepEqual(await ids("starttime__isnull=true"), [jobId]);
  assert.deepEqual(
    (await ids("run_level=default")).sort(),
    [...everything].sort(),
  );
  assert.deepEqual(
    await ids(
      `grid_engine_jobid=${pr.plugin_result_jobs[0].grid_engine_jobid}`,
    ),
    [jobId],
  );
  assert.deepEqual(
    await ids(`plugin_result=${pr.id}`),
    everything,
    "reference 6.2: silently ignored, all jobs",
  );
  const uri = await call(sim, `${API}PluginResultJob/?resource_uri=x`);
  assert.equal(uri.status, 400);
  t += 100;
  assert.deepEqual(await ids("state=Queued"), []);
  assert.ok((await ids("state=Started")).includes(jobId));
});

Deno.test("experiments filter through samples and plan; plan settings through their reports", async () => {
  await using sim = await startSimulator({ reports: 30 });
  const exps = (await call(sim, `${API}experiment/?limit=0`)).json()
    .objects as Json[];
  const e = exps[2]!;
  const sampleId = /(\d+)\/$/.exec(e.samples[0])![1];
  const sample = (await call(sim, `${API}sample/?id=${sampleId}`)).json()
    .objects[0];
  const bySample = (await call(
    sim,
    `${API}experiment/?limit=0&samples__name=${sample.name}`,
  )).json().objects as Json[];
  assert.ok(bySample.some((x) => x.resource_uri === e.resource_uri));
  assert.ok(bySample.every((x) => x.sample !== undefined));
  const planId = /(\d+)\/$/.exec(e.plan)![1];
  const plan = (await call(sim, `${API}plannedexperiment/?id=${planId}`))
    .json().objects[0];
  const byPlan = (await call(
    sim,
    `${API}experiment/?limit=0&plan__planShortID=${plan.planShortID}`,
  )).json().objects as Json[];
  assert.ok(byPlan.some((x) => x.resource_uri === e.resource_uri));
  const computed = await call(sim, `${API}experiment/?sample=x`);
  assert.deepEqual([computed.status, computed.json()], [400, {
    error: "The 'sample' field does not allow filtering.",
  }]);
  const report = (await call(sim, `${API}results/4/`)).json();
  const eas = (await call(
    sim,
    `${API}experimentanalysissettings/?limit=0&results__id=4`,
  )).json().objects as Json[];
  assert.deepEqual(eas.map((x) => x.resource_uri), [report.eas]);
});

Deno.test("owner__username is a working pluginresult filter (Corrections 8)", async () => {
  await using sim = await startSimulator({ reports: 5 });
  const r = await call(sim, `${API}pluginresult/?owner__username=ionadmin`);
  assert.equal(r.status, 200); // simulator: 400 {"error": "The 'owner' field does not support relations."}
});
