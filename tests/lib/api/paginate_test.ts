import assert from "node:assert/strict";
import { TsClient } from "../../../lib/http/client.ts";
import { FilterNotAppliedError, PaginationError } from "../../../lib/errors.ts";
import {
  batchIds,
  listAll,
  MAX_IN_CHARS,
  MAX_PAGE_SIZE,
  paginate,
} from "../../../lib/api/paginate.ts";
import { clientFor, fakeTransport, simulator } from "../../_helpers.ts";

Deno.test("a filter the server ignores is detected, not trusted", async () => {
  await using sim = await simulator();
  using client = await clientFor(sim);
  // `status` is not a pluginresult field: real servers ignore it silently.
  await assert.rejects(
    listAll<{ state: string }>(client, "pluginresult/", {
      params: { status: "Completed" },
      verify: { status: (r) => r.state === "Completed" },
    }),
    (e) => e instanceof FilterNotAppliedError && e.filter === "status",
  );
});

Deno.test("batchIds() splits under the URL budget", () => {
  const ids = Array.from({ length: 3000 }, (_, i) => 100_000 + i);
  const batches = batchIds(ids);
  assert.deepEqual(batches.flat(), ids);
  for (const b of batches) assert.ok(b.join(",").length <= MAX_IN_CHARS);
  assert.deepEqual(batchIds([]), []);
  // Short ids: the page size is the limit, so each look-up is one page.
  const small = Array.from({ length: 2500 }, (_, i) => (i % 9) + 1);
  assert.deepEqual(batchIds(small).map((b) => b.length), [1000, 1000, 500]);
  assert.equal(MAX_PAGE_SIZE, 1000);
});

Deno.test("paginate() stops with a clear error when meta.next does not make progress", async () => {
  const page = (offset: number, next: string | null, total = 50) => ({
    status: 200,
    body: {
      meta: { limit: 20, offset, total_count: total, next, previous: null },
      objects: [{ id: offset + 1 }],
    },
  });
  const base = "/rundb/api/v1/results/?limit=20&offset=";
  const cases: [string, ReturnType<typeof page>[], RegExp][] = [
    [
      "repeats",
      [page(0, `${base}20`), page(20, `${base}20`)],
      /repeats a page already read/,
    ],
    [
      "backwards",
      [page(0, `${base}20`), page(20, `${base}0`)],
      /goes backwards \(offset 0 after 20\)/,
    ],
    ["beyond", [
      page(0, `${base}20`),
      page(20, `${base}40`),
      page(40, `${base}60`),
    ], /runs past the end \(offset 60 of total_count 50\)/],
  ];
  for (const [name, pages, message] of cases) {
    const transport = fakeTransport((_, i) => pages[i] ?? pages.at(-1)!);
    using client = new TsClient({ url: "http://ts", transport });
    const error = await listAll(client, "results/").catch((e) => e);
    assert.ok(error instanceof PaginationError, `${name}: ${error}`);
    assert.match(error.message, message);
    assert.ok(transport.requests.length <= pages.length, name);
  }
  // A list that ends is read whole.
  const transport = fakeTransport((_, i) =>
    [page(0, `${base}20`), page(20, `${base}40`), page(40, null)][i]!
  );
  using client = new TsClient({ url: "http://ts", transport });
  assert.equal((await listAll(client, "results/")).length, 3);
});

Deno.test("paginate() stops when total_count keeps growing while paging", async () => {
  await using sim = await simulator({ reports: 45 });
  using client = await clientFor(sim);
  // A broken proxy or cache: every page adds a page to total_count and
  // meta.next always advances, so only the growth shows the list never ends.
  sim.addFault({
    path: "/results/",
    action: { type: "next", mode: "growing" },
  });
  sim.clearLog();
  // Without the guard this would never end: the time-out fails it instead.
  const signal = AbortSignal.timeout(5_000);
  const error = await listAll(client, "results/", { signal }).catch((e) => e);
  assert.ok(error instanceof PaginationError, String(error));
  assert.match(
    error.message,
    /^the server's list does not end: total_count grew from 1045 to 3045 while paging: http:\/\/.*\/results\/\?limit=1000&offset=2000$/,
  );
  assert.equal(sim.requests.length, 3);
  // Growth within one page of the first total is a busy server, not a loop.
  const transport = fakeTransport((_, i) => ({
    status: 200,
    body: {
      meta: {
        limit: 2,
        offset: i * 2,
        total_count: [4, 5, 6][i],
        next: i < 2
          ? `/rundb/api/v1/results/?limit=2&offset=${i * 2 + 2}`
          : null,
        previous: null,
      },
      objects: [{ id: 10 - i * 2 }, { id: 9 - i * 2 }],
    },
  }));
  using fake = new TsClient({ url: "http://ts", transport });
  assert.equal((await listAll(fake, "results/", { pageSize: 2 })).length, 6);
});

