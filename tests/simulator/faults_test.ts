// Tests of the simulator's injected faults, over real HTTP with plain fetch.

import assert from "node:assert/strict";
import { type Simulator, startSimulator } from "../../simulator/mod.ts";
import { API, call, CANNED, type Json, launch } from "./_helpers.ts";

Deno.test("simulator faults: status, html, reset, delay, nth, after", async () => {
  await using sim = await startSimulator({ reports: 20 });
  sim.addFault({
    path: "/plugin/",
    method: "GET",
    nth: 2,
    action: { type: "status", status: 500 },
  });
  const statuses = [];
  for (let i = 0; i < 3; i++) {
    statuses.push((await call(sim, `${API}plugin/`)).status);
  }
  assert.deepEqual(statuses, [200, 500, 200]);
  sim.clearFaults();
  sim.addFault({
    path: /^\/rundb\/api\/v1\/results\/$/,
    action: { type: "status", status: 502, html: true },
  });
  const proxy = await call(sim, `${API}results/`);
  assert.deepEqual([proxy.status, proxy.headers.get("content-type")], [
    502,
    "text/html; charset=iso-8859-1",
  ]);
  sim.clearFaults();
  sim.addFault({
    method: "POST",
    nth: 1,
    action: { type: "status", status: 503 },
  });
  sim.addFault({
    method: "POST",
    nth: 2,
    after: true,
    action: { type: "status", status: 500 },
  });
  assert.equal((await launch(sim, 1, { plugin: "igv" })).status, 503);
  assert.equal(sim.launches.length, 0, "refused before the handler");
  assert.equal((await launch(sim, 1, { plugin: "igv" })).text, CANNED);
  assert.equal(sim.launches.length, 1, "launched, then answered 500");
  sim.clearFaults();
  // reset: fetch rejects, on a fresh or a reused keep-alive connection alike.
  sim.addFault({ method: "POST", after: true, action: { type: "reset" } });
  for (let i = 0; i < 2; i++) {
    await assert.rejects(launch(sim, 1, { plugin: "igv" }), TypeError);
  }
  assert.equal(
    sim.launches.length,
    3,
    "each was recorded once: no silent resend",
  );
  assert.equal(sim.requests.at(-1)!.status, 0);
  sim.clearFaults();
  sim.addFault({ path: "/version/", action: { type: "reset" } });
  await assert.rejects(call(sim, `${API}torrentsuite/version/`), TypeError);
  sim.clearFaults();
  sim.addFault({ path: "/version/", action: { type: "delay", ms: 150 } });
  const started = performance.now();
  assert.equal((await call(sim, `${API}torrentsuite/version/`)).status, 200);
  assert.ok(performance.now() - started >= 140);
});

Deno.test("simulator faults: bare reset, rate, times; pluginresult reruns", async () => {
  await using sim = await startSimulator({ reports: 10 });
  // A bare close on a fresh connection: fetch rejects, the launch happened.
  sim.addFault({
    method: "POST",
    after: true,
    nth: 1,
    action: { type: "reset", bare: true },
  });
  await assert.rejects(launch(sim, 1, { plugin: "igv" }), TypeError);
  assert.equal(sim.launches.length, 1);
  sim.clearFaults();
  const pattern = async (s: Simulator) => {
    s.addFault({
      path: "/version/",
      rate: 0.5,
      times: 6,
      action: { type: "status", status: 503 },
    });
    const out: number[] = [];
    for (let i = 0; i < 30; i++) {
      out.push((await call(s, `${API}torrentsuite/version/`)).status);
    }
    s.clearFaults();
    return out;
  };
  const first = await pattern(sim);
  assert.equal(first.filter((s) => s === 503).length, 6);
  await using twin = await startSimulator({ reports: 10 });
  assert.deepEqual(await pattern(twin), first, "deterministic for a seed");
  // `pluginresult` reruns into an existing run of the report.
  const old = sim.addPluginResult(2, "igv", "Error");
  assert.equal(
    (await launch(sim, 2, { plugin: "igv", pluginresult: old })).status,
    202,
  );
  assert.equal(sim.launches.at(-1)!.pluginResultId, old);
  const rerun = (await call(sim, `${API}pluginresult/${old}/`)).json();
  assert.deepEqual([rerun.state, rerun.plugin_result_jobs.length], [
    "Queued",
    2,
  ]);
  const opts = await call(
    sim,
    `${API}pluginresult/`,
    { method: "OPTIONS" },
    null,
  );
  assert.deepEqual([opts.status, opts.headers.get("allow")], [
    200,
    "GET,POST,PUT,DELETE,PATCH",
  ]);
});

