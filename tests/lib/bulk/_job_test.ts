// Tests of the job a journal holds: opening it locks it, repairs it, and
// tells a resume (same job) from a finished job and from a new job (other
// rows: the old journal is kept aside, its launches in doubt inherited).

import assert from "node:assert/strict";
import { Beacon } from "../../../lib/claims/_beacon.ts";
import { jobId, type JobIdentity, openJob } from "../../../lib/bulk/_job.ts";
import { JobLockedError, JournalWriteError } from "../../../lib/errors.ts";
import { type JournalRecord, readJournal } from "../../../lib/bulk/journal.ts";
import { VERSION } from "../../../lib/version.ts";

const T0 = Date.UTC(2026, 11, 1, 10, 20, 30, 456);

const identity = (id: string): JobIdentity => ({
  id,
  input: "in.csv",
  flags: { policy: ["failed"] },
  maxBefore: 40,
});

/** A temp folder with a beacon, removed afterwards. */
async function withDir(
  fn: (dir: string, beacon: Beacon) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir();
  const beacon = await Beacon.start(`${dir}/procs`);
  try {
    await fn(dir, beacon);
  } finally {
    beacon.close();
    await Deno.remove(dir, { recursive: true });
  }
}

const types = async (path: string) =>
  (await readJournal(path)).records.map((r) => r.type);

/** Writes a journal of these records (each with a time). */
async function writeJournal(
  path: string,
  records: Record<string, unknown>[],
  tail = "",
) {
  const lines = records.map((r) =>
    JSON.stringify({ time: new Date(T0).toISOString(), ...r })
  );
  await Deno.writeTextFile(path, lines.join("\n") + "\n" + tail);
}

const job = (id: string) => ({
  type: "job",
  id,
  input: "in.csv",
  flags: {},
  version: "0.0.1",
  maxBefore: 0,
});

Deno.test("jobId() is a short digest: the same parts give the same id, other parts another", async () => {
  const parts = {
    policy: ["failed"],
    rows: [[1, "igv", null], [2, "igv", { a: 1 }]],
  };
  const id = await jobId(parts);
  assert.match(id, /^[0-9a-f]{24}$/);
  assert.equal(await jobId(structuredClone(parts)), id);
  assert.notEqual(
    await jobId({ ...parts, rows: [[1, "igv", null]] }),
    id,
    "other rows",
  );
  assert.notEqual(
    await jobId({ ...parts, policy: "always" }),
    id,
    "other flags",
  );
  assert.notEqual(
    await jobId({ ...parts, rows: [[1, "igv", null], [2, "igv", { a: 2 }]] }),
    id,
    "another config",
  );
});

Deno.test("openJob() starts a new journal with the job's record, and the same job resumes it", async () => {
  await withDir(async (dir, beacon) => {
    const path = `${dir}/j.journal.ndjson`;
    const options = {
      job: identity("A"),
      beacon,
      newJob: false,
      now: () => T0,
    };
    const first = await openJob(path, options);
    assert.deepEqual(first.notes, []);
    assert.equal(first.state.job, undefined);
    assert.ok(first.journal);
    first.journal.appendLater({
      type: "intent",
      report: 7,
      plugin: "igv",
      before: 0,
    });
    await first.journal.close();
    await first.release();
    const { records } = await readJournal(path);
    assert.deepEqual(records.map((r) => r.type), ["job", "start", "intent"]);
    const jobRecord = records[0] as Extract<JournalRecord, { type: "job" }>;
    assert.deepEqual(
      { ...jobRecord, time: "" },
      {
        type: "job",
        time: "",
        id: "A",
        input: "in.csv",
        flags: { policy: ["failed"] },
        version: VERSION,
        maxBefore: 40,
      },
    );
    assert.equal(jobRecord.time, new Date(T0).toISOString(), "the job's clock");

    const again = await openJob(path, options);
    try {
      assert.deepEqual(again.notes, []);
      assert.equal(again.state.job?.id, "A");
      assert.equal(again.state.pairs.get("7/igv")?.status, "in-doubt");
      await again.journal!.close();
      assert.deepEqual(await types(path), ["job", "start", "intent", "start"]);
      const files = (await Array.fromAsync(Deno.readDir(dir)))
        .map((e) => e.name).sort();
      assert.deepEqual(files, [
        "j.journal.ndjson",
        "j.journal.ndjson.lock",
        "procs",
      ]);
    } finally {
      await again.release();
    }
  });
});

