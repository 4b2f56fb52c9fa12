import assert from "node:assert/strict";
import { parse } from "csv-parse/sync";
import {
  envFor,
  freshReports,
  launchCounts,
  runScript,
  simulator,
} from "../_helpers.ts";

Deno.test("status.ts over 2,000 reports × 2 plugins issues at most 10 requests", async () => {
  await using sim = await simulator({ reports: 2500, queuedMs: 60_000 });
  const reports = sim.reportIds().slice(0, 2000);
  // A launched batch: one run per pair, some failed, then the status look-up.
  reports.forEach((r, i) => {
    sim.addPluginResult(
      r,
      "coverageAnalysis",
      i % 10 === 0 ? "Error" : "Completed",
    );
    sim.addPluginResult(
      r,
      "variantCaller",
      i % 7 === 0 ? "Started" : "Completed",
    );
  });
  const cwd = await Deno.makeTempDir();
  await Deno.writeTextFile(
    `${cwd}/runs.csv`,
    `report\n${reports.join("\n")}\n`,
  );
  sim.clearLog();
  const r = await runScript(
    "status.ts",
    [
      "runs.csv",
      "--plugin",
      "coverageAnalysis",
      "--plugin",
      "variantCaller",
      "--format",
      "csv",
    ],
    { env: envFor(sim), cwd },
  );
  assert.equal(r.code, 0, r.stderr);
  const rows = parse(r.stdout, { columns: true }) as Record<string, string>[];
  assert.equal(rows.length, 4000);
  console.log(
    `status.ts, 2,000 reports × 2 plugins: ${sim.requests.length} requests`,
  );
  assert.ok(sim.requests.length <= 10, `${sim.requests.length} requests`);
  const errors = rows.filter((x) =>
    x.plugin === "coverageAnalysis" && x.state === "Error"
  );
  assert.equal(errors.length, 200);
  assert.match(r.stderr, /^4000 pair\(s\): /m);
  assert.match(r.stderr, /200 Error/);
  const first = rows[0]!;
  assert.match(
    first.url!,
    new RegExp(`^${sim.url}/output/Home/.+/plugin_out/`),
  );
  await Deno.remove(cwd, { recursive: true });
});

Deno.test("status.ts --failed | bulk_run.ts - reruns exactly the failed pairs", async () => {
  await using sim = await simulator();
  const reports = freshReports(sim, "igv", 6);
  const failed = [reports[1]!, reports[4]!];
  for (const r of reports) {
    sim.addPluginResult(r, "igv", failed.includes(r) ? "Error" : "Completed");
  }
  const cwd = await Deno.makeTempDir();
  await Deno.writeTextFile(
    `${cwd}/runs.csv`,
    `report,plugin\n${reports.map((r) => `${r},igv`).join("\n")}\n`,
  );
  const status = await runScript("status.ts", [
    "runs.csv",
    "--failed",
    "--format",
    "csv",
  ], {
    env: envFor(sim),
    cwd,
  });
  assert.equal(status.code, 0, status.stderr);
  const listed = parse(status.stdout, { columns: true }) as Record<
    string,
    string
  >[];
  assert.deepEqual(listed.map((x) => Number(x.report)), failed);

  const rerun = await runScript("bulk_run.ts", ["-", "--format", "csv"], {
    env: envFor(sim),
    cwd,
    stdin: status.stdout,
  });
  assert.equal(rerun.code, 0, rerun.stderr);
  assert.deepEqual(
    [...launchCounts(sim).keys()].sort(),
    failed.map((r) => `${r}/igv`).sort(),
  );
  // Afterwards, nothing is failed any more (the reruns are running).
  const after = await runScript("status.ts", [
    "runs.csv",
    "--failed",
    "--format",
    "csv",
  ], {
    env: envFor(sim),
    cwd,
  });
  assert.equal(after.stdout.trim().split("\n").length, 1); // header only
  await Deno.remove(cwd, { recursive: true });
});

