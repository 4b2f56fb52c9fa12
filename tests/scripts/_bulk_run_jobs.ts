// What the exactly-once scenario tests share (bulk_run_reliability_test.ts,
// bulk_run_kill_test.ts, bulk_run_claims_test.ts: split so that the test
// task runs them on separate workers): a job folder, the launch count check,
// waiting for a spawned script.

import assert from "node:assert/strict";
import type { Simulator } from "../../simulator/mod.ts";
import { launchCounts } from "../_helpers.ts";

/** A folder with a CSV of `reports` × `plugin`, and a registry of its own. */
export async function job(reports: number[], plugin: string, name = "in.csv") {
  const cwd = await Deno.makeTempDir({ prefix: "ionrun-rel-" });
  await Deno.writeTextFile(
    `${cwd}/${name}`,
    `report,plugin\n${reports.map((r) => `${r},${plugin}`).join("\n")}\n`,
  );
  return cwd;
}

/** Asserts that each of `pairs` pairs was launched exactly once. */
export function assertOnceEach(sim: Simulator, pairs: number) {
  const counts = launchCounts(sim);
  assert.equal(counts.size, pairs, "every pair launched");
  for (const [pair, n] of counts) assert.equal(n, 1, `${pair} launched ${n}×`);
}

/** Sleeps. */
export const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits for a spawned script; its exit code and stderr. */
export async function ended(child: Deno.ChildProcess) {
  const out = await child.output();
  return {
    code: out.code,
    stdout: new TextDecoder().decode(out.stdout),
    stderr: new TextDecoder().decode(out.stderr),
  };
}

/** The launch requests (POSTs) the simulator has seen. */
export const postsSeen = (sim: Simulator) =>
  sim.requests.filter((r) => r.method === "POST").length;
