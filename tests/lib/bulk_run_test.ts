import assert from "node:assert/strict";
import { bulkRun } from "../../lib/bulk_run.ts";
import type { RunRow } from "../../lib/run_rows.ts";
import { InputError } from "../../lib/errors.ts";
import { readJournal } from "../../lib/journal.ts";
import { parseRunRows } from "../../lib/run_rows.ts";
import {
  clientFor,
  freshReports,
  launchCounts,
  simulator,
} from "../_helpers.ts";

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

Deno.test("bulkRun() launches nothing when any row is invalid", async () => {
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
  // Parse problems stop everything before the first request.
  assert.equal(sim.requests.length, 0);
  assert.equal(
    error.message,
    'in.csv:3: report key "abc" is not a positive integer',
  );

  const rest = await bulkRun(client, rows, { file: "in.csv" }).catch((e) => e);
  assert.ok(rest instanceof InputError);
  assert.deepEqual(rest.message.split("\n"), [
    'in.csv:4: unknown plugin "noSuchPlugin"',
    "in.csv:5: report 999999 does not exist on the server",
  ]);
  assert.equal(sim.launches.length, 0);
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
      ["failed", ["launched", "skipped", "skipped", "launched"]],
      ["missing", ["launched", "skipped", "skipped", "skipped"]],
      ["always", ["launched", "launched", "launched", "launched"]],
    ] as const
  ) {
    await t.step(policy, async () => {
      await using sim = await simulator({ queuedMs: 60_000 });
      using client = await clientFor(sim);
      const [none, running, done, failed] = freshReports(sim, "igv", 4);
      sim.addPluginResult(running!, "igv", "Started");
      sim.addPluginResult(done!, "igv", "Completed");
      sim.addPluginResult(failed!, "igv", "Completed");
      sim.addPluginResult(failed!, "igv", "Error"); // newest one counts
      const summary = await bulkRun(
        client,
        rowsFor([none!, running!, done!, failed!], "igv"),
        { file: "in.csv", policy },
      );
      assert.deepEqual(summary.results.map((r) => r.outcome), expected);
      assert.equal(
        sim.launches.length,
        expected.filter((o) => o === "launched").length,
      );
      const skipped = summary.results.find((r) => r.outcome === "skipped");
      if (skipped) assert.match(skipped.message, /already|--rerun missing/);
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
  const reports = freshReports(sim, "igv", 12);
  const retries: string[] = [];
  const summary = await bulkRun(client, rowsFor(reports, "igv"), {
    file: "in.csv",
    concurrency: 3,
    retryDelayMs: 1,
    onEvent: (e) => e.type === "retry" && retries.push(e.error),
  });
  assert.equal(summary.counts.launched, 12);
  assertOnceEach(sim, 12);
  assert.equal(retries.length, 3);
  assert.equal(posts(sim), 13, "only the refused 503 was sent again");
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
  });
  assert.equal(summary.counts.launched, 3);
  assert.match(
    summary.results[0]!.message,
    /confirmed on the server after: .*timed out/,
  );
  assertOnceEach(sim, 3);
  assert.equal(posts(sim), 3);
});

Deno.test("bulkRun() gives up after --retries and says so", async () => {
  await using sim = await simulator();
  using client = await clientFor(sim);
  sim.addFault({ method: "POST", action: { type: "status", status: 503 } });
  const summary = await bulkRun(
    client,
    rowsFor(freshReports(sim, "igv", 1), "igv"),
    {
      file: "in.csv",
      retries: 2,
      retryDelayMs: 1,
    },
  );
  assert.equal(summary.counts.failed, 1);
  assert.match(summary.results[0]!.message, /503/);
  assert.equal(posts(sim), 3);
  assert.equal(sim.launches.length, 0);
});