Deno.test("status.ts --stop stops running runs only, after --yes", async (t) => {
  await using sim = await simulator({ queuedMs: 60_000 });
  const [a, b, c] = freshReports(sim, "igv", 3);
  const running = sim.addPluginResult(a!, "igv", "Started");
  const done = sim.addPluginResult(b!, "igv", "Completed");
  const queued = sim.addPluginResult(c!, "igv", "Queued");
  const args = [
    "--report",
    String(a),
    "--report",
    String(b),
    "--report",
    String(c),
    "--plugin",
    "igv",
    "--stop",
  ];
  const stops = () =>
    sim.requests.filter((r) => r.path.endsWith("/stop/")).map((r) => r.path);

  await t.step("without a terminal and without --yes it refuses", async () => {
    const r = await runScript("status.ts", args, { env: envFor(sim) });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /refusing to stop 2 run\(s\) without confirmation/);
    assert.deepEqual(stops(), []);
  });
  await t.step("--dry-run shows what would stop", async () => {
    const r = await runScript("status.ts", [
      ...args,
      "--dry-run",
      "--format",
      "csv",
    ], { env: envFor(sim) });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /would stop/);
    assert.deepEqual(stops(), []);
  });
  await t.step("--yes stops the two running ones", async () => {
    const r = await runScript("status.ts", [
      ...args,
      "--yes",
      "--format",
      "csv",
    ], { env: envFor(sim) });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(
      stops().sort(),
      [
        `/rundb/api/v1/pluginresult/${running}/stop/`,
        `/rundb/api/v1/pluginresult/${queued}/stop/`,
      ].sort(),
    );
    const states = sim.pluginResults({ plugin: "igv" }) as {
      id: number;
      state: string;
    }[];
    assert.equal(states.find((s) => s.id === running)!.state, "Cancelled");
    assert.equal(
      states.find((s) => s.id === done)!.state,
      "Completed",
      "the finished run is untouched (stopping it would relabel it)",
    );
  });
});

Deno.test("status.ts --wait follows running runs; --html writes the page", async () => {
  await using sim = await simulator({ failureRate: 0 });
  const reports = freshReports(sim, "igv", 3);
  const cwd = await Deno.makeTempDir();
  const launched = await runScript("bulk_run.ts", [
    "-",
    "--plugin",
    "igv",
    "--summary",
    "runs.csv",
  ], {
    env: envFor(sim),
    cwd,
    stdin: reports.join("\n"),
  });
  assert.equal(launched.code, 0, launched.stderr);
  const r = await runScript(
    "status.ts",
    [
      "runs.csv",
      "--wait",
      "--poll",
      "0.05",
      "--html",
      "page.html",
      "--format",
      "json",
    ],
    { env: envFor(sim), cwd },
  );
  assert.equal(r.code, 0, r.stderr);
  const rows = JSON.parse(r.stdout) as { state: string }[];
  assert.deepEqual(rows.map((x) => x.state), [
    "Completed",
    "Completed",
    "Completed",
  ]);
  const html = await Deno.readTextFile(`${cwd}/page.html`);
  assert.match(html, /<html/i);
  assert.ok(html.includes(String(reports[0])));
  await Deno.remove(cwd, { recursive: true });
});

Deno.test("status.ts needs an input or --report", async () => {
  const r = await runScript("status.ts", [], {
    env: { TS_URL: "http://127.0.0.1:1" },
  });
  assert.equal(r.code, 2);
  assert.match(
    r.stderr,
    /give a CSV file \(or -\) or at least one --report KEY/,
  );
});

Deno.test("status.ts --help matches the stored help (deno test -u updates it)", async (t) => {
  for (const args of [["--help"]]) {
    const r = await runScript("status.ts", args);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, "");
    await t.assertSnapshot(r.stdout, { name: `status.ts ${args.join(" ")}` });
  }
});
