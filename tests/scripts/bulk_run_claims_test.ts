// The exactly-once scenarios a lab meets, run as a user runs the scripts and
// counted in the simulator's own launch log: a job killed or stopped (SIGSTOP) while it
// holds claims, and the job that meets them.
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

Deno.test("a job killed while it holds claims: another job takes them over, settles what was sent, launches the rest", async () => {
  await using sim = await simulator({ createDelayMs: 1_200 });
  const reports = freshReports(sim, "igv", 16);
  const a = await job(reports, "igv");
  const b = await job(reports, "igv");
  const cache = await Deno.makeTempDir({ prefix: "ionrun-cache-" });
  const env = { ...envFor(sim), XDG_CACHE_HOME: cache };
  // Unpaced (--max-active 0): the claims are the point, not the queue.
  const args = [
    "in.csv",
    "--concurrency",
    "4",
    "--settle",
    "4s",
    "--max-active",
    "0",
  ];
  const first = spawnScript("bulk_run.ts", args, { env, cwd: a });
  while (postsSeen(sim) < 4) await wait(5);
  first.kill("SIGKILL");
  await first.output();
  // At once, from the other folder: what A sent is found as it lands.
  const second = await runScript("bulk_run.ts", args, { env, cwd: b });
  assert.equal(second.code, 0, second.stderr);
  assert.doesNotMatch(second.stdout + second.stderr, /being launched by/);
  await wait(1_300);
  assertOnceEach(sim, 16);
  for (const dir of [a, b, cache]) await Deno.remove(dir, { recursive: true });
});

Deno.test("a job stopped with Ctrl-Z (SIGSTOP) while it holds claims: the other job names it and what to do, and launches nothing of its", async () => {
  // A's first two launches take 25 s on the server: B meets them in flight.
  await using sim = await simulator();
  sim.addFault({
    method: "POST",
    nth: 1,
    times: 2,
    action: { type: "slow-create", ms: 25_000 },
  });
  const reports = freshReports(sim, "igv", 12);
  const a = await job(reports, "igv");
  const b = await job(reports, "igv");
  const cache = await Deno.makeTempDir({ prefix: "ionrun-cache-" });
  const env = { ...envFor(sim), XDG_CACHE_HOME: cache };
  // A settle window shorter than the stop: when A goes on, the registry no
  // longer keeps it off B's launches; its stale view must be read again.
  const args = [
    "in.csv",
    "--concurrency",
    "2",
    "--request-timeout",
    "40",
    "--settle",
    "3s",
    "--max-active",
    "0",
  ];
  const first = spawnScript("bulk_run.ts", args, { env, cwd: a });
  while (postsSeen(sim) < 2) await wait(5);
  Deno.kill(first.pid, "SIGSTOP");
  let second;
  try {
    second = await runScript("bulk_run.ts", [
      ...args,
      "--format",
      "csv",
    ], { env, cwd: b });
  } finally {
    Deno.kill(first.pid, "SIGCONT");
  }
  assert.equal(second.code, 1, second.stderr);
  const held = second.stdout.split("\n").filter((l) => /not-started/.test(l));
  assert.equal(held.length, 2, second.stdout);
  assert.match(
    second.stdout,
    new RegExp(
      `held by pid ${first.pid} since \\S+ \\(another job\\), which does not answer: stopped \\(Ctrl-Z: ""fg"" in its terminal, or kill -CONT ${first.pid}\\) or hung \\(kill ${first.pid}\\); then run this command again`,
    ),
  );
  assert.equal((await ended(first)).code, 0);
  const again = await runScript("bulk_run.ts", args, { env, cwd: b });
  assert.equal(again.code, 0, again.stderr);
  assertOnceEach(sim, 12);
  for (const dir of [a, b, cache]) await Deno.remove(dir, { recursive: true });
});
