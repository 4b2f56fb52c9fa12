// Writes BENCHMARKS.md from the figures of `deno task bench`: each figure
// with how it was measured, and the goal it is held to where there is one.

/** Figures of one `deno task bench` run (see bench/run.ts). */
// deno-lint-ignore no-explicit-any
type Results = Record<string, any>;

const yes = (ok: boolean) => (ok ? "met" : "**not met**");

/** The "Launch throughput" section, its heading and a blank line last. */
function throughputLines(t: Results): string[] {
  const off = t.registryOffSeconds === undefined ? [] : [
    `The same with the registry switched off for the benchmark (journal`,
    `intents still synced before each POST, no claims):`,
    `${t.registryOffSeconds.join(", ")} s, median ${t.registryOffRatio}× the`,
    `ideal; the guarantee's own cost (median with / median without):`,
    `**${t.guaranteeCost}×**. ionrun / bare loop: **${t.medianOverFloor}×**`,
    `(goals: ≤ 1.15× the ideal: ${yes(t.medianRatio <= 1.15)}; ≤ 1.1× the`,
    `bare loop: ${yes(t.medianOverFloor <= 1.1)}).`,
    "",
  ];
  return [
    "## Launch throughput",
    "",
    `${t.rows} launches, each answered after 25 ms by a simulator in its own`,
    "process, `bulk_run.ts --concurrency 8 --max-active 0` (three runs, three",
    `plugins): ${t.bulkRunSeconds.join(", ")} s from process start to exit,`,
    `median **${t.medianRatio}×** the ideal ${t.idealSeconds} s. Floors: the same POSTs`,
    `sent by 8 bare loops on ionrun's transport ${t.floorSeconds.keepAlive} s`,
    `(${t.floorRatio}×), on \`fetch\` with a new connection each ${t.floorSeconds.freshFetch} s;`,
    `a 25 ms timer lasts ${t.measured25msTimerMs} ms here. ionrun's own overhead:`,
    `${t.ionrunOverheadSeconds} s for ${t.rows} launches.`,
    "",
    ...off,
  ];
}

/** The "Sharing the queue with production" section. */
function productionLines(runs: Results[]): string[] {
  const first = runs[0]!;
  const row = (p: Results) =>
    `| ${p.maxActive} | ${p.withoutJob.median} / ${p.withoutJob.p95} / ${p.withoutJob.max} (${p.withoutJob.runs}) | ${p.withJob.median} / ${p.withJob.p95} / ${p.withJob.max} (${p.withJob.runs}) | ${
      p.p95Growth >= 0 ? "+" : ""
    }${p.p95Growth}: ${
      yes(p.p95Growth <= p.runMinutes)
    } | ${p.jobHours} h / ${p.idealHours} h = ${p.jobOverIdeal}×: ${
      yes(p.jobOverIdeal <= 1.2)
    } | ${p.requestsPerRow}: ${yes(p.requestsPerRow <= 1.5)} |`;
  return [
    "## Sharing the queue with production",
    "",
    `Two simulators on the realistic profile (${first.slots} slots, the grid's`,
    "4 s scheduler, the pipeline's runs for each new report and another user's",
    "launches using about half the slots), same seed, so the same production",
    `arrivals, started together; one also gets a ${first.rows}-row \`bulk_run.ts\``,
    `job (${first.plugin}, ${first.runMinutes}-minute runs, defaults otherwise: yielding to others'`,
    "waiting runs). Clocks sped up " + `${Math.round(1 / first.timeScale)}×` +
    "; times are server minutes. Production's waits are those",
    "of its runs created in the job's window (first launch to the job's last",
    "run's end); the ideal is the job's slot time over the slots production",
    `left free (production used ${
      (first.productionShare * 100).toFixed(0)
    }% of them without the job).`,
    "",
    "| --max-active | Production wait without the job: median / p95 / max min (runs) | With the job | p95 growth, goal ≤ one job run | Job / ideal on the free capacity, goal ≤ 1.2× | Requests per row, goal ≤ 1.5 |",
    "|---|---|---|---|---|---|",
    ...runs.map(row),
    "",
    "Requests by kind (--max-active " + first.maxActive + "): " +
    Object.entries(first.breakdown).map(([k, n]) => `${k} ${n}`).join(", ") +
    ".",
    "",
    ...runs.flatMap((p) =>
      p.launchMoments === undefined ? [] : [
        `--max-active ${p.maxActive}: ${p.queueLooks} looks at the queue, ${p.runLooks} at the job's runs; the job launched at ${p.launchMoments} moments (${
          (p.rows / p.launchMoments).toFixed(2)
        } runs each). Each moment needs a look that saw a place free, so one look per moment and its POSTs, ${p.floorPerRow} requests per row, is the floor of this schedule; the lowest any schedule allows, every moment launching ${p.maxActive} run(s), is ${
          round2(1 + 1 / p.maxActive)
        }.`,
        "",
      ]
    ),
  ];
}

const round2 = (x: number) => Number(x.toFixed(2));

const HEADINGS: Record<string, string> = {
  throughput: "## Launch throughput",
  production: "## Sharing the queue with production",
};

const RENDER: Record<string, (r: Results) => string[]> = {
  throughput: (r) => throughputLines(r.throughput),
  production: (r) => productionLines(r.production),
};

