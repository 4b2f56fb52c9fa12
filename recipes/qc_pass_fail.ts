#!/usr/bin/env -S deno run -A
// A QC pass/fail CSV per barcode from coverageAnalysis's results, across the
// reports of a CSV: qc_pass_fail.ts reports.csv [MIN_DEPTH] [MIN_UNIFORMITY]
// > qc.csv (defaults 100x and 90%). A barcode without results fails, with why.
// Settings (TS_URL, TS_USER, TS_API_KEY) come from the environment or .env.
import { createClient, loadConfig, readRunRows } from "ionrun";
import { resolveColumns, resultRows } from "ionrun/results";

const [file, depth = "100", uniformity = "90"] = Deno.args;
const minDepth = Number(depth);
const minUniformity = Number(uniformity);
if (!file || !(minDepth >= 0) || !(minUniformity >= 0)) {
  console.error(
    "usage: qc_pass_fail.ts REPORTS.csv [MIN_DEPTH] [MIN_UNIFORMITY]",
  );
  Deno.exit(2);
}
try {
  const { rows, problems } = await readRunRows(file, { requirePlugin: false });
  if (problems.length) {
    for (const p of problems) {
      console.error(`${p.file}:${p.line}: ${p.message}`);
    }
    Deno.exit(2);
  }
  using client = await createClient(await loadConfig());
  const plugins = ["coverageAnalysis"];
  const columns = resolveColumns(plugins, ["mean_depth", "uniformity"]);
  console.log("report,barcode,sample,mean_depth,uniformity_pct,qc,why");
  // One batched look-up per 200 reports; the newest Completed run of each.
  const reports = rows.map((r) => r.report);
  for await (
    const { row } of resultRows(client, reports, { plugins, columns })
  ) {
    const d = row.mean_depth, u = row.uniformity_pct;
    const why = typeof d !== "number" || typeof u !== "number"
      ? String(
        row["coverageAnalysis.note"] ?? row["coverageAnalysis.error"] ??
          "no value",
      )
      : [
        d < minDepth ? `depth ${d} < ${minDepth}` : "",
        u < minUniformity ? `uniformity ${u}% < ${minUniformity}%` : "",
      ]
        .filter(Boolean).join("; ");
    const cells = [
      row.report,
      row.barcode ?? "",
      row.sample ?? "",
      d ?? "",
      u ?? "",
      why ? "fail" : "pass",
      why,
    ];
    console.log(
      cells.map((c) =>
        /[",\n]/.test(String(c)) ? `"${String(c).replaceAll('"', '""')}"` : c
      ).join(","),
    );
  }
} catch (error) {
  console.error(`error: ${error instanceof Error ? error.message : error}`);
  Deno.exit(1);
}
