import assert from "node:assert/strict";
import { runScript } from "../../../_helpers.ts";

// The command module is the code of both status.ts and `ionrun status`: the
// same options and help, under either name.
Deno.test("ionrun status and status.ts are the same command", async () => {
  const [script, sub] = await Promise.all([
    runScript("status.ts", ["--help"]),
    runScript("ionrun.ts", ["status", "--help"]),
  ]);
  assert.equal(script.code, 0, script.stderr);
  assert.equal(sub.code, 0, sub.stderr);
  assert.match(sub.stdout, /^Usage: ionrun status /);
  assert.equal(
    sub.stdout.replaceAll("ionrun status", "status.ts"),
    script.stdout,
  );
});
