// Tests of the Torrent Suite simulator over real HTTP with plain fetch.

import assert from "node:assert/strict";
import { type Simulator, startSimulator } from "../../simulator/mod.ts";
import {
  API,
  API_KEY,
  call,
  CANNED,
  type Json,
  launch,
  U,
} from "./_helpers.ts";

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

Deno.test("simulator paginates like Tastypie: limits, caps, path-only links", async () => {
  await using sim = await startSimulator({ reports: 2500 });
  const page = (await call(sim, `${API}results/`)).json();
  assert.deepEqual(Object.keys(page), ["meta", "objects"]);
  assert.deepEqual(page.meta, {
    limit: 20,
    next: `${API}results/?limit=20&offset=20`,
    offset: 0,
    previous: null,
    "total_count": 2500,
  });
  assert.ok(page.objects[0].id > page.objects[1].id, "newest first");
  for (const limit of ["0", "5000"]) {
    const capped = (await call(sim, `${API}results/?limit=${limit}`)).json();
    assert.equal(capped.meta.limit, 1000);
    assert.equal(capped.objects.length, 1000);
  }
  const q = `${API}results/?status=Completed&format=json&limit=10&offset=30`;
  const mid = (await call(sim, q)).json().meta;
  assert.equal(
    mid.next,
    `${API}results/?status=Completed&format=json&limit=10&offset=40`,
  );
  assert.equal(
    mid.previous,
    `${API}results/?status=Completed&format=json&limit=10&offset=20`,
  );
  const end = (await call(sim, `${API}results/?offset=99999`)).json();
  assert.deepEqual([end.objects, end.meta.total_count, end.meta.next], [
    [],
    2500,
    null,
  ]);
  const errors: [string, string][] = [
    [
      "limit=abc",
      "Invalid limit 'abc' provided. Please provide a positive integer.",
    ],
    [
      "limit=-5",
      "Invalid limit '-5' provided. Please provide a positive integer >= 0.",
    ],
    ["offset=x", "Invalid offset 'x' provided. Please provide an integer."],
    [
      "offset=-1",
      "Invalid offset '-1' provided. Please provide a positive integer >= 0.",
    ],
  ];
  for (const [query, message] of errors) {
    const r = await call(sim, `${API}results/?${query}`);
    assert.deepEqual([r.status, r.json()], [400, { error: message }]);
  }
});

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

Deno.test("simulator answers 414 to a request line over 8190 bytes", async () => {
  await using sim = await startSimulator({ reports: 5 });
  const ids = Array.from({ length: 2000 }, (_, i) => i + 1).join(",");
  const r = await call(sim, `${API}results/?id__in=${ids}`);
  assert.equal(r.status, 414);
  assert.match(r.text, /Request-URI Too Long/);
  const fits = `${API}results/?id__in=${ids.slice(0, 8000 - API.length)}`
    .replace(/,\d*$/, "");
  assert.equal((await call(sim, fits)).status, 200);
  assert.deepEqual(sim.requests.map((q) => q.status), [414, 200]);
});

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
