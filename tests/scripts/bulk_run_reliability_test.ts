// The exactly-once scenarios a lab meets, run as a user runs the scripts and
// counted in the simulator's own launch log: two launchers at once, a slow server, broken answers, signals, a damaged
// journal, unwritable paths.
// (The stress harness, `deno task stress`, runs them at scale.)

import assert from "node:assert/strict";
import {
  envFor,
  freshReports,
  runCommand,
  runScript,
  simulator,
  spawnScript,
} from "../_helpers.ts";
import { main as listMain } from "../../scripts/list.ts";
import { assertOnceEach, job, wait } from "./_bulk_run_jobs.ts";

Deno.test("two bulk_run.ts on the same CSV: the second is refused at once", async () => {
  await using sim = await simulator({ launchDelayMs: 30 });
  const reports = freshReports(sim, "igv", 30);
  const cwd = await job(reports, "igv");
  const env = { ...envFor(sim), XDG_CACHE_HOME: `${cwd}/cache` };
  const first = spawnScript("bulk_run.ts", ["in.csv", "--concurrency", "2"], {
    env,
    cwd,
  });
  while (sim.launches.length < 3) await wait(10);
  const second = await runScript("bulk_run.ts", ["in.csv"], { env, cwd });
  assert.equal(second.code, 1, second.stderr);
  assert.match(
    second.stderr,
    /in\.csv\.journal\.ndjson is in use by pid \d+ since \S+ \(locked \S+\); wait for it or use another journal \(--journal PATH\)/,
  );
  const out = await first.output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  assertOnceEach(sim, 30);
  await Deno.remove(cwd, { recursive: true });
});

Deno.test("overlapping CSVs and run.ts at once: every shared pair launched once", async () => {
  await using sim = await simulator({ launchDelayMs: 30 });
  const reports = freshReports(sim, "igv", 30);
  const cwd = await job(reports.slice(0, 20), "igv", "a.csv");
  await Deno.writeTextFile(
    `${cwd}/b.csv`,
    `report,plugin\n${reports.slice(10).map((r) => `${r},igv`).join("\n")}\n`,
  );
  const env = { ...envFor(sim), XDG_CACHE_HOME: `${cwd}/cache` };
  const a = spawnScript("bulk_run.ts", ["a.csv", "--concurrency", "2"], {
    env,
    cwd,
  });
  const b = spawnScript("bulk_run.ts", ["b.csv", "--concurrency", "2"], {
    env,
    cwd,
  });
  const c = spawnScript(
    "run.ts",
    ["igv", ...reports.slice(12, 16).map(String)],
    { env, cwd },
  );
  const outs = await Promise.all([a.output(), b.output(), c.output()]);
  const stderr = outs.map((o) => new TextDecoder().decode(o.stderr)).join("\n");
  assert.deepEqual(outs.map((o) => o.code), [0, 0, 0], stderr);
  assertOnceEach(sim, 30);
  // The overlap was seen as another job's work, not launched again: while
  // it was being launched, queued or running, or (on a fast machine) after
  // the other job's run had already completed.
  assert.match(
    stderr,
    /being launched by pid \d+|launched by another job|already running|already completed/,
  );
  await Deno.remove(cwd, { recursive: true });
});

Deno.test("a server slower than the client's timeout: in doubt, never sent twice", async () => {
  await using sim = await simulator();
  const reports = freshReports(sim, "igv", 3);
  const cwd = await job(reports, "igv");
  // The 2nd launch creates its run 2.5 s after the client gave up at 1 s.
  sim.addFault({
    method: "POST",
    nth: 2,
    action: { type: "slow-create", ms: 2_500 },
  });
  const args = [
    "in.csv",
    "--request-timeout",
    "1",
    "--settle",
    "4s",
    "--concurrency",
    "1",
  ];
  const env = { ...envFor(sim), XDG_CACHE_HOME: `${cwd}/cache` };
  const first = await runScript("bulk_run.ts", args, { env, cwd });
  // Looked for during the grace period (up to the 4 s window): found.
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stderr, /3 launched/);
  assertOnceEach(sim, 3);
  const again = await runScript("bulk_run.ts", args, { env, cwd });
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stderr, /this job finished at /);
  assertOnceEach(sim, 3);
  await Deno.remove(cwd, { recursive: true });
});

Deno.test("a launch answered with an HTML page or cut-off JSON is settled from the server", async () => {
  await using sim = await simulator();
  const reports = freshReports(sim, "igv", 4);
  const cwd = await job(reports, "igv");
  sim.addFault({
    method: "POST",
    nth: 1,
    after: true,
    action: { type: "html", status: 200 },
  });
  sim.addFault({
    method: "POST",
    nth: 2,
    after: true,
    action: { type: "truncate" },
  });
  // ... and the look-ups meet a 500 now and then: reads are retried.
  sim.addFault({
    method: "GET",
    rate: 0.3,
    action: { type: "status", status: 500 },
  });
  const r = await runScript("bulk_run.ts", ["in.csv", "--format", "csv"], {
    env: { ...envFor(sim), XDG_CACHE_HOME: `${cwd}/cache` },
    cwd,
  });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /answer was lost; run \d+ found on the server/);
  assertOnceEach(sim, 4);
  await Deno.remove(cwd, { recursive: true });
});

