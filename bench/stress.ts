/**
 * The exactly-once stress harness (`deno task stress`): runs `bulk_run.ts`
 * and `run.ts` as a user does, against the simulator on loopback, through
 * the faults, crashes and races a lab meets, and counts launches per pair in
 * the server's own records. Writes `RELIABILITY.md`: one row per scenario
 * with duplicates, lost pairs, invocations needed and requests per launched
 * row. Timeouts and windows are scaled down (request timeout 1 s, settle
 * window 3 s) so that it fits in a few minutes on 2 cores; every loop is
 * bounded.
 *
 * @module
 */

import { startSimulator } from "../simulator/mod.ts";
import type { Fault } from "../simulator/mod.ts";
import { type Ran, REPO, runScript, spawnScript } from "./_scripts.ts";
import { seams } from "./_stress_seams.ts";
import { downloads } from "./_stress_downloads.ts";
import { production } from "./_stress_production.ts";
import {
  kill9,
  newJob,
  record,
  runsPerPair,
  SCALED,
  sleep,
  table,
  untilDone,
  waitUntil,
  writeCsv,
  writeReliability,
} from "./_stress_kit.ts";

// --- 0. No faults: the cost of exactly-once. ---
{
  await using sim = await startSimulator({ reports: 2500 });
  const job = await newJob(sim, "alignmentQC", 2000);
  sim.clearLog();
  const r = await runScript("bulk_run.ts", [
    "in.csv",
    "--concurrency",
    "8",
    ...SCALED,
  ], job);
  record("no faults, 2,000 rows, --concurrency 8", sim, {
    reports: job.reports,
    plugin: "alignmentQC",
  }, {
    invocations: `${r.code === 0 ? 1 : "failed"}`,
    note: "the baseline: every launch plus the batched look-ups",
  });
}

// --- 1. The fault matrix, on launches and on look-ups. ---
{
  await using sim = await startSimulator({ reports: 2500 });
  const job = await newJob(sim, "smallRNA", 2000);
  const faults = (method: string): Fault[] => [
    { method, rate: 0.05, action: { type: "status", status: 500 } },
    {
      method,
      rate: 0.05,
      after: true,
      action: { type: "status", status: 500 },
    },
    { method, rate: 0.05, after: true, action: { type: "reset" } },
    { method, rate: 0.05, after: true, action: { type: "delay", ms: 1_400 } },
    ...(method === "POST"
      ? [
        {
          method,
          rate: 0.05,
          action: { type: "slow-create", ms: 1_800 },
        } as Fault,
      ]
      : []),
    { method, rate: 0.02, after: true, action: { type: "html", status: 200 } },
  ];
  for (const f of [...faults("POST"), ...faults("GET")]) sim.addFault(f);
  sim.clearLog();
  const { invocations } = await untilDone("bulk_run.ts", [
    "in.csv",
    "--concurrency",
    "8",
    ...SCALED,
  ], job);
  record(
    "fault matrix: 10% 500s, 5% resets, 5% answers past the timeout, 5% runs created after it, 2% HTML; launches and look-ups",
    sim,
    { reports: job.reports, plugin: "smallRNA" },
    {
      invocations: `${invocations}`,
      note:
        "pairs in doubt (answer lost, no run yet) wait for the next invocation after the settle window",
    },
  );
}

// --- 2. kill -9 at 20 moments, each followed by the same command at once. ---
{
  let duplicates = 0;
  let lost = 0;
  let most = 0;
  let requests = 0;
  let launchedPairs = 0;
  const moments = [
    -1,
    ...Array.from({ length: 18 }, (_, i) => 1 + i * 55),
    1000,
  ];
  for (const moment of moments) {
    await using sim = await startSimulator({ reports: 1400, launchDelayMs: 5 });
    const job = await newJob(sim, "AmpliconRep", 1000);
    const args = ["in.csv", "--concurrency", "8", ...SCALED];
    const child = spawnScript("bulk_run.ts", args, { ...job, quiet: true });
    if (moment < 0) await waitUntil(() => sim.requests.length >= 1); // preflight
    else if (moment >= 1000) {
      await waitUntil(() => sim.launches.length >= 1000); // the summary
    } else await waitUntil(() => sim.launches.length >= moment);
    await kill9(child);
    const { invocations } = await untilDone("bulk_run.ts", args, job);
    const counts = runsPerPair(sim, job.reports, "AmpliconRep");
    duplicates += [...counts.values()].filter((n) => n > 1).length;
    lost += [...counts.values()].filter((n) => n === 0).length;
    launchedPairs += [...counts.values()].filter((n) => n > 0).length;
    requests += sim.requests.length;
    most = Math.max(most, invocations + 1);
  }
  table.push({
    scenario:
      "kill -9 at 20 moments of a 1,000-row run (preflight, every ~55 launches, the summary), then the same command at once",
    rows: 1000 * moments.length,
    duplicates,
    lost,
    invocations: `2 to ${most} (the killed one counts)`,
    requestsPerLaunched: Number((requests / launchedPairs).toFixed(3)),
    note:
      "launches cut off by the kill are in doubt: settled from the server, or launched once the settle window passed",
  });
  console.error(`kill -9: ${duplicates} duplicates, ${lost} lost`);
}

