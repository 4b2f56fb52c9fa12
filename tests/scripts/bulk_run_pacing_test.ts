// bulk_run.ts on a shared server: the small plugin queue and the config
// chain on (the simulator's defaults), a plugin that requires a
// configuration launched "as planned", paced.

import assert from "node:assert/strict";
import { getReports } from "../../lib/api/reports.ts";
import {
  assertNoSecrets,
  clientFor,
  envFor,
  freshReports,
  launchCounts,
  runCommand,
  runScript,
  simulator,
} from "../_helpers.ts";
import { main as bulkRunMain } from "../../scripts/bulk_run.ts";
import { main as runMain } from "../../scripts/run.ts";

Deno.test("bulk_run.ts on 200 reports, variantCaller as planned (no config), --wait: all launched once, never more than --max-active on the queue", async () => {
  // The defaults of a loaded server (2 slots, the config chain) with short
  // runs, so that 200 of them fit in a test.
  await using sim = await simulator({
    reports: 250,
    pluginRunMs: { variantCaller: 40 },
  });
  assert.equal(sim.queue().slots, 2);
  using client = await clientFor(sim);
  const reports = await getReports(client, sim.reportIds());
  const done = [...reports.values()].filter((r) =>
    r.i18nstatus?.state === "Completed"
  ).map((r) => r.id);
  const chosen = done.slice(0, 200);
  assert.equal(chosen.length, 200);
  const cwd = await Deno.makeTempDir();
  await Deno.writeTextFile(
    `${cwd}/reports.csv`,
    `report\n${chosen.join("\n")}\n`,
  );

  const maxActive = 4;
  let most = 0;
  const timer = setInterval(() => {
    const q = sim.queue();
    most = Math.max(most, q.running.length + q.queued.length);
  }, 5);
  const r = await runScript("bulk_run.ts", [
    "reports.csv",
    "--plugin",
    "variantCaller",
    "--max-active",
    String(maxActive),
    // Rerun them all (most ran at the end of their sequencing run).
    "--force",
    // Days of variantCaller: refused off a terminal without it.
    "--yes",
    "--wait",
    "--poll",
    "0.2",
    "--summary",
    "summary.json",
    "--format",
    "json",
  ], { env: envFor(sim), cwd });
  clearInterval(timer);

  // Every report launched once.
  const counts = launchCounts(sim);
  assert.equal(counts.size, 200, r.stderr);
  for (const [pair, n] of counts) assert.equal(n, 1, `${pair} launched ${n}×`);
  assert.ok(
    sim.launches.every((l) => l.config === null),
    "nothing was sent: as planned",
  );
  // Never more than N of its runs queued or running.
  assert.ok(most <= maxActive, `${most} runs on the queue at once`);
  assert.equal(most, maxActive);

  // Followed to the end; the summary says which config each row got, and
  // the rows whose plan has no variantCaller settings were warned about.
  const rows = JSON.parse(r.stdout) as {
    state: string;
    config_source: string;
    warnings: string[];
  }[];
  assert.equal(rows.length, 200);
  assert.ok(rows.every((x) => x.state !== null && x.state !== "Queued"));
  const planned = rows.filter((x) => x.config_source === "plan");
  const none = rows.filter((x) => x.config_source === "none");
  assert.equal(planned.length + none.length, 200);
  assert.ok(planned.length > 100, `${planned.length} as planned`);
  assert.ok(planned.every((x) => x.state === "Completed"));
  for (const x of none) {
    assert.equal(x.state, "Failed Validation");
    assert.match(x.warnings.join(), /requires a configuration/);
  }
  assert.equal(r.code, none.length > 0 ? 1 : 0, r.stderr);
  assert.match(
    r.stderr,
    /estimate: 200 run\(s\) to launch \(200 variantCaller\)/,
  );
  assert.match(r.stderr, /pacing: active \d+ {2}waiting \d+ {2}done \d+/);
  assert.match(r.stderr, /── summary ─+\n200 row\(s\)/);
  const summary = JSON.parse(await Deno.readTextFile(`${cwd}/summary.json`));
  assert.equal(
    summary.filter((x: { config_source: string }) => x.config_source === "plan")
      .length,
    planned.length,
  );
  // Configs are not written anywhere (the plan's settings stay on the server).
  const journal = await Deno.readTextFile(`${cwd}/reports.csv.journal.ndjson`);
  for (const text of [r.stdout, r.stderr, journal]) {
    assert.doesNotMatch(text, /snp_min_allele_freq|torrent_variant_caller/);
  }
  assertNoSecrets(sim, r.stdout, r.stderr, journal);
  await Deno.remove(cwd, { recursive: true });
});