Deno.test("openJob() keeps another job's journal aside and inherits its launches in doubt", async () => {
  await withDir(async (dir, beacon) => {
    const path = `${dir}/j.journal.ndjson`;
    await writeJournal(path, [
      job("OLD"),
      { type: "intent", report: 1, plugin: "igv", before: 5 },
      { type: "in-doubt", report: 1, plugin: "igv", before: 5, error: "503" },
      { type: "intent", report: 2, plugin: "igv", before: 0 },
      { type: "launched", report: 2, plugin: "igv", before: 0, run: 9 },
      { type: "failed", report: 3, plugin: "igv", error: "404" },
      { type: "interrupted" },
    ]);
    const old = await Deno.readTextFile(path);
    const opened = await openJob(path, {
      job: identity("NEW"),
      beacon,
      newJob: false,
      now: () => T0 + 3_600_000,
    });
    try {
      // Named by the old journal's newest time, beside it.
      const aside = `${dir}/j.journal.2026-12-01T10-20-30.456Z.ndjson`;
      assert.equal(await Deno.readTextFile(aside), old, "kept as it was");
      assert.deepEqual(opened.notes, [
        `the input or its flags changed: a new job; the earlier journal was kept as ${aside} (1 of its launches in doubt are checked first)`,
      ]);
      assert.deepEqual([...opened.state.pairs.keys()], ["1/igv"]);
      assert.equal(opened.state.pairs.get("1/igv")!.before, 5);
      assert.equal(opened.state.job, undefined);
      await opened.journal!.close();
      const { records } = await readJournal(path);
      assert.deepEqual(records.map((r) => r.type), [
        "job",
        "in-doubt",
        "start",
      ]);
      assert.deepEqual(
        { ...records[1], time: "" },
        {
          type: "in-doubt",
          time: "",
          report: 1,
          plugin: "igv",
          before: 5,
          error: "sent by an earlier job",
          sentAt: new Date(T0).toISOString(),
        },
      );
    } finally {
      await opened.release();
    }
  });
});

Deno.test("openJob() --new-job sets even the same job aside; a finished one passes nothing on", async () => {
  await withDir(async (dir, beacon) => {
    const path = `${dir}/j.ndjson`;
    await writeJournal(path, [
      job("A"),
      { type: "intent", report: 1, plugin: "igv", before: 0 },
      { type: "end", counts: { launched: 0 } },
    ]);
    const opened = await openJob(path, {
      job: identity("A"),
      beacon,
      newJob: true,
      now: () => T0,
    });
    try {
      assert.equal(opened.notes.length, 1);
      assert.match(
        opened.notes[0]!,
        /^--new-job; the earlier journal was kept as .*\/j\.2026-12-01T10-20-30\.\d{3}Z\.ndjson$/,
      );
      assert.equal(
        opened.state.pairs.size,
        0,
        "an ended job has nothing in doubt",
      );
      await opened.journal!.close();
      assert.deepEqual(await types(path), ["job", "start"]);
    } finally {
      await opened.release();
    }
  });
});

Deno.test("openJob() on a finished job opens no journal and changes nothing", async () => {
  await withDir(async (dir, beacon) => {
    const path = `${dir}/j.ndjson`;
    await writeJournal(path, [
      job("A"),
      { type: "launched", report: 1, plugin: "igv", before: 0, run: 3 },
      { type: "end", counts: { launched: 1 } },
    ]);
    const before = await Deno.readTextFile(path);
    const opened = await openJob(path, {
      job: identity("A"),
      beacon,
      newJob: false,
      now: () => T0,
    });
    try {
      assert.equal(opened.journal, undefined);
      assert.deepEqual(opened.state.ended?.counts, { launched: 1 });
      assert.equal(opened.state.pairs.get("1/igv")?.run, 3);
      assert.deepEqual(opened.notes, []);
      assert.equal(await Deno.readTextFile(path), before);
    } finally {
      await opened.release();
    }
  });
});

