import assert from "node:assert/strict";
import {
  assertNoSecrets,
  type CommandMain,
  envFor,
  freshReports,
  runCommand,
  runScript,
  simulator,
} from "../_helpers.ts";
import { VERSION } from "../../lib/version.ts";
import { main as ionrun } from "../../scripts/ionrun.ts";
import { main as list } from "../../scripts/list.ts";
import { main as run } from "../../scripts/run.ts";
import { main as bulkRun } from "../../scripts/bulk_run.ts";
import { main as status } from "../../scripts/status.ts";
import { main as doctor } from "../../scripts/doctor.ts";
import { spokenAs } from "../../scripts/_cli/io.ts";
import { wrapHelp } from "../../scripts/_cli/program.ts";

// Each script is the code of both <name>.ts and `ionrun <command>`: the same
// options and help, under either name.
const SAME: [command: string, script: string, main: CommandMain][] = [
  ["list", "list.ts", list],
  ["run", "run.ts", run],
  ["bulk-run", "bulk_run.ts", bulkRun],
  ["status", "status.ts", status],
  ["doctor", "doctor.ts", doctor],
];
for (const [command, script, main] of SAME) {
  Deno.test(`ionrun ${command} and ${script} are the same command`, async () => {
    const [alone, sub] = await Promise.all([
      runCommand(main, ["--help"]),
      runCommand(ionrun, [command, "--help"]),
    ]);
    assert.equal(alone.code, 0, alone.stderr);
    assert.equal(sub.code, 0, sub.stderr);
    assert.match(sub.stdout, new RegExp(`^Usage: ionrun ${command} `));
    // The same help, every script named as ionrun's command.
    assert.equal(
      sub.stdout,
      wrapHelp(spokenAs({ ionrun: true }, alone.stdout)),
    );
    assert.doesNotMatch(
      sub.stdout,
      /(?<![\w/.-])(bulk_run|list|run|status|doctor|results|download)\.ts\b/,
    );
  });
}

Deno.test("ionrun --help lists the commands; --version; an unknown command names the nearest", async () => {
  const help = await runCommand(ionrun, ["--help"]);
  assert.equal(help.code, 0, help.stderr);
  for (
    const c of ["list", "run", "bulk-run", "status", "doctor", "simulator"]
  ) {
    assert.match(help.stdout, new RegExp(`^  ${c} +\\S`, "m"));
  }
  const version = await runCommand(ionrun, ["--version"]);
  assert.equal(version.stdout.trim(), VERSION);
  const typo = await runCommand(ionrun, ["bulk_run", "x.csv"]);
  assert.equal(typo.code, 2);
  assert.match(
    typo.stderr,
    /unknown command "bulk_run": did you mean "bulk-run"\?/,
  );
  const none = await runCommand(ionrun, []);
  assert.equal(none.code, 2);
  assert.match(none.stderr, /^Usage: ionrun <command>/);
  // `ionrun help` is `ionrun --help`; `ionrun help <command>` its help.
  const helped = await runCommand(ionrun, ["help"]);
  assert.deepEqual([helped.code, helped.stdout], [0, help.stdout]);
  const sub = await runCommand(ionrun, ["help", "bulk-run"]);
  assert.equal(sub.code, 0, sub.stderr);
  assert.match(sub.stdout, /^Usage: ionrun bulk-run /);
});

Deno.test("spokenAs(): under ionrun, hints and help name ionrun's commands; as a script, the scripts", () => {
  const hint =
    "use the host name it was made for in TS_URL (doctor.ts shows it); then status.ts x --failed | deno run -A scripts/bulk_run.ts -";
  assert.equal(spokenAs({}, hint), hint);
  assert.equal(
    spokenAs({ ionrun: true }, hint),
    "use the host name it was made for in TS_URL (ionrun doctor shows it); then ionrun status x --failed | ionrun bulk-run -",
  );
  // Not a script: other file names stay.
  assert.equal(
    spokenAs({ ionrun: true }, "recipes/qc.ts and myrun.ts"),
    "recipes/qc.ts and myrun.ts",
  );
});

Deno.test("ionrun list and bulk-run work against the simulator, and the commands they print are ionrun's", async () => {
  await using sim = await simulator({ failureRate: 1 });
  const list = await runScript("ionrun.ts", ["list", "--format", "json"], {
    env: envFor(sim),
  });
  assert.equal(list.code, 0, list.stderr);
  assert.ok(
    (JSON.parse(list.stdout) as { name: string }[]).some((p) =>
      p.name === "igv"
    ),
  );
  const reports = freshReports(sim, "igv", 2);
  const bulk = await runScript("ionrun.ts", [
    "bulk-run",
    "-",
    "--plugin",
    "igv",
    "--wait",
    "--poll",
    "0.1",
  ], { env: envFor(sim), stdin: reports.join("\n") });
  assert.equal(bulk.code, 1, bulk.stderr); // the runs failed (failureRate 1)
  assert.equal(sim.launches.length, 2);
  assert.match(
    bulk.stderr,
    /ionrun status bulk_run-stdin\.journal\.ndjson --failed --format csv \| ionrun bulk-run -/,
  );
  assertNoSecrets(sim, list.stdout, list.stderr, bulk.stdout, bulk.stderr);
});

Deno.test("in-process, ionrun status spells its rerun command as ionrun's and status.ts as a script's, at the same time (the io says how it was started, no global)", async () => {
  await using sim = await simulator();
  const [report] = freshReports(sim, "igv", 1);
  sim.addPluginResult(report!, "igv", "Error");
  const args = ["--report", String(report), "--plugin", "igv"];
  const [sub, alone] = await Promise.all([
    runCommand(ionrun, ["status", ...args], { env: envFor(sim) }),
    runCommand(status, args, { env: envFor(sim) }),
  ]);
  assert.equal(sub.code, 0, sub.stderr);
  assert.equal(alone.code, 0, alone.stderr);
  assert.match(
    sub.stderr,
    new RegExp(
      `ionrun status --report ${report} --plugin igv --failed --format csv \\| ionrun bulk-run -`,
    ),
  );
  assert.match(
    alone.stderr,
    new RegExp(
      `deno run -A \\S*status\\.ts --report ${report} --plugin igv --failed --format csv \\| deno run -A \\S*bulk_run\\.ts -`,
    ),
  );
  assert.doesNotMatch(alone.stderr, /ionrun/);
});
