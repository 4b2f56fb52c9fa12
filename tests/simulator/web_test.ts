// Tests of the web pages outside the API: the login page and the report
// files behind the web login (Basic or a session; an API key is redirected).

import assert from "node:assert/strict";
import { type Simulator, startSimulator } from "../../simulator/mod.ts";
import { API, API_KEY, call, type Json, launch, U } from "./_helpers.ts";

const BASIC = { Authorization: `Basic ${btoa(`${U.username}:${U.password}`)}` };

/** A finished run's URL (an igv launch on report 1, clock moved on). */
async function finishedRun(sim: Simulator, tick: () => void): Promise<Json> {
  await launch(sim, 1, { plugin: "igv" });
  tick();
  const id = sim.launches.at(-1)!.pluginResultId;
  return (await call(sim, `${API}pluginresult/${id}/`)).json();
}

Deno.test("web: a run's log needs Basic or a session; API keys and nobody go to /login/", async () => {
  let t = Date.UTC(2024, 4, 1);
  await using sim = await startSimulator({ reports: 5, now: () => t });
  const run = await finishedRun(sim, () => t += 60_000);
  assert.equal(run.state, "Completed");
  const log = `${run.URL}drmaa_stdout.txt`;
  const basic = await call(sim, log, {}, BASIC);
  assert.deepEqual([basic.status, basic.headers.get("content-type")], [
    200,
    "text/plain",
  ]);
  assert.match(basic.text, /^\[2024-05-01 00:00:00\] Plugin igv --v/);
  const cookie = basic.headers.get("set-cookie")!.split(";")[0]!;
  assert.equal((await call(sim, log, {}, { Cookie: cookie })).status, 200);
  const toLogin = `${sim.url}/login/?next=${log}`;
  for (const auth of [API_KEY, null]) {
    const r = await call(sim, log, {}, auth);
    assert.deepEqual([r.status, r.headers.get("location")], [302, toLogin]);
  }
  const query = await call(
    sim,
    `${log}?username=${U.username}&api_key=${U.apiKey}`,
    {},
    null,
  );
  assert.equal(query.status, 302);
  assert.equal(
    query.headers.get("location"),
    `${toLogin}%3Fusername%3D${U.username}%26api_key%3D${U.apiKey}`,
  );
  const page = await call(sim, "/login/", {}, null);
  assert.equal(page.status, 200);
  assert.match(page.text, /<input type="password" name="password"/);
  // A browser login: the form starts a session.
  const form = await call(sim, "/login/", {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: `username=${U.username}&password=${U.password}&next=${log}`,
  }, null);
  assert.deepEqual([form.status, form.headers.get("location")], [
    302,
    `${sim.url}${log}`,
  ]);
  const session = form.headers.get("set-cookie")!.split(";")[0]!;
  assert.equal((await call(sim, log, {}, { Cookie: session })).status, 200);
  await using open = await startSimulator({
    reports: 5,
    localhostAutoLogin: true,
  });
  const local = await call(open, log, {}, null);
  assert.equal(local.status, 404, "logged in as ionadmin, no such run there");
});

Deno.test("web: folders, missing files, /auth/ and logs: false", async () => {
  let t = Date.UTC(2024, 4, 1);
  await using sim = await startSimulator({ reports: 5, now: () => t });
  const run = await finishedRun(sim, () => t += 60_000);
  const folder = run.URL.slice(0, -1);
  const moved = await call(sim, folder, {}, BASIC);
  assert.deepEqual([moved.status, moved.headers.get("location")], [
    301,
    `${sim.url}${run.URL}`,
  ]);
  // Apache's DirectoryIndex ends with drmaa_stdout.txt.
  const index = await call(sim, run.URL, {}, BASIC);
  assert.match(index.text, /ion-plugin-status --state Completed/);
  await launch(sim, 2, { plugin: "igv" }); // queued: its folder has no log yet
  const queued = (await call(
    sim,
    `${API}pluginresult/${sim.launches.at(-1)!.pluginResultId}/`,
  )).json();
  const empty = await call(sim, queued.URL, {}, BASIC);
  assert.deepEqual([empty.status, /Index of/.test(empty.text)], [200, true]);
  const missing = await call(sim, `${run.URL}nothing.txt`, {}, BASIC);
  assert.equal(missing.status, 404);
  assert.match(missing.text, /Page Not Found/);
  assert.equal(
    (await call(sim, `${run.URL}nothing.txt`, {}, null)).status,
    302,
    "the login comes first",
  );
  const apache = `/auth${run.URL}drmaa_stdout.txt`;
  assert.equal((await call(sim, apache, {}, BASIC)).status, 200);
  const denied = await call(sim, apache, {}, API_KEY);
  assert.deepEqual([denied.status, denied.headers.get("www-authenticate")], [
    401,
    'Basic realm="Torrent Suite (TM)"',
  ]);
  await using quiet = await startSimulator({
    reports: 5,
    logs: false,
    now: () => t,
  });
  const other = await finishedRun(quiet, () => t += 60_000);
  assert.equal(
    (await call(quiet, `${other.URL}drmaa_stdout.txt`, {}, BASIC)).status,
    404,
  );
});
