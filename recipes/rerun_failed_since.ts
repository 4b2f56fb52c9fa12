#!/usr/bin/env -S deno run -A
// Reruns PLUGIN on every report where a run of it launched since DATE failed
// and is still the newest (one rerun since is left alone), as planned (the
// server's config), at most 2 on the queue at once:
// rerun_failed_since.ts variantCaller 2026-11-30
// Run it again after a crash: the journal resumes it, nothing launches twice.
import {
  bulkRun,
  classifyState,
  createClient,
  formatSummary,
  loadConfig,
  paginate,
  parseTsDate,
  type PluginResult,
} from "ionrun";

const [plugin, since] = Deno.args;
const from = new Date(since ?? "").getTime();
if (!plugin || Number.isNaN(from)) {
  console.error("usage: rerun_failed_since.ts PLUGIN DATE (e.g. 2026-11-30)");
  Deno.exit(2);
}
try {
  using client = await createClient(await loadConfig());
  const reports = new Set<number>();
  // Newest first, up to the first run started before DATE: the server
  // cannot filter on dates or states (a failed validation has no times).
  for await (
    const run of paginate<PluginResult>(client, "pluginresult/", {
      params: { plugin__name: plugin, order_by: "-id" },
      verify: { plugin__name: (r) => r.pluginName === plugin },
    })
  ) {
    if (parseTsDate(run.starttime ?? "") < from) break;
    if (classifyState(run.state) !== "failed") continue;
    reports.add(Number(/\/results\/(\d+)\/?$/.exec(run.result)![1]));
  }
  const rows = [...reports].map((report, i) => ({
    line: i + 1,
    report,
    plugin,
    config: null,
  }));
  // The guard relaunches a pair only while its newest run is a failure.
  const summary = await bulkRun(client, rows, {
    file: `failed ${plugin} runs since ${since}`,
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
