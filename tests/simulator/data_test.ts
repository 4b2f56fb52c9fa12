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
