import assert from "node:assert/strict";
import { formatIso, parseTsDate } from "../../lib/datetime.ts";

Deno.test("parseTsDate() reads Torrent Suite's six-digit milliseconds, and plain ISO", () => {
  const base = Date.UTC(2019, 0, 17, 23, 50, 39);
  assert.equal(parseTsDate("2019-01-17T23:50:39.000550+00:00"), base + 550);
  assert.equal(parseTsDate("2019-01-17T23:50:39+00:00"), base);
  assert.equal(parseTsDate("2019-01-17T23:50:39.550Z"), base + 550);
  assert.equal(parseTsDate("2019-01-17T23:50:39.5+00:00"), base + 500);
  assert.equal(parseTsDate("2019-01-18T01:50:39.000001+02:00"), base + 1);
  assert.equal(parseTsDate("2019-01-17 23:50:39"), base, "no offset: UTC");
  assert.ok(Number.isNaN(parseTsDate("yesterday")));
  // Date.parse gets the TS form wrong: the reason for this function.
  assert.equal(Date.parse("2019-01-17T23:50:39.000550+00:00"), base);
});

Deno.test("formatIso() writes ISO 8601 with milliseconds", () => {
  assert.equal(
    formatIso(Date.UTC(2019, 0, 17, 23, 50, 39, 550)),
    "2019-01-17T23:50:39.550Z",
  );
  assert.equal(formatIso(NaN), null);
  assert.equal(formatIso(null), null);
});
