import assert from "node:assert/strict";
import { jobId } from "../../../lib/bulk/_job.ts";
import { bulkRun } from "../../../lib/bulk/bulk_run.ts";
import { createClient } from "../../../lib/http/client.ts";
import type { RunRow } from "../../../lib/run_rows.ts";
import { InputError } from "../../../lib/errors.ts";
import { readJournal } from "../../../lib/bulk/journal.ts";
import { parseRunRows } from "../../../lib/run_rows.ts";
import {
  clientFor,
  freshReports,
  launchCounts,
  simulator,
} from "../../_helpers.ts";

/** Settle windows scaled down to test size. */
const QUICK = { settleMs: 1_500, graceMs: 300 };

/** The job id bulkRun gives these rows with the default policy. */
function jobIdOf(
  rows: RunRow[],
  policy: "always" | string[] = ["failed"],
): Promise<string> {
  return jobId({
    policy,
    skipInvalid: false,
    rows: rows.map((r) => [r.report, r.plugin, r.config]),
  });
}

const rowsFor = (reports: number[], plugin: string): RunRow[] =>
  reports.map((report, i) => ({ line: i + 2, report, plugin, config: null }));

const posts = (sim: { requests: { method: string }[] }) =>
  sim.requests.filter((r) => r.method === "POST").length;

function assertOnceEach(
  sim: Parameters<typeof launchCounts>[0],
  pairs: number,
) {
  const counts = launchCounts(sim);
  assert.equal(counts.size, pairs, "every pair launched");
  for (const [pair, n] of counts) assert.equal(n, 1, `${pair} launched ${n}×`);
}

Deno.test("bulkRun() launches nothing when any row is invalid, and lists every problem in one pass", async () => {
  await using sim = await simulator();
  using client = await clientFor(sim);
  const [a, b] = freshReports(sim, "igv", 2);
  const { rows, problems } = parseRunRows(
    `report,plugin\n${a},igv\nabc,igv\n${b},noSuchPlugin\n999999,igv\n`,
    { file: "in.csv" },
  );
  const error = await bulkRun(client, rows, { file: "in.csv", problems })
    .catch((e) => e);
  assert.ok(error instanceof InputError);
  // The malformed row and those the server refuses, together, in line order:
  // the user fixes the file once.
  assert.deepEqual(error.message.split("\n"), [
    'in.csv:3: report key "abc" is not a positive integer',
    'in.csv:4: unknown plugin "noSuchPlugin"',
    "in.csv:5: report 999999 does not exist on the server",
  ]);
  assert.equal(sim.launches.length, 0);
  assert.ok(sim.requests.every((r) => r.method === "GET"));
});

Deno.test("bulkRun() --skip-invalid launches the valid rows and lists the rest", async () => {
  await using sim = await simulator();
  using client = await clientFor(sim);
  const [a] = freshReports(sim, "igv", 1);
  const { rows, problems } = parseRunRows(
    `report,plugin\n${a},igv\nabc,igv\n999999,igv\n`,
    { file: "in.csv" },
  );
  const summary = await bulkRun(client, rows, {
    file: "in.csv",
    problems,
    skipInvalid: true,
  });
  assert.deepEqual(
    summary.results.map((r) => [r.line, r.outcome]),
    [[2, "launched"], [3, "invalid"], [4, "invalid"]],
  );
  assert.equal(sim.launches.length, 1);
});

