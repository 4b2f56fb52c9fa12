// Tests of the simulator's reply helpers: JSON and empty bodies, the canned
// error, JSONP, non-numeric pks, the HTML 404 page and Apache's error pages,
// seen over HTTP where a handler uses them.

import assert from "node:assert/strict";
import { startSimulator } from "../../simulator/mod.ts";
import {
  apachePage,
  canned,
  empty,
  json,
  notFound,
  numericPk,
} from "../../simulator/replies.ts";
import { SimHttpError } from "../../simulator/tastypie.ts";
import { API, call, CANNED } from "./_helpers.ts";

Deno.test("JSON replies use Python's separators and application/json; empty ones Django's text/html", async () => {
  await using sim = await startSimulator({ reports: 3 });
  const r = await call(sim, `${API}results/?limit=1`);
  assert.equal(
    r.headers.get("content-type"),
    "application/json; charset=utf-8",
  );
  assert.ok(r.text.startsWith('{"meta": {"limit": 1, "next": '), r.text);
  const gone = await call(sim, `${API}results/99999/`);
  assert.deepEqual(
    [gone.status, gone.text, gone.headers.get("content-type")],
    [404, "", "text/html; charset=utf-8"],
    "a standard detail 404 is empty",
  );
  const unauth = await call(sim, `${API}results/`, {}, null);
  assert.deepEqual([unauth.status, unauth.text], [401, ""]);
  assert.equal(
    unauth.headers.get("www-authenticate"),
    'Basic Realm="Torrent Suite"',
  );
  assert.equal(unauth.headers.get("content-type"), "text/html; charset=utf-8");
  // The helpers themselves: extra headers go on top of text/html.
  assert.deepEqual(empty(301, { Location: "/x/" }), {
    status: 301,
    headers: { "Content-Type": "text/html; charset=utf-8", Location: "/x/" },
    body: "",
  });
  assert.deepEqual(
    json(400, { error: "", b: [1, 2] }).body,
    '{"b": [1, 2], "error": ""}',
  );
  assert.equal(canned(500).body, CANNED);
});

