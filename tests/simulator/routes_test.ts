// Tests of the simulator's routing: 405 before 401, 301 on a missing slash.

import assert from "node:assert/strict";
import { startSimulator } from "../../simulator/mod.ts";
import { API, API_KEY, call } from "./_helpers.ts";

Deno.test("simulator checks the method (405) before auth (401), and 301s a missing slash", async () => {
  await using sim = await startSimulator({ reports: 5 });
  const r = await call(
    sim,
    `${API}results/1/plugin/`,
    { method: "DELETE" },
    null,
  );
  assert.equal(r.status, 405);
  assert.equal(r.headers.get("allow"), "GET,POST,PUT");
  assert.equal(r.text, "GET,POST,PUT");
  assert.equal(
    (await call(sim, `${API}results/1/plugin/`, { method: "PUT", body: "{}" }))
      .status,
    400,
  );
  assert.equal(
    (await call(sim, `${API}plugin/3/`, { method: "POST", body: "{}" })).status,
    501,
  );
  for (const method of ["GET", "POST"]) {
    const moved = await call(sim, `${API}results/1/plugin?x=1`, {
      method,
      body: method === "POST" ? "{}" : null,
    }, null);
    assert.equal(moved.status, 301);
    assert.equal(
      moved.headers.get("location"),
      `${sim.url}${API}results/1/plugin/?x=1`,
    );
  }
  // The trap: a followed 301 turns the POST into a GET that launches nothing.
  const followed = await fetch(`${sim.url}${API}results/1/plugin`, {
    method: "POST",
    headers: { ...API_KEY, "Content-Type": "application/json" },
    body: '{"plugin": "igv"}',
  });
  assert.equal(followed.status, 200);
  assert.ok("pluginState" in await followed.json());
  assert.equal(sim.launches.length, 0);
  const missing = await call(sim, `${API}nosuchthing/`);
  assert.equal(missing.status, 404);
  assert.match(missing.text, /<html/);
  assert.equal((await call(sim, `${API}nosuchthing`)).status, 404);
});
