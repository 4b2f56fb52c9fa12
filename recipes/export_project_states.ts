#!/usr/bin/env -S deno run -A
// The newest run of every plugin on every report of PROJECT, as a CSV for a
// spreadsheet: export_project_states.ts "Oncology panel" > states.csv
import { createClient, listReports, loadConfig, pairStatuses } from "ionrun";

const [project] = Deno.args;
if (!project) {
  console.error("usage: export_project_states.ts PROJECT");
  Deno.exit(2);
}
const cell = (v: unknown) => {
  const s = v === null || v === undefined ? "" : String(v);
  return /[",\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
};
try {
  using client = await createClient(await loadConfig());
  const reports: number[] = [];
  for await (const r of listReports(client, { project })) reports.push(r.id);
  // No plugins named: every plugin that ran, in a few batched requests.
  const statuses = await pairStatuses(client, { reports });
  console.log("report,report_name,plugin,state,run,started,ended,url");
  for (const s of statuses) {
    console.log(
      [
        s.report,
        s.reportName,
        s.plugin,
        s.state ?? "never run",
        s.id,
        s.starttime,
        s.endtime,
        s.url,
      ].map(cell).join(","),
    );
  }
} catch (error) {
  console.error(`error: ${error instanceof Error ? error.message : error}`);
  Deno.exit(1);
}
