/**
 * Benchmarks against the simulator (`deno task bench`); the figures go to
 * `bench/out/results.json` and `BENCHMARKS.md`:
 *
 * 1. requests per launched row: 2,000 rows with the duplicate guard on;
 * 2. throughput: 2,000 rows, each launch delayed 25 ms by the server,
 *    `--concurrency 8 --max-active 0`, against the ideal 2000 × 25 ms / 8;
 * 3. status look-up: 2,000 reports × 2 plugins, requests issued;
 * 4. pacing: 200 launches on a 2-slot queue with 1 s jobs, `--max-active 6`
 *    (bench/pacing.ts);
 * 5. the plan of 2,000 reports on a server whose every serialized object
 *    costs 5 ms (bench/plan.ts);
 * 6. production: a 200-row job on the realistic profile's queue shared with
 *    the lab's production, against the same production without the job
 *    (bench/production.ts).
 *
 * Request counts come from the simulator's log. Times are wall times of the
 * scripts as a user runs them (a new Deno process with the flags of the
 * script's shebang line, start-up included), next to floors: the same POSTs
 * sent by bare loops with no tool at all, on ionrun's write transport and on
 * fetch with a new connection each.
 *
 * @module
 */

import { createClient, undiciTransport } from "../lib/http/mod.ts";
import { bulkRun } from "../lib/bulk/mod.ts";
import type { RunRow } from "../lib/run_rows.ts";
import { listReports } from "../lib/api/mod.ts";
import { startSimulator } from "../simulator/mod.ts";
import { updateBenchmarks, writeBenchmarks } from "./_report.ts";
import { benchPacing } from "./pacing.ts";
import { benchProduction } from "./production.ts";
import { benchPlan } from "./plan.ts";
import { envFor as scriptEnv, runScript } from "./_scripts.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const ROWS = 2000;

function rows(reports: number[], plugin: string): RunRow[] {
  return reports.map((report, i) => ({
    line: i + 2,
    report,
    plugin,
    config: null,
  }));
}

/** Runs a script as a user does; its wall time in seconds. */
async function script(
  name: string,
  args: string[],
  env: Record<string, string>,
  cwd: string,
): Promise<number> {
  const ran = await runScript(name, args, { env, cwd });
  if (ran.code !== 0) throw new Error(`${name} failed:\n${ran.stderr}`);
  return ran.seconds;
}

/** Settings that point a script at a simulator, with a fresh registry. */
function envFor(
  sim: { url: string; users: { username: string; apiKey: string }[] },
) {
  return scriptEnv(
    sim,
    Deno.makeTempDirSync({ prefix: "ionrun-bench-cache-" }),
  );
}

// `--only <section>` runs one section (requests, throughput, status,
// pacing, plan) and rewrites only its part of BENCHMARKS.md.
const onlyAt = Deno.args.indexOf("--only");
const only = onlyAt >= 0 ? Deno.args[onlyAt + 1] : undefined;
const SECTIONS = [
  "requests",
  "throughput",
  "status",
  "pacing",
  "plan",
  "production",
];
if (only !== undefined && !SECTIONS.includes(only)) {
  throw new Error(`--only: one of ${SECTIONS.join(", ")}`);
}
const want = (section: string) => only === undefined || only === section;

const results: Record<string, unknown> = {};
const cwd = await Deno.makeTempDir({ prefix: "ionrun-bench-" });

if (want("requests")) {
  // 1. Requests per launched row, guard on (default policy).
  await using sim = await startSimulator({ reports: 2500 });
  const user = sim.users[0]!;
  using client = await createClient({
    url: sim.url,
    user: user.username,
    apiKey: user.apiKey,
  });
  const reports = sim.reportIds({ group: "Completed" }).slice(0, ROWS);
  sim.clearLog();
  const summary = await bulkRun(client, rows(reports, "coverageAnalysis"), {
    file: "bench",
    concurrency: 8,
  });
  const perRow = sim.requests.length / summary.counts.launched;
  results.requestsPerLaunchLibrary = {
    rows: ROWS,
    launched: summary.counts.launched,
    skippedByGuard: summary.counts.skipped,
    requests: sim.requests.length,
    posts: sim.requests.filter((r) => r.method === "POST").length,
    perLaunchedRow: Number(perRow.toFixed(4)),
  };
}

