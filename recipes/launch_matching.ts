#!/usr/bin/env -S deno run -A
// Launches PLUGIN on every completed full report whose name contains
// PATTERN: shows the plan first, launches only with --go.
// launch_matching.ts coverageAnalysis _Lib3_          (the plan)
// launch_matching.ts coverageAnalysis _Lib3_ --go     (launch it)
import {
  bulkRun,
  createClient,
  formatSummary,
  listReports,
  loadConfig,
} from "ionrun";

const [plugin, pattern, go] = Deno.args;
if (!plugin || !pattern || (go !== undefined && go !== "--go")) {
  console.error("usage: launch_matching.ts PLUGIN PATTERN [--go]");
  Deno.exit(2);
}
try {
  using client = await createClient(await loadConfig());
  const rows = [];
  const filter = {
    nameContains: pattern,
    status: "Completed",
    thumbnails: false,
  };
  for await (const r of listReports(client, filter)) {
    rows.push({ line: rows.length + 1, report: r.id, plugin, config: null });
  }
  const summary = await bulkRun(client, rows, {
    file: `reports matching ${pattern}`,
    dryRun: go !== "--go",
    ...(go === "--go"
      ? { journal: `${plugin}-${pattern}.journal.ndjson` }
      : {}),
    maxActive: 2, // the queue is shared with the lab's sequencing runs
  });
  console.log(formatSummary(summary.results, "csv"));
  if (go !== "--go") {
    console.error(`${rows.length} report(s); add --go to launch`);
  }
} catch (error) {
  console.error(`error: ${error instanceof Error ? error.message : error}`);
  Deno.exit(1);
}
