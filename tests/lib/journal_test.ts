// Unit tests of the bulk launcher's journal: durable appends, reading back
// with repair (torn last record, unreadable middle records), and the replay
// that tells a resumed invocation what the job launched.

import assert from "node:assert/strict";
import { JournalWriteError } from "../../lib/errors.ts";
import {
  Journal,
  type JournalRecord,
  readJournal,
  replayJournal,
} from "../../lib/journal.ts";

const T = "2026-01-01T00:00:00.000Z";
const r = (x: Record<string, unknown>, time = T) =>
  ({ time, ...x }) as JournalRecord;

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

Deno.test("replayJournal() tells launched, failed and in-doubt pairs apart", () => {
  const at = (s: number) => new Date(Date.parse(T) + s * 1000).toISOString();
  const records = [
    r({
      type: "job",
      id: "j1",
      input: "x",
      flags: {},
      version: "1",
      maxBefore: 9,
    }),
    r({ type: "start", pid: 1, version: "1" }),
    // Sent, no answer recorded: in doubt since its intent.
    r({ type: "intent", report: 1, plugin: "a", before: 7 }, at(1)),
    // Sent, its answer lost, recorded as such: in doubt since its intent.
    r({ type: "intent", report: 5, plugin: "a", before: 2 }, at(2)),
    r(
      { type: "in-doubt", report: 5, plugin: "a", before: 2, error: "timeout" },
      at(30),
    ),
    // Accepted; its run found later.
    r({ type: "intent", report: 2, plugin: "a", before: 0 }, at(3)),
    r({ type: "launched", report: 2, plugin: "a", before: 0, run: null }),
    r({ type: "resolved", report: 2, plugin: "a", run: 41 }),
    // Refused: failed (the guard decides next time).
    r({ type: "intent", report: 3, plugin: "a", before: 0 }),
    r({ type: "failed", report: 3, plugin: "a", error: "410" }),
    // Intent written, never sent (stopped first): nothing happened.
    r({ type: "intent", report: 4, plugin: "a", before: 0 }),
    r({ type: "not-sent", report: 4, plugin: "a" }),
    r({ type: "interrupted" }, at(40)),
  ];
  const state = replayJournal(records, [7]);
  assert.equal(state.job?.id, "j1");
  assert.equal(state.ended, undefined);
  assert.deepEqual(state.damaged, [7]);
  assert.equal(state.latest, Date.parse(at(40)));
  assert.deepEqual(Object.fromEntries(state.pairs), {
    "1/a": {
      status: "in-doubt",
      before: 7,
      run: null,
      sentAt: Date.parse(at(1)),
    },
    "5/a": {
      status: "in-doubt",
      before: 2,
      run: null,
      sentAt: Date.parse(at(2)),
    },
    "2/a": {
      status: "launched",
      before: 0,
      run: 41,
      sentAt: Date.parse(at(3)),
    },
    "3/a": { status: "failed", before: 0, run: null, sentAt: Date.parse(T) },
  });
  // The job's end, and only the end, makes it finished.
  const ended = replayJournal([
    ...records,
    r({ type: "end", counts: { launched: 1 } }),
  ]);
  assert.deepEqual(ended.ended?.counts, { launched: 1 });
  const resumedAfter = replayJournal([
    ...records,
    r({ type: "end", counts: {} }),
    r({ type: "start", pid: 2, version: "1" }),
  ]);
  assert.equal(resumedAfter.ended, undefined);
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
