#!/usr/bin/env -S deno run -A
// Reruns PLUGIN on the reports analysed since DATE whose newest run of it
// failed, at most 2 on the queue at once, as planned (the server's config):
// rerun_failed_since.ts variantCaller 2026-11-30
// Run it again after a crash: the journal resumes it, nothing launches twice.
import {
  bulkRun,
  createClient,
  formatSummary,
  listReports,
  loadConfig,
  pairStatuses,
} from "ionrun";

const [plugin, since] = Deno.args;
const date = new Date(since ?? "");
if (!plugin || Number.isNaN(date.getTime())) {
  console.error("usage: rerun_failed_since.ts PLUGIN DATE (e.g. 2026-11-30)");
  Deno.exit(2);
}
try {
  using client = await createClient(await loadConfig());
  const reports: number[] = [];
  for await (const r of listReports(client, { since: date })) {
    reports.push(r.id);
  }
  const failed = (await pairStatuses(client, { reports, plugins: [plugin] }))
    .filter((s) => s.stateClass === "failed");
  const rows = failed.map((s, i) => ({
    line: i + 1,
    report: s.report,
    plugin,
    config: null,
  }));
  const summary = await bulkRun(client, rows, {
    file: `failed-${plugin}-since-${since}`,
    journal: `rerun-${plugin}-${since}.journal.ndjson`,
    maxActive: 2,
  });
  // Results on stdout (one CSV row per pair), the counts on stderr.
  console.log(formatSummary(summary.results, "csv"));
  console.error(JSON.stringify(summary.counts));
} catch (error) {
  console.error(`error: ${error instanceof Error ? error.message : error}`);
  Deno.exit(1);
}