Deno.test("success bodies honour JSONP (format=jsonp, callback=, Accept: text/javascript); errors stay JSON", async () => {
  await using sim = await startSimulator({ reports: 3 });
  const plain = (await call(sim, `${API}results/?limit=1`)).text;
  const cases: [string, Record<string, string>, string][] = [
    ["format=jsonp", {}, "callback"],
    ["callback=jQuery123_456", {}, "jQuery123_456"],
    ["format=jsonp&callback=ns.cb", {}, "ns.cb"],
    ["", { Accept: "text/javascript" }, "callback"],
  ];
  for (const [query, headers, cb] of cases) {
    const r = await call(sim, `${API}results/?limit=1&${query}`, { headers });
    assert.equal(r.status, 200, query);
    assert.equal(
      r.headers.get("content-type"),
      "text/javascript; charset=utf-8",
      query,
    );
    // The links keep the query, so compare the wrapped body up to them.
    assert.ok(r.text.startsWith(`${cb}({"meta": {"limit": 1, `), r.text);
    assert.ok(r.text.endsWith("})"), query);
    const inner = JSON.parse(r.text.slice(cb.length + 1, -1));
    assert.deepEqual(inner.objects, JSON.parse(plain).objects, query);
  }
  const ignored = await call(sim, `${API}results/?limit=1`, {
    headers: { Accept: "application/json, text/javascript, */*; q=0.01" },
  });
  assert.equal(ignored.text, plain, "JSON first in Accept: JSON");
  const bad = await call(sim, `${API}results/?callback=alert(1)`);
  assert.deepEqual([bad.status, bad.json()], [400, {
    error: "JSONP callback name is invalid.",
  }]);
  assert.match(bad.headers.get("content-type")!, /^application\/json/);
  const error = await call(sim, `${API}results/?limit=x&callback=cb`);
  assert.equal(error.status, 400);
  assert.match(error.headers.get("content-type")!, /^application\/json/);
  assert.match(error.text, /^\{"error": "Invalid limit 'x'/);
  const detail = await call(sim, `${API}results/2/?format=jsonp&callback=f`);
  assert.match(detail.text, /^f\(\{"analysisVersion": /);
});

Deno.test("a non-numeric pk is a 404 with the canned JSON body on every detail and custom endpoint", async () => {
  await using sim = await startSimulator({ reports: 3 });
  for (
    const path of [
      "results/abc/",
      "results/abc/plugin/",
      "results/abc/pluginresults/",
      "pluginresult/x1/",
      "pluginresult/abc/stop/",
      "PluginResultJob/abc/",
      "plugin/abc/",
      "experimentanalysissettings/a-b/",
    ]
  ) {
    const r = await call(sim, `${API}${path}`);
    assert.deepEqual([r.status, r.text], [404, CANNED], path);
    assert.match(r.headers.get("content-type")!, /^application\/json/, path);
  }
  // A numeric pk of no report: 404 canned on custom endpoints, an empty 410
  // on pluginresult_set (reportOr's status and payload).
  const launchOn = await call(sim, `${API}results/99999/plugin/`);
  assert.deepEqual([launchOn.status, launchOn.text], [404, CANNED]);
  const set = await call(sim, `${API}results/99999/pluginresult_set/`);
  assert.deepEqual([set.status, set.text], [410, ""]);
  assert.equal(numericPk("0042"), 42);
  assert.throws(
    () => numericPk("4.2"),
    (e) => e instanceof SimHttpError && e.status === 404,
  );
  assert.throws(() => numericPk("-1"), SimHttpError);
  assert.throws(() => numericPk(""), SimHttpError);
});

Deno.test("a URL with no route gets Django's HTML 'Page Not Found', the path escaped", async () => {
  await using sim = await startSimulator({ reports: 3 });
  const r = await call(sim, `${API}nosuchthing/`);
  assert.equal(r.status, 404);
  assert.equal(r.headers.get("content-type"), "text/html; charset=utf-8");
  assert.match(r.text, /^<!DOCTYPE html>/);
  assert.match(r.text, /<title>Page Not Found - Torrent Suite<\/title>/);
  assert.ok(
    r.text.includes(
      `The requested URL ${API}nosuchthing/ was not found on this server.`,
    ),
  );
  const page = notFound(`/a/<script>"x"&'y'</script>/`);
  assert.equal(page.status, 404);
  assert.ok(
    page.body.includes(
      "/a/&#60;script&#62;&#34;x&#34;&#38;&#39;y&#39;&#60;/script&#62;/",
    ),
    page.body,
  );
  assert.ok(!page.body.includes("<script>"));
});

Deno.test("Apache's error pages name the status and title, as a fault or a too-long request line shows", async () => {
  await using sim = await startSimulator({ reports: 3 });
  const long = await call(sim, `${API}results/?id__in=${"1,".repeat(5000)}1`);
  assert.equal(long.status, 414);
  assert.equal(
    long.text,
    apachePage(
      414,
      "Request-URI Too Long",
      long.text.match(/<p>([^]*)<\/p>/)![1]!,
    ),
  );
  assert.match(long.text, /<title>414 Request-URI Too Long<\/title>/);
  assert.match(long.text, /<address>Apache\/2\.4\.41 \(Ubuntu\) Server/);
  sim.addFault({
    path: /^\/rundb\/api\/v1\/plugin\/$/,
    action: { type: "status", status: 503, html: true },
  });
  const busy = await call(sim, `${API}plugin/`);
  assert.equal(busy.status, 503);
  assert.equal(
    busy.text,
    apachePage(
      503,
      "Service Unavailable",
      "The server is temporarily unable to service your request.",
    ),
  );
  const page = apachePage(503, "Service Unavailable", "Try later.");
  assert.ok(
    page.startsWith('<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">'),
  );
  assert.ok(page.includes("<title>503 Service Unavailable</title>"));
  assert.ok(page.includes("<h1>Service Unavailable</h1>\n<p>Try later.</p>"));
});
