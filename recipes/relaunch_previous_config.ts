#!/usr/bin/env -S deno run -A
// Launches PLUGIN again on the given reports with the config of each pair's
// newest run (never run: the server's own config), even where that run
// completed; a pair still running is left alone:
// relaunch_previous_config.ts coverageAnalysis 1234 1235
import {
  bulkRun,
  createClient,
  formatSummary,
  loadConfig,
  pairStatuses,
} from "ionrun";

const [plugin, ...keys] = Deno.args;
const reports = keys.map(Number);
if (!plugin || reports.length === 0 || !reports.every(Number.isInteger)) {
  console.error("usage: relaunch_previous_config.ts PLUGIN REPORT...");
  Deno.exit(2);
}
try {
  using client = await createClient(await loadConfig());
  const statuses = await pairStatuses(client, { reports, plugins: [plugin] });
  for (const s of statuses.filter((s) => s.stateClass === "running")) {
    console.error(`report ${s.report}: run ${s.id} is ${s.state}, left alone`);
  }
  const rows = statuses.filter((s) => s.stateClass !== "running")
    .map((s, i) => ({ line: i + 1, report: s.report, plugin, config: null }));
  const summary = await bulkRun(client, rows, {
    file: "arguments",
    configFrom: "previous",
    policy: "always", // completed ones too: that is the point here
    maxActive: 2,
  });
  console.log(formatSummary(summary.results, "csv"));
} catch (error) {
  console.error(`error: ${error instanceof Error ? error.message : error}`);
  Deno.exit(1);
}