Deno.test("SIGTERM and SIGHUP stop like Ctrl-C: settled, journaled, summary written, exit 130", async () => {
  // Each signal on a simulator and folder of its own, both at once.
  const signals = ["SIGTERM", "SIGHUP"] as const;
  await Promise.all(signals.map(async (signal) => {
    await using sim = await simulator({ launchDelayMs: 40 });
    const reports = freshReports(sim, "igv", 40);
    const cwd = await job(reports, "igv");
    const env = { ...envFor(sim), XDG_CACHE_HOME: `${cwd}/cache` };
    const args = ["in.csv", "--concurrency", "2", "--summary", "out.csv"];
    const child = spawnScript("bulk_run.ts", args, { env, cwd });
    while (sim.launches.length < 4) await wait(10);
    child.kill(signal);
    const out = await child.output();
    const stderr = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 130, stderr);
    assert.match(
      stderr,
      new RegExp(`Stopped by ${signal}: settling the launches in flight`),
    );
    const summary = await Deno.readTextFile(`${cwd}/out.csv`);
    assert.equal(
      summary.trim().split("\n").length,
      41,
      "one row per input row",
    );
    const again = await runScript("bulk_run.ts", args, { env, cwd });
    assert.equal(again.code, 0, again.stderr);
    assertOnceEach(sim, 40);
    await Deno.remove(cwd, { recursive: true });
  }));
});

Deno.test("an unwritable --summary or journal is found before anything is launched", async () => {
  await using sim = await simulator();
  const reports = freshReports(sim, "igv", 2);
  const cwd = await job(reports, "igv");
  const env = { ...envFor(sim), XDG_CACHE_HOME: `${cwd}/cache` };
  const summary = await runScript("bulk_run.ts", [
    "in.csv",
    "--summary",
    "no/such/dir/out.csv",
  ], { env, cwd });
  assert.equal(summary.code, 2, summary.stderr);
  assert.match(
    summary.stderr,
    /--summary no\/such\/dir\/out\.csv: cannot write it: its folder does not exist/,
  );
  const journal = await runScript("bulk_run.ts", [
    "in.csv",
    "--journal",
    "no/such/dir/j.ndjson",
  ], { env, cwd });
  assert.equal(journal.code, 2, journal.stderr);
  assert.match(
    journal.stderr,
    /--journal no\/such\/dir\/j\.ndjson: cannot write it: its folder does not exist/,
  );
  assert.equal(sim.launches.length, 0);
  await Deno.remove(cwd, { recursive: true });
});

Deno.test("a torn or garbage journal line is repaired and the job goes on", async () => {
  await using sim = await simulator();
  const reports = freshReports(sim, "igv", 6);
  const cwd = await job(reports, "igv");
  const env = { ...envFor(sim), XDG_CACHE_HOME: `${cwd}/cache` };
  const args = ["in.csv", "--settle", "1s"];
  const journal = `${cwd}/in.csv.journal.ndjson`;
  const first = await runScript("bulk_run.ts", args, { env, cwd });
  assert.equal(first.code, 0, first.stderr);
  const lines = (await Deno.readTextFile(journal)).trimEnd().split("\n");
  // Drop the end record, put garbage in the middle, tear the last line.
  const body = lines.slice(0, -1);
  body.splice(3, 0, "%%% not json %%%");
  await Deno.writeTextFile(journal, body.join("\n") + '\n{"type":"resolv');
  await wait(1_100); // past the settle window of anything in doubt
  const r = await runScript("bulk_run.ts", args, { env, cwd });
  assert.equal(r.code, 0, r.stderr);
  assert.match(
    r.stderr,
    /in\.csv\.journal\.ndjson:\d+: cut off a torn last record/,
  );
  assert.match(
    r.stderr,
    /in\.csv\.journal\.ndjson:4: unreadable record; every pair without a settled outcome is checked on the server first/,
  );
  assertOnceEach(sim, 6);
  await Deno.remove(cwd, { recursive: true });
});

Deno.test("a list whose meta.next never ends stops with a clear error", async () => {
  await using sim = await simulator();
  sim.addFault({
    method: "GET",
    path: "/results/",
    action: { type: "next", mode: "repeat" },
  });
  const r = await runCommand(listMain, ["reports"], { env: envFor(sim) });
  assert.equal(r.code, 1, r.stderr);
  assert.match(
    r.stderr,
    /the server's list does not end: meta\.next repeats a page already read/,
  );
  assert.ok(!/\n\s+at /.test(r.stderr), "no stack trace");
});
