// Tests of the plan settings resource (experimentanalysissettings) and the
// report's `eas` link, over HTTP.

import assert from "node:assert/strict";
import { startSimulator } from "../../simulator/mod.ts";
import { API, call, type Json } from "./_helpers.ts";

Deno.test("plans: a report's eas URI serves its plan settings with selectedPlugins", async () => {
  await using sim = await startSimulator({ reports: 120 });
  const report = (await call(sim, `${API}results/5/`)).json();
  assert.match(
    report.eas,
    /^\/rundb\/api\/v1\/experimentanalysissettings\/\d+\/$/,
  );
  const eas = (await call(sim, report.eas)).json();
  assert.equal(eas.resource_uri, report.eas);
  assert.equal(eas.experiment, report.experiment);
  assert.deepEqual(eas.results, [report.resource_uri]);
  const plugins = Object.values(eas.selectedPlugins) as Json[];
  assert.ok(plugins.length > 0);
  for (const p of plugins) {
    assert.deepEqual(Object.keys(p).sort(), [
      "features",
      "id",
      "name",
      "userInput",
      "version",
    ]);
    assert.equal(eas.selectedPlugins[p.name], p);
  }
  assert.equal((await call(sim, report.eas, {}, null)).status, 401);
  const missing = await call(sim, `${API}experimentanalysissettings/999999/`);
  assert.deepEqual([missing.status, missing.text], [404, ""]);
});

Deno.test("plans: the list filters by id__in and paginates like any resource", async () => {
  await using sim = await startSimulator({ reports: 120 });
  const all = (await call(sim, `${API}experimentanalysissettings/`)).json();
  assert.equal(all.meta.total_count, 120);
  assert.equal(all.objects.length, 20);
  assert.equal(
    all.meta.next,
    `${API}experimentanalysissettings/?limit=20&offset=20`,
  );
  const ids = all.objects.slice(0, 3).map((e: Json) => e.id);
  const some = (await call(
    sim,
    `${API}experimentanalysissettings/?id__in=${ids.join(",")}`,
  )).json();
  assert.deepEqual(some.objects.map((e: Json) => e.id), ids);
  const every = (await call(sim, `${API}experimentanalysissettings/?limit=0`))
    .json().objects as Json[];
  const lung = every.filter((e) => e.selectedPlugins.molecularCoverageAnalysis);
  assert.ok(lung.length > 0, "some cfDNA plans");
  assert.ok(
    lung.every((e) =>
      e.selectedPlugins.molecularCoverageAnalysis.userInput.librarytype
    ),
  );
});
