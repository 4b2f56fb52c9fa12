// Unit tests of the bulk launcher's journal: durable appends, reading back,
// and the replay that tells a resumed session what was launched.

import assert from "node:assert/strict";
import {
  Journal,
  type JournalRecord,
  readJournal,
  unfinishedPairs,
} from "../../lib/journal.ts";

const T = "2026-01-01T00:00:00.000Z";

Deno.test("Journal appends records that readJournal() reads back in order", async () => {
  const path = `${await Deno.makeTempDir()}/j.ndjson`;
  const journal = await Journal.open(path, { now: () => new Date(T) });
  await journal.append({ type: "start", input: "in.csv", version: "x" });
  journal.appendLater({
    type: "intent",
    report: 1,
    plugin: "igv",
    before: 0,
    attempt: 0,
  });
  await journal.flush();
  journal.appendLater({ type: "end" });
  await journal.close();
  assert.deepEqual(await readJournal(path), [
    { type: "start", input: "in.csv", version: "x", time: T },
    {
      type: "intent",
      report: 1,
      plugin: "igv",
      before: 0,
      attempt: 0,
      time: T,
    },
    { type: "end", time: T },
  ]);
});

Deno.test("readJournal(): no file is no records; a torn last line is ignored", async () => {
  const dir = await Deno.makeTempDir();
  assert.deepEqual(await readJournal(`${dir}/none.ndjson`), []);
  await Deno.writeTextFile(
    `${dir}/torn.ndjson`,
    `{"type":"start","time":"${T}","input":"x","version":"1"}\n{"type":"inte`,
  );
  assert.equal((await readJournal(`${dir}/torn.ndjson`)).length, 1);
  await Deno.writeTextFile(
    `${dir}/bad.ndjson`,
    `garbage\n{"type":"end","time":"${T}"}\n`,
  );
  await assert.rejects(
    readJournal(`${dir}/bad.ndjson`),
    /bad\.ndjson:1: journal line is not JSON/,
  );
});

Deno.test("unfinishedPairs() replays intents, launches, failures and the end", () => {
  const r = (x: Record<string, unknown>) =>
    ({ time: T, ...x }) as JournalRecord;
  const records = [
    r({ type: "start", input: "x", version: "1" }),
    // Sent, no answer recorded: in doubt, with the run id known before.
    r({ type: "intent", report: 1, plugin: "a", before: 7, attempt: 0 }),
    // Sent and accepted; its run found later.
    r({ type: "intent", report: 2, plugin: "a", before: 0, attempt: 0 }),
    r({ type: "launched", report: 2, plugin: "a", before: 0, run: null }),
    r({ type: "resolved", report: 2, plugin: "a", run: 41 }),
    // Failed for good: nothing to resume, launch it again.
    r({ type: "intent", report: 3, plugin: "a", before: 0, attempt: 0 }),
    r({ type: "failed", report: 3, plugin: "a", error: "410" }),
    // A retry's intent does not turn a launched pair back into doubt.
    r({ type: "launched", report: 4, plugin: "a", before: 3, run: 50 }),
    r({ type: "intent", report: 4, plugin: "a", before: 3, attempt: 1 }),
    r({ type: "interrupted" }),
  ];
  assert.deepEqual(
    Object.fromEntries(unfinishedPairs(records)),
    {
      "1/a": { status: "in-doubt", before: 7, run: null },
      "2/a": { status: "launched", before: 0, run: 41 },
      "4/a": { status: "launched", before: 3, run: 50 },
    },
  );
  // A finished session leaves nothing to resume.
  assert.equal(unfinishedPairs([...records, r({ type: "end" })]).size, 0);
});