// --- 3. Two and three launchers at once. ---
{
  await using sim = await startSimulator({ reports: 1400, launchDelayMs: 10 });
  const job = await newJob(sim, "AmpliconRep", 1000);
  const args = ["in.csv", "--concurrency", "4", ...SCALED];
  const a = spawnScript("bulk_run.ts", args, job).output();
  await waitUntil(() => sim.launches.length >= 20);
  const b = await runScript("bulk_run.ts", args, job);
  const outA = await a;
  const refused = /is in use by pid \d+/.test(b.stderr) && b.code === 1;
  record("two bulk_run.ts on the same CSV at once", sim, {
    reports: job.reports,
    plugin: "AmpliconRep",
  }, {
    invocations: `1 (${
      outA.code === 0 ? "the first completes" : "the first failed"
    }; the second refused at once: ${refused})`,
    note: "one process per journal",
  });
}
{
  await using sim = await startSimulator({ reports: 1400, launchDelayMs: 10 });
  const job = await newJob(sim, "AmpliconRep", 1000);
  await writeCsv(`${job.cwd}/a.csv`, job.reports.slice(0, 700), "AmpliconRep");
  await writeCsv(`${job.cwd}/b.csv`, job.reports.slice(300), "AmpliconRep");
  const scaled = ["--concurrency", "4", ...SCALED];
  const runs = [
    spawnScript("bulk_run.ts", ["a.csv", ...scaled], job),
    spawnScript("bulk_run.ts", ["b.csv", ...scaled], job),
    spawnScript("run.ts", [
      "AmpliconRep",
      ...job.reports.slice(400, 440).map(String),
      "--request-timeout",
      "1",
      "--settle",
      "3s",
    ], job),
  ];
  const codes = (await Promise.all(runs.map((r) => r.output()))).map((o) =>
    o.code
  );
  record(
    "three launchers at once: overlapping CSVs (700 + 700 rows, 400 shared) and run.ts on 40 shared reports",
    sim,
    { reports: job.reports, plugin: "AmpliconRep" },
    {
      invocations: `1 each (exit codes ${codes.join(", ")})`,
      note:
        "a pair another live job is launching, or launched within the settle window, is skipped",
    },
  );
}

