import assert from "node:assert/strict";
import {
  ApiError,
  formatProblem,
  InputError,
  NetworkError,
  UsageError,
} from "../../lib/errors.ts";

Deno.test("InputError lists every problem as file:line: message", () => {
  const e = new InputError([
    { file: "in.csv", line: 2, message: "report key is empty" },
    { file: "in.csv", line: 9, message: 'unknown plugin "igvv"' },
  ]);
  assert.equal(
    e.message,
    'in.csv:2: report key is empty\nin.csv:9: unknown plugin "igvv"',
  );
  assert.equal(e.exitCode, 2);
  assert.equal(
    formatProblem(e.problems[1]!),
    'in.csv:9: unknown plugin "igvv"',
  );
});

Deno.test("errors keep their fields and cause", () => {
  const cause = new Error("socket");
  const net = new NetworkError("x", {
    method: "POST",
    url: "u",
    kind: "timeout",
    outcomeUnknown: true,
    cause,
  });
  assert.equal(net.cause, cause);
  assert.equal(net.hint, "");
  const api = new ApiError("y", { method: "GET", url: "u", status: 410 });
  assert.equal(api.serverMessage, "");
  assert.equal(api.name, "ApiError");
  assert.equal(new UsageError("z").exitCode, 2);
});
