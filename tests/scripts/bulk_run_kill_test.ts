// The exactly-once scenarios a lab meets, run as a user runs the scripts and
// counted in the simulator's own launch log: two launchers in two folders or under two
// names of one server, kill -9 against a server that creates runs late, a
// look at the runs answered after another job launched them.
// (The stress harness, `deno task stress`, runs them at scale.)

import assert from "node:assert/strict";
import {
  envFor,
  freshReports,
  runScript,
  simulator,
  spawnScript,
} from "../_helpers.ts";
import {
  assertOnceEach,
  ended,
  job,
  postsSeen,
  wait,
} from "./_bulk_run_jobs.ts";

Deno.test("two project folders, each with its own in.csv of the same pairs, at once: every pair launched once", async () => {
  await using sim = await simulator({ launchDelayMs: 20 });
  const reports = freshReports(sim, "igv", 40);
  const a = await job(reports, "igv");
  const b = await job([...reports].reverse(), "igv");
  const cache = await Deno.makeTempDir({ prefix: "ionrun-cache-" });
  const env = { ...envFor(sim), XDG_CACHE_HOME: cache };
  // Unpaced (--max-active 0): the two jobs race for every pair at once.
  const args = ["in.csv", "--concurrency", "3", "--max-active", "0"];
  const runs = [
    spawnScript("bulk_run.ts", args, { env, cwd: a }),
    spawnScript("bulk_run.ts", args, { env, cwd: b }),
  ];
  const outs = await Promise.all(runs.map(ended));
  assert.deepEqual(
    outs.map((o) => o.code),
    [0, 0],
    outs.map((o) => o.stderr).join("\n"),
  );
  assertOnceEach(sim, 40);
  for (const dir of [a, b, cache]) await Deno.remove(dir, { recursive: true });
});

Deno.test("one server under two names (127.0.0.1 and localhost) at once: every pair launched once", async () => {
  await using sim = await simulator({ launchDelayMs: 20 });
  const reports = freshReports(sim, "igv", 40);
  const a = await job(reports, "igv");
  const b = await job([...reports].reverse(), "igv");
  const cache = await Deno.makeTempDir({ prefix: "ionrun-cache-" });
  const env = { ...envFor(sim), XDG_CACHE_HOME: cache };
  const local = { ...env, TS_URL: sim.url.replace("127.0.0.1", "localhost") };
  // Unpaced (--max-active 0): the two jobs race for every pair at once.
  const args = ["in.csv", "--concurrency", "3", "--max-active", "0"];
  const outs = await Promise.all([
    ended(spawnScript("bulk_run.ts", args, { env, cwd: a })),
    ended(spawnScript("bulk_run.ts", args, { env: local, cwd: b })),
  ]);
  assert.deepEqual(
    outs.map((o) => o.code),
    [0, 0],
    outs.map((o) => o.stderr).join("\n"),
  );
  assertOnceEach(sim, 40);
  // One registry folder for the two names.
  const folders = [];
  for await (const f of Deno.readDir(`${cache}/ionrun/claims`)) {
    folders.push(f.name);
  }
  assert.equal(folders.length, 1, folders.join(", "));
  for (const dir of [a, b, cache]) await Deno.remove(dir, { recursive: true });
});

Deno.test("kill -9 during launches to a server creating runs 1.5 s late, the same command at once: never launched twice (3 trials)", async () => {
  // The trials are independent (a simulator, folder and registry each): run
  // at once, they take the time of one.
  await Promise.all([0, 1, 2].map(async (trial) => {
    await using sim = await simulator({ createDelayMs: 1_500 });
    const reports = freshReports(sim, "igv", 24);
    const cwd = await job(reports, "igv");
    const env = { ...envFor(sim), XDG_CACHE_HOME: `${cwd}/cache` };
    const args = [
      "in.csv",
      "--concurrency",
      "4",
      "--request-timeout",
      "1",
      "--settle",
      "3s",
      "--max-active",
      "0",
    ];
    const child = spawnScript("bulk_run.ts", args, { env, cwd });
    // Killed while launches are out and none of their runs exists yet.
    while (postsSeen(sim) < 4 + 4 * trial) await wait(5);
    child.kill("SIGKILL");
    await child.output();
    let last = await runScript("bulk_run.ts", args, { env, cwd });
    for (let i = 0; last.code !== 0 && i < 4; i++) {
      last = await runScript("bulk_run.ts", args, { env, cwd });
    }
    assert.equal(last.code, 0, last.stderr);
    await wait(1_600); // any launch still being created shows now
    assertOnceEach(sim, 24);
    await Deno.remove(cwd, { recursive: true });
  }));
});

Deno.test("a job whose look at the runs is answered late, while another job launches the same pairs and ends: none launched twice", async () => {
  // B's look at the pairs' runs is read at once and answered 8 s later: it
  // shows no run. Meanwhile A, from another folder, launches every pair and
  // ends. The registry must not take B's stale look for one after A's
  // launches (it was sent before them).
  await using sim = await simulator();
  const reports = freshReports(sim, "igv", 6);
  sim.addFault({
    method: "GET",
    path: "pluginresult",
    nth: 1,
    after: true,
    action: { type: "delay", ms: 8_000 },
  });
  const a = await job(reports, "igv");
  const b = await job(reports, "igv");
  const cache = await Deno.makeTempDir({ prefix: "ionrun-cache-" });
  const env = { ...envFor(sim), XDG_CACHE_HOME: cache };
  const args = ["in.csv", "--max-active", "0"];
  const late = spawnScript("bulk_run.ts", args, { env, cwd: b });
  const looked = () =>
    sim.requests.some((r) => r.method === "GET" && /pluginresult/.test(r.path));
  while (!looked()) await wait(5);
  const lookedAt = Date.now();
  const first = await runScript("bulk_run.ts", args, { env, cwd: a });
  assert.equal(first.code, 0, first.stderr);
  assert.ok(
    Date.now() - lookedAt < 8_000,
    "A ended before B's look was answered (else this proves nothing)",
  );
  const second = await ended(late);
  assert.equal(second.code, 0, second.stderr);
  assert.match(second.stderr, /6 row\(s\): 6 skipped/);
  assertOnceEach(sim, 6);
  for (const dir of [a, b, cache]) await Deno.remove(dir, { recursive: true });
});
