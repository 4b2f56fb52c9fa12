import assert from "node:assert/strict";
import { join } from "node:path";
import { formatProblem, InputError } from "../../lib/errors.ts";
import {
  type ParsedRunRows,
  parseRunRows,
  type ParseRunRowsOptions,
  readInputText,
  readRunRows,
  type RunRow,
} from "../../lib/run_rows.ts";

const TESTDATA = join(import.meta.dirname!, "..", "..", "testdata");

/** Reads a fixture; problems are shortened to `line: message`. */
async function fixture(
  name: string,
  options: Omit<ParseRunRowsOptions, "file"> = {},
): Promise<{ rows: RunRow[]; problems: string[] }> {
  const path = join(TESTDATA, name);
  const parsed = await readRunRows(path, options);
  for (const p of parsed.problems) assert.equal(p.file, path);
  return { rows: parsed.rows, problems: short(parsed) };
}

function short(parsed: ParsedRunRows): string[] {
  return parsed.problems.map((p) => `${p.line}: ${p.message}`);
}

function row(
  line: number,
  report: number,
  plugin: string | null,
  config: Record<string, unknown> | null = null,
): RunRow {
  return { line, report, plugin, config };
}

const NO_PLUGIN = "no plugin: add a plugin column or pass --plugin NAME";

Deno.test("readRunRows() reads a CSV with a header and LF endings", async () => {
  assert.deepEqual(await fixture("rows_header_lf.csv"), {
    rows: [row(2, 101, "coverageAnalysis"), row(3, 102, "variantCaller")],
    problems: [],
  });
});

Deno.test("readRunRows() reads a CSV with a BOM, CRLF and a header in another case", async () => {
  assert.deepEqual(await fixture("rows_bom_crlf.csv"), {
    rows: [row(2, 101, "coverageAnalysis"), row(3, 102, "variantCaller")],
    problems: [],
  });
});

Deno.test("readRunRows() reads ; delimited rows with quoted JSON config", async () => {
  const config = { "minimum_coverage": 20, calls: [1, 2] };
  assert.deepEqual(await fixture("rows_semicolon.csv"), {
    rows: [
      row(2, 101, "variantCaller", config),
      row(3, 102, "coverageAnalysis"),
    ],
    problems: [],
  });
});

Deno.test("readRunRows() reads tab delimited rows and fills an empty plugin cell", async () => {
  assert.deepEqual(await fixture("rows_tab.tsv", { plugin: "sampleID" }), {
    rows: [row(2, 101, "coverageAnalysis"), row(3, 102, "sampleID")],
    problems: [],
  });
});

Deno.test("readRunRows() reads UTF-16 (Excel Unicode Text) by its byte-order mark", async () => {
  assert.deepEqual(await fixture("rows_utf16.tsv"), {
    rows: [row(2, 101, "coverageAnalysis")],
    problems: [],
  });
});

Deno.test("readRunRows() reads bare keys, one per line", async () => {
  const config = { "minimum_coverage": 20 };
  assert.deepEqual(
    await fixture("rows_bare_keys.txt", { plugin: "coverageAnalysis", config }),
    {
      rows: [
        row(1, 101, "coverageAnalysis", config),
        row(2, 102, "coverageAnalysis", config),
        row(3, 103, "coverageAnalysis", config),
      ],
      problems: [],
    },
  );
});

Deno.test("readRunRows() reads headerless key,plugin,config rows", async () => {
  assert.deepEqual(await fixture("rows_headerless.csv"), {
    rows: [
      row(1, 101, "coverageAnalysis"),
      row(2, 102, "variantCaller", { "minimum_coverage": 20 }),
    ],
    problems: [`3: ${NO_PLUGIN}`],
  });
  assert.deepEqual(
    (await fixture("rows_headerless.csv", { plugin: "sampleID" })).rows[2],
    row(3, 103, "sampleID"),
  );
});

Deno.test("readRunRows() skips blank, whitespace-only and empty-field lines anywhere", async () => {
  assert.deepEqual(await fixture("rows_blank_lines.csv"), {
    rows: [row(5, 101, "coverageAnalysis"), row(8, 102, "variantCaller")],
    problems: [],
  });
});

Deno.test("readRunRows() ignores spaces around values, quoted or not", async () => {
  assert.deepEqual(await fixture("rows_spaces.csv"), {
    rows: [row(2, 101, "coverageAnalysis"), row(3, 102, "variantCaller")],
    problems: [],
  });
});

