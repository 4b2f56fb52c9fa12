import assert from "node:assert/strict";
import { parse } from "csv-parse/sync";
import { join } from "node:path";
import {
  assertNoSecrets,
  envFor,
  freshReports,
  runCommand,
  simulator,
} from "../_helpers.ts";
import { main } from "../../scripts/results.ts";
import { main as ionrun } from "../../scripts/ionrun.ts";
import { parseCell, storeParts } from "../../lib/results/mod.ts";
import type { Simulator } from "../../simulator/mod.ts";
import { getReports } from "../../lib/api/reports.ts";
import { clientFor } from "../_helpers.ts";

type Row = Record<string, string>;
const csv = (text: string, delimiter = ",") =>
  parse(text, { columns: true, delimiter }) as Row[];

/** Reports with a good coverageAnalysis run, one with a failed rerun after. */
function seed(sim: Simulator, n: number) {
  const reports = freshReports(sim, "coverageAnalysis", n);
  const good = reports.map((report) =>
    sim.addRun({ report, plugin: "coverageAnalysis", state: "Completed" })
  );
  sim.addRun({
    report: reports[0]!,
    plugin: "coverageAnalysis",
    state: "Error",
  });
  return { reports, good };
}

Deno.test("results.ts: CSV by default off a terminal, values parsed and equal to the stores; exit 0", async () => {
  await using sim = await simulator({ reports: 40 });
  const { reports, good } = seed(sim, 5);
  const input = `report\n${reports.join("\n")}\n`;
  const r = await runCommand(main, [
    "-",
    "--plugin",
    "coverageAnalysis",
    "--columns",
    "mapped_reads,on_target,uniformity",
  ], {
    env: envFor(sim),
    stdin: input,
  });
  assert.equal(r.code, 0, r.stderr);
  const rows = csv(r.stdout);
  for (const [i, report] of reports.entries()) {
    const parts = storeParts(sim.storeOf(good[i]!));
    const mine = rows.filter((row) => Number(row.report) === report);
    assert.equal(mine.length, parts.length, `${report}`);
    for (const row of mine) {
      const part = parts.find((p) => p.barcode === row.barcode)!;
      assert.equal(row["coverageAnalysis.run"], String(good[i]));
      const want = parseCell(part.data["Percent reads on target"]);
      assert.equal(row.on_target_pct, want === null ? "" : String(want));
    }
  }
  assert.match(
    rows.find((x) =>
      Number(x.report) === reports[0]
    )!["coverageAnalysis.note"]!,
    /newer run \d+ is Error/,
  );
  assert.match(r.stderr, /row\(s\) from 5 report\(s\)/);
  assertNoSecrets(sim, r.stdout, r.stderr);
});

Deno.test("results.ts: tsv, json and ndjson carry the same rows; a report without a run exits 1 and is named", async () => {
  await using sim = await simulator({ reports: 40 });
  const { reports } = seed(sim, 3);
  const [never] = freshReports(sim, "coverageAnalysis", 1);
  const args = [
    "--plugin",
    "coverageAnalysis",
    ...[...reports, never!].flatMap((r) => ["--report", String(r)]),
  ];
  const env = envFor(sim);
  const tsv = await runCommand(main, [...args, "--format", "tsv"], { env });
  const json = await runCommand(main, [...args, "--format", "json"], { env });
  const ndjson = await runCommand(main, [...args, "--format", "ndjson"], {
    env,
  });
  for (const r of [tsv, json, ndjson]) assert.equal(r.code, 1, r.stderr);
  const fromJson = JSON.parse(json.stdout) as Record<string, unknown>[];
  const fromNd = ndjson.stdout.trim().split("\n").map((l) => JSON.parse(l));
  assert.deepEqual(fromNd, fromJson);
  assert.equal(csv(tsv.stdout, "\t").length, fromJson.length);
  const none = fromJson.find((r) => r.report === never)!;
  assert.equal(none["coverageAnalysis.note"], "no run");
  assert.equal(none.mapped_reads, null, "missing is null, never 0");
  assert.ok(fromJson.some((r) => typeof r.uniformity_pct === "number"));
  assert.match(
    json.stderr,
    new RegExp(
      `1 \\(report, plugin\\) pair\\(s\\) without a usable run:\\n  ${never} .*coverageAnalysis: no run`,
    ),
  );
});

