import assert from "node:assert/strict";
import { pairStatuses } from "../../../lib/status/status.ts";
import { stop } from "../../../scripts/_cli/stop_runs.ts";
import { clientFor, freshReports, simulator } from "../../_helpers.ts";

Deno.test("stop() stops only running (and stale) runs, never a finished one; dry run stops nothing", async () => {
  await using sim = await simulator({ queuedMs: 600_000 });
  using client = await clientFor(sim);
  const [a, b, c] = freshReports(sim, "igv", 3);
  const running = sim.addPluginResult(a!, "igv", "Started");
  sim.addPluginResult(b!, "igv", "Queued");
  sim.addPluginResult(c!, "igv", "Completed");
  const statuses = await pairStatuses(client, {
    reports: [a!, b!, c!],
    plugins: ["igv"],
  });
  const options = {
    yes: true,
    dryRun: true,
    wide: false,
    format: "json" as const,
  };
  sim.clearLog();
  assert.equal(await stop(client, statuses, options), 0);
  assert.ok(
    !sim.requests.some((r) => r.path.includes("/stop/")),
    "a dry run sends no stop",
  );
  assert.equal(await stop(client, statuses, { ...options, dryRun: false }), 0);
  const stops = sim.requests.filter((r) => r.path.includes("/stop/"));
  assert.equal(stops.length, 2, stops.map((r) => r.path).join("\n"));
  assert.ok(
    stops.some((r) => r.path.includes(`/pluginresult/${running}/stop/`)),
  );
  const completed = statuses.find((s) => s.report === c)!;
  assert.ok(
    !stops.some((r) => r.path.includes(`/pluginresult/${completed.id}/`)),
    "the completed run is left alone",
  );
});

Deno.test("stop() without --yes and without a terminal lists the runs, then refuses (exit 2, nothing stopped)", async () => {
  await using sim = await simulator({ queuedMs: 600_000 });
  using client = await clientFor(sim);
  const [a] = freshReports(sim, "igv", 1);
  sim.addPluginResult(a!, "igv", "Started");
  const statuses = await pairStatuses(client, {
    reports: [a!],
    plugins: ["igv"],
  });
  sim.clearLog();
  // The test runner's stdin is not a terminal.
  await assert.rejects(
    stop(client, statuses, {
      yes: false,
      dryRun: false,
      wide: false,
      format: "json",
    }),
    (e: Error) =>
      e.name === "UsageError" &&
      /without confirmation: pass --yes/.test(e.message),
  );
  assert.ok(!sim.requests.some((r) => r.path.includes("/stop/")));
});
