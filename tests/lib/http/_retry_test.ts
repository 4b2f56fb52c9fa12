// Unit tests of the retry policy: which failures are permanent, which may
// have launched anyway (and must be checked before any resend), and backoff.

import assert from "node:assert/strict";
import {
  abortableSleep,
  backoffMs,
  isPermanent,
  mayHaveLaunched,
} from "../../../lib/http/_retry.ts";
import {
  ApiError,
  AuthError,
  NetworkError,
  RedirectError,
  UnreadableAnswerError,
} from "../../../lib/errors.ts";

const req = {
  method: "POST",
  url: "https://ts/rundb/api/v1/results/1/plugin/",
};
const api = (status: number) => new ApiError("x", { ...req, status });
const net = (kind: "timeout" | "connection" | "tls", outcomeUnknown: boolean) =>
  new NetworkError("x", { ...req, kind, outcomeUnknown });

Deno.test("isPermanent(): 4xx, redirects, TLS and bugs are; 5xx, 408, 429, unreadable answers and network errors are not", () => {
  assert.equal(
    isPermanent(
      new UnreadableAnswerError("x", { ...req, status: 200, reason: "html" }),
    ),
    false,
  );
  for (const s of [400, 401, 404, 405, 410, 414]) {
    assert.equal(isPermanent(api(s)), true, `${s}`);
  }
  for (const s of [408, 429, 500, 502, 503, 504]) {
    assert.equal(isPermanent(api(s)), false, `${s}`);
  }
  assert.equal(
    isPermanent(new AuthError("x", { ...req, credentialForm: "apikey" })),
    true,
  );
  assert.equal(
    isPermanent(
      new RedirectError("x", { ...req, status: 301, location: "/x/" }),
    ),
    true,
  );
  assert.equal(isPermanent(net("tls", false)), true);
  assert.equal(isPermanent(net("timeout", true)), false);
  assert.equal(isPermanent(net("connection", false)), false);
  assert.equal(isPermanent(new TypeError("x is undefined")), true);
  assert.equal(
    isPermanent(new RangeError("a bug")),
    true,
    "bugs must not loop",
  );
});

Deno.test("mayHaveLaunched(): lost answers, unreadable 2xx and 5xx may have; refusals did not", () => {
  assert.equal(
    mayHaveLaunched(
      new UnreadableAnswerError("x", {
        ...req,
        status: 202,
        reason: "truncated",
      }),
    ),
    true,
  );
  assert.equal(mayHaveLaunched(net("timeout", true)), true);
  assert.equal(mayHaveLaunched(net("connection", true)), true);
  assert.equal(mayHaveLaunched(net("connection", false)), false);
  for (const s of [500, 502, 503, 504]) {
    assert.equal(mayHaveLaunched(api(s)), true, `${s}`);
  }
  for (const s of [400, 404, 410]) {
    assert.equal(mayHaveLaunched(api(s)), false, `${s}`);
  }
  assert.equal(
    mayHaveLaunched(new Error("unknown")),
    true,
    "unknown means in doubt",
  );
});

Deno.test("backoffMs(): doubles, with jitter in the upper half, capped at 60 s", () => {
  assert.equal(backoffMs(0, 1000, () => 0), 500);
  assert.equal(backoffMs(0, 1000, () => 1), 1000);
  assert.equal(backoffMs(3, 1000, () => 0), 4000);
  assert.equal(backoffMs(3, 1000, () => 1), 8000);
  assert.equal(backoffMs(20, 1000, () => 1), 60_000);
  assert.equal(backoffMs(20, 1000, () => 0), 30_000);
  for (let attempt = 0; attempt < 8; attempt++) {
    const d = backoffMs(attempt, 250, Math.random);
    const cap = Math.min(250 * 2 ** attempt, 60_000);
    assert.ok(d >= cap / 2 && d <= cap, `${attempt}: ${d}`);
  }
});

Deno.test("abortableSleep() resolves after its time, and rejects at once with the abort's reason", async () => {
  await abortableSleep(1);
  const stop = new AbortController();
  const waiting = abortableSleep(60_000, stop.signal);
  stop.abort(new Error("Ctrl-C"));
  await assert.rejects(waiting, { message: "Ctrl-C" });
  await assert.rejects(abortableSleep(10, stop.signal), { message: "Ctrl-C" });
});
