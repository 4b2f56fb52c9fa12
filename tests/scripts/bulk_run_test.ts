import assert from "node:assert/strict";
import { parse } from "csv-parse/sync";
import { readJournal } from "../../lib/bulk/journal.ts";
import type { Simulator } from "../../simulator/mod.ts";
import {
  assertNoSecrets,
  envFor,
  freshReports,
  launchCounts,
  runCommand,
  runScript,
  simulator,
  spawnScript,
} from "../_helpers.ts";
import { main as bulkRunMain } from "../../scripts/bulk_run.ts";
import { main as runMain } from "../../scripts/run.ts";
import { listReports } from "../../lib/api/reports.ts";
import { clientFor } from "../_helpers.ts";

async function tempDir(): Promise<string> {
  return await Deno.makeTempDir({ prefix: "ionrun-bulk-" });
}

Deno.test("bulk_run.ts rejects malformed CSVs with file:line and launches nothing", async (t) => {
  await using sim = await simulator();
  const [a, b] = freshReports(sim, "igv", 2);
  const cases: [string, string, string[], RegExp][] = [
    [
      "bad keys, BOM and CRLF",
      `\uFEFFreport,plugin\r\n${a},igv\r\n12x,igv\r\n-4,igv\r\n`,
      [],
      /^in\.csv:3: report key "12x" is not a positive integer\nin\.csv:4: report key "-4" is not a positive integer$/m,
    ],
    [
      "semicolons with a bad JSON config",
      `report;plugin;config\n${a};igv;"{""x"": 1}"\n${b};igv;{oops}\n`,
      [],
      /^in\.csv:3: config is not valid JSON/m,
    ],
    [
      "quoted config that is not an object",
      `report,plugin,config\n"${a}","igv","[1,2]"\n`,
      [],
      /^in\.csv:2: config must be a JSON object, got array/m,
    ],
    [
      "unknown plugin (preflight)",
      `report,plugin\n${a},igv\n${b},IGV\n`,
      [],
      /^in\.csv:3: unknown plugin "IGV" \(did you mean "igv"\?/m,
    ],
    ["unknown report (preflight)", `report\n${a}\n999999\n`, [
      "--plugin",
      "igv",
    ], /^in\.csv:3: report 999999 does not exist on the server$/m],
    [
      "missing key column",
      `sample,plugin\nx,igv\n`,
      [],
      /^in\.csv:1: no report-key column/m,
    ],
    [
      "no plugin at all",
      `report\n${a}\n`,
      [],
      /^in\.csv:2: no plugin: add a plugin column or pass --plugin NAME$/m,
    ],
    ["unclosed quote", `report,plugin\n${a},"igv\n`, [], /^in\.csv:2: /m],
  ];
  for (const [name, text, args, expected] of cases) {
    await t.step(name, async () => {
      const cwd = await tempDir();
      await Deno.writeTextFile(`${cwd}/in.csv`, text);
      const r = await runScript("bulk_run.ts", ["in.csv", ...args], {
        env: envFor(sim),
        cwd,
      });
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, expected);
      assert.equal(r.stdout, "");
      assert.ok(!/\n\s+at /.test(r.stderr), "no stack trace");
      assert.equal(sim.launches.length, 0);
      await Deno.remove(cwd, { recursive: true });
    });
  }
});

Deno.test("bulk_run.ts launches from stdin, prints rows and writes a summary", async () => {
  await using sim = await simulator();
  const reports = freshReports(sim, "igv", 5);
  const cwd = await tempDir();
  const input = `report_key ; plugin\n${
    reports.map((r) => ` ${r} ; igv`).join("\n")
  }\n\n`;
  const r = await runScript(
    "bulk_run.ts",
    ["-", "--summary", "out.json", "--format", "csv"],
    { env: envFor(sim), cwd, stdin: input },
  );
  assert.equal(r.code, 0, r.stderr);
  const rows = parse(r.stdout, { columns: true }) as Record<string, string>[];
  assert.deepEqual(rows.map((x) => x.outcome), Array(5).fill("launched"));
  assert.ok(rows.every((x) => /^\d+$/.test(x.plugin_result_id!)));
  // Kept-alive connections were reused.
  const posts = sim.requests.filter((x) => x.method === "POST");
  assert.equal(posts.length, 5);
  const used = new Set(sim.requests.map((x) => x.connection)).size;
  assert.ok(used < sim.requests.length, `${used} connections`);
  assert.match(r.stderr, /── summary ─+\n5 row\(s\): 5 launched/);
  assert.match(r.stderr, /^line 2: report \d+ igv: launched/m); // plain lines, no bar
  assert.ok(
    !r.stderr.includes("\r"),
    "no progress bar when stderr is not a terminal",
  );
  const summary = JSON.parse(await Deno.readTextFile(`${cwd}/out.json`));
  assert.deepEqual(summary.map((s: { report: number }) => s.report), reports);
  assert.ok((await Deno.stat(`${cwd}/bulk_run-stdin.journal.ndjson`)).isFile);
  assertNoSecrets(
    sim,
    r.stdout,
    r.stderr,
    await Deno.readTextFile(`${cwd}/bulk_run-stdin.journal.ndjson`),
  );
  await Deno.remove(cwd, { recursive: true });
});

