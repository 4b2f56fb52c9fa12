// Questions go to stderr (never stdout, which may be a file of results) and
// are refused off a terminal unless --yes; a declined job says so in one
// line (issue 21, item 2 and 3).

import assert from "node:assert/strict";
import { captureIO, envFor, simulator } from "../_helpers.ts";
import { main as bulkRunMain } from "../../scripts/bulk_run.ts";
import { main as runMain } from "../../scripts/run.ts";

/** A CSV of the simulator's first 200 reports: 2 days of variantCaller. */
async function longJob(): Promise<{ file: string }> {
  const cwd = await Deno.makeTempDir({ prefix: "ionrun-q-" });
  return { file: `${cwd}/reports.csv` };
}

Deno.test("bulk_run.ts: a job of days off a terminal is refused without --yes; stdout stays empty, one line says why", async () => {
  await using sim = await simulator();
  const { file } = await longJob();
  await Deno.writeTextFile(
    file,
    `${sim.reportIds().slice(0, 200).join("\n")}\n`,
  );
  const c = captureIO({ env: envFor(sim) });
  const code = await bulkRunMain(
    [file, "--plugin", "variantCaller", "--include-unfinished"],
    c.io,
  );
  assert.equal(code, 2, c.stderr());
  assert.equal(c.stdout(), "");
  assert.deepEqual(c.asked, []);
  assert.match(
    c.stderr(),
    /This job will take [\d.]+ (days|h) on the plugin queue the lab shares( \(\d+ of its \d+ run\(s\) will fail validation\))?: not started without --yes \(standard input is not a terminal/,
  );
  const declined = c.stderr().split("\n").filter((l) =>
    /not confirmed/.test(l)
  );
  assert.deepEqual(declined, [
    "nothing launched: the job of 200 row(s) was not confirmed (--yes starts it without asking)",
  ]);
  assert.equal(sim.launches.length, 0);
});

Deno.test("bulk_run.ts: on a terminal the question is asked through the io (stderr), and no is one line with stdout empty", async () => {
  await using sim = await simulator();
  const { file } = await longJob();
  await Deno.writeTextFile(
    file,
    `${sim.reportIds().slice(0, 200).join("\n")}\n`,
  );
  const c = captureIO({
    env: envFor(sim),
    terminal: { stdin: true, stderr: true, stdout: false },
    confirm: () => false,
  });
  const code = await bulkRunMain(
    [file, "--plugin", "variantCaller", "--include-unfinished"],
    c.io,
  );
  assert.equal(code, 2, c.stderr());
  assert.equal(c.asked.length, 1);
  assert.match(c.asked[0]!, /This job will take [\d.]+ (days|h) .*Start it\?/);
  assert.equal(c.stdout(), "");
  assert.equal(sim.launches.length, 0);
});

Deno.test("bulk_run.ts and run.ts: --concurrency above 16 off a terminal is refused without --yes", async () => {
  await using sim = await simulator();
  const c = captureIO({ env: envFor(sim), stdin: "1\n" });
  const code = await bulkRunMain(
    ["-", "--plugin", "igv", "--concurrency", "20"],
    c.io,
  );
  assert.equal(code, 2);
  assert.equal(c.stdout(), "");
  assert.match(c.stderr(), /--concurrency 20 .*not started without --yes/);
  assert.equal(sim.launches.length, 0);
  const r = captureIO({ env: envFor(sim) });
  const ids = sim.reportIds().slice(0, 200).map(String);
  assert.equal(
    await runMain(["variantCaller", ...ids, "--include-unfinished"], r.io),
    2,
  );
  assert.equal(r.stdout(), "");
  assert.match(r.stderr(), /not started without --yes/);
});

Deno.test("bulk_run.ts --dry-run: the plan line and the estimate count the rows whose run will fail validation, at the real --max-active", async () => {
  await using sim = await simulator();
  const c = captureIO({ env: envFor(sim), stdin: "" });
  const ids = sim.reportIds().slice(0, 200).join("\n");
  const io = {
    ...c.io,
    stdin: {
      readable: new Blob([`${ids}\n`]).stream(),
      isTerminal: () => false,
    },
  };
  const code = await bulkRunMain(
    ["-", "--plugin", "variantCaller", "--force", "--dry-run", "-o", "json"],
    io,
  );
  const rows = JSON.parse(c.stdout()) as { warnings: string[] }[];
  const failing =
    rows.filter((r) => r.warnings.some((w) => /will fail validation/.test(w)))
      .length;
  assert.ok(failing > 0, "the simulator has plans without settings");
  assert.ok(code === 0 || code === 1, c.stderr());
  assert.match(
    c.stderr(),
    new RegExp(
      `^plan: 200 row\\(s\\): .*; ${failing} will fail validation`,
      "m",
    ),
  );
  assert.match(
    c.stderr(),
    new RegExp(
      `^estimate: .* at 2 at a time .*; ${failing} of them will fail validation`,
      "m",
    ),
  );
});