Deno.test("results.ts --raw keeps the text, --list-columns lists the keys seen, --flag fills flags and --strict exits 1", async () => {
  await using sim = await simulator({ reports: 40 });
  const { reports } = seed(sim, 4);
  const env = envFor(sim);
  const base = [
    "--plugin",
    "coverageAnalysis",
    ...reports.flatMap((r) => ["--report", String(r)]),
  ];
  const raw = await runCommand(main, [
    ...base,
    "--raw",
    "--columns",
    "on_target",
  ], { env });
  assert.equal(raw.code, 0, raw.stderr);
  assert.ok(
    csv(raw.stdout).every((r) =>
      r.on_target_pct === "" || r.on_target_pct!.endsWith("%")
    ),
    raw.stdout,
  );
  const list = await runCommand(main, [...base, "--list-columns"], { env });
  assert.equal(list.code, 0, list.stderr);
  const keys = csv(list.stdout).map((r) => r.column);
  assert.ok(
    keys.includes('coverageAnalysis."Number of mapped reads"'),
    keys.join(),
  );
  // A listed key works as a column.
  const byPath = await runCommand(main, [
    ...base,
    "--columns",
    'coverageAnalysis."Number of mapped reads"',
  ], { env });
  assert.equal(byPath.code, 0, byPath.stderr);
  assert.ok(
    csv(byPath.stdout).some((r) =>
      /^\d+$/.test(r['coverageAnalysis."Number of mapped reads"']!)
    ),
  );
  const flagged = await runCommand(main, [
    ...base,
    "--flag",
    "uniformity_pct<101",
  ], { env });
  assert.equal(flagged.code, 0, "a rule alone does not fail");
  assert.ok(csv(flagged.stdout).some((r) => r.flags === "uniformity_pct<101"));
  const strict = await runCommand(main, [
    ...base,
    "--flag",
    "uniformity_pct<101",
    "--strict",
  ], { env });
  assert.equal(strict.code, 1);
});

Deno.test("results.ts: bad input gets one clear line and exit 2", async () => {
  await using sim = await simulator({ reports: 10 });
  const env = envFor(sim);
  const cases: [string[], RegExp][] = [
    [
      ["--report", "1", "--plugin", "coverageAnalysys"],
      /no plugin named coverageAnalysys on this server: did you mean coverageAnalysis\?/,
    ],
    [
      ["--report", "1", "--plugin", "coverageAnalysis", "--columns", "depth"],
      /unknown column depth: the aliases of coverageAnalysis are mapped_reads/,
    ],
    [
      ["--report", "1", "--plugin", "coverageAnalysis", "--flag", "uniformity"],
      /--flag uniformity: expected <column><op><value>/,
    ],
    [
      ["--report", "1", "--plugin", "coverageAnalysis", "--run", "latest"],
      /--run must be completed, newest or a run id/,
    ],
    [["--plugin", "coverageAnalysis"], /give a CSV of report keys/],
    [["--report", "1"], /give --plugin NAME/],
  ];
  for (const [args, message] of cases) {
    const r = await runCommand(main, args, { env });
    assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
    assert.equal(r.stdout, "");
  }
  const dir = await Deno.makeTempDir();
  try {
    const file = join(dir, "reports.csv");
    await Deno.writeTextFile(file, "report\n12\nabc\n");
    const r = await runCommand(main, [file, "--plugin", "coverageAnalysis"], {
      env,
    });
    assert.equal(r.code, 2);
    assert.match(r.stderr, new RegExp(`${file}:3: `));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("ionrun results --format html --out writes the page; a table fits the terminal", async () => {
  await using sim = await simulator({ reports: 40 });
  const { reports } = seed(sim, 3);
  const env = envFor(sim);
  const dir = await Deno.makeTempDir();
  try {
    const out = join(dir, "qc.html");
    const args = [
      "results",
      "--plugin",
      "coverageAnalysis",
      ...reports.flatMap((r) => ["--report", String(r)]),
    ];
    const r = await runCommand(ionrun, [
      ...args,
      "--out",
      out,
      "--flag",
      "uniformity_pct<95",
    ], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, "");
    const html = await Deno.readTextFile(out);
    assert.match(html, /<table id="results">/);
    assert.match(html, new RegExp(`href="${sim.url}/output/`));
    assert.match(r.stderr, /written to .*qc\.html/);
    const table = await runCommand(ionrun, args, {
      env,
      terminal: { stdout: true },
      columns: 80,
    });
    assert.equal(table.code, 0, table.stderr);
    for (const line of table.stdout.trimEnd().split("\n")) {
      assert.ok(line.length <= 80, `fits: ${line.length}: ${line}`);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("results.ts reads a CSV of report names (the input download shares): the same rows as by key; an unknown name is file:line, exit 2", async () => {
  await using sim = await simulator({ reports: 40 });
  const { reports } = seed(sim, 3);
  using client = await clientFor(sim);
  const byId = await getReports(client, reports);
  const env = envFor(sim);
  const args = ["-", "--plugin", "coverageAnalysis", "--columns", "on_target"];
  const byKey = await runCommand(main, args, {
    env,
    stdin: `report\n${reports.join("\n")}\n`,
  });
  const names = reports.map((id) => byId.get(id)!.resultsName);
  const byName = await runCommand(main, args, {
    env,
    stdin: `report_name\n${names.join("\n")}\n`,
  });
  assert.equal(byName.code, 0, byName.stderr);
  assert.match(byName.stderr, /report names in -: 3 looked up, 3 found/);
  assert.deepEqual(csv(byName.stdout), csv(byKey.stdout));
  const unknown = await runCommand(main, args, {
    env,
    stdin: `report_name\n${names[0]}\nAuto_user_nobody_1\n`,
  });
  assert.equal(unknown.code, 2, unknown.stderr);
  assert.match(
    unknown.stderr,
    /^-:3: no report named "Auto_user_nobody_1" on this server$/m,
  );
  assert.equal(unknown.stdout, "");
});