if (want("requests")) {
  // 1b. The same through bulk_run.ts.
  await using sim = await startSimulator({ reports: 2500 });
  const env = envFor(sim);
  const reports = sim.reportIds({ group: "Completed" }).slice(0, ROWS);
  await Deno.writeTextFile(`${cwd}/in.csv`, `report\n${reports.join("\n")}\n`);
  await Deno.remove(`${cwd}/in.csv.journal.ndjson`).catch(() => {});
  sim.clearLog();
  const seconds = await script(
    "bulk_run.ts",
    [
      "in.csv",
      "--plugin",
      "coverageAnalysis",
      "--concurrency",
      "8",
      "--max-active",
      "0",
    ],
    env,
    cwd,
  );
  const launched = sim.launches.length;
  results.requestsPerLaunchScript = {
    rows: ROWS,
    launched,
    requests: sim.requests.length,
    perLaunchedRow: Number((sim.requests.length / launched).toFixed(4)),
    seconds: Number(seconds.toFixed(2)),
  };
}

if (want("throughput") || want("status")) {
  // 2. Throughput: 25 ms per launch, concurrency 8, every row launched. The
  // simulator runs in its own process, as a real server would.
  const server = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-net=127.0.0.1",
      "--allow-read",
      "--allow-env",
      `${ROOT}simulator/main.ts`,
      "--port",
      "0",
      "--reports",
      "2500",
      "--launch-delay-ms",
      "25",
    ],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = server.stdout.getReader();
  const url = /(https?:\/\/\S+)/.exec(
    new TextDecoder().decode((await reader.read()).value),
  )![1]!;
  reader.releaseLock();
  const env: Record<string, string> = {
    ...scriptEnv(
      { url, users: [{ username: "ionadmin", apiKey: "" }] },
      Deno.makeTempDirSync({ prefix: "ionrun-bench-cache-" }),
    ),
    TS_PASSWORD: "ionadmin",
  };
  delete env.TS_API_KEY; // Basic, as the floors below
  try {
    using client = await createClient({
      url,
      user: "ionadmin",
      password: "ionadmin",
    });
    const reports: number[] = [];
    for await (const r of listReports(client, { limit: ROWS })) {
      reports.push(r.id);
    }
    const ideal = (ROWS * 25) / 8 / 1000;
    await Deno.writeTextFile(`${cwd}/t.csv`, `report\n${reports.join("\n")}\n`);

    // Floors: the same POSTs with no tool at all (8 loops), to separate the
    // simulator's own latency from ionrun's overhead. "keepAlive" is the
    // transport ionrun uses (undici, kept-alive connections); "freshFetch" is
    // fetch with a new connection per POST (the only safe way with fetch).
    const floor = async (
      send: (input: string, init: RequestInit) => Promise<void>,
      plugin: string,
    ) => {
      let next = 0;
      const start = performance.now();
      await Promise.all(Array.from({ length: 8 }, async () => {
        while (next < reports.length) {
          const report = reports[next++]!;
          await send(
            `${url}/rundb/api/v1/results/${report}/plugin/`,
            {
              method: "POST",
              headers: {
                Authorization: `Basic ${btoa("ionadmin:ionadmin")}`,
                "Content-Type": "application/json",
              },
              body: JSON.stringify({ plugin: [plugin] }),
            },
          );
        }
      }));
      return (performance.now() - start) / 1000;
    };
    const transport = undiciTransport();
    const keepAliveFloor = await floor(async (input, init) => {
      await transport.send({
        method: "POST",
        url: new URL(input),
        headers: init.headers as Record<string, string>,
        body: init.body as string,
        signal: new AbortController().signal,
      });
    }, "smallRNA");
    await transport.close();
    const fresh = Deno.createHttpClient({ poolMaxIdlePerHost: 0 });
    const freshFloor = await floor(async (input, init) => {
      const res = await fetch(input, { ...init, client: fresh });
      await res.body?.cancel();
    }, "smallRNA");
    fresh.close();
    // What a 25 ms timer really takes here: the simulator's delay is one.
    const timerStart = performance.now();
    for (let i = 0; i < 40; i++) await new Promise((r) => setTimeout(r, 25));
    const timerMs = (performance.now() - timerStart) / 40;

    // ionrun with the guarantee (journal intent synced and pair claimed in
    // the registry before each POST), interleaved with ionrun whose registry
    // is switched off for the benchmark (TS_BENCH_NO_REGISTRY, read by the
    // launcher only for this): their ratio is the registry's own cost.
    const launch = (plugin: string, extra: Record<string, string>) =>
      script(
        "bulk_run.ts",
        [
          "t.csv",
          "--plugin",
          plugin,
          "--concurrency",
          "8",
          "--max-active",
          "0", // launch throughput: pacing is the next benchmark
          "--force",
          "--yes", // no question however long the plan's estimate
          "--journal",
          `${plugin}.journal`,
        ],
        { ...env, ...extra },
        cwd,
      );
    const runs: number[] = [];
    const bare: number[] = [];
    const guarded = ["bubbleRun", "TagSequencing", "SmallVariantReport"];
    const unclaimed = ["FastqCreator", "alignmentQC", "ERCC_Analysis"];
    for (let i = 0; i < 3; i++) {
      runs.push(await launch(guarded[i]!, {}));
      bare.push(await launch(unclaimed[i]!, { TS_BENCH_NO_REGISTRY: "1" }));
    }
    const asRun = [...runs];
    runs.sort((a, b) => a - b);
    bare.sort((a, b) => a - b);
    const median = runs[1]!;
    const medianOff = bare[1]!;
    const r3 = (x: number) => Number(x.toFixed(3));
    results.throughput = {
      rows: ROWS,
      idealSeconds: ideal,
      bulkRunSeconds: asRun.map(r3),
      medianRatio: r3(median / ideal),
      medianOverFloor: r3(median / keepAliveFloor),
      registryOffSeconds: bare.map(r3),
      registryOffRatio: r3(medianOff / ideal),
      guaranteeCost: r3(median / medianOff),
      floorSeconds: {
        keepAlive: r3(keepAliveFloor),
        freshFetch: r3(freshFloor),
      },
      floorRatio: r3(keepAliveFloor / ideal),
      ionrunOverheadSeconds: r3(median - keepAliveFloor),
      measured25msTimerMs: Number(timerMs.toFixed(2)),
    };
    console.error(JSON.stringify(results.throughput));

    if (want("status")) {
      // 3. Status of 2,000 reports × 2 plugins after those launches.
      const statusSeconds = await script(
        "status.ts",
        [
          "t.csv",
          "--plugin",
          "bubbleRun",
          "--plugin",
          "TagSequencing",
          "--format",
          "csv",
        ],
        env,
        cwd,
      );
      results.status = {
        pairs: ROWS * 2,
        seconds: Number(statusSeconds.toFixed(2)),
      };
    }
  } finally {
    server.kill("SIGTERM");
    await server.status;
    await server.stdout.cancel().catch(() => {});
  }
}

