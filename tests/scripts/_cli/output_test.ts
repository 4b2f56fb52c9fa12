import assert from "node:assert/strict";
import {
  type Column,
  cutText,
  renderTable,
} from "../../../scripts/_cli/output.ts";

Deno.test("renderTable() aligns columns, right-aligns numbers; it cuts only when fitting a width", () => {
  const columns: Column<{ id: number; name: string | null }>[] = [
    { name: "id", value: (r) => r.id, right: true },
    { name: "name", value: (r) => r.name, maxWidth: 6 },
  ];
  const rows = [
    { id: 7, name: "igv" },
    { id: 1234, name: "coverageAnalysis" },
    { id: 5, name: null },
  ];
  assert.equal(
    renderTable(rows, columns, { width: 80 }),
    "  id  name\n   7  igv\n1234  cover…\n   5\n",
  );
  assert.equal(
    renderTable(rows, columns),
    "  id  name\n   7  igv\n1234  coverageAnalysis\n   5\n",
    "no width (not a terminal): nothing is cut",
  );
});

Deno.test("renderTable() fits a width: cuts the cuttable columns, then drops by rank", () => {
  interface Row {
    report: number;
    name: string;
    state: string;
    url: string;
  }
  const columns: Column<Row>[] = [
    { name: "report", value: (r) => r.report, right: true },
    { name: "name", value: (r) => r.name, minWidth: 8, drop: 2 },
    { name: "state", value: (r) => r.state, title: "STATE" },
    { name: "url", value: (r) => r.url, minWidth: 16, cut: "middle", drop: 1 },
    { name: "hidden", value: () => "x", only: "data" },
  ];
  const rows: Row[] = [{
    report: 1234,
    name: "Auto_user_S5-0042-118-OCAv3_Lung_2468",
    state: "Error",
    url: "https://ts.example.org/output/Home/Auto_user_S5_1234/plugin_out/x/",
  }];
  const wide = renderTable(rows, columns);
  assert.ok(!wide.includes("hidden"));
  assert.ok(wide.includes(rows[0]!.url) && wide.includes("STATE"));
  const lines = (t: string) => t.trimEnd().split("\n");
  for (const width of [120, 80, 60, 40, 20]) {
    const t = renderTable(rows, columns, { width });
    for (const l of lines(t)) {
      assert.ok(l.length <= Math.max(width, 20), `${width}: ${l}`);
    }
    assert.match(t, /1234/);
    assert.match(t, /Error/, "columns without a rank are never dropped");
  }
  const at60 = renderTable(rows, columns, { width: 60 });
  assert.match(
    at60,
    /https:\/\/ts\.\S*…\S*\/x\//,
    "URLs are cut in the middle",
  );
  const at40 = renderTable(rows, columns, { width: 40 });
  assert.ok(!at40.includes("url"), "the URL column is dropped first");
  assert.match(at40, /Auto_use/);
});

Deno.test("cutText() cuts at the end or in the middle", () => {
  assert.equal(cutText("abcdefghij", 5), "abcd…");
  assert.equal(cutText("abcdefghij", 5, "middle"), "ab…ij");
  assert.equal(cutText("abc", 5), "abc");
});

Deno.test("renderTable() fitting: an empty optional column is left out; optional columns that cannot be cut go before a column is cut", () => {
  type R = { name: string; when: string; note: string };
  const columns: Column<R>[] = [
    { name: "name", value: (r) => r.name, minWidth: 8, drop: 5 },
    { name: "when", value: (r) => r.when, drop: 1 },
    { name: "note", value: (r) => r.note, drop: 2 },
  ];
  const rows: R[] = [
    {
      name: "Auto_user_S5-0042-140-OCAv3_1001",
      when: "2026-11-30 08:15",
      note: "",
    },
  ];
  // 32 + 2 + 16 = 50 natural: at 40 "when" goes (it cannot be cut), the
  // name stays whole, and the empty "note" takes no room.
  const at40 = renderTable(rows, columns, { width: 40 });
  assert.equal(at40, "name\nAuto_user_S5-0042-140-OCAv3_1001\n");
  // Wide enough: everything but the empty column.
  assert.equal(
    renderTable(rows, columns, { width: 80 }).split("\n")[0],
    "name                              when",
  );
  // No width (a pipe): every column, empty or not.
  assert.match(renderTable(rows, columns).split("\n")[0]!, /note$/);
});
