import assert from "node:assert/strict";
import {
  answerProblem,
  isErrorLine,
  runLogUrl,
} from "../../../lib/status/_log_text.ts";

Deno.test("isErrorLine() marks the lines that carry an error, Python exceptions included, and not the state lines", () => {
  for (
    const line of [
      "[2026-03-01 12:00:00] ERROR: igv failed: tvc exited with status 1",
      "Traceback (most recent call last):",
      "ValueError: No barcodes with sufficient reads to analyze",
      "subprocess.CalledProcessError: samtools: failed to open BAM file",
      "IOError: Target regions file not found",
      "KeyError: 'barcodes'",
      "job exceeded its runtime limit (h_rt=24:00:00), killed by SGE",
      "bash: line 1: 1234 Segmentation fault (core dumped) tvc",
      "Exception in thread main",
    ]
  ) assert.ok(isErrorLine(line), line);
  for (
    const line of [
      "[2026-03-01 12:00:00] Merging and annotating VCF files",
      "[2026-03-01 12:00:00] ion-plugin-status --state Error",
      '  File "/results/plugins/igv/igv.py", line 188, in run_analysis',
      "Computing read statistics (samtools)",
      "  user_password=[redacted]",
    ]
  ) assert.ok(!isErrorLine(line), line);
});

const answer = (
  status: number,
  body = "",
  headers: Record<string, string> = {},
) => ({ status, body, headers: new Headers(headers) });
const who = { user: "ionuser", password: "pw", state: "Error" };

Deno.test("answerProblem() never takes a login page, a listing or an error for a log", () => {
  assert.equal(answerProblem(answer(200, "log text\n"), who), null);
  assert.equal(answerProblem(answer(206, "tail\n"), who), null);
  const redirect = answerProblem(
    answer(302, "", { Location: "/login/?next=/output/x" }),
    who,
  );
  assert.equal(redirect?.status, "refused");
  assert.match(
    redirect!.message,
    /password of user "ionuser" was not accepted/,
  );
  const form = answerProblem(
    answer(
      200,
      '<html><form method="post" action="/login/"><input type="password" name="password"></form></html>',
      { "Content-Type": "text/html; charset=utf-8" },
    ),
    who,
  );
  assert.equal(form?.status, "refused");
  assert.equal(answerProblem(answer(404), who)?.status, "no-log");
  assert.match(
    answerProblem(answer(404), { ...who, state: "Failed Validation" })!.message,
    /failed validation and never started/,
  );
  assert.match(
    answerProblem(answer(500), { ...who, password: "a:b" })!.message,
    /password containing ':'/,
  );
  assert.deepEqual(answerProblem(answer(503), who), {
    status: "failed",
    message: "the server answered 503",
  });
  const listing = answerProblem(
    answer(200, "<!DOCTYPE HTML><title>Index of /output</title>", {
      "Content-Type": "text/html",
    }),
    who,
  );
  assert.equal(listing?.status, "no-log");
  assert.ok(!JSON.stringify([redirect, form, listing]).includes("pw"));
});

Deno.test("runLogUrl() puts drmaa_stdout.txt in the run's folder, with or without its slash", () => {
  for (
    const folder of [
      "https://ts/o/R/plugin_out/igv_out.7/",
      "https://ts/o/R/plugin_out/igv_out.7",
    ]
  ) {
    assert.equal(
      runLogUrl(folder),
      "https://ts/o/R/plugin_out/igv_out.7/drmaa_stdout.txt",
    );
  }
  assert.equal(
    runLogUrl("https://ts/o/R/plugin_out/igv_out/"),
    "https://ts/o/R/plugin_out/igv_out/drmaa_stdout.txt",
    "the pre-4.4 folder",
  );
});
