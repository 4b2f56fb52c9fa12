// bulk-run on a server shared with production (the simulator's realistic
// profile, scaled fast): a paced job yields to the lab's pipeline and other
// users, and still finishes.

import assert from "node:assert/strict";
import { getReports } from "../../lib/api/reports.ts";
import { clientFor, envFor, launchCounts, runCommand } from "../_helpers.ts";
import { main as bulkRunMain } from "../../scripts/bulk_run.ts";
import { type Simulator, startSimulator } from "../../simulator/mod.ts";

/** The job's looks at the queue: the newest plugin results, any plugin and owner. */
const QUEUE_LOOK = /\/pluginresult\/\?order_by=-id/;

/**
 * Launches of the job made while a production run was waiting (created, not
 * yet started) as the job's last look at the queue before that launch showed
 * it. A run created after that look raced with the launch: no client can see
 * it (a real server's queue has the same race). Without any look (the
 * `--no-yield` control), the launch's own time.
 */
function launchesWhileWaiting(
  sim: Simulator,
  since: number,
): { launch: number; run: number; createdAt: number; startedAt: number }[] {
  const looks = sim.requests.filter((r) =>
    r.method === "GET" && QUEUE_LOOK.test(r.path)
  ).map((r) => r.time);
  const bad = [];
  for (const l of sim.launches) {
    if (l.time < since) continue;
    const look = looks.filter((t) => t <= l.time).at(-1) ?? l.time;
    for (const p of sim.productionRuns()) {
      // Never started: a held job (no slot, the FIFO passes it).
      if (p.startedAt === null) continue;
      if (p.createdAt < look && l.time < p.startedAt) {
        bad.push({
          launch: l.time,
          run: p.pluginResultId,
          createdAt: p.createdAt,
          startedAt: p.startedAt,
        });
      }
    }
  }
  return bad;
}

async function job(noYield: boolean) {
  const sim = await startSimulator({
    profile: "realistic",
    reports: 60,
    timeScale: 0.001,
    seed: 7,
    // A bit more production than a tower's usual, so that its runs wait.
    production: { reportsPerHour: 1.5, manualPerHour: 3 },
    fileFaults: { archivedRate: 0 },
    // Exact and short runs of the job's plugin: the test's pace.
    pluginRunMs: { sampleID: 300_000 },
    failureRate: 0,
    stuckRate: 0,
    unknownRate: 0,
  });
  using client = await clientFor(sim);
  const reports = await getReports(client, sim.reportIds());
  const done = [...reports.values()].filter((r) =>
    r.i18nstatus?.state === "Completed" && !r.metaData?.thumb
  ).map((r) => r.id).slice(0, 16);
  assert.equal(done.length, 16);
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(`${dir}/in.csv`, `report\n${done.join("\n")}\n`);
  const start = Date.now();
  const r = await runCommand(bulkRunMain, [
    `${dir}/in.csv`,
    "--plugin",
    "sampleID",
    "--max-active",
    "2",
    "--force",
    "--yes",
    "--wait",
    "--poll",
    "0.1",
    "--format",
    "json",
    ...(noYield ? ["--no-yield"] : []),
  ], { env: envFor(sim) });
  return { sim, r, start, reports: done, ms: Date.now() - start };
}

Deno.test("bulk-run, paced, on a server with production load: no launch while another user's run is Queued, and the job finishes", async () => {
  const { sim, r, start, reports, ms } = await job(false);
  await using _ = sim;
  assert.ok(r.code === 0 || /launched twice/.test(r.stderr), r.stderr);
  const counts = launchCounts(sim);
  for (const id of reports) assert.equal(counts.get(`${id}/sampleID`), 1);
  const rows = JSON.parse(r.stdout) as { outcome: string; state: string }[];
  assert.equal(rows.length, 16);
  assert.ok(rows.every((row) => row.state === "Completed"), r.stdout);
  // Production ran meanwhile, and some of it had to wait (so the test means
  // something): runs created during the job that did not start at once.
  const end = start + ms;
  const during = sim.productionRuns().filter((p) =>
    p.createdAt >= start && p.createdAt <= end
  );
  assert.ok(during.length >= 3, `${during.length} production runs`);
  assert.ok(
    sim.requests.some((q) => QUEUE_LOOK.test(q.path)),
    "the job looked at the queue",
  );
  const bad = launchesWhileWaiting(sim, start);
  assert.deepEqual(bad, [], "launches while a foreign run was Queued");
  // The plan and the progress said how many foreign runs were on the queue.
  assert.match(r.stderr, /of other users/);
  assert.match(r.stderr, /others' runs \d+ active \d+ waiting/);
  console.log(
    `yielding: ${ms} ms, ${during.length} production runs during the job, ${sim.requests.length} requests`,
  );
});

Deno.test("bulk-run --no-yield on the same load launches while production waits (the control of the test above)", async () => {
  const { sim, r, start } = await job(true);
  await using _ = sim;
  assert.doesNotMatch(r.stderr, /others' runs/);
  const bad = launchesWhileWaiting(sim, start);
  console.log(
    `--no-yield: ${bad.length} launch(es) while a foreign run waited`,
  );
  assert.ok(bad.length > 0, "the load makes production wait");
});

Deno.test("bulk-run --wait after a server reboot: the dead runs are left once stale (exit 1, 'N stale' and the rerun command), held runs too", async () => {
  await using sim = await startSimulator({
    reports: 80,
    slots: 2,
    runMs: 150,
    queuedMs: 10,
    runSpread: 0,
    stuckQueuedRate: 0.15,
    seed: 3,
  });
  const reports = sim.reportIds({ group: "Completed" }).slice(0, 30);
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(`${dir}/in.csv`, `report\n${reports.join("\n")}\n`);
  const args = [
    `${dir}/in.csv`,
    "--plugin",
    "sampleID",
    "--force",
    "--max-active",
    "2",
    "--stale-after",
    "1.5",
    "--wait",
    "--poll",
    "0.1",
  ];
  const running = runCommand(bulkRunMain, args, { env: envFor(sim) });
  // A reboot while both slots run the job's runs: they stay Started.
  while (!(sim.launches.length >= 8 && sim.queue().running.length === 2)) {
    await new Promise((r) => setTimeout(r, 5));
  }
  const dead = sim.reboot();
  assert.equal(dead.length, 2);
  const r = await running;
  assert.equal(r.code, 1, r.stderr);
  // Every pair launched once: the held runs (Queued for ever, no slot) did
  // not hold the job's two places until the end.
  assert.equal(sim.launches.length, 30);
  for (const n of launchCounts(sim).values()) assert.equal(n, 1);
  const held = (sim.pluginResults({ plugin: "sampleID" }) as {
    id: number;
    state: string;
  }[]).filter((p) =>
    p.state === "Queued" && sim.launches.some((l) => l.pluginResultId === p.id)
  );
  assert.ok(held.length > 0, "some launches were held");
  const stale = dead.length + held.length;
  assert.match(
    r.stderr,
    new RegExp(
      `${stale} stale: still Started or Queued past --stale-after .* --stale-after 1\\.5 --failed --format csv \\| .* - --rerun failed,stale --stale-after 1\\.5`,
    ),
  );
  for (const id of dead) {
    assert.match(
      r.stdout,
      new RegExp(`run ${id} is stale: Started for longer than --stale-after`),
    );
  }
});
