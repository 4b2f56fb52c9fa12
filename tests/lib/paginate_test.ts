import assert from "node:assert/strict";
import { TsClient } from "../../lib/client.ts";
import { FilterNotAppliedError, PaginationError } from "../../lib/errors.ts";
import {
  batchIds,
  listAll,
  MAX_IN_CHARS,
  MAX_PAGE_SIZE,
} from "../../lib/paginate.ts";
import { clientFor, fakeTransport, simulator } from "../_helpers.ts";

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