Deno.test("readRunRows() reports every bad key with its line", async () => {
  assert.deepEqual(await fixture("rows_bad_keys.csv"), {
    rows: [row(9, 7, "a")],
    problems: [
      '2: report key "abc" is not a positive integer',
      '3: report key "-3" is not a positive integer',
      '4: report key "0" is not a positive integer',
      '5: report key "1.5" is not a positive integer',
      "6: report key is empty",
      '7: report key "# comment" is not a positive integer',
      '8: report key "99999999999999999999" is not a positive integer',
    ],
  });
});

Deno.test("readRunRows() reports a config cell that is not valid JSON", async () => {
  let parserMessage = "";
  try {
    JSON.parse("{minimum_coverage: 20}");
  } catch (e) {
    parserMessage = (e as Error).message;
  }
  assert.deepEqual(await fixture("rows_bad_json_config.csv"), {
    rows: [row(3, 102, "a", { ok: 1 })],
    problems: [`2: config is not valid JSON: ${parserMessage}`],
  });
});

Deno.test("readRunRows() reports a config that is an array, null or a string", async () => {
  assert.deepEqual(await fixture("rows_config_array.csv"), {
    rows: [],
    problems: [
      "2: config must be a JSON object, got array",
      "3: config must be a JSON object, got null",
      "4: config must be a JSON object, got string",
    ],
  });
});

Deno.test("readRunRows() reports an unclosed quote at the line its row starts, after earlier problems", async () => {
  assert.deepEqual(await fixture("rows_unclosed_quote.csv"), {
    rows: [row(3, 101, "a")],
    problems: [
      '2: report key "abc" is not a positive integer',
      "5: unclosed quote: a quoted field in this row never ends",
    ],
  });
});

Deno.test("readRunRows() reports a header without a key column once", async () => {
  assert.deepEqual(await fixture("rows_no_key_column.csv"), {
    rows: [],
    problems: [
      "1: no report-key column: expected one of report, report_key, result, pk, id" +
      " (or --key-column NAME); found: name, Plugin, status",
    ],
  });
});

Deno.test("readRunRows() uses keyColumn, case-insensitively, and reports it when absent", async () => {
  assert.deepEqual(
    await fixture("rows_key_column.csv", { keyColumn: "run pk" }),
    {
      rows: [row(2, 101, "coverageAnalysis"), row(3, 102, "variantCaller")],
      problems: [],
    },
  );
  assert.deepEqual(
    await fixture("rows_key_column.csv", { keyColumn: "nope" }),
    {
      rows: [],
      problems: [
        '1: no column "nope" in the header; found: sample, Run PK, plugin',
      ],
    },
  );
});

Deno.test("readRunRows() applies default plugin and config; a row's own wins", async () => {
  const config = { "minimum_coverage": 5 };
  assert.deepEqual(
    await fixture("rows_defaults.csv", { plugin: "coverageAnalysis", config }),
    {
      rows: [
        row(2, 101, "coverageAnalysis", config),
        row(3, 102, "variantCaller", config),
        row(4, 103, "coverageAnalysis", { own: true }),
      ],
      problems: ['5: plugin name "bad name" is not valid'],
    },
  );
});

Deno.test("readRunRows() reads the NDJSON journal, skipping records without report", async () => {
  assert.deepEqual(await fixture("rows_journal.ndjson"), {
    rows: [
      row(2, 101, "coverageAnalysis"),
      row(4, 102, "variantCaller"),
      row(5, 103, "variantCaller", { "minimum_coverage": 20 }),
    ],
    problems: [
      "6: not valid JSON",
      "7: expected a JSON object, got array",
      '8: report key "-1" is not a positive integer',
      '8: plugin name "x y" is not valid',
    ],
  });
});

Deno.test("readRunRows() reads the toolkit's summary CSV", async () => {
  assert.deepEqual(await fixture("rows_summary.csv"), {
    rows: [row(2, 101, "coverageAnalysis"), row(3, 102, "variantCaller")],
    problems: [],
  });
});

Deno.test("readRunRows() reads a summary.json array, problems at line 1", async () => {
  assert.deepEqual(await fixture("rows_summary.json"), {
    rows: [
      row(1, 101, "coverageAnalysis"),
      row(1, 102, "variantCaller", { a: 1 }),
    ],
    problems: ['1: report key "x" is not a positive integer'],
  });
});

Deno.test("readRunRows() reads `list.ts reports --format csv` output", async () => {
  assert.deepEqual(
    await fixture("rows_list_reports.csv", { plugin: "coverageAnalysis" }),
    {
      rows: [row(2, 101, "coverageAnalysis"), row(3, 102, "coverageAnalysis")],
      problems: [],
    },
  );
});

