// Benchmark: a paced job on a small shared queue. 200 launches of a plugin
// whose jobs take 1 s, on a simulated 2-slot plugin queue, through
// `bulk_run.ts --max-active 6 --wait` as a user runs it. Measured from the
// simulator's own records: how busy the queue was from the first launch to
// the last completion, the most runs of the job on the queue at once
// (sampled every 5 ms), the total time against the ideal 200 × 1 s / 2, and
// the requests per launched row, pacing polls and the wait included.

import { startSimulator } from "../simulator/mod.ts";
import { envFor, requestKinds, runScript } from "./_scripts.ts";

/** The figures of {@linkcode benchPacing}. */
export interface PacingFigures {
  runs: number;
  slots: number;
  jobSeconds: number;
  maxActive: number;
  idealSeconds: number;
  /** First launch to last completion, on the server's clock. */
  totalSeconds: number;
  totalOverIdeal: number;
  /** Slot time used by the job's runs over slots × total time. */
  queueBusyShare: number;
  /** The most runs of the job queued or running at once (sampled). */
  mostOnQueue: number;
  requests: number;
  requestsPerLaunchedRow: number;
  /** Requests by kind. */
  breakdown: Record<string, number>;
  scriptSeconds: number;
}

/** Runs the pacing benchmark. */
export async function benchPacing(
  { runs = 200, slots = 2, jobMs = 1000, maxActive = 6 } = {},
): Promise<PacingFigures> {
  const plugin = "FileExporter";
  await using sim = await startSimulator({
    reports: runs + 50,
    slots,
    pluginRunMs: { [plugin]: jobMs },
    runSpread: 0,
  });
  const cwd = await Deno.makeTempDir({ prefix: "ionrun-bench-pacing-" });
  const reports = sim.reportIds().slice(0, runs);
  await Deno.writeTextFile(`${cwd}/in.csv`, `report\n${reports.join("\n")}\n`);
  sim.clearLog();
  let most = 0;
  const timer = setInterval(() => {
    const q = sim.queue();
    most = Math.max(most, q.running.length + q.queued.length);
  }, 5);
  const ran = await runScript("bulk_run.ts", [
    "in.csv",
    "--plugin",
    plugin,
    "--force", // every report, whatever ran before
    "--include-unfinished", // the newest reports too: 200 launches
    "--max-active",
    String(maxActive),
    "--wait",
    "--poll",
    "2",
  ], { env: envFor(sim, `${cwd}/cache`), cwd });
  clearInterval(timer);
  if (ran.code !== 0) throw new Error(`bulk_run.ts failed:\n${ran.stderr}`);
  if (sim.launches.length !== runs) {
    throw new Error(`${sim.launches.length} launches, not ${runs}`);
  }
  const mine = (sim.pluginResults({ plugin }) as {
    id: number;
    startedAt: number | null;
    endedAt: number | null;
  }[]).filter((r) => sim.launches.some((l) => l.pluginResultId === r.id));
  const first = Math.min(...sim.launches.map((l) => l.time));
  const last = Math.max(...mine.map((r) => r.endedAt ?? Infinity));
  const used = mine.reduce(
    (s, r) => s + ((r.endedAt ?? 0) - (r.startedAt ?? 0)),
    0,
  );
  const total = (last - first) / 1000;
  const ideal = runs * jobMs / 1000 / slots;
  const breakdown = requestKinds(sim.requests);
  await Deno.remove(cwd, { recursive: true });
  return {
    runs,
    slots,
    jobSeconds: jobMs / 1000,
    maxActive,
    idealSeconds: ideal,
    totalSeconds: round(total),
    totalOverIdeal: round(total / ideal),
    queueBusyShare: round(used / (slots * (last - first))),
    mostOnQueue: most,
    requests: sim.requests.length,
    requestsPerLaunchedRow: round(sim.requests.length / runs),
    breakdown,
    scriptSeconds: round(ran.seconds),
  };
}

const round = (x: number) => Number(x.toFixed(3));

if (import.meta.main) {
  console.log(JSON.stringify(await benchPacing(), null, 2));
}
