#!/usr/bin/env -S deno run -A
// Reports on which PLUGIN never ran (optionally only those analysed since a
// date), as a CSV to pipe into bulk_run: never_ran.ts variantCaller
// 2026-11-01 | deno run -A ../scripts/bulk_run.ts - --plugin variantCaller
// Settings (TS_URL, TS_USER, TS_API_KEY) come from the environment or .env.
import { createClient, listReports, loadConfig, pairStatuses } from "ionrun";

const [plugin, since] = Deno.args;
const date = since ? new Date(since) : undefined;
if (!plugin || (date && Number.isNaN(date.getTime()))) {
  console.error("usage: never_ran.ts PLUGIN [SINCE_DATE, e.g. 2026-11-01]");
  Deno.exit(2);
}
try {
  using client = await createClient(await loadConfig());
  const reports: number[] = [];
  const filter = date ? { since: date, thumbnails: false } : {};
  for await (const r of listReports(client, filter)) reports.push(r.id);
  // One batched look-up for all of them, not one request per report.
  const statuses = await pairStatuses(client, { reports, plugins: [plugin] });
  console.log("report");
  for (const s of statuses) if (s.id === null) console.log(s.report);
} catch (error) {
  console.error(`error: ${error instanceof Error ? error.message : error}`);
  Deno.exit(1);
}