Deno.test("readRunRows() keeps line numbers right after quoted fields with newlines", async () => {
  const expected = {
    rows: [
      row(2, 101, "a"),
      row(4, 102, "b"),
      row(5, 103, "c"),
      row(9, 104, "d"),
    ],
    problems: [],
  };
  assert.deepEqual(await fixture("rows_embedded_newline.csv"), expected);
  assert.deepEqual(await fixture("rows_embedded_newline_crlf.csv"), expected);
});

Deno.test("readRunRows() reports empty input; a header alone is an empty list", async () => {
  const none = { rows: [], problems: ["1: no report keys found"] };
  assert.deepEqual(await fixture("rows_empty.csv"), none);
  // e.g. `status.ts --failed --format csv` when nothing failed
  assert.deepEqual(await fixture("rows_header_only.csv"), {
    rows: [],
    problems: [],
  });
});

Deno.test("readRunRows() throws InputError when the file cannot be read", async () => {
  const path = join(TESTDATA, "rows_missing.csv");
  await assert.rejects(readRunRows(path, {}), (e) => {
    assert.ok(e instanceof InputError);
    assert.equal(e.message, `${path}: cannot read: no such file`);
    return true;
  });
});

Deno.test("parseRunRows() gives problems as {file, line, message}", () => {
  const parsed = parseRunRows("report,plugin\nx,a\n", { file: "-" });
  assert.deepEqual(parsed.problems, [{
    file: "-",
    line: 2,
    message: 'report key "x" is not a positive integer',
  }]);
  assert.equal(
    formatProblem(parsed.problems[0]!),
    '-:2: report key "x" is not a positive integer',
  );
});

Deno.test("parseRunRows() keeps duplicates, in input order", () => {
  const parsed = parseRunRows("3,a\n1,a\n3,a\n", { file: "in.csv" });
  assert.deepEqual(parsed.rows.map((r) => r.report), [3, 1, 3]);
});

Deno.test("parseRunRows() allows rows without a plugin when requirePlugin is false", () => {
  const parsed = parseRunRows("report\n5\n", {
    file: "in.csv",
    requirePlugin: false,
  });
  assert.deepEqual(parsed, { rows: [row(2, 5, null)], problems: [] });
});

Deno.test("parseRunRows() lets options.delimiter override detection", () => {
  const text = "report\n5;coverageAnalysis\n";
  assert.deepEqual(
    short(parseRunRows(text, { file: "f" })),
    [
      '2: report key "5;coverageAnalysis" is not a positive integer',
      `2: ${NO_PLUGIN}`,
    ],
  );
  const parsed = parseRunRows("report;plugin\n5;coverageAnalysis\n", {
    file: "f",
    delimiter: ";",
  });
  assert.deepEqual(parsed.rows, [row(2, 5, "coverageAnalysis")]);
});

Deno.test("parseRunRows() detects the delimiter ignoring those inside quotes", () => {
  const text = '5;coverageAnalysis;"{""a"": 1, ""b"": 2, ""c"": 3}"\n';
  assert.deepEqual(parseRunRows(text, { file: "f" }).rows, [
    row(1, 5, "coverageAnalysis", { a: 1, b: 2, c: 3 }),
  ]);
});

Deno.test("parseRunRows() accepts trailing delimiters and short rows", () => {
  const text = "report,plugin,config,\n5,a,\n6\n";
  assert.deepEqual(parseRunRows(text, { file: "f", plugin: "b" }), {
    rows: [row(2, 5, "a"), row(3, 6, "b")],
    problems: [],
  });
});

Deno.test("parseRunRows() accepts key column aliases in priority order", () => {
  const text = " ID ,Result,plugin\n1,2,a\n";
  assert.deepEqual(parseRunRows(text, { file: "f" }).rows, [row(2, 2, "a")]);
});

Deno.test("parseRunRows() checks JSON key and plugin types", () => {
  const text = [
    '{"report": 1.5, "plugin": "a"}',
    '{"report": 2, "plugin": 7}',
    '{"report": null, "plugin": "a"}',
    '{"report": 3, "plugin": "", "config": [1]}',
  ].join("\r\n");
  const parsed = parseRunRows(text, { file: "f", plugin: "b" });
  assert.deepEqual(parsed.rows, [row(4, 3, "b")]);
  assert.deepEqual(short(parsed), [
    '1: report key "1.5" is not a positive integer',
    "2: plugin name 7 is not valid",
    "3: report key is empty",
  ]);
});