Deno.test("paginate() stops when a page holds only objects already read", async () => {
  await using sim = await simulator({ reports: 45 });
  using client = await clientFor(sim);
  sim.addFault({
    path: "/results/",
    action: { type: "next", mode: "same-objects" },
  });
  sim.clearLog();
  const read: number[] = [];
  const error = await (async () => {
    for await (
      const r of paginate<{ id: number }>(client, "results/", { pageSize: 20 })
    ) read.push(r.id);
  })().catch((e) => e);
  assert.ok(error instanceof PaginationError, String(error));
  assert.match(
    error.message,
    /meta\.next repeats objects already read \(all 20 objects of this page\): .*offset=20$/,
  );
  assert.equal(read.length, 20, "the first page only, once");
  assert.equal(new Set(read).size, 20);
  assert.equal(sim.requests.length, 2);
});

Deno.test("paginate() yields objects that shift onto the next page once", async () => {
  await using sim = await simulator({ reports: 5 });
  using client = await clientFor(sim);
  const report = sim.reportIds()[0]!;
  const before = sim.pluginResults().map((r) => (r as { id: number }).id);
  assert.ok(before.length >= 5, `${before.length} plugin results`);
  // Newest first (the default -id order): a run created after the first
  // page pushes that page's last run onto the second page.
  const read: number[] = [];
  for await (
    const run of paginate<{ id: number }>(client, "pluginresult/", {
      pageSize: 2,
    })
  ) {
    read.push(run.id);
    if (read.length === 2) sim.addPluginResult(report, "igv", "Completed");
  }
  assert.deepEqual(read, before);
});

Deno.test("paginate() with expectAtMost refuses more objects or pages than the look-up can hold", async () => {
  await using sim = await simulator({ reports: 45 });
  using client = await clientFor(sim);
  const ids = sim.reportIds().slice(0, 3);
  // A filter the path does not carry (a proxy dropping the query): the
  // whole list comes back.
  sim.addFault({
    path: "/results/",
    action: { type: "next", mode: "growing" },
  });
  sim.clearLog();
  const error = await listAll(client, "results/", {
    params: { id__in: ids },
    expectAtMost: ids.length,
  }).catch((e) => e);
  assert.ok(error instanceof PaginationError, String(error));
  assert.match(
    error.message,
    /^the server answered total_count 1003 for a look-up of at most 3 objects: .*id__in=/,
  );
  assert.equal(sim.requests.length, 1);
  // Without the fault the same look-up answers its 3 objects.
  sim.clearFaults();
  assert.equal(
    (await listAll(client, "results/", {
      params: { id__in: ids },
      expectAtMost: ids.length,
    })).length,
    3,
  );
  // A second page for a look-up one page holds: the server ignored limit.
  const transport = fakeTransport(({ url }) => {
    const i = Number(url.searchParams.get("offset")) / 2;
    return {
      status: 200,
      body: {
        meta: {
          limit: 2,
          offset: i * 2,
          total_count: 3,
          next: i === 0 ? "/rundb/api/v1/results/?limit=2&offset=2" : null,
          previous: null,
        },
        objects: i === 0 ? [{ id: 3 }, { id: 2 }] : [{ id: 1 }],
      },
    };
  });
  using fake = new TsClient({ url: "http://ts", transport });
  const pages = await listAll(fake, "results/", { expectAtMost: 3 })
    .catch((e) => e);
  assert.ok(pages instanceof PaginationError, String(pages));
  assert.match(
    pages.message,
    /^meta\.next asks for page 2 of a look-up of at most 3 objects \(1000 a page\): /,
  );
  assert.equal(transport.requests.length, 1);
  assert.equal((await listAll(fake, "results/")).length, 3, "without it");
});
