// Bad input said in one line (issue 21, item 14): not text, UTF-16 without
// a BOM, echoed values escaped and cut, a size bound, duplicate header
// columns.

import assert from "node:assert/strict";
import { InputError } from "../../lib/errors.ts";
import {
  echo,
  MAX_INPUT_BYTES,
  parseRunRows,
  readInputText,
} from "../../lib/run_rows.ts";

async function file(bytes: Uint8Array): Promise<string> {
  const dir = await Deno.makeTempDir();
  await Deno.writeFile(`${dir}/in.csv`, bytes);
  return `${dir}/in.csv`;
}

async function refusal(path: string): Promise<string> {
  try {
    await readInputText(path);
  } catch (e) {
    assert.ok(e instanceof InputError, String(e));
    assert.equal(e.message.split("\n").length, 1, e.message);
    return e.message;
  }
  throw new Error("not refused");
}

Deno.test("readInputText(): a file that is not text is said so in one line", async () => {
  const gz = await file(new Uint8Array([0x1f, 0x8b, 8, 0, 1, 2, 3, 0, 0, 9]));
  assert.match(
    await refusal(gz),
    /in\.csv: not a text file: gzip-compressed \(gunzip it first\)$/,
  );
  const elf = await file(
    new Uint8Array([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, 0, 0, 0, 0]),
  );
  assert.match(
    await refusal(elf),
    /in\.csv: not a text file \(it holds NUL bytes\)/,
  );
  const zip = await file(new TextEncoder().encode("PK\x03\x04rest"));
  assert.match(
    await refusal(zip),
    /not a text file: a zip archive \(a spreadsheet\? save it as CSV\)/,
  );
  const latin1 = await file(
    new Uint8Array([0x72, 0xe9, 0x70, 0x6f, 0x72, 0x74, 0x0a, 0x31, 0x0a]),
  );
  assert.match(
    await refusal(latin1),
    /in\.csv: not UTF-8 text \(line 1\): save it as UTF-8/,
  );
});

Deno.test("readInputText(): UTF-16 without a byte-order mark gets the encoding hint", async () => {
  const le = await file(
    new Uint8Array([..."report\n12\n"].flatMap((c) => [c.charCodeAt(0), 0])),
  );
  assert.match(
    await refusal(le),
    /in\.csv: looks like UTF-16 without a byte-order mark: save it as UTF-8 \(or UTF-16 with a BOM\)/,
  );
});

Deno.test("readInputText(): inputs are bounded in size, /dev/zero too", async () => {
  assert.equal(MAX_INPUT_BYTES, 64 * 1024 * 1024);
  const message = await refusal("/dev/zero");
  assert.match(
    message,
    /^\/dev\/zero: (too large: more than 64 MiB|not a text file \(it holds NUL bytes\))/,
  );
});

Deno.test("echoed values are escaped and cut to 60 characters", () => {
  assert.equal(echo("abc"), '"abc"');
  assert.equal(echo("a\u0000b\u001b"), '"a\\u0000b\\u001b"');
  const long = echo("x".repeat(1_000_000));
  assert.ok(long.length < 100, long);
  assert.match(long, /^"x{60}…" \(1000000 characters\)$/);
  const { problems } = parseRunRows(`report\n${"k".repeat(5000)}\n`, {
    file: "in.csv",
    plugin: "igv",
  });
  assert.ok(problems[0]!.message.length < 300, problems[0]!.message);
  const header = parseRunRows(`${"h".repeat(5000)},other\n1,2\n`, {
    file: "in.csv",
  });
  assert.ok(header.problems[0]!.message.length < 300);
});

Deno.test("a duplicated header column is refused", () => {
  const { rows, problems } = parseRunRows("report,plugin,report\n1,igv,2\n", {
    file: "in.csv",
  });
  assert.deepEqual(rows, []);
  assert.deepEqual(problems.map((p) => p.message), [
    'column "report" appears twice in the header (columns 1 and 3)',
  ]);
});
