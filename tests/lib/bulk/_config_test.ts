import assert from "node:assert/strict";
import { resolveConfigs } from "../../../lib/bulk/_config.ts";
import { postLaunch } from "../../../lib/api/launch.ts";
import { listPlugins } from "../../../lib/api/plugins.ts";
import { getReports } from "../../../lib/api/reports.ts";
import { latestRuns } from "../../../lib/api/runs.ts";
import type { Plugin, Report } from "../../../lib/types.ts";
import {
  bulkContext,
  clientFor,
  freshReports,
  simulator,
  taskFor,
} from "../../_helpers.ts";

/** The plugins by name, as the preflight gives them. */
async function pluginsOf(client: Parameters<typeof listPlugins>[0]) {
  return new Map(
    (await listPlugins(client)).map((p) => [p.name, p] as [string, Plugin]),
  );
}

Deno.test("resolveConfigs() says plan, none or global as the server would choose, and warns when a required config is missing", async () => {
  await using sim = await simulator();
  using client = await clientFor(sim);
  const ids = sim.reportIds().slice(0, 60);
  const reports = await getReports(client, ids);
  // What the server would use, read from the raw analysis settings.
  const eas = await client.get<
    {
      objects: {
        id: number;
        selectedPlugins: Record<string, { userInput: unknown }>;
      }[];
    }
  >("experimentanalysissettings/", { params: { limit: 1000 } });
  const easById = new Map(eas.objects.map((e) => [e.id, e]));
  const plannedInput = (r: Report) => {
    const id = Number(/(\d+)\/$/.exec(r.eas ?? "")?.[1]);
    const input = easById.get(id)?.selectedPlugins.variantCaller?.userInput;
    return input && Object.keys(input).length > 0;
  };
  const tasks = ids.map((id) => taskFor(id, "variantCaller"));
  tasks.push(taskFor(ids[0]!, "coverageAnalysis"));
  tasks.push(taskFor(ids[1]!, "variantCaller", { custom: 1 }));
  await resolveConfigs(bulkContext(client), tasks, {
    plugins: await pluginsOf(client),
    reports,
    latest: new Map(),
    configFrom: "server",
  });
  const vc = tasks.slice(0, ids.length);
  const planned = vc.filter((t) => plannedInput(reports.get(t.report)!));
  assert.ok(planned.length > 10 && planned.length < ids.length);
  for (const t of vc) {
    const expected = plannedInput(reports.get(t.report)!) ? "plan" : "none";
    assert.equal(t.configSource, expected, `report ${t.report}`);
    assert.equal(t.rows[0]!.configSource, expected);
    assert.equal(t.config, null, "as planned: nothing is sent");
    if (expected === "none") {
      assert.match(
        t.rows[0]!.warnings?.join() ?? "",
        /variantCaller requires a configuration and the server has none for report \d+.*fail validation/,
      );
    } else assert.equal(t.rows[0]!.warnings, undefined);
  }
  assert.equal(tasks.at(-2)!.configSource, "global");
  assert.equal(tasks.at(-1)!.configSource, "given");
  assert.deepEqual(tasks.at(-1)!.config, { custom: 1 });
  // One look-up of the analysis settings, on top of the test's own.
  const easReads = sim.requests.filter((r) =>
    r.path.includes("experimentanalysissettings")
  );
  assert.equal(easReads.length, 2);
});

Deno.test("resolveConfigs() with previous sends the newest run's config; a pair never run falls back to the server's", async () => {
  await using sim = await simulator();
  using client = await clientFor(sim);
  const [ran, never] = freshReports(sim, "variantCaller", 2);
  const sent = { meta: { name: "lab settings" }, "snp_min_allele_freq": 0.3 };
  await postLaunch(client, { report: ran!, plugin: "variantCaller" }, {
    config: sent,
  });
  const latest = await latestRuns(client, {
    reports: [ran!, never!],
    plugins: ["variantCaller"],
  });
  const tasks = [
    taskFor(ran!, "variantCaller"),
    taskFor(never!, "variantCaller"),
  ];
  await resolveConfigs(bulkContext(client), tasks, {
    plugins: await pluginsOf(client),
    reports: await getReports(client, [ran!, never!]),
    latest,
    configFrom: "previous",
  });
  assert.equal(tasks[0]!.configSource, "previous");
  assert.deepEqual(tasks[0]!.config, sent);
  assert.equal(tasks[0]!.given, null, "the input's config is kept apart");
  assert.notEqual(tasks[1]!.configSource, "previous");
  assert.equal(tasks[1]!.config, null);
  assert.match(tasks[1]!.rows[0]!.warnings?.[0] ?? "", /never run before/);
});

Deno.test("resolveConfigs() calls a source it cannot see unknown, and does not warn then", async () => {
  // An older server: no plan settings on reports, no global config on plugins.
  const plugins = new Map<string, Plugin>([["variantCaller", {
    id: 1,
    name: "variantCaller",
    version: "5.0",
    active: true,
    selected: true,
    requires_configuration: true,
  } as Plugin]]);
  const reports = new Map<number, Report>([[7, {
    id: 7,
    resultsName: "r",
    status: "Completed",
  } as Report]]);
  const task = taskFor(7, "variantCaller");
  const failing = {} as Parameters<typeof bulkContext>[0]; // no request may go out
  await resolveConfigs(bulkContext(failing), [task], {
    plugins,
    reports,
    latest: new Map(),
    configFrom: "server",
  });
  assert.equal(task.configSource, "unknown");
  assert.equal(task.rows[0]!.warnings, undefined);
});
