// Benchmark: the plan of a large job on a loaded server. The preflight
// (plugins, reports), the guard's look-up of existing runs and the reports'
// plan settings over 2,000 reports, with every serialized object costing
// the server 5 ms (a 1,000-object page takes 5 s, as on a busy real
// server). Measured: wall time and requests, next to the same plan against
// a server without that cost.

import { bulkRun } from "../lib/bulk/mod.ts";
import { createClient } from "../lib/http/mod.ts";
import type { RunRow } from "../lib/run_rows.ts";
import { startSimulator } from "../simulator/mod.ts";

/** The figures of one plan. */
export interface PlanFigures {
  plugin: string;
  reports: number;
  objectCostMs: number;
  seconds: number;
  /** The same plan against a server without the per-object cost. */
  secondsWithoutCost: number;
  requests: number;
  /** Requests by path. */
  breakdown: Record<string, number>;
}

async function plan(plugin: string, reports: number, objectCostMs: number) {
  await using sim = await startSimulator({
    reports: reports + 100,
    objectCostMs,
  });
  const user = sim.users[0]!;
  using client = await createClient({
    url: sim.url,
    user: user.username,
    apiKey: user.apiKey,
  });
  const rows: RunRow[] = sim.reportIds({ group: "Completed" }).slice(0, reports)
    .map((report, i) => ({
      line: i + 2,
      report,
      plugin,
      config: null,
    }));
  const start = performance.now();
  await bulkRun(client, rows, { file: "bench", dryRun: true });
  const seconds = (performance.now() - start) / 1000;
  const breakdown: Record<string, number> = {};
  for (const r of sim.requests) {
    const path = r.path.replace(/^\/rundb\/api\/v1\//, "").replace(/\?.*$/, "");
    breakdown[path] = (breakdown[path] ?? 0) + 1;
  }
  return { seconds, requests: sim.requests.length, breakdown };
}

/** Plans (dry run) 2,000 rows of `plugin` against a server with a per-object cost. */
export async function benchPlan(
  { plugin, reports = 2000, objectCostMs = 5 }: {
    plugin: string;
    reports?: number;
    objectCostMs?: number;
  },
): Promise<PlanFigures> {
  const loaded = await plan(plugin, reports, objectCostMs);
  const free = await plan(plugin, reports, 0);
  return {
    plugin,
    reports,
    objectCostMs,
    seconds: round(loaded.seconds),
    secondsWithoutCost: round(free.seconds),
    requests: loaded.requests,
    breakdown: loaded.breakdown,
  };
}

const round = (x: number) => Number(x.toFixed(3));

if (import.meta.main) {
  for (const plugin of ["coverageAnalysis", "variantCaller"]) {
    console.log(JSON.stringify(await benchPlan({ plugin }), null, 2));
  }
}
