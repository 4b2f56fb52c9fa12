import assert from "node:assert/strict";
import {
  isThumbnail,
  reportReadiness,
  sortOutReports,
} from "../../../lib/bulk/_reports.ts";
import { getReports } from "../../../lib/api/reports.ts";
import type { Report } from "../../../lib/types.ts";
import { bulkContext, clientFor, simulator, taskFor } from "../../_helpers.ts";

const report = (fields: Partial<Report>): Report =>
  ({ id: 1, resultsName: "r", status: "Completed", ...fields }) as Report;

Deno.test("reportReadiness() follows the server's status groups, and the status alone on older servers", () => {
  const cases: [Partial<Report>, string][] = [
    [{ status: "Alignment", i18nstatus: { state: "Progress" } }, "unfinished"],
    [
      { status: "Completed with 1 error(s)", i18nstatus: { state: "Error" } },
      "error",
    ],
    [{ status: "Completed", i18nstatus: { state: "Completed" } }, "done"],
    [{ status: "Pending", i18nstatus: { state: "Other" } }, "unfinished"],
    [{ status: "Moved", i18nstatus: { state: "Other" } }, "unknown"],
    // No i18nstatus (before 5.4): the status itself.
    [{ status: "Completed" }, "done"],
    [{ status: "Signal Processing" }, "unfinished"],
    [{ status: "Started" }, "unfinished"],
    [{ status: "Error in Basecaller" }, "error"],
    [{ status: "TERMINATED" }, "error"],
    [{ status: "Something new" }, "unknown"],
  ];
  for (const [fields, expected] of cases) {
    assert.equal(reportReadiness(report(fields)), expected, fields.status);
  }
  assert.equal(isThumbnail(report({ metaData: { thumb: 1 } })), true);
  assert.equal(isThumbnail(report({ metaData: {} })), false);
  assert.equal(isThumbnail(report({})), undefined);
});

Deno.test("sortOutReports() skips unfinished and failed analyses and thumbnails of full reports, or flags failed analyses when asked", async () => {
  await using sim = await simulator({ reports: 60, thumbnails: true });
  using client = await clientFor(sim);
  const reports = await getReports(client, sim.reportIds());
  const all = [...reports.values()];
  const thumbs = all.filter((r) => r.metaData?.thumb);
  const unfinished = all.filter((r) => r.i18nstatus?.state === "Progress");
  const failed = all.filter((r) => r.i18nstatus?.state === "Error");
  assert.ok(thumbs.length > 2 && unfinished.length > 0 && failed.length > 0);

  // The thumbnails alone: their full reports are looked up (one request).
  const expOf = (r: Report) => r.experiment;
  const fullOf = new Map(
    all.filter((r) => !r.metaData?.thumb).map((r) => [expOf(r), r.id]),
  );
  sim.clearLog();
  const thumbTasks = thumbs.map((r) => taskFor(r.id, "igv"));
  const keptThumbs = await sortOutReports(bulkContext(client), thumbTasks, {
    reports: new Map(thumbs.map((r) => [r.id, r])),
    choices: { includeUnfinished: true, includeThumbnails: false },
  });
  assert.equal(keptThumbs.length, 0);
  assert.equal(sim.requests.length, 1);
  for (const t of thumbTasks) {
    const row = t.rows[0]!;
    assert.equal(row.outcome, "skipped");
    const full = fullOf.get(expOf(reports.get(t.report)!));
    assert.match(row.message, new RegExp(`thumbnail of report ${full} `));
  }

  // Everything: no request (the full reports are in the input).
  sim.clearLog();
  const tasks = all.map((r) => taskFor(r.id, "igv"));
  const kept = await sortOutReports(bulkContext(client), tasks, {
    reports,
    choices: { includeUnfinished: false, includeThumbnails: false },
  });
  assert.equal(sim.requests.length, 0);
  const keptIds = new Set(kept.map((t) => t.report));
  for (const r of unfinished) {
    assert.ok(!keptIds.has(r.id));
    const row = tasks.find((t) => t.report === r.id)!.rows[0]!;
    assert.match(row.message, /still being analysed .*--include-unfinished/);
  }
  for (const r of failed) {
    assert.ok(!keptIds.has(r.id), "a failed analysis is not launched on");
    const row = tasks.find((t) => t.report === r.id)!.rows[0]!;
    assert.equal(row.outcome, "skipped");
    assert.ok(
      row.message.includes(`analysis ended in error (${r.status})`) &&
        row.message.includes("--include-unfinished"),
      row.message,
    );
  }
  const notDone = (r: Report) =>
    r.i18nstatus?.state === "Progress" || r.i18nstatus?.state === "Error";
  assert.equal(
    kept.length,
    all.length - unfinished.length - failed.length - thumbs.length +
      thumbs.filter(notDone).length,
  );

  // Asked for: every report.
  const again = all.map((r) => taskFor(r.id, "igv"));
  const everything = await sortOutReports(bulkContext(client), again, {
    reports,
    choices: { includeUnfinished: true, includeThumbnails: true },
  });
  assert.equal(everything.length, all.length);
  for (const r of failed) {
    const row = again.find((t) => t.report === r.id)!.rows[0]!;
    assert.match(row.warnings?.join() ?? "", /analysis ended in error/);
  }
});

Deno.test("sortOutReports() launches on reports whose status and thumbnail flag the server does not expose", async () => {
  const reports = new Map([[3, report({ id: 3, status: "Whatever" })]]);
  const task = taskFor(3, "igv");
  const failing = {} as Parameters<typeof bulkContext>[0]; // no request may go out
  const kept = await sortOutReports(bulkContext(failing), [task], {
    reports,
    choices: { includeUnfinished: false, includeThumbnails: false },
  });
  assert.deepEqual(kept, [task]);
  assert.equal(task.rows[0]!.warnings, undefined);
});
