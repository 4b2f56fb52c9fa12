// Benchmark: a job on a queue shared with the lab's production. Two
// simulators with the realistic profile (2 slots, the grid's 4 s scheduler,
// the pipeline's and another user's runs using about half the slots), the
// same seed and so the same production arrivals, started together; one also
// gets a 200-row `bulk_run.ts` job with the defaults (--max-active 2,
// yielding to others' waiting runs). Both clocks are sped up by `timeScale`
// and every time below is given back in server minutes.
//
// Measured from the simulators' own records over the job's window (first
// launch to its last run's end): each production run's queue wait with the
// job and without it (median, p95, max); the job's time against the ideal on
// the capacity production leaves free (the job's slot time over slots minus
// production's average use, that one from the run without the job); and
// requests per row.

import { type Simulator, startSimulator } from "../simulator/mod.ts";
import { envFor, requestKinds, runScript } from "./_scripts.ts";

/** Queue waits of production runs, in server minutes. */
export interface WaitFigures {
  runs: number;
  median: number;
  p95: number;
  max: number;
}

/** The figures of {@linkcode benchProduction}. */
export interface ProductionFigures {
  rows: number;
  /** The job's `--max-active`. */
  maxActive: number;
  plugin: string;
  /** The job plugin's run time, in server minutes. */
  runMinutes: number;
  timeScale: number;
  slots: number;
  /** First launch to the job's last run's end, in server hours. */
  jobHours: number;
  /** The job's time if it had the free capacity to itself, in server hours. */
  idealHours: number;
  jobOverIdeal: number;
  /** Production's average share of the slots in the window (without the job). */
  productionShare: number;
  withoutJob: WaitFigures;
  withJob: WaitFigures;
  /** p95 with the job minus p95 without, in server minutes. */
  p95Growth: number;
  requests: number;
  requestsPerRow: number;
  breakdown: Record<string, number>;
  /** Looks at the server's newest runs (the queue), any owner. */
  queueLooks: number;
  /** Looks at the job's own runs and next pairs (`result__in`). */
  runLooks: number;
  /**
   * Moments the job launched (POSTs less than a second of server time
   * apart are one): each needs at least one look that saw a place free.
   */
  launchMoments: number;
  /**
   * Requests per row if each launch moment had cost one look and its POSTs
   * and nothing else: the floor of a job that launches as runs end.
   */
  floorPerRow: number;
  scriptSeconds: number;
}

/** Options shared by the two simulators: only the job differs. */
function options(rows: number, k: number, plugin: string, runMs: number) {
  return {
    profile: "realistic" as const,
    timeScale: k,
    reports: rows + 120,
    seed: 11,
    pluginRunMs: { [plugin]: runMs },
    // Held and dead jobs would only blur the waits measured here (the
    // stress harness covers them).
    stuckRate: 0,
    stuckQueuedRate: 0,
    failureRate: 0,
    unknownRate: 0,
    fileFaults: { archivedRate: 0 }, // runs on archived reports end in Error
  };
}

/** Production runs created in the window: their waits in ms (unstarted: until now). */
function waits(sim: Simulator, from: number, to: number, now: number) {
  return sim.productionRuns()
    .filter((r) => r.jobId !== null && r.createdAt >= from && r.createdAt <= to)
    .map((r) => (r.startedAt ?? now) - r.createdAt);
}

/** Slot time production used inside the window, in ms. */
function busy(sim: Simulator, from: number, to: number, now: number): number {
  let sum = 0;
  for (const r of sim.productionRuns()) {
    if (r.startedAt === null) continue;
    const a = Math.max(from, r.startedAt);
    const b = Math.min(to, r.endedAt ?? now);
    if (b > a) sum += b - a;
  }
  return sum;
}

function summary(ms: number[], k: number): WaitFigures {
  const sorted = [...ms].sort((a, b) => a - b);
  const at = (q: number) =>
    sorted.length === 0
      ? 0
      : sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
  const min = (x: number) => round(x / k / 60_000);
  return {
    runs: sorted.length,
    median: min(at(0.5)),
    p95: min(at(0.95)),
    max: min(sorted.at(-1) ?? 0),
  };
}

