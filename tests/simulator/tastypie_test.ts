// Tests of the simulator's Tastypie pagination: limits, caps, path-only links.

import assert from "node:assert/strict";
import {
  formatDatetime,
  parseDatetime,
  pyJson,
} from "../../simulator/tastypie.ts";
import { startSimulator } from "../../simulator/mod.ts";
import { API, call } from "./_helpers.ts";

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

Deno.test("formatDatetime() pads milliseconds to six digits, none at 0 ms", () => {
  const t = Date.UTC(2019, 0, 17, 23, 50, 39, 550);
  assert.equal(formatDatetime(t), "2019-01-17T23:50:39.000550+00:00");
  assert.equal(formatDatetime(t - 550), "2019-01-17T23:50:39+00:00");
  assert.equal(formatDatetime(null), null);
  // A filter value is read as Django does: the fraction is real microseconds.
  assert.equal(parseDatetime("2019-01-17T23:50:39.550+00:00"), t);
  assert.equal(parseDatetime("2019-01-17"), Date.UTC(2019, 0, 17));
  assert.equal(parseDatetime("yesterday"), null);
});

Deno.test("pyJson() writes sorted keys with Python's separators", () => {
  assert.equal(
    pyJson({ b: [1, 2], a: "x", c: undefined }),
    '{"a": "x", "b": [1, 2]}',
  );
});