// --- 4. The server paused past the request timeout, and restarted mid-run. ---
{
  await using sim = await startSimulator({ reports: 1400, launchDelayMs: 5 });
  const job = await newJob(sim, "AmpliconRep", 1000);
  const args = ["in.csv", "--concurrency", "8", ...SCALED];
  const output = spawnScript("bulk_run.ts", args, job).output();
  await waitUntil(() => sim.launches.length >= 300);
  sim.pause();
  await sleep(3_000); // three request timeouts
  sim.resume();
  const out = await output;
  const first: Ran = {
    code: out.code,
    stdout: new TextDecoder().decode(out.stdout),
    stderr: new TextDecoder().decode(out.stderr),
    seconds: 0,
  };
  const { invocations } = await untilDone("bulk_run.ts", args, job, first);
  record(
    "server paused 3 s (past the 1 s request timeout) mid-run; the held requests complete later",
    sim,
    { reports: job.reports, plugin: "AmpliconRep" },
    {
      invocations: `${invocations}`,
      note: "launches sent while paused are in doubt until their runs show up",
    },
  );
}
{
  const dir = await Deno.makeTempDir({ prefix: "ionrun-stress-state-" });
  const stateFile = `${dir}/state.json`;
  let sim = await startSimulator({
    reports: 1400,
    launchDelayMs: 5,
    stateFile,
  });
  const port = sim.port;
  const job = await newJob(sim, "AmpliconRep", 1000);
  const args = ["in.csv", "--concurrency", "8", ...SCALED];
  const output = spawnScript("bulk_run.ts", args, job).output();
  await waitUntil(() => sim.launches.length >= 300);
  await sim.close();
  await sleep(1_500);
  sim = await startSimulator({
    reports: 1400,
    launchDelayMs: 5,
    stateFile,
    port,
  });
  const out = await output;
  const first: Ran = {
    code: out.code,
    stdout: "",
    stderr: new TextDecoder().decode(out.stderr),
    seconds: 0,
  };
  const { invocations } = await untilDone("bulk_run.ts", args, job, first);
  record("server stopped and restarted (state kept in a file) mid-run", sim, {
    reports: job.reports,
    plugin: "AmpliconRep",
  }, {
    invocations: `${invocations}`,
    note:
      "refused connections are retried; dropped ones are in doubt and settled",
    requests: NaN,
  });
  await sim.close();
  await Deno.remove(dir, { recursive: true });
}

// --- 5. Bad answers. ---
{
  await using sim = await startSimulator({ reports: 1400 });
  const job = await newJob(sim, "AmpliconRep", 1000);
  for (const method of ["GET", "POST"]) {
    sim.addFault({
      method,
      rate: 0.05,
      after: true,
      action: { type: "html", status: 200 },
    });
    sim.addFault({
      method,
      rate: 0.05,
      after: true,
      action: { type: "truncate" },
    });
  }
  const { invocations } = await untilDone("bulk_run.ts", [
    "in.csv",
    "--concurrency",
    "8",
    ...SCALED,
  ], job);
  record(
    "HTML 200 and cut-off JSON answers, 5% each, on look-ups and launches",
    sim,
    { reports: job.reports, plugin: "AmpliconRep" },
    {
      invocations: `${invocations}`,
      note:
        "a broken answer to a read is retried; to a launch, it is in doubt and found on the server",
    },
  );
}
for (
  const [scenario, fault] of [
    ["a 301 answer to a launch (a redirect turning the POST into a GET)", {
      method: "POST",
      nth: 200,
      action: { type: "status", status: 301 },
    }],
    ["401 mid-run (the key revoked, then restored)", {
      method: "POST",
      nth: 200,
      times: 50,
      action: { type: "status", status: 401 },
    }],
    ["an endless meta.next on the preflight's report look-up", {
      method: "GET",
      path: "/results/",
      times: 3,
      action: { type: "next", mode: "repeat" },
    }],
  ] as [string, Fault][]
) {
  await using sim = await startSimulator({ reports: 1400 });
  const job = await newJob(sim, "AmpliconRep", 1000);
  sim.addFault(fault);
  const args = ["in.csv", "--concurrency", "8", ...SCALED];
  const first = await runScript("bulk_run.ts", args, job);
  sim.clearFaults(); // the operator fixes it
  const { invocations } = await untilDone(
    "bulk_run.ts",
    args,
    job,
    first.code === 0 ? first : await runScript("bulk_run.ts", args, job),
  );
  record(scenario, sim, { reports: job.reports, plugin: "AmpliconRep" }, {
    invocations: `${invocations + 1} (the first stops with exit ${first.code})`,
    note: "the first invocation stops launching at once; the next resumes",
  });
}