if (want("status")) {
  // 3b. Requests issued by status.ts for 2,000 reports × 2 plugins, counted
  // in the simulator's log.
  await using sim = await startSimulator({ reports: 2500 });
  const env = envFor(sim);
  const reports = sim.reportIds({ group: "Completed" }).slice(0, ROWS);
  await Deno.writeTextFile(`${cwd}/s.csv`, `report\n${reports.join("\n")}\n`);
  sim.clearLog();
  await script(
    "status.ts",
    [
      "s.csv",
      "--plugin",
      "coverageAnalysis",
      "--plugin",
      "variantCaller",
      "--format",
      "csv",
    ],
    env,
    cwd,
  );
  results.statusRequests = { pairs: ROWS * 2, requests: sim.requests.length };
}

// 4. Pacing on a small shared queue.
if (want("pacing")) results.pacing = await benchPacing();
if (want("production")) {
  // The defaults (--max-active 2 on 2 slots), then one slot left free.
  results.production = [
    await benchProduction({ maxActive: 2 }),
    await benchProduction({ maxActive: 1 }),
  ];
}

// 5. The plan of a large job on a loaded server.
if (want("plan")) {
  results.plan = [
    await benchPlan({ plugin: "coverageAnalysis" }),
    await benchPlan({ plugin: "variantCaller" }),
  ];
}

await Deno.remove(cwd, { recursive: true });
console.log(JSON.stringify(results, null, 2));
await Deno.mkdir(`${ROOT}bench/out`, { recursive: true });
await Deno.writeTextFile(
  `${ROOT}bench/out/${only === undefined ? "results" : only}.json`,
  JSON.stringify(results, null, 2) + "\n",
);
if (only === undefined) await writeBenchmarks(`${ROOT}BENCHMARKS.md`, results);
else await updateBenchmarks(`${ROOT}BENCHMARKS.md`, only, results);
// As `deno fmt --check` (part of the test task) wants it.
await new Deno.Command(Deno.execPath(), {
  args: ["fmt", "--quiet", `${ROOT}BENCHMARKS.md`],
}).output();
