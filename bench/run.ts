/**
 * Benchmarks against the simulator (`deno task bench`):
 *
 * 1. requests per launched row: 2,000 rows with the duplicate guard on;
 * 2. throughput: 2,000 rows, each launch delayed 25 ms by the server,
 *    `--concurrency 8`, against the ideal 2000 × 25 ms / 8 = 6.25 s;
 * 3. status look-up: 2,000 reports × 2 plugins, requests issued.
 *
 * Each is measured both through the library and through the script as a
 * user runs it (a new Deno process, so start-up is included there).
 *
 * @module
 */

import { type BulkRow, bulkRun } from "../lib/bulk_run.ts";
import { createClient } from "../lib/client.ts";
import { startSimulator } from "../lib/simulator.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const ROWS = 2000;

function rows(reports: number[], plugin: string): BulkRow[] {
  return reports.map((report, i) => ({
    line: i + 2,
    report,
    plugin,
    config: null,
  }));
}

async function script(
  name: string,
  args: string[],
  env: Record<string, string>,
  cwd: string,
) {
  const start = performance.now();
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-net=127.0.0.1",
      "--allow-read",
      "--allow-write",
      "--allow-env",
      `${ROOT}scripts/${name}`,
      ...args,
    ],
    env: { ...env, NO_COLOR: "1" },
    cwd,
    stdout: "null",
    stderr: "piped",
  }).output();
  const seconds = (performance.now() - start) / 1000;
  if (out.code !== 0) throw new Error(new TextDecoder().decode(out.stderr));
  return seconds;
}

const results: Record<string, unknown> = {};
const cwd = await Deno.makeTempDir({ prefix: "ionrun-bench-" });

{
  // 1. Requests per launched row, guard on (default policy).
  await using sim = await startSimulator({ reports: 2500 });
  const user = sim.users[0]!;
  using client = await createClient({
    url: sim.url,
    user: user.username,
    apiKey: user.apiKey,
  });
  const reports = sim.reportIds().slice(0, ROWS);
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

{
  // 1b. The same through bulk_run.ts.
  await using sim = await startSimulator({ reports: 2500 });
  const user = sim.users[0]!;
  const env = {
    TS_URL: sim.url,
    TS_USER: user.username,
    TS_API_KEY: user.apiKey,
  };
  const reports = sim.reportIds().slice(0, ROWS);
  await Deno.writeTextFile(`${cwd}/in.csv`, `report\n${reports.join("\n")}\n`);
  await Deno.remove(`${cwd}/in.csv.journal.ndjson`).catch(() => {});
  sim.clearLog();
  const seconds = await script(
    "bulk_run.ts",
    ["in.csv", "--plugin", "coverageAnalysis", "--concurrency", "8"],
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

{
  // 2. Throughput: 25 ms per launch, concurrency 8, every row launched.
  await using sim = await startSimulator({ reports: 2500, launchDelayMs: 25 });
  const user = sim.users[0]!;
  using client = await createClient({
    url: sim.url,
    user: user.username,
    apiKey: user.apiKey,
  });
  const reports = sim.reportIds().slice(0, ROWS);
  const ideal = (ROWS * 25) / 8 / 1000;
  const start = performance.now();
  const summary = await bulkRun(client, rows(reports, "bubbleRun"), {
    file: "bench",
    concurrency: 8,
    policy: "always",
  });
  const seconds = (performance.now() - start) / 1000;
  results.throughputLibrary = {
    rows: ROWS,
    launched: summary.counts.launched,
    seconds: Number(seconds.toFixed(3)),
    ideal,
    ratio: Number((seconds / ideal).toFixed(3)),
  };

  const env = {
    TS_URL: sim.url,
    TS_USER: user.username,
    TS_API_KEY: user.apiKey,
  };
  await Deno.writeTextFile(`${cwd}/t.csv`, `report\n${reports.join("\n")}\n`);
  await Deno.remove(`${cwd}/t.csv.journal.ndjson`).catch(() => {});
  const scriptSeconds = await script(
    "bulk_run.ts",
    ["t.csv", "--plugin", "bubbleRun", "--concurrency", "8", "--force"],
    env,
    cwd,
  );
  results.throughputScript = {
    rows: ROWS,
    seconds: Number(scriptSeconds.toFixed(3)),
    ideal,
    ratio: Number((scriptSeconds / ideal).toFixed(3)),
  };

  // 3. Status of 2,000 reports × 2 plugins after those launches.
  await script(
    "bulk_run.ts",
    [
      "t.csv",
      "--plugin",
      "igv",
      "--concurrency",
      "8",
      "--journal",
      "igv.journal",
    ],
    env,
    cwd,
  );
  sim.clearLog();
  const statusSeconds = await script(
    "status.ts",
    ["t.csv", "--plugin", "bubbleRun", "--plugin", "igv", "--format", "csv"],
    env,
    cwd,
  );
  results.status = {
    pairs: ROWS * 2,
    requests: sim.requests.length,
    seconds: Number(statusSeconds.toFixed(2)),
  };
}

await Deno.remove(cwd, { recursive: true });
console.log(JSON.stringify(results, null, 2));
await Deno.mkdir(`${ROOT}bench/out`, { recursive: true });
await Deno.writeTextFile(
  `${ROOT}bench/out/results.json`,
  JSON.stringify(results, null, 2) + "\n",
);
