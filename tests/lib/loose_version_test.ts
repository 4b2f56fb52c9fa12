import assert from "node:assert/strict";
import { compareLooseVersion } from "../../lib/loose_version.ts";

// Expected signs as Python 2.7 gives them:
//   cmp(LooseVersion(a), LooseVersion(b))
const TABLE: [string, string, -1 | 0 | 1][] = [
  ["5.10.0.18", "5.12.0.4", -1],
  ["5.12.0.4", "5.10.0.18", 1],
  ["5.9.1", "5.10.0.18", -1],
  ["5.12", "5.12.0", -1], // a prefix is lower
  ["5.12.0", "5.12.0", 0],
  ["5.012", "5.12", 0], // int("012") == 12
  // The three cases the library and the simulator used to disagree on:
  ["5.1", "5.a", -1], // an int is lower than any str in Python 2
  ["5.12.0.1", "5.12.0.rc1", -1],
  ["1.0b", "1.0B", 1], // "B" (66) < "b" (98); upper case is its own part
  ["1.0B", "1.0b", -1],
  ["1.4.2", "5.12.0.0", -1],
  ["5.12.0-rc1", "5.12.0", 1], // "-" is a component: longer, and a str
  ["5.12.0a", "5.12.0.1", 1], // [5, 12, 0, "a"] vs [5, 12, 0, 1]
  ["", "0", -1],
];

Deno.test("compareLooseVersion() follows Python 2's LooseVersion", () => {
  for (const [a, b, want] of TABLE) {
    assert.equal(compareLooseVersion(a, b), want, `${a} vs ${b}`);
  }
});

Deno.test("compareLooseVersion() is a consistent order for sorting", () => {
  const versions = TABLE.flatMap(([a, b]) => [a, b]);
  for (const a of versions) {
    assert.equal(compareLooseVersion(a, a), 0, a);
    for (const b of versions) {
      assert.equal(
        compareLooseVersion(a, b),
        0 - compareLooseVersion(b, a) || 0, // no -0
        `${a} vs ${b}`,
      );
    }
  }
});
