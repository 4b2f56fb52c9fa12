// Tests of the simulator's JSON shapes (plugins, reports, plugin results,
// jobs), read over HTTP as a client sees them, plus prTimes() on its own.

import assert from "node:assert/strict";
import { seedStore } from "../../simulator/data.ts";
import { jobJson, prJson, prTimes } from "../../simulator/json.ts";
import { startSimulator } from "../../simulator/mod.ts";
import { API, call, type Json, launch } from "./_helpers.ts";

const T0 = Date.UTC(2024, 4, 1);

Deno.test("a plugin serializes with the fields of sdk-docs plugin.rst, input 'False' without instance.html", async () => {
  await using sim = await startSimulator({ reports: 3 });
  const one = async (name: string): Promise<Json> => {
    const page = (await call(sim, `${API}plugin/?name=${name}`)).json();
    assert.equal(page.meta.total_count, 1, `one active ${name}`);
    return page.objects[0];
  };
  const vc = (await call(sim, `${API}plugin/45/`)).json();
  assert.deepEqual(Object.keys(vc), [
    "active",
    "availableVersions",
    "config",
    "date",
    "defaultSelected",
    "description",
    "hasAbout",
    "id",
    "input",
    "isConfig",
    "isInstance",
    "isPlanConfig",
    "isSupported",
    "isUpgradable",
    "majorBlock",
    "name",
    "packageName",
    "path",
    "pluginsettings",
    "requires_configuration",
    "resource_uri",
    "script",
    "selected",
    "status",
    "url",
    "userinputfields",
    "version",
    "versionedName",
  ]);
  assert.equal(vc.id, 45);
  assert.equal(vc.resource_uri, `${API}plugin/45/`);
  assert.equal(vc.versionedName, "variantCaller--v5.12.0.4");
  assert.equal(vc.input, "/configure/plugins/plugin/45/configure/report/");
  assert.equal(vc.path, "/results/plugins/variantCaller");
  assert.equal(vc.script, "variantCaller.py");
  assert.equal(vc.packageName, "ion-plugin-variantcaller");
  assert.deepEqual(
    [vc.isSupported, vc.isUpgradable, vc.requires_configuration],
    [true, false, true],
  );
  assert.deepEqual(vc.pluginsettings, {
    depends: [],
    features: [],
    runlevels: ["default"],
    runtypes: ["wholechip", "thumbnail", "composite"],
  });
  assert.deepEqual([vc.status, vc.userinputfields, vc.url], [{}, {}, ""]);
  assert.match(vc.date, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.000\d{3})?\+00:00$/);
  const igv = await one("igv");
  assert.equal(igv.input, "False", "no instance.html: the string False");
  assert.equal(igv.isInstance, false);
  const top = await one("top100Ionogram");
  assert.deepEqual([top.packageName, top.isSupported], ["", false]);
  const iru = await one("IonReporterUploader");
  assert.deepEqual(
    [iru.availableVersions, iru.isUpgradable],
    [["5.12.0.11", "5.12.0.12"], true],
  );
  const ra = await one("RunTransfer");
  assert.deepEqual([ra.selected, ra.majorBlock, ra.active], [
    false,
    false,
    true,
  ]);
  // The simulator's own view of the rows is the same serialization.
  const mine = (sim.plugins() as Json[]).find((p) => p.id === 45);
  assert.deepEqual(mine, vc);
});

