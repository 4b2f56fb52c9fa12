import assert from "node:assert/strict";
import { runScript } from "../../../_helpers.ts";

// The command module is the code of both doctor.ts and `ionrun doctor`: the
// same options and help, under either name.
Deno.test("ionrun doctor and doctor.ts are the same command", async () => {
  const [script, sub] = await Promise.all([
    runScript("doctor.ts", ["--help"]),
    runScript("ionrun.ts", ["doctor", "--help"]),
  ]);
  assert.equal(script.code, 0, script.stderr);
  assert.equal(sub.code, 0, sub.stderr);
  assert.match(sub.stdout, /^Usage: ionrun doctor /);
  assert.equal(
    sub.stdout.replaceAll("ionrun doctor", "doctor.ts"),
    script.stdout,
  );
});
