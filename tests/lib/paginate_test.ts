import assert from "node:assert/strict";
import { FilterNotAppliedError } from "../../lib/errors.ts";
import {
  batchIds,
  listAll,
  MAX_IN_CHARS,
  MAX_PAGE_SIZE,
} from "../../lib/paginate.ts";
import { clientFor, simulator } from "../_helpers.ts";

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
