import assert from "node:assert/strict";
import { isPercent, parseCell, rawCell } from "../../../lib/results/values.ts";

Deno.test("parseCell() reads Torrent Suite's texts as numbers, booleans and blanks", () => {
  const cases: [unknown, unknown][] = [
    ["98.50%", 98.5],
    ["  7.1 %", 7.1],
    ["0.9543", 0.9543],
    ["1e-3", 0.001],
    ["1,234,567", 1234567],
    [42, 42],
    ["true", true],
    ["false", false],
    ["NaN", null],
    ["", null],
    ["N/A", null],
    [undefined, null],
    [null, null],
    [Number.NaN, null],
    ["M-4JK2", "M-4JK2"],
    ["12 reads", "12 reads"],
    [{ a: 1 }, '{"a":1}'],
  ];
  for (const [input, expected] of cases) {
    assert.deepEqual(parseCell(input), expected, JSON.stringify(input));
  }
});

Deno.test("rawCell() keeps the server's text; isPercent() tells a percentage", () => {
  assert.equal(rawCell("98.50%"), "98.50%");
  assert.equal(rawCell("0.9543"), "0.9543");
  assert.equal(rawCell(undefined), null);
  assert.equal(rawCell([1, 2]), "[1,2]");
  assert.ok(isPercent("98.50%"));
  assert.ok(!isPercent("98.50"));
});
