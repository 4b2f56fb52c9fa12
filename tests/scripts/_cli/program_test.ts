// Tests of the scripts' error reporting: exit codes and messages on stderr.
// reportError() writes to stderr, so each case runs in a child process.

import assert from "node:assert/strict";

const MODULE =
  new URL("../../../scripts/_cli/program.ts", import.meta.url).href;
const ERRORS = new URL("../../../lib/errors.ts", import.meta.url).href;

async function report(expression: string, debug = false) {
  const code = `
    import { reportError } from "${MODULE}";
    import * as E from "${ERRORS}";
    Deno.exitCode = reportError("x.ts", ${expression}, ${debug});`;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--no-check", "--cached-only", code],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  return { code: out.code, stderr: new TextDecoder().decode(out.stderr) };
}

Deno.test("reportError() maps errors to exit codes with one clear message", async () => {
  const usage = await report(`new E.UsageError("no TS_URL")`);
  assert.deepEqual(usage, { code: 2, stderr: "x.ts: error: no TS_URL\n" });
  const input = await report(
    `new E.InputError([{ file: "a.csv", line: 3, message: "bad key" }])`,
  );
  assert.deepEqual(input, { code: 2, stderr: "a.csv:3: bad key\n" });
  const auth = await report(
    `new E.AuthError("Authentication failed", { method: "GET", url: "u", credentialForm: "apikey" })`,
  );
  assert.equal(auth.code, 3);
  const net = await report(
    `new E.NetworkError("GET u: cannot connect", { method: "GET", url: "u", kind: "connection", hint: "check TS_URL" })`,
  );
  assert.deepEqual(net, {
    code: 1,
    stderr: "x.ts: error: GET u: cannot connect\nhint: check TS_URL\n",
  });
  // An unexpected error says how to see more; --debug shows the stack.
  const bug = await report(`new RangeError("oops")`);
  assert.equal(bug.code, 1);
  assert.match(
    bug.stderr,
    /^x\.ts: error: oops\n\(run with --debug for details\)\n$/,
  );
  const debug = await report(`new RangeError("oops")`, true);
  assert.match(debug.stderr, /RangeError: oops\n\s+at /);
  assert.equal(
    await report(`new Deno.errors.BrokenPipe("gone")`).then((r) => r.code),
    141,
  );
});
