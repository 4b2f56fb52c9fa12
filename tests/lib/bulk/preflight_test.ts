import assert from "node:assert/strict";
import { preflight } from "../../../lib/bulk/preflight.ts";
import { clientFor, simulator } from "../../_helpers.ts";

Deno.test("preflight() names each row's problem in one pass, with few requests", async () => {
  await using sim = await simulator();
  using client = await clientFor(sim);
  sim.setPlugin("igv", { selected: false });
  const [a, b] = sim.reportIds();
  const row = (line: number, report: number, plugin: string) => ({
    line,
    report,
    plugin,
    config: null,
  });
  const { problems, plugins, reports } = await preflight(client, [
    row(2, a!, "AmpliconRep"),
    row(3, a!, "ampliconrep"),
    row(4, b!, "igv"),
    row(5, 987_654, "AmpliconRep"),
    // No config for a plugin that requires one: the server's global config
    // or the report's plan settings apply, so it is not a problem.
    row(6, b!, "variantCaller"),
    row(7, b!, "molecularCoverageAnalysis"),
  ], { file: "in.csv" });
  assert.deepEqual(problems.map((p) => [p.line, p.message]), [
    [
      3,
      'unknown plugin "ampliconrep" (did you mean "AmpliconRep"? names are case-sensitive)',
    ],
    [
      4,
      'plugin "igv" is installed but not enabled on the server, so it cannot be launched (enable it under Configure > Plugins)',
    ],
    [5, "report 987654 does not exist on the server"],
  ]);
  assert.ok(problems.every((p) => p.file === "in.csv"));
  assert.equal(plugins.get("variantCaller")!.requires_configuration, true);
  assert.equal(plugins.get("AmpliconRep")!.selected, true);
  assert.ok(reports.has(a!) && !reports.has(987_654));
  assert.equal(sim.requests.length, 2, "one plugin listing, one report batch");
});
