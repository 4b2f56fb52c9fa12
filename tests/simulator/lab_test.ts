import assert from "node:assert/strict";
import { startSimulator } from "../../simulator/mod.ts";
import { API, call, type Json } from "./_helpers.ts";

Deno.test("lab resources: projects, experiments, samples and plans, consistent with the reports' URIs", async () => {
  await using sim = await startSimulator({ reports: 40, thumbnails: true });
  const reports = (await call(sim, `${API}results/?limit=1000`)).json()
    .objects as Json[];
  const projects = (await call(sim, `${API}project/`)).json();
  assert.equal(projects.meta.total_count, 7);
  const byUri = new Map(
    (projects.objects as Json[]).map((p) => [p.resource_uri, p]),
  );
  for (const r of reports) {
    assert.equal(r.projects.length, 1);
    const p = byUri.get(r.projects[0])!;
    assert.ok(p.results.includes(r.resource_uri));
  }
  assert.equal(
    (projects.objects as Json[]).reduce((n, p) => n + p.resultsCount, 0),
    reports.length,
  );
  // Experiments: one per run (a thumbnail shares its run's), samples and plan as URIs.
  const exps = (await call(sim, `${API}experiment/?limit=1000`)).json()
    .objects as Json[];
  const expIds = new Set(reports.map((r) => r.experiment));
  assert.equal(exps.length, expIds.size);
  assert.ok(exps.length < reports.length, "thumbnails share their run");
  const e = exps[0]!;
  assert.match(e.plan, /^\/rundb\/api\/v1\/plannedexperiment\/\d+\/$/);
  assert.ok(e.samples.length >= 1 && e.samples.length <= 3);
  assert.equal(typeof e.chipType, "string");
  const detail = (await call(sim, e.resource_uri)).json();
  assert.deepEqual(detail, e);
  const sampleId = /(\d+)\/$/.exec(e.samples[0])![1];
  const sample = (await call(sim, `${API}sample/?id=${sampleId}`)).json()
    .objects[0];
  assert.equal(sample.name, e.sample, "`sample` is the first sample's name");
  const planId = /(\d+)\/$/.exec(e.plan)![1];
  const plan = (await call(sim, `${API}plannedexperiment/?id=${planId}`))
    .json().objects[0];
  assert.equal(plan.experiment, e.resource_uri);
});

Deno.test("results filter through projects and experiment relations, in any case with iexact", async () => {
  await using sim = await startSimulator({ reports: 60 });
  const reports = (await call(sim, `${API}results/?limit=1000`)).json()
    .objects as Json[];
  const exps = new Map(
    ((await call(sim, `${API}experiment/?limit=1000`)).json()
      .objects as Json[]).map((e) => [e.resource_uri, e]),
  );
  const ids = async (query: string) =>
    ((await call(sim, `${API}results/?limit=1000&${query}`)).json()
      .objects as Json[]).map((r) => r.id);
  const some = reports[3]!;
  const names = new Map(
    ((await call(sim, `${API}project/`)).json().objects as Json[]).map((
      p,
    ) => [p.resource_uri, p.name]),
  );
  const name = names.get(some.projects[0])!;
  assert.deepEqual(
    await ids(`projects__name__iexact=${name.toLowerCase()}`),
    reports.filter((r) => r.projects[0] === some.projects[0]).map((r) => r.id),
  );
  const chip = exps.get(some.experiment)!.chipType;
  assert.deepEqual(
    await ids(`experiment__chipType=${chip}`),
    reports.filter((r) => exps.get(r.experiment)!.chipType === chip).map((r) =>
      r.id
    ),
  );
  const plan = exps.get(some.experiment)!.plan;
  const planName = (await call(
    sim,
    `${API}plannedexperiment/?id=${/(\d+)\/$/.exec(plan)![1]}`,
  )).json().objects[0].planName;
  const byPlan = await ids(`experiment__plan__planName__iexact=${planName}`);
  assert.ok(byPlan.includes(some.id));
  assert.ok(
    byPlan.every((id) =>
      /_v\d$/.test(planName) &&
      reports.find((r) => r.id === id)!.resultsName.includes(
        planName.replace(/_v\d$/, ""),
      )
    ),
  );
  const sampleUri = exps.get(some.experiment)!.samples[0];
  const sampleName = (await call(
    sim,
    `${API}sample/?id=${/(\d+)\/$/.exec(sampleUri)![1]}`,
  )).json().objects[0].name;
  const bySample = await ids(`experiment__samples__name=${sampleName}`);
  assert.ok(bySample.includes(some.id));
  // An unknown filter name is silently ignored, as Tastypie does.
  assert.equal((await ids("project__name=x")).length, reports.length);
});
