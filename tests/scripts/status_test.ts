import assert from "node:assert/strict";
import { parse } from "csv-parse/sync";
import {
  assertNoSecrets,
  DENO_DIR,
  envFor,
  freshReports,
  launchCounts,
  ROOT,
  runCommand,
  runScript,
  simulator,
  spawnScript,
} from "../_helpers.ts";
import { main as runMain } from "../../scripts/run.ts";
import { main as statusMain } from "../../scripts/status.ts";
import { main as bulkRunMain } from "../../scripts/bulk_run.ts";
import type { Simulator } from "../../simulator/mod.ts";

/** Environment with a password (Basic) instead of an API key. */
function passwordEnv(sim: Simulator): Record<string, string> {
  const user = sim.users[1]!;
  return {
    TS_URL: sim.url,
    TS_USER: user.username,
    TS_PASSWORD: user.password,
  };
}

type Row = Record<string, string>;
const csv = (text: string) => parse(text, { columns: true }) as Row[];

Deno.test("status.ts over 2,000 reports takes a few requests, for 2 plugins (≤ 10) or every plugin (≤ 16)", async () => {
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
  assert.match(r.stderr, /^200 failed \(the first 10\):$/m);
  const first = rows[0]!;
  assert.match(
    first.url!,
    new RegExp(`^${sim.url}/output/Home/.+/plugin_out/`),
  );
  // Without --plugin: every plugin that ran on them, still a few requests.
  sim.clearLog();
  const every = await runScript("status.ts", ["runs.csv", "--format", "csv"], {
    env: envFor(sim),
    cwd,
  });
  assert.equal(every.code, 0, every.stderr);
  const all = csv(every.stdout);
  assert.ok(all.length > 4000, `${all.length} pairs`);
  assert.equal(
    all.filter((x) =>
      x.plugin === "coverageAnalysis" && x.state_class === "failed"
    ).length,
    200,
  );
  console.log(
    `status.ts, 2,000 reports, every plugin (${all.length} pairs): ${sim.requests.length} requests`,
  );
  assert.ok(sim.requests.length <= 16, `${sim.requests.length} requests`);
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
  const listed = csv(status.stdout);
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
    const r = await runCommand(statusMain, args, { env: envFor(sim) });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^2 run\(s\) would be stopped:$/m);
    // Which ones, before anything: report, plugin, id, state, age.
    assert.match(r.stderr, /^\s+report\s+name\s+plugin\s+run\s+state\s+age$/m);
    for (const id of [running, queued]) {
      assert.match(
        r.stderr,
        new RegExp(`\\bigv\\s+${id}\\s+(Started|Queued)\\s+\\S+`),
      );
    }
    assert.ok(
      !r.stderr.includes(` ${done} `),
      "the finished one is not listed",
    );
    assert.match(r.stderr, /refusing to stop 2 run\(s\) without confirmation/);
    assert.deepEqual(stops(), []);
  });
  await t.step("--dry-run shows what would stop", async () => {
    const r = await runCommand(statusMain, [
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
    const r = await runCommand(statusMain, [
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
  const r = await runCommand(statusMain, [], {
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
    const r = await runCommand(statusMain, args);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, "");
    await t.assertSnapshot(r.stdout, { name: `status.ts ${args.join(" ")}` });
  }
});

Deno.test("status.ts --report A --report B without --plugin lists every plugin run on them; the rerun pipe relaunches exactly the failed pairs", async () => {
  await using sim = await simulator();
  const ids = sim.reportIds({ group: "Completed" });
  const [a, b] = ids;
  // Both reports carry seeded runs; make the newest of three plugins fail.
  sim.addPluginResult(a!, "igv", "Error");
  sim.addPluginResult(a!, "sampleID", "Completed");
  sim.addPluginResult(b!, "sampleID", "Failed Validation");
  sim.addPluginResult(b!, "igv", "Cancelled"); // not failed: never relaunched
  const args = ["--report", String(a), "--report", String(b)];
  const r = await runCommand(statusMain, [...args, "--format", "csv"], {
    env: envFor(sim),
  });
  assert.equal(r.code, 0, r.stderr);
  const rows = csv(r.stdout);
  const expected = new Set<string>();
  for (const report of [a!, b!]) {
    for (
      const run of sim.pluginResults({ report }) as { pluginName: string }[]
    ) {
      expected.add(`${report}/${run.pluginName}`);
    }
  }
  assert.deepEqual(
    rows.map((x) => `${x.report}/${x.plugin}`).sort(),
    [...expected].sort(),
  );
  const failedPairs = rows.filter((x) => x.state_class === "failed").map((x) =>
    `${x.report}/${x.plugin}`
  );
  assert.ok(failedPairs.includes(`${a}/igv`));
  assert.ok(failedPairs.includes(`${b}/sampleID`));
  assert.ok(!failedPairs.includes(`${b}/igv`), "cancelled is not failed");

  const failed = await runCommand(statusMain, [
    ...args,
    "--failed",
    "--format",
    "csv",
  ], {
    env: envFor(sim),
  });
  assert.equal(failed.code, 0, failed.stderr);
  assert.deepEqual(
    csv(failed.stdout).map((x) => `${x.report}/${x.plugin}`).sort(),
    [...failedPairs].sort(),
  );
  sim.clearLog();
  const rerun = await runScript("bulk_run.ts", ["-", "--format", "csv"], {
    env: envFor(sim),
    stdin: failed.stdout,
  });
  assert.equal(rerun.code, 0, rerun.stderr);
  assert.deepEqual(
    [...launchCounts(sim).keys()].sort(),
    [...failedPairs].sort(),
  );
  assert.ok([...launchCounts(sim).values()].every((n) => n === 1));
});

Deno.test("status.ts: the closing block names the failures and gives the exact rerun command, which works", async () => {
  await using sim = await simulator();
  const reports = freshReports(sim, "igv", 3);
  sim.addPluginResult(reports[0]!, "igv", "Error");
  sim.addPluginResult(reports[1]!, "igv", "Completed");
  sim.addPluginResult(reports[2]!, "igv", "Failed Validation");
  const cwd = await Deno.makeTempDir();
  await Deno.writeTextFile(
    `${cwd}/runs.csv`,
    `report\n${reports.join("\n")}\n`,
  );
  const r = await runScript("status.ts", ["runs.csv", "--plugin", "igv"], {
    env: envFor(sim),
    cwd,
  });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /^3 pair\(s\): 1 completed, 2 failed$/m);
  assert.match(r.stderr, /^2 failed:$/m);
  assert.match(
    r.stderr,
    new RegExp(
      `^  ${
        reports[2]
      }  \\S+  igv: Failed Validation: igv requires configuration before execution\\.$`,
      "m",
    ),
  );
  assert.match(
    r.stderr,
    new RegExp(`^  ${reports[0]}  \\S+  igv: Error$`, "m"),
  );
  const command = /^Rerun the failed ones:\n {2}(.+)$/m.exec(r.stderr)?.[1];
  assert.ok(command, r.stderr);
  assert.match(
    command,
    /^deno run -A \S+\/scripts\/status\.ts runs\.csv --plugin igv --failed --format csv \| deno run -A \S+\/scripts\/bulk_run\.ts -$/,
  );
  // Run it as printed, in the same folder: it relaunches the two failed pairs.
  sim.clearLog();
  const out = await new Deno.Command("sh", {
    args: ["-c", command],
    cwd,
    clearEnv: true,
    env: {
      ...envFor(sim),
      PATH: `${Deno.execPath().replace(/\/[^/]+$/, "")}:/usr/bin:/bin`,
      NO_COLOR: "1",
      HOME: Deno.env.get("HOME") ?? "",
      DENO_DIR,
      DENO_NO_UPDATE_CHECK: "1",
      XDG_CACHE_HOME: await Deno.makeTempDir(),
    },
  }).output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  assert.deepEqual(
    [...launchCounts(sim).keys()].sort(),
    [`${reports[0]}/igv`, `${reports[2]}/igv`].sort(),
  );
  await Deno.remove(cwd, { recursive: true });
});

Deno.test('status.ts --report of a report that does not exist says so (exit 1), never "never run"', async () => {
  await using sim = await simulator();
  const [a] = freshReports(sim, "igv", 1);
  const r = await runCommand(
    statusMain,
    [
      "--report",
      "99999",
      "--report",
      String(a),
      "--plugin",
      "igv",
      "--format",
      "json",
    ],
    { env: envFor(sim) },
  );
  assert.equal(r.code, 1, r.stderr);
  const rows = JSON.parse(r.stdout) as Record<string, unknown>[];
  assert.deepEqual(
    rows.map((x) => [x.report, x.state, x.report_found, x.never_run]),
    [[a, null, true, true], [99999, null, false, false]],
  );
  assert.match(r.stderr, /1 report\(s\) not on this server: 99999/);
  const table = await runCommand(statusMain, [
    "--report",
    "99999",
    "--format",
    "table",
  ], {
    env: envFor(sim),
  });
  assert.match(table.stdout, /99999\s+no such report/);
  assert.doesNotMatch(table.stdout, /never run/);
});

Deno.test("status.ts machine output: JSON is [] when empty (empty or header-only input too), lists are arrays, never-run pairs flagged", async () => {
  await using sim = await simulator();
  const [a] = freshReports(sim, "igv", 1);
  sim.addPluginResult(a!, "igv", "Failed Validation");
  const cwd = await Deno.makeTempDir();
  await Deno.writeTextFile(`${cwd}/empty.csv`, "");
  await Deno.writeTextFile(`${cwd}/header.csv`, "report,plugin\n");
  for (const file of ["empty.csv", "header.csv"]) {
    for (
      const [format, want] of [["json", "[]\n"], ["ndjson", ""], [
        "csv",
        /^report,report_name,/,
      ]] as const
    ) {
      const r = await runScript("status.ts", [file, "--format", format], {
        env: envFor(sim),
        cwd,
      });
      assert.equal(r.code, 0, `${file} ${format}: ${r.stderr}`);
      if (typeof want === "string") {
        assert.equal(r.stdout, want, `${file} ${format}`);
      } else assert.match(r.stdout, want);
      assert.match(r.stderr, /no report keys: nothing to show/);
    }
  }
  const failed = await runScript("status.ts", [
    "--report",
    String(a),
    "--plugin",
    "top100Ionogram",
    "--failed",
    "--format",
    "json",
  ], {
    env: envFor(sim),
  });
  assert.equal(failed.stdout, "[]\n");
  const r = await runScript("status.ts", [
    "--report",
    String(a),
    "--plugin",
    "igv",
    "--plugin",
    "top100Ionogram",
    "--format",
    "ndjson",
  ], {
    env: envFor(sim),
  });
  const [igv, sid] = r.stdout.trim().split("\n").map((l) => JSON.parse(l));
  assert.deepEqual(igv.validation_errors, [
    "igv requires configuration before execution.",
  ]);
  assert.equal(igv.state_class, "failed");
  assert.equal(sid.state, null);
  assert.equal(sid.never_run, true);
  assert.deepEqual(sid.validation_errors, []);
  await Deno.remove(cwd, { recursive: true });
});

Deno.test("status.ts --log with a password prints the failed runs' log tails, a planted secret redacted", async () => {
  await using sim = await simulator({ failureRate: 1, runMs: 20 });
  const [a, b] = freshReports(sim, "igv", 2);
  const planted = "Pl4nted-pw-0xC0FFEE";
  // Launch with a config holding a password: the plugin prints it in its log.
  const launched = await runCommand(runMain, [
    "igv",
    String(a),
    "--config",
    `{"user_password": "${planted}", "depth": 3}`,
    "--wait",
    "--poll",
    "0.05",
    "--format",
    "csv",
  ], {
    env: envFor(sim),
  });
  assert.equal(launched.code, 1, launched.stderr); // the run failed, as planned
  sim.addPluginResult(b!, "igv", "Completed");
  const args = [
    "--report",
    String(a),
    "--report",
    String(b),
    "--plugin",
    "igv",
    "--log",
    "--log-lines",
    "12",
  ];
  const r = await runCommand(statusMain, [...args, "--format", "table"], {
    env: passwordEnv(sim),
  });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`^── ${a}  \\S+  igv  #\\d+  Error$`, "m"));
  assert.match(r.stdout, /\/drmaa_stdout\.txt$/m);
  assert.match(r.stdout, /^ {2}\[[\d: -]+\] ERROR: igv failed: .+$/m);
  assert.match(r.stdout, /^ {2}\S+Error: .+$/m);
  assert.doesNotMatch(
    r.stdout,
    new RegExp(`^── ${b} `, "m"),
    "the completed run has no log shown",
  );
  assert.ok(!r.stdout.includes(planted) && !r.stderr.includes(planted));
  assertNoSecrets(sim, r.stdout, r.stderr);
  // The closing block gives the log's error line as the reason.
  assert.match(
    r.stderr,
    new RegExp(
      `^  ${a}  \\S+  igv: Error: igv failed: `,
      "m",
    ),
  );
  // The whole log, redacted, shows the password line masked.
  const all = await runCommand(statusMain, [
    ...args.slice(0, -2),
    "--log-lines",
    "200",
    "--format",
    "json",
  ], {
    env: passwordEnv(sim),
  });
  const [log] = JSON.parse(all.stdout);
  assert.equal(log.log_status, "ok");
  assert.ok(
    log.lines.includes("  user_password=[redacted]"),
    log.lines.join("\n"),
  );
  assert.ok(log.lines.includes("  depth=3"));
  assert.ok(!all.stdout.includes(planted));
  assert.ok(log.error_lines.length > 0);
  // The run's own API key (startplugin.json's runinfo) is hidden too.
  const runinfo = log.lines.find((l: string) => / runinfo: /.test(l));
  assert.match(runinfo, /"api_key": "\[redacted\]"/);
  assert.doesNotMatch(all.stdout, /"api_key": \\?"[0-9a-f]{40}/);
  // --redact KEY hides one more key's values.
  const more = await runCommand(statusMain, [
    ...args.slice(0, -2),
    "--log-lines",
    "200",
    "--redact",
    "depth",
    "--format",
    "json",
  ], {
    env: passwordEnv(sim),
  });
  assert.equal(more.code, 0, more.stderr);
  const [masked] = JSON.parse(more.stdout);
  assert.ok(masked.lines.includes("  depth=[redacted]"), more.stdout);
  assert.ok(!masked.lines.includes("  depth=3"));
});

Deno.test("status.ts --log with only an API key says in one line that logs need TS_PASSWORD and prints each log's URL", async () => {
  await using sim = await simulator();
  const [a, b] = freshReports(sim, "igv", 2);
  const ea = sim.addPluginResult(a!, "igv", "Error");
  const eb = sim.addPluginResult(b!, "igv", "Timed Out");
  sim.clearLog();
  const r = await runCommand(statusMain, [
    "--report",
    String(a),
    "--report",
    String(b),
    "--plugin",
    "igv",
    "--log",
    "--format",
    "table",
  ], {
    env: envFor(sim),
  });
  assert.equal(r.code, 0, r.stderr);
  const needs = r.stderr.split("\n").filter((l) => /need TS_PASSWORD/.test(l));
  assert.equal(needs.length, 1, r.stderr);
  const lines = r.stdout.trim().split("\n");
  assert.equal(lines.length, 2);
  for (const [line, id] of [[lines[0]!, ea], [lines[1]!, eb]] as const) {
    assert.match(
      line,
      new RegExp(
        `#${id} .*http://127\\.0\\.0\\.1:\\d+/output/Home/.+/plugin_out/igv_out\\.${id}/drmaa_stdout\\.txt$`,
      ),
    );
  }
  assert.ok(
    !sim.requests.some((q) => q.path.startsWith("/output/")),
    "no login page fetched",
  );
});

Deno.test("status.ts --wait --html rewrites the page at every poll and the last one says it is final", async () => {
  // Runs long enough to be caught running on a loaded machine (the script
  // starts in about half a second), short enough for a test.
  await using sim = await simulator({
    queuedMs: 100,
    pluginRunMs: { igv: 3_000 },
    runSpread: 0,
    failureRate: 0,
  });
  const reports = freshReports(sim, "igv", 2);
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
  const child = spawnScript("status.ts", [
    "runs.csv",
    "--wait",
    "--poll",
    "0.1",
    "--html",
    "page.html",
    "--html-refresh",
    "5",
    "--format",
    "json",
  ], {
    env: envFor(sim),
    cwd,
  });
  let live = "";
  for (let i = 0; i < 300 && !live; i++) {
    await new Promise((r) => setTimeout(r, 50));
    const html = await Deno.readTextFile(`${cwd}/page.html`).catch(() => "");
    if (html.includes('data-final="false"')) live = html;
  }
  const out = await child.output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  assert.match(live, /Following: \d of 2 run\(s\) finished/);
  assert.match(live, /<meta http-equiv="refresh" content="5">/);
  assert.match(live, /Updated <time datetime="[^"]+\.\d{3}Z"/);
  const final = await Deno.readTextFile(`${cwd}/page.html`);
  assert.match(
    final,
    /data-final="true">Final: all 2 followed run\(s\) finished/,
  );
  assert.doesNotMatch(final, /http-equiv="refresh"/);
  const left = (await Array.fromAsync(Deno.readDir(cwd))).map((e) => e.name)
    .filter((n) => n.endsWith(".tmp"));
  assert.deepEqual(left, [], "no temporary file left behind");
  await Deno.remove(cwd, { recursive: true });
});

Deno.test("status.ts --stale-after, and launch times from a journal, show stale runs as such (not failed)", async () => {
  await using sim = await simulator({ queuedMs: 600_000 });
  const [a, b] = freshReports(sim, "igv", 2);
  sim.addPluginResult(a!, "igv", "Started");
  sim.addPluginResult(b!, "igv", "Queued");
  const cwd = await Deno.makeTempDir();
  const longAgo = new Date(Date.now() - 30 * 3_600_000).toISOString();
  await Deno.writeTextFile(
    `${cwd}/in.csv.journal.ndjson`,
    [
      {
        type: "job",
        time: longAgo,
        id: "j",
        input: "in.csv",
        flags: {},
        version: "0",
        maxBefore: 0,
      },
      { type: "intent", time: longAgo, report: b, plugin: "igv", before: 0 },
      {
        type: "launched",
        time: longAgo,
        report: b,
        plugin: "igv",
        before: 0,
        run: null,
      },
    ].map((x) => JSON.stringify(x)).join("\n") + "\n",
  );
  const r = await runScript("status.ts", [
    "in.csv.journal.ndjson",
    "--format",
    "csv",
  ], {
    env: envFor(sim),
    cwd,
  });
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(csv(r.stdout).map((x) => x.state_class), ["stale"]);
  assert.match(r.stderr, /1 stale \(running for longer than any job can/);
  const quick = await runScript("status.ts", [
    "--report",
    String(a),
    "--plugin",
    "igv",
    "--stale-after",
    "0s",
    "--format",
    "table",
  ], {
    env: envFor(sim),
  });
  assert.match(quick.stdout, /Started \(stale\)/);
  const failed = await runScript("status.ts", [
    "--report",
    String(a),
    "--plugin",
    "igv",
    "--stale-after",
    "0s",
    "--failed",
    "--format",
    "json",
  ], {
    env: envFor(sim),
  });
  // Stale is not failed, but --failed lists it: its job is gone too, and
  // the rerun pipe says it needs --rerun stale.
  const listed = JSON.parse(failed.stdout) as { state_class: string }[];
  assert.ok(listed.length > 0, "--failed lists stale pairs");
  assert.ok(listed.every((s) => s.state_class === "stale"), failed.stdout);
  await Deno.remove(cwd, { recursive: true });
});

Deno.test("status.ts --format table in a pipe cuts nothing", async () => {
  await using sim = await simulator();
  const [a] = freshReports(sim, "igv", 1);
  sim.addPluginResult(a!, "igv", "Completed");
  const r = await runCommand(statusMain, [
    "--report",
    String(a),
    "--plugin",
    "igv",
    "--format",
    "table",
  ], {
    env: envFor(sim),
  });
  assert.ok(!r.stdout.includes("…"));
  assert.match(
    r.stdout,
    /http:\/\/127\.0\.0\.1:\d+\/output\/Home\/\S+\/plugin_out\/igv_out\.\d+\//,
  );
});

Deno.test("status.ts --log shows the first 20 failed runs unless --log-all", async () => {
  await using sim = await simulator();
  const reports = freshReports(sim, "igv", 21);
  for (const r of reports) sim.addPluginResult(r, "igv", "Error");
  const args = [
    ...reports.flatMap((r) => ["--report", String(r)]),
    "--plugin",
    "igv",
    "--log",
    "--format",
    "table",
  ];
  const some = await runCommand(statusMain, args, { env: envFor(sim) });
  assert.equal(some.code, 0, some.stderr);
  assert.equal(some.stdout.trim().split("\n").length, 20);
  assert.match(
    some.stderr,
    /logs of the first 20 of 21 failed runs; --log-all for every one/,
  );
  const all = await runCommand(statusMain, [...args, "--log-all"], {
    env: envFor(sim),
  });
  assert.equal(all.stdout.trim().split("\n").length, 21);
  const wrong = await runCommand(statusMain, ["--report", "1", "--log-all"], {
    env: envFor(sim),
  });
  assert.equal(wrong.code, 2);
  assert.match(wrong.stderr, /--log-all and --log-lines go with --log/);
});

Deno.test("status.ts on a journal while its job is still launching: the pairs not sent wait to launch, and --wait ends only when the job ended and every run finished", async () => {
  // One run on the queue at a time, each ~300 ms: 6 pairs take seconds to
  // launch, so status starts while most are still to launch.
  await using sim = await simulator({
    queuedMs: 50,
    pluginRunMs: { igv: 300 },
    runSpread: 0,
    failureRate: 0,
  });
  const reports = freshReports(sim, "igv", 6);
  const cwd = await Deno.makeTempDir();
  const input = `${cwd}/in.csv`;
  await Deno.writeTextFile(input, `report\n${reports.join("\n")}\n`);
  const journal = `${input}.journal.ndjson`;
  const registry = `${cwd}/registry`;
  const env = { ...envFor(sim), XDG_CACHE_HOME: registry };
  let bulkDone = 0;
  const bulk = runCommand(bulkRunMain, [
    input,
    "--plugin",
    "igv",
    "--max-active",
    "1",
    "--format",
    "csv",
  ], { env }).then((r) => {
    bulkDone = Date.now();
    return r;
  });
  // Once the first launch is journaled.
  for (let i = 0; i < 400; i++) {
    const text = await Deno.readTextFile(journal).catch(() => "");
    if (text.includes('"intent"')) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  const early = await runCommand(statusMain, [journal, "--format", "csv"], {
    env,
  });
  const earlyRows = csv(early.stdout);
  assert.equal(earlyRows.length, 6, early.stdout + early.stderr);
  assert.ok(
    earlyRows.some((x) => x.launch === "waiting"),
    early.stdout,
  );
  assert.match(early.stderr, /waiting to launch/);
  const page = `${cwd}/page.html`;
  let launchingPage = "";
  const watch = (async () => {
    while (!bulkDone) {
      const html = await Deno.readTextFile(page).catch(() => "");
      if (/job still launching: \d of 6 launched/.test(html)) {
        launchingPage = html;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  // The input CSV itself: its job's journal beside it tells the same.
  let csvDone = 0;
  const fromCsv = runCommand(statusMain, [
    input,
    "--plugin",
    "igv",
    "--wait",
    "--poll",
    "0.1",
    "--format",
    "csv",
  ], { env }).then((r) => {
    csvDone = Date.now();
    return r;
  });
  const followed = await runCommand(statusMain, [
    journal,
    "--wait",
    "--poll",
    "0.1",
    "--html",
    page,
    "--format",
    "csv",
  ], { env });
  const statusDone = Date.now();
  const viaCsv = await fromCsv;
  assert.equal(viaCsv.code, 0, viaCsv.stderr);
  assert.ok(csvDone >= bulkDone, "status on the CSV waited for the job");
  assert.deepEqual(
    csv(viaCsv.stdout).map((x) => x.state),
    Array(6).fill("Completed"),
  );
  const launched = await bulk;
  await watch;
  assert.equal(launched.code, 0, launched.stderr);
  assert.equal(followed.code, 0, followed.stderr);
  assert.ok(
    bulkDone > 0 && statusDone >= bulkDone,
    "status waited for the job",
  );
  const rows = csv(followed.stdout);
  assert.deepEqual(rows.map((x) => x.state), Array(6).fill("Completed"));
  assert.match(followed.stderr, /^6 pair\(s\): 6 completed/m);
  assert.ok(launchingPage, "a page said the job was still launching");
  assert.match(launchingPage, /waiting/);
  const final = await Deno.readTextFile(page);
  assert.match(final, /Final: all 6 followed run\(s\) finished/);
  await Deno.remove(cwd, { recursive: true });
});

Deno.test("status.ts machine output: times are ISO 8601 UTC with milliseconds (Tastypie's .000597 is 597 ms)", async () => {
  await using sim = await simulator();
  const [a] = freshReports(sim, "igv", 1);
  const id = sim.addPluginResult(a!, "igv", "Completed");
  const raw = (sim.pluginResults({ plugin: "igv" }) as {
    id: number;
    starttime: string;
    endtime: string;
  }[]).find((r) => r.id === id)!;
  assert.match(raw.starttime, /\+00:00$/, "the simulator answers as Tastypie");
  const iso = (text: string) => {
    const m = /\.(\d{6})\+00:00$/.exec(text);
    const base = text.replace(/\.\d+\+00:00$/, "").replace(/\+00:00$/, "");
    return `${base}.${m ? m[1]!.slice(3) : "000"}Z`;
  };
  for (const format of ["json", "csv", "ndjson"]) {
    const r = await runCommand(statusMain, [
      "--report",
      String(a),
      "--plugin",
      "igv",
      "--format",
      format,
    ], { env: envFor(sim) });
    assert.equal(r.code, 0, r.stderr);
    const row = format === "json"
      ? JSON.parse(r.stdout)[0]
      : format === "ndjson"
      ? JSON.parse(r.stdout.split("\n")[0]!)
      : csv(r.stdout)[0]!;
    const started = row.started ?? row.starttime;
    const ended = row.ended ?? row.endtime;
    assert.equal(started, iso(raw.starttime), `${format}: ${r.stdout}`);
    assert.equal(ended, iso(raw.endtime), format);
    assert.match(started, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  }
});

Deno.test("status.ts on the journal of a job whose launcher is gone: the pairs it did not send are 'not launched (job stopped)' and --wait does not wait for them", async () => {
  await using sim = await simulator();
  const [a, b] = freshReports(sim, "igv", 2);
  const run = sim.addPluginResult(a!, "igv", "Completed");
  const cwd = await Deno.makeTempDir();
  const journal = `${cwd}/in.csv.journal.ndjson`;
  const t = new Date().toISOString();
  const records = [
    {
      type: "job",
      id: "j",
      input: "in.csv",
      flags: {},
      version: "1",
      maxBefore: 0,
    },
    { type: "start", pid: 1, version: "1" },
    {
      type: "plan",
      pairs: [`${a}/igv`, `${b}/igv`],
      launch: [`${a}/igv`, `${b}/igv`],
    },
    { type: "intent", report: a, plugin: "igv", before: 0 },
    { type: "launched", report: a, plugin: "igv", before: 0, run },
  ];
  await Deno.writeTextFile(
    journal,
    records.map((x) => JSON.stringify({ ...x, time: t })).join("\n") + "\n",
  );
  // Killed: its lock names a process that is gone.
  await Deno.writeTextFile(`${journal}.lock`, "");
  const started = Date.now();
  const r = await runCommand(statusMain, [
    journal,
    "--wait",
    "--poll",
    "0.1",
    "--format",
    "json",
  ], { env: envFor(sim) });
  assert.ok(Date.now() - started < 20_000);
  assert.equal(r.code, 1, r.stderr);
  const rows = JSON.parse(r.stdout) as Record<string, unknown>[];
  assert.deepEqual(rows.map((x) => [x.report, x.state, x.launch]), [
    [a, "Completed", null],
    [b, null, "stopped"],
  ]);
  assert.equal(rows[1]!.never_run, false);
  assert.match(r.stderr, /1 not launched \(job stopped\)/);
  assert.match(
    r.stderr,
    /the job stopped with 1 of 2 launched: the same bulk_run command resumes it/,
  );
  await Deno.remove(cwd, { recursive: true });
});

Deno.test("a used checkout: journals, their locks and the journals kept aside are ignored by git (and so by deno publish)", async () => {
  const names = [
    "reports.csv.journal.ndjson",
    "reports.csv.journal.ndjson.lock",
    "bulk_run-stdin.journal.ndjson.lock",
    "reports.csv.journal.2026-12-07T03-08-04Z.ndjson",
    "jobs/run1.journal.ndjson.lock",
    "page.html.4242.tmp",
  ];
  const out = await new Deno.Command("git", {
    args: ["check-ignore", "--no-index", ...names],
    cwd: ROOT,
    stdout: "piped",
  }).output();
  const ignored = new TextDecoder().decode(out.stdout).trim().split("\n");
  assert.deepEqual(ignored, names);
});

Deno.test("a Queued run that newer runs passed longer ago than --stale-after is stale: status and --failed show it, bulk-run relaunches it only with --rerun stale", async () => {
  await using sim = await simulator();
  const [held, later, alone] = freshReports(sim, "sampleID", 3);
  // A held grid job: Queued for ever, no slot (a crash between hold and
  // release). A newer run then starts and ends: the queue passed it.
  const stuck = sim.addPluginResult(held!, "sampleID", "Queued");
  sim.addPluginResult(later!, "sampleID", "Completed");
  await new Promise((r) => setTimeout(r, 120));
  const env = envFor(sim);
  const csv = `report,plugin\n${held},sampleID\n${later},sampleID\n`;
  const look = async (args: string[]) => {
    const r = await runCommand(statusMain, [
      "-",
      "--format",
      "json",
      ...args,
    ], { env, stdin: csv });
    return (JSON.parse(r.stdout) as {
      report: number;
      state_class: string;
      state: string;
    }[]);
  };
  const before = await look([]);
  assert.equal(before.find((s) => s.report === held)!.state_class, "running");
  const after = await look(["--stale-after", "0.05"]);
  assert.deepEqual(
    after.map((s) => [s.report, s.state, s.state_class]),
    [[held, "Queued", "stale"], [later, "Completed", "completed"]],
  );
  const failed = await look(["--stale-after", "0.05", "--failed"]);
  assert.deepEqual(failed.map((s) => s.report), [held]);

  // A Queued run nothing newer passed is only waiting, however old.
  sim.addPluginResult(alone!, "sampleID", "Queued");
  const waiting = await runCommand(statusMain, [
    "--report",
    String(alone),
    "--plugin",
    "sampleID",
    "--stale-after",
    "0.05",
    "--format",
    "json",
  ], { env });
  assert.equal(JSON.parse(waiting.stdout)[0].state_class, "running");

  // The guard: skipped as stale by default, relaunched with --rerun stale.
  const input = `report\n${held}\n`;
  const dir = await Deno.makeTempDir();
  const skip = await runCommand(bulkRunMain, [
    "-",
    "--plugin",
    "sampleID",
    "--stale-after",
    "0.05",
    "--journal",
    `${dir}/skip.ndjson`,
    "--format",
    "json",
  ], { env, stdin: input });
  const row = JSON.parse(skip.stdout)[0];
  assert.equal(row.outcome, "skipped");
  assert.match(row.message, new RegExp(`run ${stuck} is Queued.*stale`));
  assert.equal(launchCounts(sim).get(`${held}/sampleID`) ?? 0, 0);
  const relaunch = await runCommand(bulkRunMain, [
    "-",
    "--plugin",
    "sampleID",
    "--stale-after",
    "0.05",
    "--rerun",
    "stale",
    "--journal",
    `${dir}/relaunch.ndjson`,
  ], { env, stdin: input });
  assert.equal(relaunch.code, 0, relaunch.stderr);
  assert.equal(launchCounts(sim).get(`${held}/sampleID`), 1);
});
