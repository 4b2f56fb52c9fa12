// Tests of the simulator's Tastypie filtering: applied, ignored when unknown,
// refused when computed.

import assert from "node:assert/strict";
import { startSimulator } from "../../simulator/mod.ts";
import { API, call, CANNED, type Json } from "./_helpers.ts";

Deno.test("simulator filters: applied, ignored when unknown, refused when computed", async () => {
  await using sim = await startSimulator({ reports: 300 });
  const total =
    (await call(sim, `${API}pluginresult/?limit=1`)).json().meta.total_count;
  const ignored = await call(
    sim,
    `${API}pluginresult/?limit=1&status=Completed&plugin_name=igv`,
  );
  assert.equal(ignored.json().meta.total_count, total);
  for (const field of ["state", "pluginName"]) {
    const r = await call(sim, `${API}pluginresult/?${field}=Completed`);
    assert.deepEqual([r.status, r.json()], [400, {
      error: `The '${field}' field does not allow filtering.`,
    }]);
  }
  const order = await call(sim, `${API}pluginresult/?order_by=state`);
  assert.deepEqual(order.json(), {
    error: "The 'state' field does not allow ordering.",
  });
  assert.deepEqual((await call(sim, `${API}results/?order_by=nope`)).json(), {
    error: "No matching 'nope' field for ordering on.",
  });
  assert.deepEqual((await call(sim, `${API}results/?id=abc`)).json(), {
    error: "Invalid resource lookup data provided (mismatched type).",
  });
  const runs = (await call(
    sim,
    `${API}pluginresult/?result__in=5,6,7&plugin__name__in=igv,coverageAnalysis&limit=0`,
  )).json();
  assert.ok(
    runs.objects.every((r: Json) =>
      /\/results\/[567]\/$/.test(r.result) &&
      ["igv", "coverageAnalysis"].includes(r.pluginName)
    ),
  );
  const all = (await call(sim, `${API}results/?limit=0`)).json()
    .objects as Json[];
  const pick = all[40]!;
  const since = (await call(
    sim,
    `${API}results/?limit=0&timeStamp__gte=${
      encodeURIComponent(pick.timeStamp)
    }`,
  )).json();
  assert.deepEqual(
    since.objects.map((r: Json) => r.id),
    all.filter((r) => r.id >= pick.id).map((r) => r.id),
  );
  const needle = pick.resultsName.slice(10, 16).toLowerCase();
  const named =
    (await call(sim, `${API}results/?limit=0&resultsName__icontains=${needle}`))
      .json().objects;
  assert.ok(
    named.length > 0 &&
      named.every((r: Json) => r.resultsName.toLowerCase().includes(needle)),
  );
  const plugins = (await call(sim, `${API}plugin/?limit=0`)).json()
    .objects as Json[];
  assert.ok(plugins.length < sim.plugins().length, "inactive rows are hidden");
  const enabled = (await call(sim, `${API}plugin/?selected=True&order_by=name`))
    .json().objects as Json[];
  assert.ok(enabled.every((p) => p.selected && p.active));
  const inactive = (sim.plugins() as Json[]).find((p) => !p.active)!;
  assert.deepEqual([(await call(sim, `${API}plugin/${inactive.id}/`)).text], [
    "",
  ]);
  assert.equal((await call(sim, `${API}plugin/${inactive.id}/`)).status, 404);
  assert.equal((await call(sim, `${API}plugin/abc/`)).text, CANNED);
});
