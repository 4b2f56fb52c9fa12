import assert from "node:assert/strict";
import { type Column, renderTable } from "../../../scripts/_cli/output.ts";

Deno.test("renderTable() aligns columns, right-aligns numbers, truncates long cells", () => {
  const columns: Column<{ id: number; name: string | null }>[] = [
    { name: "id", value: (r) => r.id, right: true },
    { name: "name", value: (r) => r.name, maxWidth: 6 },
  ];
  assert.equal(
    renderTable([
      { id: 7, name: "igv" },
      { id: 1234, name: "coverageAnalysis" },
      { id: 5, name: null },
    ], columns),
    "  id  name\n   7  igv\n1234  cover…\n   5\n",
  );
});