// --- 6. The journal's own faults. ---
{
  // Disk full: the journal on a 24 KiB tmpfs in a private mount namespace.
  await using sim = await startSimulator({ reports: 1400 });
  const job = await newJob(sim, "AmpliconRep", 1000);
  const mount = `${job.cwd}/small`;
  await Deno.mkdir(mount);
  const flags = [
    "--allow-net",
    "--allow-read",
    "--allow-write",
    "--allow-sys=hostname",
    "--allow-env",
    "--no-prompt",
    "--cached-only",
  ].join(" ");
  const command = (size: string) =>
    `mount -t tmpfs -o size=${size} tmpfs ${mount} 2>/dev/null || mount -o remount,size=${size} ${mount}; ` +
    `"${Deno.execPath()}" run ${flags} ${REPO}scripts/bulk_run.ts in.csv --journal ${mount}/j.ndjson --concurrency 8 ${
      SCALED.join(" ")
    }`;
  const sh =
    `set -u; ${command("24k")} >/dev/null 2>first.err; echo "first $?"; ` +
    `for i in 1 2 3 4 5; do ${
      command("16m")
    } >/dev/null 2>last.err; c=$?; echo "again $c"; [ $c = 0 ] && break; sleep 3.2; done`;
  const out = await new Deno.Command("unshare", {
    args: ["-m", "--propagation", "private", "sh", "-c", sh],
    cwd: job.cwd,
    env: job.env,
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).output().catch(() => undefined);
  if (!out || out.code !== 0) {
    table.push({
      scenario: "disk full (journal on a full 24 KiB tmpfs)",
      rows: 1000,
      duplicates: NaN,
      lost: NaN,
      invocations: "not run",
      requestsPerLaunched: NaN,
      note: `needs unshare and mount (root): ${
        out ? new TextDecoder().decode(out.stderr).trim() : "unshare missing"
      }`,
    });
  } else {
    const lines = new TextDecoder().decode(out.stdout).trim().split("\n");
    const firstErr = await Deno.readTextFile(`${job.cwd}/first.err`).catch(() =>
      ""
    );
    record(
      "disk full: the journal's disk fills mid-run, then space is freed",
      sim,
      { reports: job.reports, plugin: "AmpliconRep" },
      {
        invocations: `${lines.length} (${lines.join(", ")})`,
        note: /the disk is full/.test(firstErr)
          ? "the first stops at once, naming the journal and --journal; the summary is still written"
          : `first run: ${
            firstErr.split("\n").filter((l) => /journal|stopped/.test(l)).slice(
              0,
              2,
            ).join(" / ")
          }`,
      },
    );
  }
}
{
  // A read-only journal folder (Deno's --deny-write), then a writable one.
  await using sim = await startSimulator({ reports: 1400 });
  const job = await newJob(sim, "AmpliconRep", 1000);
  const args = ["in.csv", "--concurrency", "8", ...SCALED];
  const denied = await runScript("bulk_run.ts", args, {
    ...job,
    denoFlags: [`--deny-write=${job.cwd}/in.csv.journal.ndjson`],
  });
  const { invocations } = await untilDone("bulk_run.ts", args, job);
  record(
    "a journal that cannot be written (--deny-write), then one that can",
    sim,
    { reports: job.reports, plugin: "AmpliconRep" },
    {
      invocations: `${
        invocations + 1
      } (the first exits ${denied.code} before any launch, launching ${
        denied.stdout.includes("launched") ? "some" : "nothing"
      })`,
      note:
        "checked before the first launch; the message names the path and --journal",
    },
  );
}
{
  // A torn last line and a garbage line in the middle, after a kill -9.
  await using sim = await startSimulator({ reports: 1400, launchDelayMs: 5 });
  const job = await newJob(sim, "AmpliconRep", 1000);
  const args = ["in.csv", "--concurrency", "8", ...SCALED];
  const child = spawnScript("bulk_run.ts", args, { ...job, quiet: true });
  await waitUntil(() => sim.launches.length >= 400);
  await kill9(child);
  const path = `${job.cwd}/in.csv.journal.ndjson`;
  const lines = (await Deno.readTextFile(path)).trimEnd().split("\n");
  lines.splice(Math.floor(lines.length / 2), 0, "\u0000garbage{{{");
  await Deno.writeTextFile(path, lines.join("\n") + '\n{"type":"laun');
  const { invocations, last } = await untilDone("bulk_run.ts", args, job);
  record(
    "a torn last record and a garbage record in the middle of the journal (after kill -9 at 400)",
    sim,
    { reports: job.reports, plugin: "AmpliconRep" },
    {
      invocations: `${invocations + 1} (the killed one counts)`,
      note:
        /cut off a torn last record/.test(last.stderr + "") || invocations > 0
          ? "the torn record is cut off; the garbage line is named; unsettled pairs are checked on the server first"
          : "",
    },
  );
}

// --- 7. The seams between jobs. ---
await seams();

// --- 8. Downloads: kills, cut bodies, changed files, the server down. ---
await downloads();

// --- 9. A real server's life: a reboot, an upgrade sweep, held jobs. ---
await production();

await writeReliability();
