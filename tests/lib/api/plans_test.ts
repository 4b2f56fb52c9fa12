import assert from "node:assert/strict";
import { isNonEmptyObject, plannedConfigs } from "../../../lib/api/plans.ts";
import { getReports } from "../../../lib/api/reports.ts";
import type { AnalysisSettings, Report } from "../../../lib/types.ts";
import { clientFor, simulator } from "../../_helpers.ts";

const easRequests = (sim: { requests: { path: string }[] }) =>
  sim.requests.filter((r) => r.path.includes("/experimentanalysissettings/"));

Deno.test("plannedConfigs() gives each report its plan's non-empty plugin configs, in one request", async () => {
  await using sim = await simulator({ reports: 60 });
  using client = await clientFor(sim);
  const reports = await getReports(client, sim.reportIds());
  sim.clearLog();
  const planned = await plannedConfigs(client, reports.values());
  assert.equal(easRequests(sim).length, 1, "one batched look-up");
  assert.equal(planned.size, reports.size, "every report has a plan");

  // Checked against each plan's own detail view.
  let withConfig = 0;
  let withEmpty = 0;
  for (const report of reports.values()) {
    const eas = await client.get<AnalysisSettings>(report.eas!);
    const configs = planned.get(report.id)!;
    for (const [name, entry] of Object.entries(eas.selectedPlugins ?? {})) {
      const input = entry?.userInput;
      if (isNonEmptyObject(input)) {
        withConfig++;
        assert.deepEqual(configs.get(name), input, `${report.id} ${name}`);
      } else {
        withEmpty++;
        assert.equal(configs.has(name), false, `${report.id} ${name}: empty`);
      }
    }
  }
  assert.ok(withConfig > 0 && withEmpty > 0, `${withConfig} / ${withEmpty}`);
});

Deno.test("plannedConfigs() leaves out reports without plan settings, and shares one plan between its reports", async () => {
  await using sim = await simulator({ reports: 40, thumbnails: true });
  using client = await clientFor(sim);
  const reports = [...(await getReports(client, sim.reportIds())).values()];
  // A thumbnail report shares its full report's plan settings.
  const byEas = Map.groupBy(reports, (r) => r.eas);
  const shared = [...byEas.values()].find((list) => list.length > 1);
  assert.ok(shared, "the simulator has a thumbnail sharing a plan");
  const [full, thumb] = shared;
  const none = { ...reports[0]!, id: 999_999, eas: null } as Report;
  const broken = { ...reports[1]!, id: 999_998, eas: "/rundb/api/v1/other/3/" };
  sim.clearLog();
  const planned = await plannedConfigs(client, [full!, thumb!, none, broken]);
  assert.equal(easRequests(sim).length, 1);
  const params = new URL(easRequests(sim)[0]!.path, sim.url).searchParams;
  assert.deepEqual(params.get("id__in")!.split(","), [
    /\/(\d+)\/$/.exec(full!.eas!)![1],
  ], "the shared plan is looked up once");
  assert.deepEqual([...planned.keys()].sort(), [full!.id, thumb!.id].sort());
  assert.equal(planned.get(full!.id), planned.get(thumb!.id));
});

Deno.test("plannedConfigs() sends no request for reports without plans", async () => {
  await using sim = await simulator({ reports: 3 });
  using client = await clientFor(sim);
  const planned = await plannedConfigs(client, [
    { id: 1, eas: null } as Report,
    { id: 2 } as Report,
  ]);
  assert.equal(planned.size, 0);
  assert.equal(sim.requests.length, 0);
});

Deno.test("isNonEmptyObject() accepts JSON objects with a key, nothing else", () => {
  assert.equal(isNonEmptyObject({ a: 1 }), true);
  assert.equal(isNonEmptyObject({ nested: {} }), true);
  for (const value of [{}, [], [1], null, undefined, "x", 0, true]) {
    assert.equal(isNonEmptyObject(value), false, JSON.stringify(value));
  }
});
