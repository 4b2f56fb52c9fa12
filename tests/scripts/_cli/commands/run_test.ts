import assert from "node:assert/strict";
import { runScript } from "../../../_helpers.ts";

// The command module is the code of both run.ts and `ionrun run`: the
// same options and help, under either name.
Deno.test("ionrun run and run.ts are the same command", async () => {
  const [script, sub] = await Promise.all([
    runScript("run.ts", ["--help"]),
    runScript("ionrun.ts", ["run", "--help"]),
  ]);
  assert.equal(script.code, 0, script.stderr);
  assert.equal(sub.code, 0, sub.stderr);
  assert.match(sub.stdout, /^Usage: ionrun run /);
  assert.equal(
    sub.stdout.replaceAll("ionrun run", "run.ts"),
    script.stdout,
  );
});