Deno.test("a report lists its runs newest first; pluginState/pluginStore come with the detail view (and ?plugin=true lists)", async () => {
  await using sim = await startSimulator({ reports: 5 });
  const a = sim.addPluginResult(3, "igv", "Error");
  const b = sim.addPluginResult(3, "igv", "Completed");
  const c = sim.addPluginResult(3, "sampleID", "Started");
  const r = (await call(sim, `${API}results/3/`)).json();
  assert.deepEqual(r.pluginresults.slice(0, 3), [
    `${API}pluginresult/${c}/`,
    `${API}pluginresult/${b}/`,
    `${API}pluginresult/${a}/`,
  ]);
  assert.equal(r.pluginState.igv, "Completed", "the newest igv run wins");
  assert.equal(r.pluginState.sampleID, "Started");
  assert.deepEqual(r.pluginStore.igv, { "Plugin Version": "5.12.0.0" });
  assert.deepEqual(r.pluginStore.sampleID, {}, "nothing stored while running");
  const dir = `${r.resultsName}_003`;
  assert.equal(r.resource_uri, `${API}results/3/`);
  assert.equal(r.reportLink, `/output/Home/${dir}/`);
  assert.equal(r.filesystempath, `/results/analysis/output/Home/${dir}`);
  assert.equal(r.log, `/output/Home/${dir}/log.html`);
  assert.equal(r.bamLink, `/output/Home/${dir}/download_links/${r.runid}.bam`);
  assert.match(r.experiment, /^\/rundb\/api\/v1\/experiment\/\d+\/$/);
  assert.match(
    r.eas,
    /^\/rundb\/api\/v1\/experimentanalysissettings\/\d+\/$/,
  );
  for (const key of ["libmetrics", "tfmetrics", "analysismetrics"]) {
    assert.deepEqual(r[key], [`${API}${key}/10/`], key);
  }
  assert.deepEqual(r.reportstorage, {
    default: true,
    dirPath: "/results/analysis/output",
    id: 1,
    name: "Home",
    "resource_uri": "",
    webServerPath: "/output",
  });
  assert.equal(r.i18nstatus.i18n, r.status);
  assert.ok(["Completed", "Error", "Progress", "Other"].includes(
    r.i18nstatus.state,
  ));
  assert.equal(typeof r.processedflows, "number");
  const listed = (await call(sim, `${API}results/?id=3`)).json().objects[0];
  assert.ok(!("pluginState" in listed) && !("pluginStore" in listed));
  const { pluginState: _s, pluginStore: _t, ...plain } = r;
  assert.deepEqual(listed, plain, "list items are the detail minus plugins");
  const withPlugins =
    (await call(sim, `${API}results/?id=3&plugin=true`)).json().objects[0];
  assert.deepEqual(withPlugins, r);
});

Deno.test("a plugin result shows size and inodes as strings, -1 and no files or store until it has finished", async () => {
  let t = T0;
  await using sim = await startSimulator({
    reports: 5,
    queuedMs: 100,
    pluginRunMs: { igv: 1000 },
    runSpread: 0,
    now: () => t,
  });
  assert.equal((await launch(sim, 4, { plugin: "igv" })).status, 202);
  const id = sim.launches[0]!.pluginResultId!;
  const get = async () => (await call(sim, `${API}pluginresult/${id}/`)).json();
  const queued = await get();
  const dir = `${queued.resultName}_004`;
  assert.deepEqual(
    {
      state: queued.state,
      size: queued.size,
      inodes: queued.inodes,
      files: queued.files,
      store: queued.store,
      starttime: queued.starttime,
      endtime: queued.endtime,
      canTerminate: queued.can_terminate,
      validation: queued.validation_errors,
    },
    {
      state: "Queued",
      size: "-1",
      inodes: "-1",
      files: [],
      store: {},
      starttime: null,
      endtime: null,
      canTerminate: true,
      validation: {},
    },
  );
  assert.match(queued.apikey, /^[0-9a-f]{40}$/, "a running run has its key");
  assert.equal(queued.URL, `/output/Home/${dir}/plugin_out/igv_out.${id}/`);
  assert.equal(
    queued.path,
    `/results/analysis/output/Home/${dir}/plugin_out/igv_out.${id}`,
  );
  assert.deepEqual(
    [queued.plugin, queued.result, queued.owner, queued.resource_uri],
    [
      `${API}plugin/11/`,
      `${API}results/4/`,
      `${API}user/1/`,
      `${API}pluginresult/${id}/`,
    ],
  );
  assert.deepEqual(
    [queued.pluginName, queued.pluginVersion, queued.major],
    ["igv", "5.12.0.0", false],
  );
  t += 100;
  const started = await get();
  assert.deepEqual(
    [started.state, started.starttime, started.endtime, started.size],
    ["Started", "2024-05-01T00:00:00.000100+00:00", null, "-1"],
  );
  t += 1000;
  const done = await get();
  assert.equal(done.state, "Completed");
  assert.equal(done.endtime, "2024-05-01T00:00:01.000100+00:00");
  assert.match(done.size, /^\d+$/);
  assert.ok(Number(done.size) >= 20_000, "the launch's size, as a string");
  assert.match(done.inodes, /^\d+$/);
  assert.notEqual(done.inodes, "-1");
  assert.deepEqual(done.files, ["igv_block.html"]);
  assert.deepEqual(done.store, { "Plugin Version": "5.12.0.0" });
  assert.equal(done.can_terminate, false);
});