Deno.test("bulk_run.ts --dry-run prints the plan and launches nothing", async () => {
  await using sim = await simulator();
  const [a, b] = freshReports(sim, "igv", 2);
  sim.addPluginResult(b!, "igv", "Started");
  const cwd = await tempDir();
  await Deno.writeTextFile(`${cwd}/in.csv`, `${a}\n${b}\n`);
  const r = await runScript(
    "bulk_run.ts",
    ["in.csv", "--plugin", "igv", "--dry-run", "--format", "json"],
    { env: envFor(sim), cwd },
  );
  assert.equal(r.code, 0, r.stderr);
  const rows = JSON.parse(r.stdout);
  assert.deepEqual(rows.map((x: { outcome: string }) => x.outcome), [
    "planned",
    "skipped",
  ]);
  assert.match(rows[1].message, /already running/);
  assert.equal(sim.requests.filter((q) => q.method === "POST").length, 0);
  await Deno.remove(cwd, { recursive: true });
});

async function waitFor(check: () => boolean, ms = 20_000) {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function killAndResume(sim: Simulator, killAfter: number[]) {
  const reports = freshReports(sim, "sampleID", 40);
  const cwd = await tempDir();
  await Deno.writeTextFile(
    `${cwd}/in.csv`,
    `report,plugin\n${reports.map((r) => `${r},sampleID`).join("\n")}\n`,
  );
  // A settle window scaled down to the test, and one registry for all, as
  // for a user.
  const args = [
    "in.csv",
    "--concurrency",
    "3",
    "--force",
    "--settle",
    "2s",
    "--yes", // a long job off a terminal asks for --yes
  ];
  const env = { ...envFor(sim), XDG_CACHE_HOME: `${cwd}/cache` };
  for (const n of killAfter) {
    const child = spawnScript("bulk_run.ts", args, { env, cwd });
    await waitFor(() => sim.launches.length >= n);
    child.kill("SIGKILL");
    const status = await child.status;
    await child.stdout.cancel();
    await child.stderr.cancel();
    assert.equal(status.signal, "SIGKILL");
  }
  // Launches cut off by a kill may still land: after the settle window, the
  // same command launches those that did not.
  await new Promise((resolve) => setTimeout(resolve, 2_100));
  const r = await runScript("bulk_run.ts", args, { env, cwd });
  await Deno.remove(cwd, { recursive: true });
  return { r, reports };
}

Deno.test("bulk_run.ts after kill -9 at several points launches every pair exactly once", async () => {
  // Each launch takes 40 ms on the server, so kills land mid-request too.
  await using sim = await simulator({ launchDelayMs: 40 });
  const { r, reports } = await killAndResume(sim, [3, 11, 25]);
  assert.equal(r.code, 0, r.stderr);
  const counts = launchCounts(sim);
  assert.equal(counts.size, reports.length);
  for (const [pair, n] of counts) assert.equal(n, 1, `${pair} launched ${n}×`);
  assert.match(
    r.stderr,
    /\d+ pair\(s\) launched by an earlier invocation of this job/,
  );
});

Deno.test("bulk_run.ts on Ctrl-C finishes in-flight launches, keeps the journal, exits 130", async () => {
  await using sim = await simulator({ launchDelayMs: 50 });
  const reports = freshReports(sim, "sampleID", 40);
  const cwd = await tempDir();
  await Deno.writeTextFile(
    `${cwd}/in.csv`,
    reports.map(String).join("\n") + "\n",
  );
  const args = [
    "in.csv",
    "--plugin",
    "sampleID",
    "--concurrency",
    "2",
    "--yes",
  ];
  const child = spawnScript("bulk_run.ts", args, { env: envFor(sim), cwd });
  await waitFor(() => sim.launches.length >= 5);
  child.kill("SIGINT");
  const out = await child.output();
  const stderr = new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 130, stderr);
  assert.match(stderr, /Interrupted: settling the launches in flight/);
  assert.match(stderr, /run the same command again to resume/);
  const journal = (await readJournal(`${cwd}/in.csv.journal.ndjson`)).records;
  assert.equal(journal.at(-1)!.type, "interrupted");
  const launched = journal.filter((j) => j.type === "launched").length;
  assert.equal(launched, sim.launches.length, "every launch is in the journal");
  assert.ok(launched < reports.length);

  const again = await runScript("bulk_run.ts", args, { env: envFor(sim), cwd });
  assert.equal(again.code, 0, again.stderr);
  const counts = launchCounts(sim);
  assert.equal(counts.size, reports.length);
  for (const n of counts.values()) assert.equal(n, 1);
  await Deno.remove(cwd, { recursive: true });
});

