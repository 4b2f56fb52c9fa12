// Tests of the simulator's public module: starting it and its no-auth
// endpoints.

import assert from "node:assert/strict";
import { startSimulator } from "../../simulator/mod.ts";
import { API, call } from "./_helpers.ts";

Deno.test("simulator serves the no-auth endpoints and exact datetimes", async () => {
  let t = Date.UTC(2019, 0, 17, 23, 50, 39, 550);
  await using sim = await startSimulator({ reports: 5, now: () => t });
  const version = await call(sim, `${API}torrentsuite/version/`, {}, null);
  assert.equal(version.text, '{"meta_version": "5.18.1"}');
  assert.match(version.headers.get("content-type")!, /^application\/json/);
  const top = await call(sim, API, {}, null);
  assert.equal(top.json().pluginresult.list_endpoint, `${API}pluginresult/`);
  const a = sim.addPluginResult(1, "igv", "Completed");
  t -= 550;
  const b = sim.addPluginResult(1, "igv", "Completed");
  const [ra, rb] = [
    (await call(sim, `${API}pluginresult/${a}/`)).json(),
    (await call(sim, `${API}pluginresult/${b}/`)).json(),
  ];
  assert.equal(ra.starttime, "2019-01-17T23:50:39.000550+00:00");
  assert.equal(rb.endtime, "2019-01-17T23:50:39+00:00");
  for (const r of (await call(sim, `${API}results/?limit=0`)).json().objects) {
    assert.match(
      r.timeStamp,
      /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.000\d{3})?\+00:00$/,
    );
  }
});
