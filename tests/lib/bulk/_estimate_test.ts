import assert from "node:assert/strict";
import { estimateJob } from "../../../lib/bulk/_estimate.ts";
import type { PluginResult } from "../../../lib/types.ts";
import { bulkContext, clientFor, simulator, taskFor } from "../../_helpers.ts";

/** A completed run from `start` for `minutes` (server datetimes). */
const run = (id: number, start: number, minutes: number): PluginResult =>
  ({
    id,
    pluginName: "variantCaller",
    state: "Completed",
    starttime: new Date(start).toISOString().replace("Z", "+00:00"),
    endtime: new Date(start + minutes * 60_000).toISOString().replace(
      "Z",
      "+00:00",
    ),
  }) as PluginResult;

Deno.test("estimateJob() goes by the median of recent runs, --max-active at a time (without a limit: as many as ran at once)", async () => {
  const t0 = Date.parse("2026-11-02T08:00:00Z");
  // Two at a time (a tower's two slots), 10 minutes each but one slow one.
  const latest = new Map<string, PluginResult>([
    ["1/variantCaller", run(1, t0, 10)],
    ["2/variantCaller", run(2, t0, 10)],
    ["3/variantCaller", run(3, t0 + 10 * 60_000, 10)],
    ["4/variantCaller", run(4, t0 + 10 * 60_000, 10)],
    ["5/variantCaller", run(5, t0 + 20 * 60_000, 95)],
  ]);
  const tasks = Array.from(
    { length: 100 },
    (_, i) => taskFor(i + 1, "variantCaller"),
  );
  const failing = {} as Parameters<typeof bulkContext>[0]; // enough samples: no request
  const e = await estimateJob(bulkContext(failing), {
    tasks,
    latest,
    maxActive: 0,
  });
  assert.equal(e.runs, 100);
  assert.equal(e.parallel, 2);
  assert.deepEqual(e.plugins, [{
    plugin: "variantCaller",
    runs: 100,
    samples: 5,
    medianMs: 10 * 60_000,
  }]);
  assert.equal(e.totalMs, 100 * 10 * 60_000 / 2);
  // The job's own --max-active is what it keeps on the queue.
  const four = await estimateJob(bulkContext(failing), {
    tasks,
    latest,
    maxActive: 4,
  });
  assert.equal(four.parallel, 4);
  const one = await estimateJob(bulkContext(failing), {
    tasks,
    latest,
    maxActive: 1,
  });
  assert.equal(one.parallel, 1);
  assert.equal(one.totalMs, 100 * 10 * 60_000);
});

Deno.test("estimateJob() looks up the plugin's recent runs when the pairs have too few, and says when it cannot tell", async () => {
  await using sim = await simulator();
  using client = await clientFor(sim);
  sim.clearLog();
  const e = await estimateJob(bulkContext(client), {
    tasks: [taskFor(1, "igv"), taskFor(2, "noSuchPluginRuns")],
    latest: new Map(),
    maxActive: 2,
  });
  assert.equal(sim.requests.length, 2, "one look-up per plugin");
  const igv = e.plugins.find((p) => p.plugin === "igv")!;
  assert.ok(igv.samples > 0 && igv.medianMs! > 0);
  const none = e.plugins.find((p) => p.plugin === "noSuchPluginRuns")!;
  assert.equal(none.medianMs, null);
  assert.equal(e.totalMs, null, "unknown rather than wrong");
});

Deno.test("estimateJob() counts the runs the plan warned will fail validation", async () => {
  const t0 = Date.parse("2026-11-02T08:00:00Z");
  const latest = new Map<string, PluginResult>(
    [1, 2, 3, 4, 5].map((i) => [`${i}/variantCaller`, run(i, t0, 10)]),
  );
  const tasks = Array.from(
    { length: 10 },
    (_, i) => taskFor(i + 1, "variantCaller"),
  );
  for (const t of tasks.slice(0, 3)) {
    t.rows[0]!.warnings = [
      "variantCaller requires a configuration and the server has none for report 1 (no global config, not in its plan): its run will fail validation; give one with --config or a config column",
    ];
  }
  const e = await estimateJob(bulkContext({} as never), {
    tasks,
    latest,
    maxActive: 2,
  });
  assert.equal(e.failValidation, 3);
});
