// Unit tests of the bulk launcher's journal: durable appends, and reading
// back with repair (torn last record, unreadable middle records).

import assert from "node:assert/strict";
import { JournalWriteError } from "../../../lib/errors.ts";
import { Journal, readJournal } from "../../../lib/bulk/journal.ts";

const T = "2026-01-01T00:00:00.000Z";

Deno.test("Journal appends records that readJournal() reads back in order", async () => {
  const path = `${await Deno.makeTempDir()}/j.ndjson`;
  const journal = await Journal.open(path, { now: () => new Date(T) });
  await journal.append({ type: "start", pid: 1, version: "x" });
  journal.appendLater({ type: "intent", report: 1, plugin: "igv", before: 0 });
  await journal.flush();
  journal.appendLater({ type: "interrupted" });
  await journal.close();
  const read = await readJournal(path);
  assert.deepEqual(read.records, [
    { type: "start", pid: 1, version: "x", time: T },
    { type: "intent", report: 1, plugin: "igv", before: 0, time: T },
    { type: "interrupted", time: T },
  ]);
  assert.deepEqual([read.torn, read.damaged], [undefined, []]);
});

Deno.test("readJournal() finds a torn last record and unreadable ones; Journal.open() cuts the torn one off", async () => {
  const dir = await Deno.makeTempDir();
  assert.deepEqual((await readJournal(`${dir}/none.ndjson`)).records, []);
  const path = `${dir}/j.ndjson`;
  const good = `{"type":"start","time":"${T}","pid":1,"version":"1"}\n`;
  await Deno.writeTextFile(
    path,
    `${good}garbage here\n${good}{"type":"laun`,
  );
  const read = await readJournal(path);
  assert.equal(read.records.length, 2);
  assert.deepEqual(read.damaged, [2]);
  assert.equal(read.torn, 4);
  const journal = await Journal.open(path, { goodBytes: read.goodBytes });
  await journal.append({ type: "interrupted" });
  await journal.close();
  const text = await Deno.readTextFile(path);
  assert.ok(!text.includes('{"type":"laun'), "the torn record is gone");
  const again = await readJournal(path);
  assert.equal(again.torn, undefined);
  assert.equal(again.records.at(-1)!.type, "interrupted");

  // A complete last record missing only its newline gets one.
  await Deno.writeTextFile(path, good.trimEnd());
  const j2 = await Journal.open(path, {
    goodBytes: (await readJournal(path)).goodBytes,
  });
  await j2.append({ type: "interrupted" });
  await j2.close();
  assert.equal((await readJournal(path)).records.length, 2);
});

Deno.test("Journal reports a write it cannot do with the file and the flag that moves it", async () => {
  const dir = await Deno.makeTempDir();
  await assert.rejects(
    Journal.open(`${dir}/no/such/folder/j.ndjson`),
    (e) =>
      e instanceof JournalWriteError &&
      /cannot write the journal .*j\.ndjson: .*; free space or move it with --journal PATH/
        .test(e.message),
  );
});
