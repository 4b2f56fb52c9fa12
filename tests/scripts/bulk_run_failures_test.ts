// The rerun pipe on pairs that fail every time: "failed twice, not again".

import assert from "node:assert/strict";
import { getReports } from "../../lib/api/reports.ts";
import {
  clientFor,
  envFor,
  launchCounts,
  runCommand,
  simulator,
} from "../_helpers.ts";
import { main as bulkRunMain } from "../../scripts/bulk_run.ts";
import { main as statusMain } from "../../scripts/status.ts";

/**
 * The README's rerun pipe, three times: `status <journal> --failed --format
 * csv | bulk-run -` with `flags`; returns each rerun's stderr.
 */
async function rerunPipe(
  journal: string,
  { dir, env, flags }: {
    dir: string;
    env: Record<string, string>;
    flags: string[];
  },
): Promise<string[]> {
  const closings: string[] = [];
  for (let i = 1; i <= 3; i++) {
    const failed = await runCommand(statusMain, [
      journal,
      "--failed",
      "--format",
      "csv",
    ], { env });
    const rerun = await runCommand(bulkRunMain, [
      "-",
      "--journal",
      `${dir}/pipe${i}.ndjson`,
      ...flags,
    ], { env, stdin: failed.stdout });
    closings.push(rerun.stderr);
  }
  return closings;
}

Deno.test("the rerun pipe run three times on 10 pairs that always fail launches each at most twice in all, then holds them back with the log command", async () => {
  // Every run ends in Error, as on a report whose files are gone.
  await using sim = await simulator({ reports: 40, failureRate: 1 });
  using client = await clientFor(sim);
  const reports = await getReports(client, sim.reportIds());
  const chosen = [...reports.values()].filter((r) =>
    r.i18nstatus?.state === "Completed" && !r.metaData?.thumb
  ).map((r) => r.id).slice(0, 10);
  assert.equal(chosen.length, 10);
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(`${dir}/in.csv`, `report\n${chosen.join("\n")}\n`);
  const env = envFor(sim);
  const first = await runCommand(bulkRunMain, [
    `${dir}/in.csv`,
    "--plugin",
    "sampleID",
    "--force",
    "--wait",
    "--poll",
    "0.05",
  ], { env });
  assert.equal(first.code, 1, first.stderr);
  const closings = await rerunPipe(`${dir}/in.csv.journal.ndjson`, {
    dir,
    env,
    flags: ["--wait", "--poll", "0.05"],
  });
  const counts = launchCounts(sim);
  for (const id of chosen) {
    const n = counts.get(`${id}/sampleID`) ?? 0;
    assert.ok(n >= 1 && n <= 2, `report ${id} launched ${n} times`);
  }
  // The pairs that failed twice (the first run and one rerun) were held
  // back, the log command named, the closing block counting them.
  const last = closings.at(-1)!;
  assert.match(last, /held back: 10 pair\(s\) failed 2 times or more/);
  assert.match(last, /failed 2 times: read the log/);
  assert.match(last, /status --report \d+ --plugin sampleID --log/);
});

Deno.test("10 reports whose analysis failed: refused with their status; launched on when asked, the rerun pipe run three times launches each at most twice in all", async () => {
  // As on a real server, a run on a report whose analysis failed ends in
  // Error (brokenReportRuns), so a rerun loop would never converge.
  await using sim = await simulator({ reports: 200, brokenReportRuns: true });
  using client = await clientFor(sim);
  const reports = await getReports(client, sim.reportIds({ group: "Error" }));
  const chosen = [...reports.values()].filter((r) => !r.metaData?.thumb)
    .slice(0, 10);
  assert.equal(chosen.length, 10);
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(
    `${dir}/in.csv`,
    `report\n${chosen.map((r) => r.id).join("\n")}\n`,
  );
  const env = envFor(sim);
  const refused = await runCommand(bulkRunMain, [
    `${dir}/in.csv`,
    "--plugin",
    "sampleID",
    "--format",
    "json",
  ], { env });
  assert.equal(refused.code, 0, refused.stderr);
  assert.equal(sim.launches.length, 0);
  const rows = JSON.parse(refused.stdout) as {
    report: number;
    outcome: string;
    message: string;
  }[];
  assert.equal(rows.length, 10);
  for (const row of rows) {
    const report = chosen.find((r) => r.id === Number(row.report))!;
    assert.equal(row.outcome, "skipped");
    assert.ok(
      row.message.includes(`analysis ended in error (${report.status})`),
      row.message,
    );
  }

  const asked = ["--include-unfinished", "--wait", "--poll", "0.05"];
  const first = await runCommand(bulkRunMain, [
    `${dir}/in.csv`,
    "--plugin",
    "sampleID",
    "--journal",
    `${dir}/first.ndjson`,
    "--force", // some have an older sampleID run
    ...asked,
  ], { env });
  assert.equal(first.code, 1, first.stderr);
  const last = (await rerunPipe(`${dir}/first.ndjson`, {
    dir,
    env,
    flags: asked,
  })).at(-1)!;
  const counts = launchCounts(sim);
  for (const r of chosen) {
    const n = counts.get(`${r.id}/sampleID`) ?? 0;
    assert.ok(n >= 1 && n <= 2, `report ${r.id} launched ${n} times`);
  }
  assert.match(last, /held back: 10 pair\(s\) failed 2 times or more/);
});