Deno.test("openJob() cuts off a torn last record and reports unreadable ones", async () => {
  await withDir(async (dir, beacon) => {
    const path = `${dir}/j.ndjson`;
    await writeJournal(
      path,
      [
        job("A"),
        { type: "intent", report: 1, plugin: "igv", before: 0 },
      ],
      'not json\n{"type":"intent","time":"2026-12-01T10:20:30Z","rep',
    );
    const opened = await openJob(path, {
      job: identity("A"),
      beacon,
      newJob: false,
      now: () => T0,
    });
    try {
      assert.deepEqual(opened.notes, [
        `${path}:4: cut off a torn last record (written when the process died)`,
        `${path}:3: unreadable record; every pair without a settled outcome is checked on the server first`,
      ]);
      assert.deepEqual(opened.state.damaged, [3]);
      await opened.journal!.close();
      const text = await Deno.readTextFile(path);
      assert.ok(!text.includes('"rep\n') && !text.endsWith('"rep'), "torn cut");
      const read = await readJournal(path);
      assert.equal(read.torn, undefined);
      assert.deepEqual(read.records.map((r) => r.type), [
        "job",
        "intent",
        "start",
      ]);
    } finally {
      await opened.release();
    }
  });
});

Deno.test("openJob() refuses a journal another live process holds, and takes over one left by a dead process", async () => {
  await withDir(async (dir, beacon) => {
    const path = `${dir}/j.ndjson`;
    const other = await Beacon.start(`${dir}/procs`);
    const options = (b: Beacon) => ({
      job: identity("A"),
      beacon: b,
      newJob: false,
      now: () => T0,
    });
    const held = await openJob(path, options(other));
    await held.journal!.close();
    await assert.rejects(openJob(path, options(beacon)), JobLockedError);
    // The holder dies without releasing.
    other.close();
    const taken = await openJob(path, options(beacon));
    try {
      assert.deepEqual(taken.notes, [
        `took over the journal's lock from pid ${Deno.pid} (no longer running)`,
      ]);
      assert.equal(taken.state.job?.id, "A", "the same job goes on");
      await taken.journal!.close();
    } finally {
      await taken.release();
    }
    // Released: the next one opens it without a note.
    const next = await openJob(path, options(beacon));
    await next.journal!.close();
    await next.release();
    assert.deepEqual(next.notes, []);
  });
});

Deno.test("openJob() reports a journal whose folder is missing as a write error", async () => {
  await withDir(async (dir, beacon) => {
    await assert.rejects(
      openJob(`${dir}/missing/j.ndjson`, {
        job: identity("A"),
        beacon,
        newJob: false,
        now: () => T0,
      }),
      JournalWriteError,
    );
  });
});

Deno.test("openJob() never replaces a kept journal: a second one set aside in the same millisecond gets -2", async () => {
  await withDir(async (dir, beacon) => {
    const path = `${dir}/j.ndjson`;
    const kept: string[] = [];
    for (const name of ["A", "B"]) {
      await writeJournal(path, [
        job(name),
        { type: "intent", report: 1, plugin: "igv", before: 0 },
        { type: "end", counts: { launched: 0 } },
      ]);
      kept.push(await Deno.readTextFile(path));
      const opened = await openJob(path, {
        job: identity(`${name}2`),
        beacon,
        newJob: true,
        now: () => T0,
      });
      await opened.journal?.close();
      await opened.release();
    }
    const names: string[] = [];
    for await (const e of Deno.readDir(dir)) {
      if (/^j\.2026.*\.ndjson$/.test(e.name)) names.push(e.name);
    }
    assert.equal(names.length, 2, names.join());
    const first = names.find((n) => /\dZ\.ndjson$/.test(n))!;
    const second = names.find((n) => /Z-2\.ndjson$/.test(n))!;
    assert.ok(first && second, names.join());
    assert.equal(await Deno.readTextFile(`${dir}/${first}`), kept[0]);
    assert.equal(await Deno.readTextFile(`${dir}/${second}`), kept[1]);
  });
});