Deno.test("runs without a job: Unknown has size -1, Failed Validation nests its messages under validation_errors", async () => {
  await using sim = await startSimulator({ reports: 5 });
  const unknown = sim.addPluginResult(2, "igv", "Unknown");
  const invalid = sim.addPluginResult(2, "variantCaller", "Failed Validation");
  const u = (await call(sim, `${API}pluginresult/${unknown}/`)).json();
  assert.deepEqual(
    [u.state, u.plugin_result_jobs, u.size, u.inodes, u.can_terminate],
    ["Unknown", [], "-1", "-1", false],
  );
  assert.deepEqual([u.starttime, u.endtime], [null, null]);
  const v = (await call(sim, `${API}pluginresult/${invalid}/`)).json();
  assert.equal(v.state, "Failed Validation");
  assert.deepEqual(v.validation_errors, {
    "validation_errors": [
      "variantCaller requires configuration before execution.",
    ],
  });
  assert.deepEqual(v.files, []);
});

Deno.test("a job serializes with its PluginResultJob URI, alike nested and on its own", async () => {
  // A stopped clock: the job stays Queued.
  await using sim = await startSimulator({ reports: 5, now: () => T0 });
  await launch(sim, 1, { plugin: "igv", pluginconfig: { depth: 3 } });
  const pr = (await call(
    sim,
    `${API}pluginresult/${sim.launches[0]!.pluginResultId}/`,
  )).json();
  assert.equal(pr.plugin_result_jobs.length, 1);
  const nested = pr.plugin_result_jobs[0];
  assert.deepEqual(Object.keys(nested), [
    "config",
    "endtime",
    "grid_engine_jobid",
    "id",
    "resource_uri",
    "run_level",
    "starttime",
    "state",
  ]);
  assert.deepEqual(
    [nested.state, nested.starttime, nested.endtime, nested.run_level],
    ["Queued", null, null, "default"],
  );
  assert.deepEqual(nested.config, { depth: 3 });
  assert.equal(nested.resource_uri, `${API}PluginResultJob/${nested.id}/`);
  assert.equal(typeof nested.grid_engine_jobid, "number");
  const own = (await call(sim, nested.resource_uri)).json();
  assert.deepEqual(own, nested);
  const listed = (await call(sim, `${API}PluginResultJob/?id=${nested.id}`))
    .json().objects;
  assert.deepEqual(listed, [nested]);
});

Deno.test("results/<pk>/pluginresults/ items carry report.js's capitalized keys and a repr string for the jobs", async () => {
  await using sim = await startSimulator({ reports: 5 });
  const done = sim.addPluginResult(5, "igv", "Completed");
  const bare = (await call(sim, `${API}results/5/pluginresults/`)).json();
  assert.ok(Array.isArray(bare), "a bare array, no meta");
  const item = (bare as Json[]).find((p) => p.id === done)!;
  assert.deepEqual(Object.keys(item), [
    "Files",
    "Links",
    "Major",
    "Name",
    "Path",
    "Size",
    "State",
    "URL",
    "Version",
    "can_terminate",
    "id",
    "inodes",
    "plugin_result_jobs",
    "show",
    "validation_errors",
  ]);
  const pr = (await call(sim, `${API}pluginresult/${done}/`)).json();
  assert.deepEqual(
    [item.Name, item.Version, item.State, item.URL, item.Path, item.Files],
    [pr.pluginName, pr.pluginVersion, pr.state, pr.URL, pr.path, pr.files],
  );
  assert.deepEqual(
    [item.Size, item.inodes, item.Major, item.can_terminate],
    [pr.size, pr.inodes, pr.major, pr.can_terminate],
  );
  assert.deepEqual([item.Links, item.show], [[], true]);
  assert.equal(
    item.plugin_result_jobs,
    "<django.db.models.fields.related.RelatedManager object>",
  );
});

