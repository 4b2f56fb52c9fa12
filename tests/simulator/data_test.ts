// Tests of the simulator's seeded data: deterministic, with gaps and two
// versions of some plugins.

import assert from "node:assert/strict";
import { type Simulator, startSimulator } from "../../simulator/mod.ts";
import { API, call, type Json, launch } from "./_helpers.ts";

Deno.test("simulator data are deterministic, with gaps and two versions", async () => {
  await using a = await startSimulator({ reports: 100, seed: 7 });
  await using b = await startSimulator({ reports: 100, seed: 7 });
  assert.equal(a.reportIds().length, 100);
  assert.deepEqual(a.reportIds(), b.reportIds());
  assert.ok(a.reportIds().at(-1)! > 100, "a gap or two");
  const names = async (s: Simulator) =>
    (await call(s, `${API}results/?limit=5`)).json().objects.map((r: Json) =>
      r.resultsName
    );
  assert.deepEqual(await names(a), await names(b));
  assert.deepEqual(
    a.pluginResults({ report: 50 }).length,
    b.pluginResults({ report: 50 }).length,
  );
  a.setPlugin("igv", { selected: false });
  assert.equal((await launch(a, 1, { plugin: "igv" })).status, 410);
});

Deno.test("simulator thumbnails: S5 runs get a _tn report; isThumbnail filters them", async () => {
  await using plain = await startSimulator({ reports: 60 });
  const none = (await call(plain, `${API}results/?isThumbnail=yes`)).json();
  assert.equal(none.meta.total_count, 0);
  await using sim = await startSimulator({ reports: 60, thumbnails: true });
  const all = (await call(sim, `${API}results/?limit=0`)).json()
    .objects as Json[];
  const thumbs = (await call(sim, `${API}results/?limit=0&isThumbnail=yes`))
    .json().objects as Json[];
  const full = (await call(sim, `${API}results/?limit=0&isThumbnail=no`))
    .json().objects as Json[];
  assert.equal(full.length, 60);
  assert.ok(thumbs.length > 10);
  assert.equal(all.length, full.length + thumbs.length);
  const ignored = await call(sim, `${API}results/?limit=1&isThumbnail=maybe`);
  assert.equal(ignored.json().meta.total_count, all.length);
  for (const tn of thumbs) {
    assert.deepEqual(tn.metaData, { thumb: 1 });
    assert.match(tn.resultsName, /_tn$/);
    const twin = full.find((r) => `${r.resultsName}_tn` === tn.resultsName)!;
    assert.equal(twin.experiment, tn.experiment);
    assert.equal(twin.eas, tn.eas);
    assert.match(twin.resultsName, /S5/);
  }
  const narrowed = (await call(
    sim,
    `${API}results/?isThumbnail=yes&id__in=${thumbs[0]!.id},${full[0]!.id}`,
  )).json().objects as Json[];
  assert.deepEqual(narrowed.map((r) => r.id), [thumbs[0]!.id]);
});

Deno.test("simulator reports show i18nstatus; the seed has some in progress and in error", async () => {
  await using sim = await startSimulator({ reports: 300 });
  const all = (await call(sim, `${API}results/?limit=0`)).json()
    .objects as Json[];
  const groups = new Set(all.map((r) => r.i18nstatus.state));
  assert.deepEqual([...groups].sort(), ["Completed", "Error", "Progress"]);
  const partial = all.find((r) => r.status.startsWith("Completed with"))!;
  assert.deepEqual(partial.i18nstatus, {
    i18n: partial.status,
    state: "Error",
  });
});