Deno.test("bulkRun() stops starting launches when the server stays down, and the same command resumes", async () => {
  await using sim = await simulator();
  using client = await clientFor(sim);
  const dir = await Deno.makeTempDir();
  try {
    const journal = `${dir}/j.ndjson`;
    const rows = rowsFor(freshReports(sim, "igv", 30), "igv");
    // Three launches go through, then every POST gets 503.
    sim.addFault({
      method: "POST",
      nth: 4,
      times: 1_000,
      action: { type: "status", status: 503 },
    });
    const options = { file: "in.csv", journal, concurrency: 2, retries: 1 };
    const first = await bulkRun(client, rows, { ...options, retryDelayMs: 1 });
    assert.equal(first.interrupted, false);
    assert.equal(first.counts.launched, 3);
    // 2 workers: 5 failures in a row stop it; the other worker's row may fail too.
    assert.ok([5, 6].includes(first.counts.failed), `${first.counts.failed}`);
    assert.equal(first.counts["not-started"], 27 - first.counts.failed);
    assert.equal(posts(sim), 3 + 2 * first.counts.failed);
    const notStarted = first.results.find((r) => r.outcome === "not-started")!;
    assert.match(
      notStarted.message,
      /the last 5 launches failed on network or server errors \(.*503.*\); run the same command again/,
    );

    sim.clearFaults();
    const second = await bulkRun(client, rows, options);
    assert.equal(second.counts.launched, 27);
    assert.equal(second.counts.skipped, 3); // the guard: already running
    assert.equal(second.counts.failed, 0);
    assertOnceEach(sim, 30);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
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
  try {
    const journal = `${dir}/j.ndjson`;
    const rows = rowsFor(freshReports(sim, "igv", 30), "igv");
    const stop = new AbortController();
    const first = await bulkRun(client, rows, {
      file: "in.csv",
      journal,
      concurrency: 2,
      signal: stop.signal,
      onEvent: (e) => {
        if (e.type === "row" && e.result.outcome === "launched") {
          if (sim.launches.length >= 8) stop.abort();
        }
      },
    });
    assert.equal(first.interrupted, true);
    assert.ok(first.counts["not-started"] > 0);
    const launchedFirst = sim.launches.length;
    const records = await readJournal(journal);
    assert.equal(records.at(-1)!.type, "interrupted");
    assert.equal(
      records.filter((r) => r.type === "launched").length,
      launchedFirst,
    );

    // --force would relaunch everything; the journal still protects the
    // pairs the interrupted session launched.
    const second = await bulkRun(client, rows, {
      file: "in.csv",
      journal,
      policy: "always",
    });
    assert.equal(second.interrupted, false);
    assert.equal(second.resumed, launchedFirst);
    assert.equal(second.counts.launched, 30);
    assertOnceEach(sim, 30);
    assert.equal((await readJournal(journal)).at(-1)!.type, "end");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("bulkRun() settles an in-doubt journal entry from the server", async () => {
  await using sim = await simulator();
  using client = await clientFor(sim);
  const dir = await Deno.makeTempDir();
  try {
    const journal = `${dir}/j.ndjson`;
    const [a, b] = freshReports(sim, "igv", 2);
    // A crash right after the POST reached the server: intent, no outcome.
    const run = sim.addPluginResult(a!, "igv", "Started");
    const time = new Date().toISOString();
    await Deno.writeTextFile(
      journal,
      [
        { type: "start", time, input: "in.csv", version: "0" },
        {
          type: "intent",
          time,
          report: a,
          plugin: "igv",
          before: 0,
          attempt: 0,
        },
        {
          type: "intent",
          time,
          report: b,
          plugin: "igv",
          before: 0,
          attempt: 0,
        },
      ].map((r) => JSON.stringify(r)).join("\n") + "\n",
    );
    const summary = await bulkRun(client, rowsFor([a!, b!], "igv"), {
      file: "in.csv",
      journal,
      policy: "always",
    });
    assert.deepEqual(summary.results.map((r) => r.run)[0], run);
    assert.match(summary.results[0]!.message, /earlier, interrupted/);
    // Only b, whose launch never reached the server, is launched now.
    assert.deepEqual(sim.launches.map((l) => l.report), [b]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
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
  try {
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
      retries: 1,
      retryDelayMs: 1,
    });
    assert.equal(first.counts.failed, 1);
    assert.match(first.results[0]!.message, /outcome unknown/);
    assert.equal((await readJournal(journal)).at(-1)!.type, "interrupted");

    // Even with --force, the next run finds the run and launches nothing.
    sim.clearFaults();
    const second = await bulkRun(client, rowsFor([a!], "igv"), {
      file: "in.csv",
      journal,
      policy: "always",
    });
    assert.equal(second.results[0]!.outcome, "launched");
    assert.equal(second.results[0]!.run, sim.launches[0]!.pluginResultId);
    assert.equal(sim.launches.length, 1);
    assert.equal((await readJournal(journal)).at(-1)!.type, "end");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