Deno.test("bulkRun() guard: skip running and completed, rerun failed, launch never-run", async (t) => {
  for (
    const [policy, expected] of [
      [["failed"], ["launched", "skipped", "skipped", "launched", "skipped"]],
      [[], ["launched", "skipped", "skipped", "skipped", "skipped"]],
      [["cancelled"], [
        "launched",
        "skipped",
        "skipped",
        "skipped",
        "launched",
      ]],
      ["always", ["launched", "launched", "launched", "launched", "launched"]],
    ] as const
  ) {
    await t.step(JSON.stringify(policy), async () => {
      await using sim = await simulator({ queuedMs: 60_000 });
      using client = await clientFor(sim);
      const [none, running, done, failed, cancelled] = freshReports(
        sim,
        "igv",
        5,
      );
      sim.addPluginResult(running!, "igv", "Started");
      sim.addPluginResult(done!, "igv", "Completed");
      sim.addPluginResult(failed!, "igv", "Completed");
      sim.addPluginResult(failed!, "igv", "Error"); // newest one counts
      sim.addPluginResult(cancelled!, "igv", "Cancelled");
      const summary = await bulkRun(
        client,
        rowsFor([none!, running!, done!, failed!, cancelled!], "igv"),
        { file: "in.csv", policy },
      );
      assert.deepEqual(summary.results.map((r) => r.outcome), expected);
      assert.equal(
        sim.launches.length,
        expected.filter((o) => o === "launched").length,
      );
      const skipped = summary.results.find((r) => r.outcome === "skipped");
      if (skipped) assert.match(skipped.message, /already|--rerun/);
    });
  }
});

Deno.test("bulkRun() launches a repeated pair once and resolves run ids", async () => {
  await using sim = await simulator();
  using client = await clientFor(sim);
  const [a, b] = freshReports(sim, "igv", 2);
  const rows = [
    ...rowsFor([a!, b!], "igv"),
    { line: 9, report: a!, plugin: "igv", config: null },
  ];
  const summary = await bulkRun(client, rows, { file: "in.csv" });
  assert.equal(sim.launches.length, 2);
  const dup = summary.results.find((r) => r.line === 9)!;
  assert.equal(dup.outcome, "skipped");
  assert.match(dup.message, /same report and plugin as line 2/);
  const ids = summary.results.map((r) => r.run);
  assert.ok(ids.every((id) => typeof id === "number"));
  assert.equal(ids[0], ids[2]);
  assert.deepEqual(
    sim.launches.map((l) => l.pluginResultId).sort(),
    [ids[0], ids[1]].sort(),
  );
});

Deno.test("bulkRun() retries 5xx and dropped connections without launching twice", async () => {
  await using sim = await simulator();
  using client = await clientFor(sim);
  // The 2nd launch is recorded, then answered 500; the 4th is refused (503)
  // before the server acts; the 6th is recorded, then the connection drops.
  // The 8th gets 429 (too many requests: not handled, safe to send again).
  sim.addFault({
    method: "POST",
    nth: 2,
    after: true,
    action: { type: "status", status: 500 },
  });
  sim.addFault({
    method: "POST",
    nth: 4,
    action: { type: "status", status: 503 },
  });
  sim.addFault({
    method: "POST",
    nth: 6,
    after: true,
    action: { type: "reset" },
  });
  sim.addFault({
    method: "POST",
    nth: 8,
    action: { type: "status", status: 429 },
  });
  const reports = freshReports(sim, "igv", 12);
  const retries: string[] = [];
  const summary = await bulkRun(client, rowsFor(reports, "igv"), {
    file: "in.csv",
    concurrency: 3,
    retryDelayMs: 1,
    ...QUICK,
    onEvent: (e) => e.type === "retry" && retries.push(e.error),
  });
  // The lost answers (500, reset) are found on the server; the 503 is in
  // doubt: never sent again by this invocation. Only the 429 is resent.
  assert.equal(summary.counts.launched, 11);
  assert.equal(summary.counts["in-doubt"], 1);
  const doubt = summary.results.find((r) => r.outcome === "in-doubt")!;
  assert.match(
    doubt.message,
    /its answer lost \(.*503.*\); no run on the server yet: run the same command after /,
  );
  assert.equal(retries.length, 1);
  assert.match(retries[0]!, /429/);
  assert.equal(posts(sim), 13);
  assertOnceEach(sim, 11);
  assert.match(
    summary.results.find((r) => r.report === sim.launches[1]!.report)!.message,
    /its answer was lost; run \d+ found on the server/,
  );
});

