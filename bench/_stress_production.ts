// The stress harness's scenarios of a queue shared with a real server's
// life: a reboot (running jobs left `Started` for ever), an upgrade sweep
// (every queued job marked `Error` while the grid still runs it) and grid
// jobs held for ever (`Queued`, never started). Each is a paced job with
// `--wait`, then the documented rerun (`status --failed | bulk_run -
// --rerun failed,stale`) until it exits 0. A pair counts once per run that
// ran to its end: "duplicates" are pairs with two Completed runs, "lost"
// pairs with none; a dead, swept or held run beside its relaunch is neither.

import { startSimulator } from "../simulator/mod.ts";
import type { Simulator } from "../simulator/mod.ts";
import { type Ran, runScript, spawnScript } from "./_scripts.ts";
import {
  MAX_INVOCATIONS,
  newJob,
  started,
  table,
  waitUntil,
} from "./_stress_kit.ts";

const PLUGIN = "sampleID";
const ROWS = 200;
/** The stale limit, scaled down as the harness's other windows are. */
const STALE = ["--stale-after", "3s"];
const JOB = [
  "--max-active",
  "4", // two queued behind the two slots: what an upgrade sweeps
  ...STALE,
  "--yes",
  "--wait",
  "--poll",
  "0.3",
  "--format",
  "csv",
];

/** Completed runs per pair, from the server's own records. */
function completedPerPair(sim: Simulator, reports: number[]) {
  const counts = new Map<number, number>(reports.map((r) => [r, 0]));
  for (
    const run of sim.pluginResults({ plugin: PLUGIN }) as {
      result: string;
      state: string;
    }[]
  ) {
    const report = Number(/\/results\/(\d+)\//.exec(run.result)![1]);
    if (counts.has(report) && run.state === "Completed") {
      counts.set(report, counts.get(report)! + 1);
    }
  }
  return counts;
}

/** The documented rerun, until it has nothing left to do. */
async function rerunUntilDone(
  job: Awaited<ReturnType<typeof newJob>>,
): Promise<{ invocations: number; last: Ran }> {
  let last: Ran | undefined;
  let invocations = 0;
  while (invocations < MAX_INVOCATIONS) {
    await new Promise((r) => setTimeout(r, 3_200)); // past --stale-after
    const failed = await runScript("status.ts", [
      "in.csv",
      "--failed",
      ...STALE,
      "--format",
      "csv",
    ], job);
    const rows = failed.stdout.trim().split("\n").length - 1;
    if (rows <= 0) break;
    await Deno.writeTextFile(
      `${job.cwd}/failed${invocations}.csv`,
      failed.stdout,
    );
    last = await runScript("bulk_run.ts", [
      `failed${invocations}.csv`,
      "--rerun",
      "failed,stale",
      "--journal",
      `rerun${invocations}.ndjson`,
      ...JOB,
    ], job);
    invocations++;
    if (last.code === 0) break;
  }
  return {
    invocations,
    last: last ?? { code: 0, stdout: "", stderr: "", seconds: 0 },
  };
}

async function scenario(
  name: string,
  options: { stuckQueuedRate?: number; act?: (sim: Simulator) => number[] },
  note: string,
) {
  await using sim = await startSimulator({
    reports: ROWS * 2,
    slots: 2,
    runMs: 300,
    queuedMs: 30,
    runSpread: 0.2,
    ...(options.stuckQueuedRate
      ? { stuckQueuedRate: options.stuckQueuedRate }
      : {}),
  });
  const job = await newJob(sim, PLUGIN, ROWS);
  sim.clearLog();
  const child = spawnScript("bulk_run.ts", ["in.csv", ...JOB], job);
  const output = child.output();
  let hit = 0;
  if (options.act) {
    // Mid-job, with both slots busy and runs waiting behind them.
    await waitUntil(() => {
      const q = sim.queue();
      return sim.launches.length >= ROWS / 3 && q.running.length === 2 &&
        q.queued.length > 0;
    });
    hit = options.act(sim).length;
  }
  const first = await output;
  const { invocations, last } = await rerunUntilDone(job);
  const counts = completedPerPair(sim, job.reports);
  const row = {
    scenario: name,
    rows: ROWS,
    duplicates: [...counts.values()].filter((n) => n > 1).length,
    lost: [...counts.values()].filter((n) => n === 0).length,
    invocations: `1 (exit ${first.code}) + ${invocations} rerun(s)${
      last.code === 0 ? "" : ` (the last exits ${last.code})`
    }`,
    requestsPerLaunched: Number(
      (sim.requests.length / Math.max(1, sim.launches.length)).toFixed(3),
    ),
    note: note.replace("{hit}", String(hit)),
  };
  table.push(row);
  console.error(
    `${name}: ${row.duplicates} duplicates, ${row.lost} lost, ${row.invocations} (${
      ((performance.now() - started) / 1000).toFixed(0)
    } s)`,
  );
}

/** Runs the three scenarios, each adding its row. */
export async function production(): Promise<void> {
  await scenario(
    `a server reboot mid-job (running jobs left Started for ever), ${ROWS} rows, --max-active 4 --wait --stale-after 3s, then the documented rerun`,
    { act: (sim) => sim.reboot() },
    "{hit} runs killed; the wait leaves them once stale (exit 1, 'N stale' and the rerun command), the rerun relaunches exactly those",
  );
  await scenario(
    `an upgrade sweep mid-job (every queued job marked Error, still running in the grid), ${ROWS} rows, then the documented rerun`,
    { act: (sim) => sim.upgrade() },
    "{hit} runs swept; they fail (exit 1) and the rerun relaunches them once; the swept jobs' own ends are never recorded",
  );
  await scenario(
    `grid jobs held for ever (10% of launches stay Queued), ${ROWS} rows, then the documented rerun`,
    { stuckQueuedRate: 0.1 },
    "a held run takes no place of --max-active once newer runs pass it, and is stale past --stale-after; reruns relaunch them until none is held",
  );
}