Deno.test("bulk_run.ts --dry-run says which config each row runs with and skips unfinished reports and thumbnails", async () => {
  await using sim = await simulator({ reports: 60, thumbnails: true });
  using client = await clientFor(sim);
  const reports = [...(await getReports(client, sim.reportIds())).values()];
  const unfinished = reports.find((r) => r.i18nstatus?.state === "Progress")!;
  const fullOf = (t: typeof reports[number]) =>
    reports.find((r) => !r.metaData?.thumb && r.experiment === t.experiment);
  const thumb = reports.find((r) =>
    r.metaData?.thumb && fullOf(r)?.i18nstatus?.state === "Completed"
  )!;
  const full = fullOf(thumb)!;
  const errored = reports.find((r) =>
    r.i18nstatus?.state === "Error" && !r.metaData?.thumb
  )!;
  const ids = [unfinished.id, thumb.id, full.id, errored.id];
  const input = ids.map((id) => `${id},coverageAnalysis`).join("\n");
  const r = await runCommand(
    bulkRunMain,
    [
      "-",
      "--dry-run",
      "--rerun",
      "failed,cancelled",
      "--force",
      "--format",
      "json",
    ],
    { env: envFor(sim), stdin: `report,plugin\n${input}\n` },
  );
  assert.equal(r.code, 0, r.stderr);
  const rows = JSON.parse(r.stdout) as {
    report: number;
    outcome: string;
    message: string;
    config_source: string | null;
    warnings: string[];
  }[];
  const row = (id: number) => rows.find((x) => x.report === id)!;
  assert.equal(row(unfinished.id).outcome, "skipped");
  assert.match(row(unfinished.id).message, /still being analysed/);
  assert.equal(row(thumb.id).outcome, "skipped");
  assert.match(
    row(thumb.id).message,
    new RegExp(`thumbnail of report ${full.id}`),
  );
  assert.equal(row(full.id).outcome, "planned");
  assert.equal(row(full.id).config_source, "global"); // coverageAnalysis has one
  // A failed analysis is refused with its status: the plugin would fail.
  assert.equal(row(errored.id).outcome, "skipped");
  assert.equal(
    row(errored.id).message,
    `report ${errored.id}'s analysis ended in error (${errored.status}): the plugin would fail on it; --include-unfinished launches on it anyway`,
  );
  assert.equal(sim.launches.length, 0);

  const both = await runCommand(
    bulkRunMain,
    [
      "-",
      "--dry-run",
      "--force",
      "--include-unfinished",
      "--include-thumbnails",
      "--format",
      "json",
    ],
    { env: envFor(sim), stdin: `report,plugin\n${input}\n` },
  );
  const all = JSON.parse(both.stdout) as {
    report: number;
    outcome: string;
    warnings: string[];
  }[];
  assert.ok(all.every((x) => x.outcome === "planned"), both.stdout);
  // Asked for, the failed analysis is launched on, with a warning.
  assert.match(
    all.find((x) => x.report === errored.id)!.warnings.join(),
    /analysis ended in error/,
  );
  assert.match(
    both.stderr,
    new RegExp(
      `warning: -:\\d+: report ${errored.id}'s analysis ended in error`,
    ),
  );
});

Deno.test("bulk_run.ts --concurrency above 16 with --yes goes on; --config previous reuses the newest run's config", async () => {
  await using sim = await simulator();
  const [a] = freshReports(sim, "variantCaller", 1);
  const given = {
    "snp_min_allele_freq": "0.3",
    "user_password": "hunter2-lab",
  };
  const first = await runCommand(runMain, [
    "variantCaller",
    String(a),
    "--config",
    JSON.stringify(given),
  ], { env: envFor(sim) });
  assert.equal(first.code, 0, first.stderr);
  const r = await runScript("bulk_run.ts", [
    "-",
    "--plugin",
    "variantCaller",
    "--config",
    "previous",
    "--force",
    "--concurrency",
    "20",
    "--yes",
    "--format",
    "json",
  ], { env: envFor(sim), stdin: `${a}\n` });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(sim.launches.length, 2);
  assert.deepEqual(sim.launches[1]!.config, given, "sent as the run had it");
  const [row] = JSON.parse(r.stdout);
  assert.equal(row.config_source, "previous");
  for (const text of [r.stdout, r.stderr]) assert.doesNotMatch(text, /hunter2/);
});