Deno.test("bulk_run.ts --wait exits 1 when a run fails and says which", async () => {
  await using sim = await simulator({ failureRate: 1 });
  const [a] = freshReports(sim, "igv", 1);
  const r = await runScript(
    "bulk_run.ts",
    ["-", "--plugin", "igv", "--wait", "--poll", "0.05", "--format", "csv"],
    { env: envFor(sim), stdin: `${a}\n` },
  );
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stdout, /failed,\d+,Error,run \d+ ended Error/);
});

Deno.test("bulk_run.ts --help documents exit codes and the guard", async () => {
  const r = await runCommand(bulkRunMain, ["--help"]);
  assert.equal(r.code, 0);
  for (
    const word of [
      "--rerun",
      "--force",
      "--concurrency",
      "--journal",
      "--summary",
      "--dry-run",
      "130",
      "file:line",
    ]
  ) {
    assert.ok(r.stdout.includes(word), word);
  }
});

Deno.test("bulk_run.ts --help matches the stored help (deno test -u updates it)", async (t) => {
  for (const args of [["--help"]]) {
    const r = await runCommand(bulkRunMain, args);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, "");
    await t.assertSnapshot(r.stdout, { name: `bulk_run.ts ${args.join(" ")}` });
  }
});

/** Report names of the simulator, with how many reports share each. */
async function namesOf(sim: Simulator): Promise<Map<number, string>> {
  using client = await clientFor(sim);
  const names = new Map<number, string>();
  for await (const r of listReports(client)) names.set(r.id, r.resultsName);
  return names;
}

Deno.test("bulk_run.ts and run.ts take report names: looked up exactly, launched once; an unknown or shared name launches nothing (exit 2, file:line)", async () => {
  await using sim = await simulator({ reports: 300 });
  const names = await namesOf(sim);
  const count = new Map<string, number>();
  for (const n of names.values()) count.set(n, (count.get(n) ?? 0) + 1);
  const unique = freshReports(sim, "igv", 40).filter((id) =>
    count.get(names.get(id)!) === 1
  ).slice(0, 5);
  assert.equal(unique.length, 5);
  const shared = [...count].find(([, n]) => n > 1)![0];
  const cwd = await tempDir();
  const env = envFor(sim);

  // A CSV of names, one of them shared, one unknown: nothing launched.
  await Deno.writeTextFile(
    `${cwd}/bad.csv`,
    `report_name\n${names.get(unique[0]!)}\n${shared}\nAuto_user_nobody_1\n`,
  );
  const bad = await runCommand(bulkRunMain, [
    `${cwd}/bad.csv`,
    "--plugin",
    "igv",
  ], { env });
  assert.equal(bad.code, 2, bad.stderr);
  assert.match(
    bad.stderr,
    new RegExp(
      `bad\\.csv:3: report name "${shared}" is shared by \\d+ reports: \\d+ \\(`,
    ),
  );
  assert.match(
    bad.stderr,
    /bad\.csv:4: no report named "Auto_user_nobody_1" on this server/,
  );
  assert.equal(sim.launches.length, 0);

  // A bare list of names: each launched once on its own report.
  const list = unique.slice(0, 4).map((id) => names.get(id)!);
  await Deno.writeTextFile(`${cwd}/names.csv`, list.join("\n") + "\n");
  const ok = await runCommand(bulkRunMain, [
    `${cwd}/names.csv`,
    "--plugin",
    "igv",
    "--format",
    "csv",
  ], { env });
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stderr, /report names in .*names\.csv: 4 looked up, 4 found/);
  const rows = parse(ok.stdout, { columns: true }) as Record<string, string>[];
  assert.deepEqual(rows.map((r) => Number(r.report)), unique.slice(0, 4));
  assert.deepEqual(
    [...launchCounts(sim)].sort(),
    unique.slice(0, 4).map((id) => [`${id}/igv`, 1]).sort(),
  );

  // run.ts takes a name as it takes a key.
  const one = await runCommand(runMain, ["igv", names.get(unique[4]!)!], {
    env,
  });
  assert.equal(one.code, 0, one.stderr);
  assert.equal(launchCounts(sim).get(`${unique[4]}/igv`), 1);
  const refused = await runCommand(runMain, ["igv", shared], { env });
  assert.equal(refused.code, 2, refused.stderr);
  assert.match(refused.stderr, /arguments:1: report name .* is shared by/);
  assert.equal(sim.launches.length, 5);
  await Deno.remove(cwd, { recursive: true });
});