Deno.test("bulkRun() reconciles a launch that timed out after the server recorded it", async () => {
  await using sim = await simulator();
  using client = await clientFor(sim, { timeoutMs: 300 });
  sim.addFault({
    method: "POST",
    nth: 1,
    after: true,
    action: { type: "delay", ms: 1500 },
  });
  const reports = freshReports(sim, "igv", 3);
  const summary = await bulkRun(client, rowsFor(reports, "igv"), {
    file: "in.csv",
    concurrency: 1,
    retryDelayMs: 1,
    ...QUICK,
  });
  assert.equal(summary.counts.launched, 3);
  assert.match(
    summary.results[0]!.message,
    /answer was lost; run \d+ found on the server/,
  );
  assertOnceEach(sim, 3);
  assert.equal(posts(sim), 3);
});

Deno.test("bulkRun() gives up after --retries and says so", async () => {
  await using sim = await simulator();
  using client = await clientFor(sim);
  sim.addFault({ method: "POST", action: { type: "status", status: 429 } });
  const summary = await bulkRun(
    client,
    rowsFor(freshReports(sim, "igv", 1), "igv"),
    {
      file: "in.csv",
      retries: 2,
      retryDelayMs: 1,
      ...QUICK,
    },
  );
  assert.equal(summary.counts.failed, 1);
  assert.match(summary.results[0]!.message, /^not launched: .*429/);
  assert.equal(posts(sim), 3);
  assert.equal(sim.launches.length, 0);
});

Deno.test("bulkRun() stops starting launches when the server stays down, and the same command resumes", async () => {
  await using sim = await simulator();
  using client = await clientFor(sim);
  const dir = await Deno.makeTempDir();
  const journal = `${dir}/j.ndjson`;
  const rows = rowsFor(freshReports(sim, "igv", 30), "igv");
  // Three launches go through, then every POST gets 503.
  sim.addFault({
    method: "POST",
    nth: 4,
    times: 1_000,
    action: { type: "status", status: 503 },
  });
  const options = { file: "in.csv", journal, concurrency: 2, ...QUICK };
  const first = await bulkRun(client, rows, options);
  assert.equal(first.interrupted, false);
  assert.equal(first.counts.launched, 3, JSON.stringify(first.results));
  // 5 lost in a row stop it: a lost answer counts once its grace period
  // (300 ms) has passed with no run, so a few more went out meanwhile.
  const doubt = first.counts["in-doubt"];
  assert.ok(doubt >= 5 && doubt <= 15, `${doubt}`);
  assert.equal(first.counts["not-started"], 27 - doubt);
  assert.equal(posts(sim), 3 + doubt, "no launch was sent twice");
  const notStarted = first.results.find((r) => r.outcome === "not-started")!;
  assert.match(notStarted.message, /the server stopped answering/);
  assert.match(
    first.serverDown ?? "",
    /the last 5 launches failed or were lost/,
  );
  assert.equal(
    (await readJournal(journal)).records.at(-1)!.type,
    "interrupted",
  );

  // At once: the in-doubt pairs are still in their settle window.
  sim.clearFaults();
  const second = await bulkRun(client, rows, options);
  assert.equal(second.counts["in-doubt"], doubt);
  assert.equal(
    second.counts.launched,
    30 - doubt,
    "3 resumed, the not-started launched",
  );
  assert.equal(second.resumed, 3);
  // After the window: no run showed up, so they are launched now.
  await new Promise((r) => setTimeout(r, QUICK.settleMs));
  const third = await bulkRun(client, rows, options);
  assert.equal(third.counts.launched, 30);
  assert.equal(third.counts["in-doubt"], 0);
  assertOnceEach(sim, 30);
  assert.equal((await readJournal(journal)).records.at(-1)!.type, "end");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("bulkRun() still returns its summary when the new runs cannot be looked up", async () => {
  await using sim = await simulator();
  using client = await clientFor(sim);
  const rows = rowsFor(freshReports(sim, "igv", 3), "igv");
  // The guard's look-up works; the look-up of the new runs gets 503.
  sim.addFault({
    method: "GET",
    path: "pluginresult",
    nth: 2,
    times: 100,
    action: { type: "status", status: 503 },
  });
  const warnings: string[] = [];
  const summary = await bulkRun(client, rows, {
    file: "in.csv",
    onEvent: (e) => e.type === "warning" && warnings.push(e.message),
  });
  assert.equal(summary.counts.launched, 3);
  assert.ok(summary.results.every((r) => r.run === null));
  assert.match(summary.results[0]!.message, /run id not known/);
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]!, /cannot look up the new runs: .*503/);
  assertOnceEach(sim, 3);
});

