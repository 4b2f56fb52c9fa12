#!/usr/bin/env -S deno run -A
// Every variantCaller VCF of the reports of a CSV into a folder, verified and
// resumable, then a list ready for `bcftools merge -l vcfs.txt`:
// download_vcfs.ts reports.csv OUT_DIR > vcfs.txt. Files need the password:
// TS_URL, TS_USER, TS_PASSWORD (TS_API_KEY too, for the API) from the
// environment or .env. Running it again fetches only what is missing.
import { createClient, loadConfig, readRunRows } from "ionrun";
import { httpFor, readCaCert } from "ionrun/http";
import {
  compilePattern,
  FileSession,
  planDownloads,
  runDownloads,
} from "ionrun/downloads";

const [file, out] = Deno.args;
if (!file || !out) {
  console.error("usage: download_vcfs.ts REPORTS.csv OUT_DIR");
  Deno.exit(2);
}
try {
  const config = await loadConfig();
  if (!config.password || !config.user) {
    console.error(
      "error: set TS_USER and TS_PASSWORD: the files need the password (an API key works only for the API)",
    );
    Deno.exit(2);
  }
  const { rows, problems } = await readRunRows(file, { requirePlugin: false });
  if (problems.length) {
    for (const p of problems) {
      console.error(`${p.file}:${p.line}: ${p.message}`);
    }
    Deno.exit(2);
  }
  using client = await createClient(config);
  const caCert = await readCaCert(config.caCertFile);
  const files = new FileSession(
    httpFor({ ...config, purpose: "files", ...(caCert ? { caCert } : {}) }),
  );
  const plan = await planDownloads(client, files, rows.map((r) => r.report), {
    plugins: ["variantCaller"],
    wanted: { patterns: [compilePattern("TSVC_variants_*.vcf.gz")], types: [] },
    out,
  });
  for (const s of plan.skipped) {
    console.error(`left out: ${s.report}: ${s.reason}`);
  }
  const summary = await runDownloads(files, plan.items, { out });
  await files.close();
  // The list bcftools reads, in report order, only files that are there.
  for (const item of plan.items) {
    if (!summary.failures.some((f) => f.item === item)) {
      console.log(`${out}/${item.dest}`);
    }
  }
  const c = summary.counts;
  console.error(
    `${
      c.downloaded + c.resumed
    } downloaded, ${c.unchanged} already there, ${summary.failures.length} failed`,
  );
  if (summary.failures.length) Deno.exit(1);
} catch (error) {
  console.error(`error: ${error instanceof Error ? error.message : error}`);
  Deno.exit(1);
}