Deno.test("parseRunRows() reports a JSON array that does not parse at line 1", () => {
  assert.deepEqual(short(parseRunRows("[{]\n", { file: "f" })), [
    "1: not valid JSON",
  ]);
});

Deno.test("parseRunRows() accepts line endings mixed in one file", () => {
  const text = "report\n101\r\n\r\n102\r103\n";
  assert.deepEqual(parseRunRows(text, { file: "f", plugin: "a" }).rows, [
    row(2, 101, "a"),
    row(4, 102, "a"),
    row(5, 103, "a"),
  ]);
});

Deno.test("parseRunRows() reports text after a closing quote and stops there", () => {
  const text = 'report,plugin\nx,a\n101,"a"b\n102,a\n';
  assert.deepEqual(short(parseRunRows(text, { file: "f" })), [
    '2: report key "x" is not a positive integer',
    "3: text after a closing quote: a quoted field must end at a delimiter" +
    " or the end of the line",
  ]);
});

Deno.test("readInputText() reads UTF-16 with a BOM as text and names an unreadable file", async () => {
  const dir = await Deno.makeTempDir();
  const bom = new Uint8Array([0xff, 0xfe]);
  const body = new Uint8Array(
    [..."report\n12\n"].flatMap((c) => [c.charCodeAt(0), 0]),
  );
  await Deno.writeFile(`${dir}/u16.csv`, new Uint8Array([...bom, ...body]));
  assert.equal(await readInputText(`${dir}/u16.csv`), "report\n12\n");
  await assert.rejects(
    readInputText(`${dir}/none.csv`),
    (e) =>
      e instanceof InputError &&
      e.message === `${dir}/none.csv: cannot read: no such file`,
  );
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a report name where a key belongs points to list reports, which gives the keys", () => {
  const { problems } = parseRunRows(
    "report\nAuto_user_S5-00391-12-chip_123\n",
    { file: "names.csv", plugin: "igv" },
  );
  assert.equal(problems.length, 1);
  assert.match(
    problems[0]!.message,
    /^report key "Auto_user_S5-00391-12-chip_123" is not a positive integer: a report name\? The keys are the numbers "list reports --name-contains NAME --format csv" prints/,
  );
});

Deno.test("parseRunRows({ names }) keeps report names for look-up: a name column, a bare list of names, names among keys", () => {
  const named = (text: string, options: Partial<ParseRunRowsOptions> = {}) => {
    const parsed = parseRunRows(text, {
      file: "in.csv",
      names: true,
      plugin: "igv",
      ...options,
    });
    return {
      rows: parsed.rows.map((r) => [r.line, r.report]),
      named: (parsed.named ?? []).map((n) => [n.line, n.name, n.plugin]),
      problems: short(parsed),
    };
  };
  // A name column without a key column; a name of digits is still a name.
  assert.deepEqual(
    named("report_name,plugin\nAuto_user_A_1,coverageAnalysis\n2024,\n"),
    {
      rows: [],
      named: [[2, "Auto_user_A_1", "coverageAnalysis"], [3, "2024", "igv"]],
      problems: [],
    },
  );
  // A bare list of names has no header.
  assert.deepEqual(named("Auto_user_A_1\nR_2026_12_01_b\n"), {
    rows: [],
    named: [[1, "Auto_user_A_1", "igv"], [2, "R_2026_12_01_b", "igv"]],
    problems: [],
  });
  // Keys and names mixed in the key column; bad keys stay problems.
  assert.deepEqual(named('report\n12\nAuto_user_A_1\n-3\n""\n'), {
    rows: [[2, 12]],
    named: [[3, "Auto_user_A_1", "igv"]],
    problems: ['4: report key "-3" is not a positive integer'],
  });
  // A key column wins over a name column.
  assert.deepEqual(named("name,id\nAuto_user_A_1,7\n"), {
    rows: [[2, 7]],
    named: [],
    problems: [],
  });
  // An empty name is a problem; a named row's plugin is still checked.
  assert.deepEqual(named('name,plugin\n"",igv\nAuto_user_B_2,bad name\n'), {
    rows: [],
    named: [],
    problems: [
      "2: report name is empty",
      '3: plugin name "bad name" is not valid',
    ],
  });
  // Without `names`, a name is the problem it always was.
  const off = parseRunRows("report\nAuto_user_A_1\n", {
    file: "in.csv",
    plugin: "igv",
  });
  assert.equal(off.named, undefined);
  assert.match(
    short(off)[0]!,
    /^2: report key "Auto_user_A_1" is not a positive integer: a report name\?/,
  );
});