/**
 * Rewrites one section of an existing BENCHMARKS.md from the figures of
 * `deno task bench -- --only <section>`, the rest as it was, and says in
 * the header which section that run measured.
 */
export async function updateBenchmarks(
  path: string,
  section: string,
  r: Results,
): Promise<void> {
  const heading = HEADINGS[section];
  if (heading === undefined) {
    throw new Error(`--only ${section}: rerun the whole bench to write it`);
  }
  const lines = (await Deno.readTextFile(path)).split("\n");
  let start = lines.indexOf(heading);
  if (start < 0) start = lines.length; // a new section: added at the end
  let end = lines.findIndex((l, i) => i > start && l.startsWith("## "));
  if (end < 0) end = lines.length;
  lines.splice(start, end - start, ...RENDER[section]!(r));
  const day = new Date().toISOString().slice(0, 10);
  const text = lines.join("\n");
  const note = `"${heading.slice(3)}" rerun alone on ${day}` +
    " (`deno task bench -- --only " + section + "`).";
  await Deno.writeTextFile(
    path,
    text.includes(note) ? text : text.replace(
      /(Deno [0-9.]+\.)/,
      `$1 ${note}`,
    ),
  );
}

/** Renders and writes the Markdown file. */
export async function writeBenchmarks(
  path: string,
  r: Results,
): Promise<void> {
  const p = r.pacing;
  const t = r.throughput;
  const lines = [
    "# Benchmarks",
    "",
    "Measured by `deno task bench` against the toolkit's simulator on this",
    "repository's CI machine (2 cores); every figure comes from one run, the",
    "counts from the simulator's own request and launch logs. Regenerated by",
    "the same command (this file and `bench/out/results.json`).",
    `Last run: ${
      new Date().toISOString().slice(0, 10)
    }, Deno ${Deno.version.deno}.`,
    "",
    "## Pacing on a small shared queue",
    "",
    `${p.runs} launches of a plugin whose jobs take ${p.jobSeconds} s, on a`,
    `simulated ${p.slots}-slot plugin queue, through \`bulk_run.ts --max-active ${p.maxActive} --wait --poll 2\``,
    "as a user runs it. The queue is sampled every 5 ms; times are the",
    "simulator's (first launch to last completion).",
    "",
    "| Figure | Value | Goal |",
    "|---|---|---|",
    `| Queue busy (slot time used / slots × total time) | ${
      (p.queueBusyShare * 100).toFixed(1)
    }% | ≥ 95%: ${yes(p.queueBusyShare >= 0.95)} |`,
    `| Most of the job's runs queued or running at once | ${p.mostOnQueue} | ≤ ${p.maxActive}: ${
      yes(p.mostOnQueue <= p.maxActive)
    } |`,
    `| Total time / ideal (${p.runs} × ${p.jobSeconds} s / ${p.slots} = ${p.idealSeconds} s) | ${p.totalSeconds} s, ${p.totalOverIdeal}× | ≤ 1.1×: ${
      yes(p.totalOverIdeal <= 1.1)
    } |`,
    `| Requests per launched row (pacing polls and the wait included) | ${p.requestsPerLaunchedRow} (${p.requests} requests) | ≤ 1.3: ${
      yes(p.requestsPerLaunchedRow <= 1.3)
    } |`,
    "",
    "Requests by kind: " +
    Object.entries(p.breakdown).map(([k, n]) => `${k} ${n}`).join(", ") + ".",
    "",
    "## Requests per launched row",
    "",
    `${r.requestsPerLaunchLibrary.rows} rows with the duplicate guard on (default policy):`,
    `${r.requestsPerLaunchLibrary.launched} launched, ${r.requestsPerLaunchLibrary.skippedByGuard} skipped by the guard,`,
    `${r.requestsPerLaunchLibrary.requests} requests: **${r.requestsPerLaunchLibrary.perLaunchedRow}** per launched row`,
    `through the library, ${r.requestsPerLaunchScript.perLaunchedRow} through \`bulk_run.ts --max-active 0\``,
    `(${r.requestsPerLaunchScript.seconds} s).`,
    "",
    ...throughputLines(t),
    "## Status look-up",
    "",
    `\`status.ts\` over ${
      r.statusRequests.pairs / 2
    } reports × 2 plugins: ${r.statusRequests.requests} requests,`,
    `${r.status.seconds} s.`,
    "",
    "## The plan of a large job on a loaded server",
    "",
    "A dry run of 2,000 rows (preflight, the guard's look-up of existing runs,",
    "the reports' plan settings) against a simulator whose every serialized",
    "object costs 5 ms (a 1,000-object page takes 5 s), next to the same plan",
    "without that cost.",
    "",
    "| Plugin | Requests | Seconds (5 ms/object) | Seconds (no cost) |",
    "|---|---|---|---|",
    ...r.plan.map((x: Results) =>
      `| ${x.plugin} | ${x.requests} (${
        Object.entries(x.breakdown).map(([k, n]) => `${k} ${n}`).join(", ")
      }) | ${x.seconds} | ${x.secondsWithoutCost} |`
    ),
    "",
    ...(r.production ? productionLines(r.production) : []),
  ];
  await Deno.writeTextFile(path, lines.join("\n"));
}
