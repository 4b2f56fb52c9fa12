import assert from "node:assert/strict";
import {
  assertNoSecrets,
  envFor,
  freshReports,
  runScript,
  simulator,
} from "../_helpers.ts";
import { VERSION } from "../../lib/version.ts";

Deno.test("ionrun --help lists the commands; --version; an unknown command names the nearest", async () => {
  const help = await runScript("ionrun.ts", ["--help"]);
  assert.equal(help.code, 0, help.stderr);
  for (
    const c of ["list", "run", "bulk-run", "status", "doctor", "simulator"]
  ) {
    assert.match(help.stdout, new RegExp(`^  ${c} +\\S`, "m"));
  }
  const version = await runScript("ionrun.ts", ["--version"]);
  assert.equal(version.stdout.trim(), VERSION);
  const typo = await runScript("ionrun.ts", ["bulk_run", "x.csv"]);
  assert.equal(typo.code, 2);
  assert.match(
    typo.stderr,
    /unknown command "bulk_run": did you mean "bulk-run"\?/,
  );
  const none = await runScript("ionrun.ts", []);
  assert.equal(none.code, 2);
  assert.match(none.stderr, /^Usage: ionrun <command>/);
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
