import assert from "node:assert/strict";
import { parse } from "csv-parse/sync";
import {
  assertNoSecrets,
  envFor,
  freshReports,
  runCommand,
  simulator,
} from "../_helpers.ts";
import { main as runMain } from "../../scripts/run.ts";

Deno.test("run.ts launches on each report and prints the run ids", async () => {
  await using sim = await simulator();
  const [a, b] = freshReports(sim, "coverageAnalysis", 2);
  const r = await runCommand(
    runMain,
    [
      "coverageAnalysis",
      String(a),
      String(b),
      "--config",
      '{"minimum_coverage": 30}',
      "--format",
      "csv",
    ],
    { env: envFor(sim) },
  );
  assert.equal(r.code, 0, r.stderr);
  const rows = parse(r.stdout, { columns: true }) as Record<string, string>[];
  assert.deepEqual(rows.map((x) => [Number(x.report), x.outcome]), [[
    a,
    "launched",
  ], [b, "launched"]]);
  assert.deepEqual(
    rows.map((x) => Number(x.plugin_result_id)).sort(),
    sim.launches.map((l) => l.pluginResultId).sort(),
  );
  const bodies = sim.requests.filter((q) => q.method === "POST").map((q) =>
    JSON.parse(q.bodyText!)
  );
  assert.deepEqual(bodies[0], {
    plugin: ["coverageAnalysis"],
    pluginconfig: { minimum_coverage: 30 },
  });
  assertNoSecrets(sim, r.stdout, r.stderr);
});

Deno.test("run.ts skips a running pair, and --force launches it", async () => {
  await using sim = await simulator({ queuedMs: 60_000 });
  const [a] = freshReports(sim, "igv", 1);
  const existing = sim.addPluginResult(a!, "igv", "Started");
  const skipped = await runCommand(runMain, [
    "igv",
    String(a),
    "--format",
    "json",
  ], { env: envFor(sim) });
  assert.equal(skipped.code, 0, skipped.stderr);
  const [row] = JSON.parse(skipped.stdout);
  assert.equal(row.outcome, "skipped");
  assert.equal(row.plugin_result_id, existing);
  assert.match(row.message, /already running/);
  assert.equal(sim.launches.length, 0);
  const forced = await runCommand(runMain, [
    "igv",
    String(a),
    "--force",
    "--format",
    "json",
  ], { env: envFor(sim) });
  assert.equal(JSON.parse(forced.stdout)[0].outcome, "launched");
  assert.equal(sim.launches.length, 1);
});

Deno.test("run.ts --wait reports the final state", async () => {
  await using sim = await simulator();
  const [a] = freshReports(sim, "igv", 1);
  const r = await runCommand(
    runMain,
    ["igv", String(a), "--wait", "--poll", "0.05", "--format", "json"],
    { env: envFor(sim) },
  );
  assert.equal(r.code, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout)[0].state, "Completed");
});

Deno.test("run.ts input errors exit 2 and launch nothing", async (t) => {
  await using sim = await simulator();
  const [a] = freshReports(sim, "igv", 1);
  const cases: [string, string[], RegExp][] = [
    [
      "config not an object",
      ["igv", String(a), "--config", "[1]"],
      /--config must be a JSON object/,
    ],
    [
      "config not JSON",
      ["igv", String(a), "--config", "{x"],
      /--config is not valid JSON/,
    ],
    [
      "config file missing",
      ["igv", String(a), "--config", "@nope.json"],
      /cannot read nope\.json/,
    ],
    [
      "bad report key",
      ["igv", "12x"],
      /arguments:1: report key "12x" is not a positive integer/,
    ],
    [
      "missing report",
      ["igv"],
      /no report: give report keys after the plugin or as --report KEY/,
    ],
  ];
  for (const [name, args, expected] of cases) {
    await t.step(name, async () => {
      const r = await runCommand(runMain, args, { env: envFor(sim) });
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, expected);
    });
  }
  await t.step("unknown plugin", async () => {
    const r = await runCommand(
      runMain,
      ["noSuchPlugin", String(a), "--format", "csv"],
      { env: envFor(sim) },
    );
    assert.equal(r.code, 2, r.stderr);
    assert.equal(r.stdout, "");
    assert.equal(r.stderr, 'arguments:1: unknown plugin "noSuchPlugin"\n');
  });
  await t.step("one report that does not exist: none is launched", async () => {
    const r = await runCommand(
      runMain,
      ["igv", String(a), "99999", "--format", "csv"],
      { env: envFor(sim) },
    );
    assert.equal(r.code, 2, r.stderr);
    assert.equal(
      r.stderr,
      "arguments:2: report 99999 does not exist on the server\n",
    );
  });
  assert.equal(sim.launches.length, 0);
});

Deno.test("run.ts --dry-run launches nothing", async () => {
  await using sim = await simulator();
  const [a] = freshReports(sim, "igv", 1);
  const r = await runCommand(runMain, [
    "igv",
    String(a),
    "--dry-run",
    "--format",
    "csv",
  ], { env: envFor(sim) });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /planned/);
  assert.equal(sim.requests.filter((q) => q.method === "POST").length, 0);
});

Deno.test("run.ts --help matches the stored help (deno test -u updates it)", async (t) => {
  for (const args of [["--help"]]) {
    const r = await runCommand(runMain, args);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, "");
    await t.assertSnapshot(r.stdout, { name: `run.ts ${args.join(" ")}` });
  }
});