Deno.test("prTimes() spans the earliest start to the latest end; jobJson() and prJson() read them on the same clock", () => {
  const store = seedStore({ count: 2, seed: 1, now: T0, thumbnails: false });
  const report = store.reports[0]!;
  const plugin = store.plugins.find((p) => p.name === "igv" && p.active)!;
  const pr = store.addPr(report, plugin, 1, "k".repeat(40));
  assert.deepEqual(prTimes(pr, T0), { start: null, end: null, running: false });
  const fixed = (state: string, start: number | null, end: number | null) =>
    store.addJob(pr, {
      state,
      runLevel: "default",
      starttime: start,
      endtime: end,
      config: {},
      life: null,
    });
  fixed("Completed", T0 + 3000, T0 + 5000);
  fixed("Error", T0 + 1000, T0 + 2000);
  assert.deepEqual(prTimes(pr, T0), {
    start: T0 + 1000,
    end: T0 + 5000,
    running: false,
  });
  const json = prJson(pr, T0);
  assert.equal(json.starttime, "2024-05-01T00:00:01+00:00");
  assert.equal(json.endtime, "2024-05-01T00:00:05+00:00");
  assert.equal(json.state, "Completed", "the job started last decides");
  const late = store.addJob(pr, {
    state: "Queued",
    runLevel: "default",
    starttime: null,
    endtime: null,
    config: {},
    life: {
      created: T0,
      ready: T0 + 10,
      duration: 50,
      fail: false,
      stuck: false,
      started: T0 + 10,
      ended: T0 + 60,
    },
  });
  assert.equal(prTimes(pr, T0).running, true, "a queued job is running");
  assert.equal(jobJson(late, T0).state, "Queued");
  assert.deepEqual(
    [jobJson(late, T0 + 10).state, jobJson(late, T0 + 10).starttime],
    ["Started", "2024-05-01T00:00:00.000010+00:00"],
  );
  assert.deepEqual(prTimes(pr, T0 + 60), {
    start: T0 + 10,
    end: T0 + 5000,
    running: false,
  });
  assert.equal(
    jobJson(late, T0 + 60).endtime,
    "2024-05-01T00:00:00.000060+00:00",
  );
});

Deno.test("a finished run keeps its apikey (Corrections 8: apikey is not nulled on completion)", async () => {
  let t = T0;
  await using sim = await startSimulator({
    reports: 5,
    queuedMs: 100,
    runSpread: 0,
    pluginRunMs: { igv: 1000 },
    now: () => t,
  });
  await launch(sim, 2, { plugin: "igv" });
  const id = sim.launches[0]!.pluginResultId!;
  const key = (await call(sim, `${API}pluginresult/${id}/`)).json().apikey;
  assert.match(key, /^[0-9a-f]{40}$/);
  t += 5000;
  const done = (await call(sim, `${API}pluginresult/${id}/`)).json();
  assert.equal(done.state, "Completed");
  assert.equal(done.apikey, key); // simulator: null
});

Deno.test("endtime stays null while any job of the run is unfinished (Corrections 8), also on a rerun into the same run", async () => {
  let t = T0;
  await using sim = await startSimulator({
    reports: 5,
    queuedMs: 100,
    runSpread: 0,
    pluginRunMs: { igv: 1000 },
    now: () => t,
  });
  const id = sim.addPluginResult(2, "igv", "Completed");
  assert.equal(
    (await launch(sim, 2, { plugin: "igv", pluginresult: id })).status,
    202,
  );
  t += 500;
  const r = (await call(sim, `${API}pluginresult/${id}/`)).json();
  assert.deepEqual(r.plugin_result_jobs.map((j: Json) => j.state), [
    "Completed",
    "Started",
  ]);
  assert.equal(r.state, "Started");
  assert.equal(r.endtime, null); // simulator: the first job's end, "2024-05-01T00:00:00+00:00"
});
