import assert from "node:assert/strict";
import { runScript } from "../../../_helpers.ts";

// The command module is the code of both bulk_run.ts and `ionrun bulk-run`: the
// same options and help, under either name.
Deno.test("ionrun bulk-run and bulk_run.ts are the same command", async () => {
  const [script, sub] = await Promise.all([
    runScript("bulk_run.ts", ["--help"]),
    runScript("ionrun.ts", ["bulk-run", "--help"]),
  ]);
  assert.equal(script.code, 0, script.stderr);
  assert.equal(sub.code, 0, sub.stderr);
  assert.match(sub.stdout, /^Usage: ionrun bulk-run /);
  assert.equal(
    sub.stdout.replaceAll("ionrun bulk-run", "bulk_run.ts"),
    script.stdout,
  );
});
