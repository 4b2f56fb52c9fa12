import assert from "node:assert/strict";
import { runScript } from "../../../_helpers.ts";

// The command module is the code of both list.ts and `ionrun list`: the
// same options and help, under either name.
Deno.test("ionrun list and list.ts are the same command", async () => {
  const [script, sub] = await Promise.all([
    runScript("list.ts", ["--help"]),
    runScript("ionrun.ts", ["list", "--help"]),
  ]);
  assert.equal(script.code, 0, script.stderr);
  assert.equal(sub.code, 0, sub.stderr);
  assert.match(sub.stdout, /^Usage: ionrun list /);
  assert.equal(
    sub.stdout.replaceAll("ionrun list", "list.ts"),
    script.stdout,
  );
});
