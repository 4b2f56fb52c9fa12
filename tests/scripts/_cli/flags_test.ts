import assert from "node:assert/strict";
import { UsageError } from "../../../lib/errors.ts";
import {
  checkWritable,
  parseConfigFlag,
  parseDate,
  parseDelimiter,
  parseDuration,
  parseRerun,
  positiveNumber,
  rerunPolicy,
  resolveFormat,
  waitSettings,
  wholeNumber,
} from "../../../scripts/_cli/flags.ts";

Deno.test("number parsers accept what they say and explain the rest", () => {
  assert.equal(positiveNumber("--poll")("0.5"), 0.5);
  assert.throws(
    () => positiveNumber("--poll")("0"),
    /--poll must be a positive number, got "0"/,
  );
  assert.equal(wholeNumber("--n", 1)("8"), 8);
  assert.throws(() => wholeNumber("--n", 1)("0"), UsageError);
  assert.throws(() => wholeNumber("--n")("1.5"), /whole number >= 0/);
});

Deno.test("parseDuration() reads seconds, 90s, 30m, 2h, 1h30m", () => {
  const p = parseDuration("--timeout");
  assert.equal(p("90"), 90_000);
  assert.equal(p("90s"), 90_000);
  assert.equal(p("30m"), 1_800_000);
  assert.equal(p("1h30m"), 5_400_000);
  assert.throws(() => p("soon"), /--timeout must be a duration like 90s/);
  assert.throws(() => p(""), UsageError);
});

Deno.test("parseDelimiter() takes one character or tab", () => {
  assert.equal(parseDelimiter(";"), ";");
  assert.equal(parseDelimiter("tab"), "\t");
  assert.equal(parseDelimiter("\\t"), "\t");
  assert.throws(() => parseDelimiter(";;"), /one character/);
});

Deno.test("parseConfigFlag() reads inline JSON or @file, objects only", async () => {
  assert.deepEqual(await parseConfigFlag('{"a": 1}'), { a: 1 });
  assert.equal(await parseConfigFlag(undefined), undefined);
  const file = await Deno.makeTempFile({ suffix: ".json" });
  await Deno.writeTextFile(file, '{"b": [1]}');
  assert.deepEqual(await parseConfigFlag(`@${file}`), { b: [1] });
  await assert.rejects(
    parseConfigFlag("[1]"),
    /must be a JSON object .* got an array/,
  );
  await assert.rejects(parseConfigFlag("{a:1}"), /--config is not valid JSON/);
  await assert.rejects(
    parseConfigFlag("@/no/such.json"),
    /cannot read \/no\/such\.json/,
  );
});

Deno.test("resolveFormat(), rerunPolicy() and waitSettings() map flags to settings", () => {
  assert.equal(resolveFormat(undefined, { isTerminal: () => true }), "table");
  assert.equal(resolveFormat(undefined, { isTerminal: () => false }), "csv");
  assert.equal(resolveFormat("json", { isTerminal: () => true }), "json");
  assert.deepEqual(rerunPolicy({ rerun: [], staleAfter: 1 }), []);
  assert.equal(
    rerunPolicy({ rerun: [], force: true, staleAfter: 1 }),
    "always",
  );
  assert.deepEqual(parseRerun("stale, failed,failed"), ["failed", "stale"]);
  assert.deepEqual(parseRerun("none"), []);
  assert.deepEqual(parseRerun("missing"), [], "the old name still works");
  assert.throws(
    () => parseRerun("failed,running"),
    /--rerun takes a list of failed, cancelled, stale, or none; got "running"/,
  );
  assert.equal(parseDuration("--stale-after")("2d"), 172_800_000);
  assert.deepEqual(waitSettings({ timeout: 60_000, poll: 2 }), {});
  assert.deepEqual(waitSettings({ wait: true, timeout: 60_000, poll: 2 }), {
    wait: { timeoutMs: 60_000, pollMs: 2000 },
  });
});

Deno.test("checkWritable(): two launchers checking one new path at the same instant both pass, and leave no file", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/in.csv.journal.ndjson`;
  for (let i = 0; i < 50; i++) {
    await Promise.all([
      checkWritable(path, "--journal"),
      checkWritable(path, "--journal"),
      checkWritable(path, "--journal"),
    ]);
    await assert.rejects(Deno.stat(path), Deno.errors.NotFound);
  }
  await Deno.remove(dir, { recursive: true });
});

Deno.test("parseDate() reads relative dates (7d, 12h, 30m, 2w ago) as well as ISO ones", () => {
  const now = Date.parse("2026-12-07T12:00:00Z");
  const at = (v: string) => parseDate("--since", v, false, now).toISOString();
  assert.equal(at("7d"), "2026-11-30T12:00:00.000Z");
  assert.equal(at("12h"), "2026-12-07T00:00:00.000Z");
  assert.equal(at("30m"), "2026-12-07T11:30:00.000Z");
  assert.equal(at("2w"), "2026-11-23T12:00:00.000Z");
  assert.equal(at("2026-01-31"), "2026-01-31T00:00:00.000Z");
  assert.throws(
    () => parseDate("--since", "yesterday"),
    (e) =>
      e instanceof UsageError && /or a time ago like 7d or 12h/.test(e.message),
  );
});
