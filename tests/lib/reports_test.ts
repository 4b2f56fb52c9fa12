import assert from "node:assert/strict";
import { getReports, listReports } from "../../lib/reports.ts";
import type { Report } from "../../lib/types.ts";
import { clientFor, simulator } from "../_helpers.ts";

const listRequests = (paths: string[], resource: string) =>
  paths.filter((p) => p.startsWith(`/rundb/api/v1/${resource}/?`)).length;

Deno.test("listReports() walks 2,500 reports in 3 requests, each once, newest first", async () => {
  await using sim = await simulator({ reports: 2500 });
  using client = await clientFor(sim);
  const seen: number[] = [];
  for await (const r of listReports(client)) seen.push(r.id);
  const expected = [...sim.reportIds()].sort((a, b) => b - a);
  assert.equal(seen.length, 2500);
  assert.deepEqual(seen, expected);
  const paths = sim.requests.map((r) => r.path);
  assert.equal(listRequests(paths, "results"), 3);
  // Pages of 1000 asked for, never limit=0; then meta.next as given.
  assert.match(paths[0]!, /limit=1000/);
  assert.ok(paths.every((p) => !/[?&]limit=0(&|$)/.test(p)));
});

Deno.test("listReports() filters by status, name and dates, verified", async () => {
  await using sim = await simulator({ reports: 300 });
  using client = await clientFor(sim);
  const all: Report[] = [];
  for await (const r of listReports(client)) all.push(r);
  const some = all[10]!;
  const byStatus: Report[] = [];
  for await (const r of listReports(client, { status: some.status })) {
    byStatus.push(r);
  }
  assert.deepEqual(
    byStatus.map((r) => r.id),
    all.filter((r) => r.status === some.status).map((r) => r.id),
  );
  const needle = some.resultsName.slice(2, 9).toUpperCase();
  const named: number[] = [];
  for await (const r of listReports(client, { nameContains: needle })) {
    named.push(r.id);
  }
  assert.deepEqual(
    named,
    all.filter((r) => r.resultsName.toUpperCase().includes(needle)).map((r) =>
      r.id
    ),
  );
  assert.ok(named.includes(some.id));
  const since = new Date(some.timeStamp);
  const recent: number[] = [];
  for await (const r of listReports(client, { since })) recent.push(r.id);
  assert.deepEqual(
    recent,
    all.filter((r) => Date.parse(r.timeStamp) >= since.getTime()).map((r) =>
      r.id
    ),
  );
  const limited: number[] = [];
  for await (const r of listReports(client, { limit: 7 })) limited.push(r.id);
  assert.deepEqual(limited, all.slice(0, 7).map((r) => r.id));
});

Deno.test("getReports() batches id__in look-ups and keeps URLs short", async () => {
  await using sim = await simulator({ reports: 2500 });
  using client = await clientFor(sim);
  const ids = sim.reportIds();
  const found = await getReports(client, [...ids, 999_999]);
  assert.equal(found.size, ids.length);
  assert.ok(!found.has(999_999));
  const requests = sim.requests.filter((r) => r.path.includes("id__in="));
  // 1,000 / 800 / 701 ids: the page size or the URL budget, one page each.
  assert.equal(requests.length, 3, `${requests.length} requests`);
  assert.ok(requests.every((r) => r.path.includes("offset=0")));
  assert.ok(requests.every((r) => r.path.length < 6000));
});
