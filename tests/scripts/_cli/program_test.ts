// Tests of the scripts' error reporting: exit codes and messages on stderr
// (reportError() writes to the io it is given: a captured one here).

import assert from "node:assert/strict";
import { reportError } from "../../../scripts/_cli/program.ts";
import * as E from "../../../lib/errors.ts";
import { captureIO } from "../../_helpers.ts";

function report(error: unknown, debug = false) {
  const captured = captureIO();
  const code = reportError("x.ts", error, debug, captured.io);
  return Promise.resolve({ code, stderr: captured.stderr() });
}

Deno.test("reportError() maps errors to exit codes with one clear message", async () => {
  const usage = await report(new E.UsageError("no TS_URL"));
  assert.deepEqual(usage, { code: 2, stderr: "x.ts: error: no TS_URL\n" });
  const input = await report(
    new E.InputError([{ file: "a.csv", line: 3, message: "bad key" }]),
  );
  assert.deepEqual(input, { code: 2, stderr: "a.csv:3: bad key\n" });
  const auth = await report(
    new E.AuthError("Authentication failed", {
      method: "GET",
      url: "u",
      credentialForm: "apikey",
    }),
  );
  assert.equal(auth.code, 3);
  const net = await report(
    new E.NetworkError("GET u: cannot connect", {
      method: "GET",
      url: "u",
      kind: "connection",
      hint: "check TS_URL",
    }),
  );
  assert.deepEqual(net, {
    code: 1,
    stderr: "x.ts: error: GET u: cannot connect\nhint: check TS_URL\n",
  });
  // An unexpected error says how to see more; --debug shows the stack.
  const bug = await report(new RangeError("oops"));
  assert.equal(bug.code, 1);
  assert.match(
    bug.stderr,
    /^x\.ts: error: oops\n\(run with --debug for details\)\n$/,
  );
  const debug = await report(new RangeError("oops"), true);
  assert.match(debug.stderr, /RangeError: oops\n\s+at /);
  assert.equal(
    await report(new Deno.errors.BrokenPipe("gone")).then((r) => r.code),
    141,
  );
});
