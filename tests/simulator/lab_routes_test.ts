import assert from "node:assert/strict";
import { LAB_ROUTES } from "../../simulator/lab_routes.ts";
import { startSimulator } from "../../simulator/mod.ts";
import { API, call } from "./_helpers.ts";

Deno.test("lab routes: each resource answers its list (and experiment/<pk>/ its detail) with credentials, 401 without, 301 without the slash", async () => {
  assert.deepEqual(
    LAB_ROUTES.map((r) => r.re.source),
    [
      "^project\\/$",
      "^experiment\\/$",
      "^experiment\\/(\\w[\\w/-]*)\\/$",
      "^sample\\/$",
      "^plannedexperiment\\/$",
    ],
  );
  await using sim = await startSimulator({ reports: 20 });
  for (const name of ["project", "experiment", "sample", "plannedexperiment"]) {
    const r = await call(sim, `${API}${name}/?limit=5`);
    assert.equal(r.status, 200, name);
    const body = r.json();
    assert.ok(body.meta.total_count > 0 && body.objects.length > 0, name);
    const anonymous = await call(sim, `${API}${name}/`, {}, {});
    assert.equal(anonymous.status, 401, `${name} without credentials`);
    assert.equal((await call(sim, `${API}${name}`)).status, 301, name);
  }
  const [first] = (await call(sim, `${API}experiment/?limit=1`)).json().objects;
  const one = await call(sim, `${API}experiment/${first.id}/`);
  assert.equal(one.status, 200);
  assert.equal(one.json().id, first.id);
  assert.equal((await call(sim, `${API}experiment/99999999/`)).status, 404);
});
