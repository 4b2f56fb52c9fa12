// Tests of how a simulator is built from its options: ranges checked, the
// defaults of the queue.

import assert from "node:assert/strict";
import { type SimulatorOptions, startSimulator } from "../../simulator/mod.ts";

Deno.test("startSimulator() refuses options out of range, naming them", async () => {
  const bad: [SimulatorOptions, RegExp][] = [
    [{ slots: -1 }, /Option slots must be a number from 0/],
    [{ runSpread: 2 }, /Option runSpread must be a number from 0 to 1/],
    [{ unknownRate: 1.5 }, /Option unknownRate/],
    [{ stuckRate: -0.1 }, /Option stuckRate/],
    [{ stopErrorRate: 3 }, /Option stopErrorRate/],
    [{ pluginRunMs: { igv: -5 } }, /Option pluginRunMs\.igv/],
    [{ objectCostMs: NaN }, /Option objectCostMs/],
    [{ queuedMs: Infinity }, /Option queuedMs/],
    [{ users: [] }, /at least one user/],
  ];
  for (const [options, message] of bad) {
    await assert.rejects(
      startSimulator({ reports: 1, ...options }),
      message,
      JSON.stringify(options),
    );
  }
  await using sim = await startSimulator({ reports: 1 });
  assert.deepEqual(sim.queue(), { slots: 2, running: [], queued: [] });
  await using wide = await startSimulator({ reports: 1, slots: 2.7 });
  assert.equal(wide.queue().slots, 2);
});
