// Tests of the simulator's authentication (ApiKey, query key, Basic,
// session cookie), over real HTTP with plain fetch.

import assert from "node:assert/strict";
import { startSimulator } from "../../simulator/mod.ts";
import { API, call, U } from "./_helpers.ts";

Deno.test("simulator authenticates by ApiKey header, query, Basic and session", async () => {
  await using sim = await startSimulator({ reports: 5 });
  const path = `${API}plugin/?limit=1`;
  assert.equal(
    (await call(sim, path, {}, {
      Authorization: `apikey ${U.username}:${U.apiKey}`,
    })).status,
    200,
  );
  assert.equal(
    (await call(
      sim,
      `${path}&username=${U.username}&api_key=${U.apiKey}`,
      {},
      null,
    )).status,
    200,
  );
  const basic = await call(sim, path, {}, {
    Authorization: `Basic ${btoa(`${U.username}:${U.password}`)}`,
  });
  assert.equal(basic.status, 200);
  const cookie = basic.headers.get("set-cookie")!.split(";")[0]!;
  assert.match(cookie, /^sessionid=\w+$/);
  assert.equal((await call(sim, path, {}, { Cookie: cookie })).status, 200);
  for (
    const bad of [{ Authorization: `ApiKey ${U.username}:wrong` }, {
      Authorization: "Basic Zm9vOmJhcg==",
    }, {}]
  ) {
    const r = await call(sim, path, {}, bad);
    assert.equal(r.status, 401);
    assert.equal(r.text, "");
    assert.equal(
      r.headers.get("www-authenticate"),
      'Basic Realm="Torrent Suite"',
    );
  }
  assert.equal(
    (await call(sim, `${path}&username=${U.username}&api_key=nope`, {}, null))
      .status,
    401,
  );
  assert.deepEqual(
    sim.requests.map((r) => r.auth),
    [
      "apikey-header",
      "apikey-query",
      "basic",
      "session",
      "invalid",
      "invalid",
      "none",
      "invalid",
    ],
  );
  assert.equal(sim.requests[0]!.headers.authorization, "apikey");
  assert.ok(!JSON.stringify(sim.requests[0]).includes(U.apiKey));
  await using open = await startSimulator({
    reports: 5,
    localhostAutoLogin: true,
  });
  assert.equal((await call(open, path, {}, null)).status, 200);
});