/** Runs the benchmark. */
export async function benchProduction(
  {
    rows = 200,
    timeScale = 0.01,
    plugin = "sampleID",
    runMinutes = 3,
    maxActive = 2,
  } = {},
): Promise<ProductionFigures> {
  const k = timeScale;
  const runMs = runMinutes * 60_000;
  await using job = await startSimulator(options(rows, k, plugin, runMs));
  const jobStart = Date.now();
  await using base = await startSimulator(options(rows, k, plugin, runMs));
  const baseStart = Date.now();
  const cwd = await Deno.makeTempDir({ prefix: "ionrun-bench-production-" });
  const reports = job.reportIds({ group: "Completed" }).slice(0, rows);
  if (reports.length < rows) throw new Error("not enough Completed reports");
  await Deno.writeTextFile(`${cwd}/in.csv`, `report\n${reports.join("\n")}\n`);
  job.clearLog();
  const ran = await runScript("bulk_run.ts", [
    "in.csv",
    "--plugin",
    plugin,
    "--force", // every report, whatever ran before
    "--include-thumbnails", // S5 thumbnails are reports too: 200 launches
    "--max-active",
    String(maxActive),
    "--yes",
    "--wait",
  ], { env: envFor(job, `${cwd}/cache`), cwd });
  if (ran.code !== 0) throw new Error(`bulk_run.ts failed:\n${ran.stderr}`);
  if (job.launches.length !== rows) {
    throw new Error(`${job.launches.length} launches, not ${rows}`);
  }
  const now = Date.now();
  const ids = new Set(job.launches.map((l) => l.pluginResultId));
  const mine = (job.pluginResults({ plugin }) as {
    id: number;
    startedAt: number | null;
    endedAt: number | null;
  }[]).filter((r) => ids.has(r.id));
  const from = Math.min(...job.launches.map((l) => l.time));
  const to = Math.max(...mine.map((r) => r.endedAt ?? now));
  const window = to - from;
  // The same stretch of the run without the job, by time since start.
  const bFrom = from - jobStart + baseStart;
  const bTo = to - jobStart + baseStart;
  const slots = job.queue().slots;
  const prodBusy = busy(base, bFrom, bTo, now);
  const jobSlotMs = mine.reduce(
    (s, r) => s + ((r.endedAt ?? now) - (r.startedAt ?? now)),
    0,
  );
  const free = slots * window - prodBusy;
  const idealMs = jobSlotMs * window / free;
  const withJob = summary(waits(job, from, to, now), k);
  const withoutJob = summary(waits(base, bFrom, bTo, now), k);
  const breakdown = requestKinds(job.requests);
  const gets = (part: string) =>
    job.requests.filter((r) => r.method === "GET" && r.path.includes(part))
      .length;
  const posts = job.requests.filter((r) => r.method === "POST")
    .map((r) => r.time).sort((a, b) => a - b);
  const launchMoments =
    posts.filter((t, i) => i === 0 || t - posts[i - 1]! > 1000 * k).length;
  await Deno.remove(cwd, { recursive: true });
  const hours = (ms: number) => round(ms / k / 3_600_000);
  return {
    rows,
    maxActive,
    plugin,
    runMinutes,
    timeScale: k,
    slots,
    jobHours: hours(window),
    idealHours: hours(idealMs),
    jobOverIdeal: round(window / idealMs),
    productionShare: round(prodBusy / (slots * window)),
    withoutJob,
    withJob,
    p95Growth: round(withJob.p95 - withoutJob.p95),
    requests: job.requests.length,
    requestsPerRow: round(job.requests.length / rows),
    breakdown,
    queueLooks: gets("pluginresult/?order_by=-id"),
    runLooks: gets("pluginresult/?result__in="),
    launchMoments,
    floorPerRow: round((posts.length + launchMoments) / rows),
    scriptSeconds: round(ran.seconds),
  };
}

const round = (x: number) => Number(x.toFixed(3));

if (import.meta.main) {
  const rows = Number(Deno.args[0] ?? 200);
  const maxActive = Number(Deno.args[1] ?? 2);
  console.log(
    JSON.stringify(await benchProduction({ rows, maxActive }), null, 2),
  );
}