Deno.test("simulator faults: html pages, truncated bodies", async () => {
  await using sim = await startSimulator({ reports: 20 });
  sim.addFault({ path: "/results/", nth: 1, action: { type: "html" } });
  const login = await call(sim, `${API}results/`);
  assert.deepEqual([login.status, login.headers.get("content-type")], [
    200,
    "text/html; charset=utf-8",
  ]);
  assert.match(login.text, /<form[^>]*action="\/login\/"/);
  sim.clearFaults();
  sim.addFault({ nth: 1, action: { type: "html", status: 504 } });
  const gateway = await call(sim, `${API}plugin/`);
  assert.equal(gateway.status, 504);
  assert.match(gateway.text, /Gateway Timeout/);
  sim.clearFaults();
  sim.addFault({
    path: "/results/",
    after: true,
    action: { type: "truncate" },
  });
  const whole = (await call(sim, `${API}plugin/?limit=5`)).text;
  const cut = await call(sim, `${API}results/?limit=5`);
  assert.equal(cut.status, 200);
  assert.equal(Number(cut.headers.get("content-length")), cut.text.length);
  assert.ok(cut.text.startsWith('{"meta": {'));
  assert.throws(() => JSON.parse(cut.text), SyntaxError);
  assert.doesNotThrow(() => JSON.parse(whole));
  assert.throws(
    () =>
      sim.addFault({ action: { type: "next", mode: "sideways" as "repeat" } }),
    TypeError,
  );
});

Deno.test("simulator faults: a broken meta.next repeats, goes back or runs past the end", async () => {
  await using sim = await startSimulator({ reports: 45 });
  const page = async (path: string) =>
    (await call(sim, path)).json() as { meta: Json; objects: Json[] };
  const first = `${API}results/?limit=20`;
  sim.addFault({ path: "/results/", action: { type: "next", mode: "repeat" } });
  const again = await page(first);
  assert.equal(again.meta.next, `${API}results/?limit=20&offset=0`);
  assert.deepEqual(
    (await page(again.meta.next)).objects.map((r) => r.id),
    again.objects.map((r) => r.id),
  );
  sim.clearFaults();
  sim.addFault({
    path: "/results/",
    action: { type: "next", mode: "backwards" },
  });
  const p0 = await page(first);
  assert.equal(p0.meta.next, `${API}results/?limit=20&offset=20`);
  assert.equal(
    (await page(p0.meta.next)).meta.next,
    `${API}results/?limit=20&offset=0`,
  );
  sim.clearFaults();
  sim.addFault({ path: "/results/", action: { type: "next", mode: "beyond" } });
  let next: string | null = first;
  const seen: number[] = [];
  for (let i = 0; i < 5 && next; i++) {
    const p: { meta: Json; objects: Json[] } = await page(next);
    seen.push(p.objects.length);
    assert.equal(p.meta.total_count, 45);
    next = p.meta.next;
  }
  assert.deepEqual(seen, [20, 20, 5, 0, 0]);
  assert.equal(next, `${API}results/?limit=20&offset=100`);
  const detail = await call(sim, `${API}results/1/`);
  assert.equal(detail.json().id, 1, "detail answers pass unchanged");
});

Deno.test("simulator faults: a meta.next over a growing list or the same objects", async () => {
  await using sim = await startSimulator({ reports: 45 });
  const page = async (path: string) =>
    (await call(sim, path)).json() as { meta: Json; objects: Json[] };
  const first = `${API}results/?limit=20`;
  const real = await page(first);
  sim.addFault({
    path: "/results/",
    action: { type: "next", mode: "growing" },
  });
  let next: string | null = first;
  const totals: number[] = [];
  const sizes: number[] = [];
  for (let i = 0; i < 5 && next; i++) {
    const p: { meta: Json; objects: Json[] } = await page(next);
    totals.push(p.meta.total_count);
    sizes.push(p.objects.length);
    next = p.meta.next;
  }
  assert.deepEqual(totals, [65, 85, 105, 125, 145]);
  assert.deepEqual(sizes, [20, 20, 5, 0, 0], "the real objects");
  assert.equal(next, `${API}results/?limit=20&offset=100`);
  sim.clearFaults();
  sim.addFault({
    path: "/results/",
    action: { type: "next", mode: "same-objects" },
  });
  const ids = (p: { objects: Json[] }) => p.objects.map((r) => r.id);
  const p0 = await page(`${API}results/?limit=20&status=Completed`);
  assert.equal(
    p0.meta.next,
    `${API}results/?status=Completed&limit=20&offset=20`,
  );
  next = p0.meta.next;
  for (let i = 0; i < 4; i++) {
    const p: { meta: Json; objects: Json[] } = await page(next!);
    assert.deepEqual(ids(p), ids(p0));
    next = p.meta.next;
  }
  assert.equal(next, `${API}results/?status=Completed&limit=20&offset=100`);
  // Another list keeps its own first page; detail answers pass unchanged.
  const other = await page(first);
  assert.deepEqual(ids(other), ids(real));
  assert.deepEqual(ids(await page(other.meta.next)), ids(real));
  assert.notDeepEqual(ids(real), ids(p0));
  assert.equal((await call(sim, `${API}results/1/`)).json().id, 1);
  assert.throws(
    () =>
      sim.addFault({ action: { type: "next", mode: "growth" as "growing" } }),
    TypeError,
  );
});
