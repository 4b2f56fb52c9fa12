import assert from "node:assert/strict";
import type { PairStatus } from "../../../lib/status/status.ts";
import { countOutcomes, type RowResult } from "../../../lib/bulk/summary.ts";
import {
  bulkClosing,
  bulkRunClosing,
  renderClosing,
  rerunCommand,
  shellQuote,
  statusClosing,
} from "../../../scripts/_cli/closing.ts";
import {
  DENO_DIR,
  envFor,
  freshReports,
  launchCounts,
  runScript,
  simulator,
} from "../../_helpers.ts";

const base: PairStatus = {
  report: 1,
  reportName: "R_1",
  reportFound: true,
  plugin: "igv",
  state: "Completed",
  stateClass: "completed",
  id: 1,
  starttime: null,
  endtime: null,
  durationSeconds: null,
  url: null,
  validationErrors: [],
};

Deno.test("statusClosing() counts the groups, names up to ten failures with their reason, notes stale, cancelled and missing", () => {
  const statuses: PairStatus[] = [
    base,
    ...Array.from({ length: 12 }, (_, i): PairStatus => ({
      ...base,
      report: 100 + i,
      state: "Error",
      stateClass: "failed",
      id: 200 + i,
    })),
    {
      ...base,
      report: 50,
      state: "Failed Validation",
      stateClass: "failed",
      id: 9,
      validationErrors: ["igv requires configuration before execution."],
    },
    { ...base, report: 60, state: "Started", stateClass: "stale", id: 7 },
    { ...base, report: 61, state: "Cancelled", stateClass: "cancelled", id: 8 },
    { ...base, report: 70, state: null, stateClass: "missing", id: null },
    {
      ...base,
      report: 99999,
      reportFound: false,
      plugin: "",
      state: null,
      stateClass: "missing",
      id: null,
    },
  ];
  const logs = new Map([[200, {
    report: 100,
    plugin: "igv",
    id: 200,
    url: null,
    status: "ok" as const,
    lines: [
      "Reading BAM",
      "[2026-03-01 12:00:00] ERROR: samtools: failed to open BAM file",
      "x",
    ],
    errorLines: [1],
    truncated: false,
    message: "",
  }]]);
  const lines = renderClosing(
    statusClosing(statuses, { rerun: "RERUN", logs }),
  );
  const text = lines.join("\n");
  assert.match(
    lines[1]!,
    /^18 pair\(s\): 1 completed, 13 failed, 1 stale, 1 cancelled, 1 never run, 1 no such report$/,
  );
  assert.match(text, /^13 failed \(the first 10\):$/m);
  assert.match(
    text,
    /^ {2}100 {2}R_1 {2}igv: Error: samtools: failed to open BAM file$/m,
  );
  assert.match(text, /^ {2}101 {2}R_1 {2}igv: Error$/m);
  assert.match(text, /^ {2}… and 3 more$/m);
  assert.doesNotMatch(text, /^ {2}50 /m, "the 13th is not named");
  assert.match(text, /1 stale .*60 igv #7/);
  assert.match(text, /1 cancelled by a user/);
  assert.match(text, /1 report\(s\) not on this server: 99999/);
  assert.match(text, /Rerun the failed ones:\n {2}RERUN$/);
  assert.ok(!text.includes("\x1b["), "no color unless asked");
  assert.ok(
    renderClosing(statusClosing(statuses), { color: true }).join("\n")
      .includes("\x1b[1;31m13 failed"),
  );
  const ok = renderClosing(statusClosing([base], { rerun: "RERUN" }));
  assert.deepEqual(ok.slice(1), ["1 pair(s): 1 completed"]);
});

Deno.test("bulkClosing() turns a bulk summary into the same block", () => {
  const results: RowResult[] = [
    {
      line: 2,
      report: 1,
      plugin: "igv",
      outcome: "launched",
      run: 5,
      message: "",
      state: "Completed",
    },
    {
      line: 3,
      report: 2,
      plugin: "igv",
      outcome: "launched",
      run: 6,
      message: "",
      state: "Error",
    },
    {
      line: 4,
      report: 3,
      plugin: "igv",
      outcome: "failed",
      run: null,
      message: "plugin not launchable (410)",
      state: null,
    },
    {
      line: 5,
      report: 4,
      plugin: "igv",
      outcome: "skipped",
      run: 7,
      message: "already completed",
      state: "Completed",
    },
  ];
  const text = renderClosing(bulkClosing({
    results,
    counts: countOutcomes(results),
    interrupted: false,
    resumed: 0,
    pendingAfterWait: 1,
    duplicates: 0,
  }, { rerun: rerunCommand(["in.csv.journal.ndjson"]) })).join("\n");
  assert.match(text, /^4 row\(s\): 2 launched, 1 skipped, 1 failed$/m);
  assert.match(text, /^2 failed to launch or ended in a failure:$/m);
  assert.match(text, /^ {2}2 {2}igv: Error$/m);
  assert.match(text, /^ {2}3 {2}igv: failed: plugin not launchable \(410\)$/m);
  assert.match(text, /1 still running when --timeout ended the wait/);
  assert.match(
    text,
    /deno run -A \S*scripts\/status\.ts in\.csv\.journal\.ndjson --failed --format csv \| deno run -A \S*scripts\/bulk_run\.ts -$/,
  );
});

Deno.test("shellQuote() quotes what a shell would split", () => {
  assert.equal(shellQuote("runs.csv"), "runs.csv");
  assert.equal(shellQuote("my runs.csv"), "'my runs.csv'");
  assert.equal(shellQuote("it's"), "'it'\\''s'");
});

const row = (
  line: number,
  outcome: RowResult["outcome"],
  state: string | null,
  message = "",
): RowResult => ({
  line,
  report: 100 + line,
  plugin: "igv",
  outcome,
  run: outcome === "launched" || outcome === "skipped" ? 500 + line : null,
  message,
  state,
});

Deno.test("bulkRunClosing() from rows: counts, up to ten failures with their reason, the rerun command over the journal, the same command for rows that did not launch", () => {
  const rows: RowResult[] = [
    row(2, "launched", "Completed"),
    ...Array.from({ length: 11 }, (_, i) => row(3 + i, "launched", "Error")),
    row(20, "failed", null, "plugin not launchable (410)"),
    row(21, "not-started", null, "server down: not started"),
    row(22, "skipped", "Started", "already running"),
    row(23, "launched", "Timed Out"),
  ];
  const block = bulkRunClosing(rows, {
    journal: "my runs.csv.journal.ndjson",
    args: ["my runs.csv", "--plugin", "igv", "--wait"],
    pendingAfterWait: 2,
  });
  const text = renderClosing(block).join("\n");
  assert.match(
    text,
    /^16 row\(s\): 13 launched, 1 skipped, 1 failed, 1 not-started$/m,
  );
  assert.match(
    text,
    /^13 failed to launch or ended in a failure \(the first 10\):$/m,
  );
  assert.match(text, /^ {2}103 {2}igv: Error$/m);
  assert.match(text, /^ {2}… and 3 more$/m);
  assert.match(text, /2 still running when --timeout ended the wait/);
  assert.match(
    block.rerun!,
    /^deno run -A \S*scripts\/status\.ts 'my runs\.csv\.journal\.ndjson' --failed --format csv \| deno run -A \S*scripts\/bulk_run\.ts -$/,
  );
  assert.match(
    block.resume!,
    /^deno run -A \S*scripts\/bulk_run\.ts 'my runs\.csv' --plugin igv --wait$/,
  );
  assert.match(text, /^Rerun the failed ones:\n {2}deno run -A /m);
  assert.match(
    text,
    /^Launch the rows that did not launch .*:\n {2}deno run -A \S*bulk_run\.ts 'my runs/m,
  );
  // Everything launched and completed: no command to give.
  const fine = bulkRunClosing([row(2, "launched", "Completed")], {
    journal: "j",
    args: ["in.csv"],
  });
  assert.equal(fine.rerun, undefined);
  assert.equal(fine.resume, undefined);
  assert.deepEqual(fine.failures, []);
  // A run that launched and then ended Error (outcome failed after --wait,
  // its run known) is for the rerun command only: the same command again
  // would launch nothing, so it is not offered.
  const ranAndFailed = bulkRunClosing(
    [{ ...row(2, "failed", "Error", "run 502 ended Error"), run: 502 }],
    { journal: "j", args: ["in.csv", "--wait"] },
  );
  assert.ok(ranAndFailed.rerun);
  assert.equal(ranAndFailed.resume, undefined);
  // Standard input: the same input has to be given again.
  const piped = bulkRunClosing([row(2, "not-started", null)], {
    args: ["-", "--plugin", "igv"],
  });
  assert.match(
    piped.resume!,
    /^\(the same input\) \| deno run -A \S*bulk_run\.ts - --plugin igv$/,
  );
});

Deno.test("bulkRunClosing(): the rerun command it prints, run as printed, relaunches exactly the failed runs of the job", async () => {
  await using sim = await simulator({ failureRate: 0.5, runMs: 50 });
  const reports = freshReports(sim, "igv", 6);
  const cwd = await Deno.makeTempDir();
  await Deno.writeTextFile(`${cwd}/in.csv`, `report\n${reports.join("\n")}\n`);
  const args = [
    "in.csv",
    "--plugin",
    "igv",
    "--wait",
    "--poll",
    "0.05",
    "--summary",
    "out.json",
  ];
  const first = await runScript("bulk_run.ts", args, { env: envFor(sim), cwd });
  const summary = JSON.parse(await Deno.readTextFile(`${cwd}/out.json`));
  const rows: RowResult[] = Array.isArray(summary) ? summary : summary.results;
  const failed = rows.filter((r) => r.state === "Error").map((r) =>
    `${r.report}/igv`
  );
  assert.ok(
    failed.length > 0 && failed.length < 6,
    `${first.stderr}\n${failed}`,
  );
  // The script computes its command in the user's folder: paths are
  // relative to it.
  const block = bulkRunClosing(rows, {
    journal: "in.csv.journal.ndjson",
    args,
    cwd,
  });
  assert.ok(block.rerun);
  sim.clearLog();
  const out = await new Deno.Command("sh", {
    args: ["-c", block.rerun],
    cwd,
    clearEnv: true,
    env: {
      ...envFor(sim),
      PATH: `${Deno.execPath().replace(/\/[^/]+$/, "")}:/usr/bin:/bin`,
      NO_COLOR: "1",
      HOME: Deno.env.get("HOME") ?? "",
      DENO_DIR,
      DENO_NO_UPDATE_CHECK: "1",
      XDG_CACHE_HOME: await Deno.makeTempDir(),
    },
  }).output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  assert.deepEqual([...launchCounts(sim).keys()].sort(), failed.sort());
  await Deno.remove(cwd, { recursive: true });
});

Deno.test("bulkRunClosing(): beside a pair launched twice it never says 'nothing is launched twice'", () => {
  const rows: RowResult[] = [
    row(2, "launched", null, "report 102 igv: launched twice, runs 7 and 9"),
    row(3, "in-doubt", null, "sent, its answer lost"),
    row(4, "not-started", null, "not launched: interrupted"),
  ];
  const twice = renderClosing(
    bulkRunClosing(rows, { args: ["in.csv"], duplicates: 1 }),
  ).join("\n");
  assert.doesNotMatch(twice, /nothing is launched twice/);
  assert.match(
    twice,
    /Launch the rows that did not launch \(the same command resumes the job\):/,
  );
  // The same block without the double says it.
  const once = renderClosing(
    bulkRunClosing(rows.slice(1), { args: ["in.csv"] }),
  ).join("\n");
  assert.match(once, /in doubt: .* \(nothing is launched twice\)/);
  assert.match(
    once,
    /the same command resumes the job; nothing is launched twice/,
  );
});