Deno.test("bulkRun() stops on the signal, journals, and resumes without relaunching", async () => {
  await using sim = await simulator({ launchDelayMs: 20 });
  using client = await clientFor(sim);
  const dir = await Deno.makeTempDir();
  const journal = `${dir}/j.ndjson`;
  const rows = rowsFor(freshReports(sim, "igv", 30), "igv");
  const stop = new AbortController();
  const first = await bulkRun(client, rows, {
    file: "in.csv",
    journal,
    concurrency: 2,
    signal: stop.signal,
    ...QUICK,
    onEvent: (e) => {
      if (e.type === "row" && e.result.outcome === "launched") {
        if (sim.launches.length >= 8) stop.abort();
      }
    },
  });
  assert.equal(first.interrupted, true);
  assert.ok(first.counts["not-started"] > 0);
  const launchedFirst = sim.launches.length;
  const records = (await readJournal(journal)).records;
  assert.equal(records.at(-1)!.type, "interrupted");
  assert.equal(
    records.filter((r) => r.type === "launched").length,
    launchedFirst,
  );

  // The same command resumes: the pairs the interrupted invocation
  // launched are not launched again.
  const second = await bulkRun(client, rows, {
    file: "in.csv",
    journal,
    ...QUICK,
  });
  assert.equal(second.interrupted, false);
  assert.equal(second.resumed, launchedFirst);
  assert.equal(second.counts.launched, 30);
  assertOnceEach(sim, 30);
  assert.equal((await readJournal(journal)).records.at(-1)!.type, "end");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("bulkRun() settles an in-doubt journal entry from the server", async () => {
  await using sim = await simulator();
  using client = await clientFor(sim);
  const dir = await Deno.makeTempDir();
  const journal = `${dir}/j.ndjson`;
  const [a, b, c] = freshReports(sim, "igv", 3);
  const rows = rowsFor([a!, b!, c!], "igv");
  // A crash right after two POSTs went out, long ago: a's reached the
  // server, b's did not. c was never sent.
  const run = sim.addPluginResult(a!, "igv", "Started");
  const long = new Date(Date.now() - 10 * QUICK.settleMs).toISOString();
  const id = await jobIdOf(rows, "always");
  await Deno.writeTextFile(
    journal,
    [
      {
        type: "job",
        time: long,
        id,
        input: "in.csv",
        flags: {},
        version: "0",
        maxBefore: 0,
      },
      { type: "start", time: long, pid: 1, version: "0" },
      { type: "intent", time: long, report: a, plugin: "igv", before: 0 },
      { type: "intent", time: long, report: b, plugin: "igv", before: 0 },
    ].map((r) => JSON.stringify(r)).join("\n") + "\n",
  );
  const summary = await bulkRun(client, rows, {
    file: "in.csv",
    journal,
    policy: "always",
    ...QUICK,
  });
  assert.equal(summary.results[0]!.run, run);
  assert.match(
    summary.results[0]!.message,
    /earlier invocation of this job \(run \d+ found on the server\)/,
  );
  // b's launch never reached the server (its settle window passed): launched now; and c.
  assert.deepEqual(sim.launches.map((l) => l.report).sort(), [b, c].sort());
  assert.equal(summary.counts.launched, 3);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("bulkRun() dry run plans without launching", async () => {
  await using sim = await simulator();
  using client = await clientFor(sim);
  const [a, b] = freshReports(sim, "igv", 2);
  sim.addPluginResult(b!, "igv", "Completed");
  const summary = await bulkRun(client, rowsFor([a!, b!], "igv"), {
    file: "in.csv",
    dryRun: true,
  });
  assert.deepEqual(summary.results.map((r) => r.outcome), [
    "planned",
    "skipped",
  ]);
  assert.match(
    summary.results[0]!.message,
    /would launch: first run on this report/,
  );
  assert.equal(posts(sim), 0);
});

Deno.test("bulkRun() --wait reports final states; failures count as failed", async () => {
  await using sim = await simulator({ failureRate: 0.5 });
  using client = await clientFor(sim);
  const summary = await bulkRun(
    client,
    rowsFor(freshReports(sim, "igv", 10), "igv"),
    {
      file: "in.csv",
      wait: { timeoutMs: 20_000, pollMs: 50 },
    },
  );
  const states = summary.results.map((r) => r.state);
  assert.ok(
    states.every((s) => s === "Completed" || s === "Error"),
    states.join(),
  );
  const errors = summary.results.filter((r) => r.state === "Error");
  assert.ok(
    errors.length > 0 && errors.length < 10,
    "the simulator failed some",
  );
  assert.ok(
    errors.every((r) =>
      r.outcome === "failed" && /ended Error/.test(r.message)
    ),
  );
  assert.equal(summary.pendingAfterWait, 0);
});

Deno.test("bulkRun() over 2,000 rows costs at most 1.1 requests per launch", async () => {
  await using sim = await simulator({ reports: 2500 });
  using client = await clientFor(sim);
  // sampleID already ran on about 40% of the seeded reports: the guard skips
  // the completed ones and reruns the failed ones.
  const rows = rowsFor(sim.reportIds().slice(0, 2000), "sampleID");
  sim.clearLog();
  const summary = await bulkRun(client, rows, {
    file: "in.csv",
    concurrency: 8,
  });
  const launched = summary.counts.launched;
  assert.ok(
    launched > 1000 && summary.counts.skipped > 500,
    `${launched} launched`,
  );
  const perLaunch = sim.requests.length / launched;
  console.log(
    `2,000 rows: ${sim.requests.length} requests for ${launched} launches = ${
      perLaunch.toFixed(3)
    } per launch`,
  );
  assert.ok(perLaunch <= 1.1, `${perLaunch} requests per launch`);
  assertOnceEach(sim, launched);
});

Deno.test("bulkRun() keeps an unverifiable launch in doubt, and the next run settles it", async () => {
  await using sim = await simulator();
  using client = await clientFor(sim);
  const dir = await Deno.makeTempDir();
  const journal = `${dir}/j.ndjson`;
  const [a] = freshReports(sim, "igv", 1);
  // The launch is recorded, then the connection drops; every later look-up
  // of runs fails, so the launch cannot be confirmed either way.
  sim.addFault({ method: "POST", after: true, action: { type: "reset" } });
  sim.addFault({
    method: "GET",
    path: "/pluginresult/",
    nth: 2,
    times: 100,
    action: { type: "status", status: 500 },
  });
  const first = await bulkRun(client, rowsFor([a!], "igv"), {
    file: "in.csv",
    journal,
    retryDelayMs: 1,
    ...QUICK,
  });
  assert.equal(first.counts["in-doubt"], 1);
  assert.equal(first.counts.launched, 0);
  assert.equal(
    (await readJournal(journal)).records.at(-1)!.type,
    "interrupted",
  );

  // Even with --force (a new job: the old journal is set aside, its launch
  // in doubt inherited), the next run finds the run and launches nothing.
  sim.clearFaults();
  const second = await bulkRun(client, rowsFor([a!], "igv"), {
    file: "in.csv",
    journal,
    policy: "always",
    ...QUICK,
  });
  assert.equal(second.results[0]!.outcome, "launched");
  assert.equal(second.results[0]!.run, sim.launches[0]!.pluginResultId);
  assert.equal(sim.launches.length, 1);
  assert.equal((await readJournal(journal)).records.at(-1)!.type, "end");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("bulkRun() on a finished job launches nothing and says when it ended", async () => {
  await using sim = await simulator();
  using client = await clientFor(sim);
  const dir = await Deno.makeTempDir();
  const journal = `${dir}/j.ndjson`;
  const rows = rowsFor(freshReports(sim, "igv", 4), "igv");
  const first = await bulkRun(client, rows, {
    file: "in.csv",
    journal,
    ...QUICK,
  });
  assert.equal(first.counts.launched, 4);
  // The runs fail; the same command again must not relaunch them.
  for (const l of sim.launches) sim.addPluginResult(l.report, "igv", "Error");
  const again = await bulkRun(client, rows, {
    file: "in.csv",
    journal,
    ...QUICK,
  });
  assert.equal(again.finished?.counts.launched, 4);
  assert.equal(again.counts.skipped, 4);
  assert.match(again.results[0]!.message, /the job finished at /);
  assert.equal(sim.launches.length, 4);
  // A new input is a new job, never blocked by the old one; the old journal is kept.
  const more = rowsFor(freshReports(sim, "igv", 1), "igv");
  const other = await bulkRun(
    client,
    [...rows, ...more].map((r, i) => ({ ...r, line: i + 2 })),
    {
      file: "in.csv",
      journal,
      ...QUICK,
    },
  );
  assert.equal(other.finished, undefined);
  assert.equal(
    other.counts.launched,
    5,
    "4 failed runs rerun (a new job), 1 new",
  );
  const kept = (await Array.fromAsync(Deno.readDir(dir))).map((e) => e.name)
    .filter((n) => /^j\.\d{4}-.*\.ndjson$/.test(n));
  assert.equal(kept.length, 1);
  // --new-job starts this one over on purpose.
  const over = await bulkRun(
    client,
    [...rows, ...more].map((r, i) => ({ ...r, line: i + 2 })),
    {
      file: "in.csv",
      journal,
      newJob: true,
      ...QUICK,
    },
  );
  assert.equal(over.counts.skipped, 5, "the guard: their runs are running");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("bulkRun() refuses a journal another live process works on", async () => {
  await using sim = await simulator({ launchDelayMs: 50 });
  using client = await clientFor(sim);
  const dir = await Deno.makeTempDir();
  const journal = `${dir}/j.ndjson`;
  const rows = rowsFor(freshReports(sim, "igv", 20), "igv");
  const first = bulkRun(client, rows, {
    file: "in.csv",
    journal,
    concurrency: 1,
    ...QUICK,
  });
  await new Promise((r) => setTimeout(r, 200));
  // Another launcher on the same job: a second process would be refused at
  // once; in one process a second beacon stands for it.
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "eval",
      "--cached-only",
      `
      import { bulkRun } from "${
        new URL("../../../lib/bulk/bulk_run.ts", import.meta.url).href
      }";
      import { TsClient } from "${
        new URL("../../../lib/http/client.ts", import.meta.url).href
      }";
      const client = new TsClient({ url: "${sim.url}", user: "${
        sim.users[0]!.username
      }", apiKey: "${sim.users[0]!.apiKey}" });
      try {
        await bulkRun(client, ${
        JSON.stringify(rows)
      }, { file: "in.csv", journal: "${journal}" });
        console.log("launched");
      } catch (e) { console.log(e.name + ": " + e.message); }
      await client.close();`,
    ],
    stdout: "piped",
    stderr: "piped",
  });
  const out = await child.output();
  const text = new TextDecoder().decode(out.stdout);
  assert.match(
    text,
    /^JobLockedError: .*j\.ndjson is in use by pid \d+ since .*; wait for it or use another journal/,
  );
  const summary = await first;
  assert.equal(summary.counts.launched, 20);
  assertOnceEach(sim, 20);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("bulkRun() relaunches right away the failed runs of another job (the registry defers to what the guard saw)", async () => {
  await using sim = await simulator({ failureRate: 1 });
  using client = await clientFor(sim);
  const dir = await Deno.makeTempDir();
  const registry = `${dir}/registry`;
  const reports = freshReports(sim, "igv", 3);
  const rows: RunRow[] = reports.map((report, i) => ({
    line: i + 1,
    report,
    plugin: "igv",
    config: null,
  }));
  const first = await bulkRun(client, rows, {
    file: "a.csv",
    journal: `${dir}/a.journal.ndjson`,
    registry,
    wait: { timeoutMs: 30_000, pollMs: 50 },
  });
  // Launched, then (after the wait) failed.
  assert.equal(sim.launches.length, 3);
  assert.ok(first.results.every((r) => r.state === "Error"));
  // Another job (the rerun pipe's), seconds later: within the settle
  // window, but the runs it sees have failed.
  const again = await bulkRun(client, rows, {
    file: "-",
    journal: `${dir}/b.journal.ndjson`,
    registry,
  });
  assert.equal(again.counts.launched, 3, JSON.stringify(again.results));
  for (const [pair, n] of launchCounts(sim)) assert.equal(n, 2, pair);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("bulkRun() asks confirm with the estimate; declined, nothing is launched and the same command asks again", async () => {
  await using sim = await simulator();
  using client = await clientFor(sim);
  const dir = await Deno.makeTempDir();
  const reports = freshReports(sim, "igv", 3);
  const rows: RunRow[] = reports.map((report, i) => ({
    line: i + 1,
    report,
    plugin: "igv",
    config: null,
  }));
  const asked: number[] = [];
  const options = {
    file: "in.csv",
    journal: `${dir}/in.journal.ndjson`,
    confirm: (e: { runs: number }) => {
      asked.push(e.runs);
      return asked.length > 1;
    },
  };
  const no = await bulkRun(client, rows, options);
  assert.equal(no.declined, true);
  assert.equal(no.counts["not-started"], 3);
  assert.equal(sim.launches.length, 0);
  const yes = await bulkRun(client, rows, options);
  assert.deepEqual(asked, [3, 3]);
  assert.equal(yes.counts.launched, 3);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("bulkRun() counts a run Queued since this machine's launch more than --stale-after ago as stale (a queued run has no start time)", async () => {
  await using sim = await simulator({ queuedMs: 10 * 3_600_000 }); // never starts here
  const dir = await Deno.makeTempDir();
  const registry = `${dir}/registry`;
  const reports = freshReports(sim, "igv", 1);
  const rows: RunRow[] = [{
    line: 1,
    report: reports[0]!,
    plugin: "igv",
    config: null,
  }];
  using today = await clientFor(sim);
  const first = await bulkRun(today, rows, { file: "a.csv", registry });
  assert.equal(first.counts.launched, 1);
  // A day and two hours later, the run is still Queued.
  const user = sim.users[0]!;
  using later = await createClient({
    url: sim.url,
    user: user.username,
    apiKey: user.apiKey,
    now: () => Date.now() + 26 * 3_600_000,
  });
  const skipped = await bulkRun(later, rows, { file: "b.csv", registry });
  assert.equal(skipped.counts.skipped, 1);
  assert.match(
    skipped.results[0]!.message,
    /^stale: run \d+ is Queued since its launch/,
  );
  const relaunched = await bulkRun(later, rows, {
    file: "c.csv",
    registry,
    policy: ["stale"],
  });
  assert.equal(relaunched.counts.launched, 1);
  assert.equal(sim.launches.length, 2);
  // Without the launch time (another machine), a Queued run is running.
  const elsewhere = await bulkRun(later, rows, {
    file: "d.csv",
    policy: ["stale"],
  });
  assert.equal(elsewhere.counts.skipped, 1);
  assert.match(elsewhere.results[0]!.message, /already running/);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("bulkRun() against a server slower than its timeout launches every row in one invocation: runs found are launched, never 'server down'", async () => {
  // Each launch creates its run 700 ms in, after the client gave up at 300.
  await using sim = await simulator({ launchDelayMs: 700 });
  // Real sleeps: the settler's backoff is part of what is tested.
  using client = await createClient({
    url: sim.url,
    user: sim.users[0]!.username,
    apiKey: sim.users[0]!.apiKey,
    timeoutMs: 300,
  });
  const rows = rowsFor(freshReports(sim, "igv", 80), "igv");
  const summary = await bulkRun(client, rows, {
    file: "in.csv",
    concurrency: 8,
    settleMs: 20_000,
    graceMs: 1_500,
  });
  assert.equal(summary.serverDown, undefined);
  assert.equal(summary.counts.launched, 80, JSON.stringify(summary.counts));
  assert.equal(posts(sim), 80, "none sent twice");
  assertOnceEach(sim, 80);
});

Deno.test("bulkRun() never names a time already past for a pair in doubt, and the same command then launches it", async () => {
  await using sim = await simulator();
  using client = await clientFor(sim);
  // The first launch's answer is a 500 before the server did anything.
  sim.addFault({
    method: "POST",
    nth: 1,
    action: { type: "status", status: 500 },
  });
  const dir = await Deno.makeTempDir();
  const rows = rowsFor(freshReports(sim, "igv", 1), "igv");
  const options = {
    file: "in.csv",
    journal: `${dir}/j.ndjson`,
    settleMs: 400,
    graceMs: 400,
    retries: 0,
  };
  const first = await bulkRun(client, rows, options);
  assert.equal(first.counts["in-doubt"], 1, JSON.stringify(first.results));
  assert.match(
    first.results[0]!.message,
    /no run on the server yet: run the same command again now to settle it/,
  );
  const again = await bulkRun(client, rows, options);
  assert.equal(again.counts.launched, 1, JSON.stringify(again.results));
  assert.equal(posts(sim), 2);
  assertOnceEach(sim, 1);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("bulkRun() on its finished job says 'launched twice' when a lost launch created its run later than the settle window", async () => {
  await using sim = await simulator();
  using client = await clientFor(sim, { timeoutMs: 300 });
  const dir = await Deno.makeTempDir();
  const journal = `${dir}/j.ndjson`;
  // The first launch creates its run 2 s in: past the 0.6 s window.
  sim.addFault({
    method: "POST",
    nth: 1,
    action: { type: "slow-create", ms: 2_000 },
  });
  const rows = rowsFor(freshReports(sim, "igv", 2), "igv");
  const options = {
    file: "in.csv",
    journal,
    settleMs: 600,
    graceMs: 600,
    concurrency: 1,
  };
  const first = await bulkRun(client, rows, options);
  assert.equal(first.counts["in-doubt"], 1, JSON.stringify(first.results));
  // The window has passed with no run: the same command sends it again.
  const second = await bulkRun(client, rows, options);
  assert.equal(second.counts.launched, 2, JSON.stringify(second.results));
  assert.equal(second.duplicates, 0, "the late run is not there yet");
  // The late run of the first launch shows up 2 s after it was sent.
  const until = Date.now() + 10_000;
  while (sim.launches.length < 3 && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.equal(sim.launches.length, 3, "the resend and the late run");
  const again = await bulkRun(client, rows, options);
  assert.ok(again.finished);
  assert.equal(again.duplicates, 1);
  assert.match(
    again.results[0]!.message,
    /launched twice, runs \d+ and \d+: a launch whose answer was lost created its run later than the settle window/,
  );
  assert.match(again.results[1]!.message, /^the job finished at /);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("bulkRun(): two live jobs never relaunch each other's failed runs within the settle window", async () => {
  // Every run fails; AmpliconRep's lasts long enough to keep job A waiting.
  await using sim = await simulator({
    failureRate: 1,
    pluginRunMs: { igv: 50, AmpliconRep: 4_000 },
  });
  using client = await clientFor(sim);
  const dir = await Deno.makeTempDir();
  const registry = `${dir}/registry`;
  const reports = freshReports(sim, "igv", 4);
  const rows = rowsFor(reports, "igv");
  const slow = {
    line: 99,
    report: freshReports(sim, "AmpliconRep", 1)[0]!,
    plugin: "AmpliconRep",
    config: null,
  };
  const a = bulkRun(client, [...rows, slow], {
    file: "a.csv",
    journal: `${dir}/a.journal.ndjson`,
    registry,
    wait: { timeoutMs: 30_000, pollMs: 50 },
  });
  // Job B starts once A's igv runs have failed, A still waiting.
  const failed = () =>
    reports.every((report) =>
      (sim.pluginResults({ report, plugin: "igv" }) as { state: string }[])
        .some((r) => r.state === "Error")
    );
  for (let i = 0; !failed(); i++) {
    if (i > 500) throw new Error("job A's runs did not fail");
    await new Promise((r) => setTimeout(r, 20));
  }
  const b = await bulkRun(client, rows, {
    file: "b.csv",
    journal: `${dir}/b.journal.ndjson`,
    registry,
  });
  assert.equal(b.counts.skipped, 4, JSON.stringify(b.results));
  for (const r of b.results) {
    assert.match(r.message, /^launched by another job still running \(pid /);
  }
  await a;
  for (const [pair, n] of launchCounts(sim)) assert.equal(n, 1, pair);
  await Deno.remove(dir, { recursive: true });
});
