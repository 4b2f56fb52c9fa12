import assert from "node:assert/strict";
import {
  type BulkContext,
  recordOutcomes,
  type Task,
} from "../../../lib/bulk/_context.ts";
import { applyGuard, planBulkRun } from "../../../lib/bulk/_plan.ts";
import { InputError } from "../../../lib/errors.ts";
import type { PluginResult } from "../../../lib/types.ts";
import { bulkContext, clientFor, simulator } from "../../_helpers.ts";

const ctxFor = (client: BulkContext["client"]) => bulkContext(client);

Deno.test("planBulkRun() makes one task per pair and marks the repeats", async () => {
  await using sim = await simulator();
  using client = await clientFor(sim);
  const [a, b] = sim.reportIds();
  const rows = [
    { line: 2, report: a!, plugin: "igv", config: null },
    { line: 3, report: b!, plugin: "igv", config: null },
    { line: 4, report: a!, plugin: "igv", config: null },
  ];
  const plan = await planBulkRun(ctxFor(client), {
    rows,
    file: "in.csv",
    problems: [],
    skipInvalid: false,
    reports: { includeUnfinished: false, includeThumbnails: false },
    configFrom: "server",
  });
  assert.deepEqual(plan.tasks.map((t) => t.report), [a, b]);
  const repeat = plan.results.find((r) => r.line === 4)!;
  assert.equal(repeat.outcome, "skipped");
  assert.match(repeat.message, /same report and plugin as line 2/);
  // Four requests: the plugins and reports of the preflight, the runs of
  // the guard, the reports' plan settings (igv has no global config).
  assert.ok(sim.requests.length <= 4, `${sim.requests.length} requests`);

  await assert.rejects(
    planBulkRun(ctxFor(client), {
      rows: [{ line: 2, report: 999_999, plugin: "igv", config: null }],
      file: "in.csv",
      problems: [],
      skipInvalid: false,
      reports: { includeUnfinished: false, includeThumbnails: false },
      configFrom: "server",
    }),
    (e) =>
      e instanceof InputError &&
      /in\.csv:2: report 999999 does not exist/.test(e.message),
  );
});

Deno.test("applyGuard() skips running and completed pairs, launches the rest", () => {
  const mk = (report: number): Task => ({
    key: `${report}/igv`,
    report,
    plugin: "igv",
    given: null,
    config: null,
    before: 0,
    rows: [{
      line: report,
      report,
      plugin: "igv",
      outcome: "planned",
      run: null,
      message: "",
      state: null,
    }],
  });
  const tasks = [mk(1), mk(2), mk(3), mk(4)];
  const latest = new Map<string, PluginResult>([
    ["1/igv", { id: 11, state: "Started" } as PluginResult],
    ["2/igv", { id: 12, state: "Completed" } as PluginResult],
    ["3/igv", { id: 13, state: "Error" } as PluginResult],
  ]);
  const ctx = ctxFor({} as BulkContext["client"]);
  const { toLaunch: launch, skipped } = applyGuard(ctx, { tasks, latest });
  recordOutcomes(ctx, skipped);
  assert.deepEqual(launch.map((t) => t.report), [3, 4]);
  assert.equal(tasks[0]!.rows[0]!.outcome, "skipped");
  assert.equal(tasks[0]!.rows[0]!.state, "Started");
  assert.match(launch[1]!.rows[0]!.message, /first run/);
});
