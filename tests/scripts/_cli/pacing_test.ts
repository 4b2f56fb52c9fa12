// Tests of the launch scripts' pacing side: the flags, the estimate in
// words, and the questions before a long job or a high concurrency (the
// terminal and the answers given by a captured io).

import assert from "node:assert/strict";
import { Command } from "commander";
import { UsageError } from "../../../lib/errors.ts";
import type { JobEstimate } from "../../../lib/bulk/summary.ts";
import { askLine, type CommandIO } from "../../../scripts/_cli/io.ts";
import { captureIO } from "../../_helpers.ts";
import {
  addPacingOptions,
  confirmConcurrency,
  confirmLongJob,
  DEFAULT_MAX_ACTIVE,
  describeEstimate,
  humanDuration,
  LONG_JOB_MS,
  MAX_SANE_CONCURRENCY,
  type PacingFlags,
  pacingOptions,
} from "../../../scripts/_cli/pacing.ts";

function parse(...args: string[]): PacingFlags {
  const cmd = addPacingOptions(new Command("x").exitOverride());
  cmd.parse(args, { from: "user" });
  return cmd.opts<PacingFlags>();
}

Deno.test("the pacing flags default to the careful settings: 2 active, finished full reports only, no extra secrets, questions asked", () => {
  assert.equal(DEFAULT_MAX_ACTIVE, 2);
  assert.deepEqual(parse(), { maxActive: 2, redact: [], yield: true });
  assert.deepEqual(
    parse(
      "--max-active",
      "0",
      "--include-unfinished",
      "--include-thumbnails",
      "--redact",
      "token",
      "--redact",
      "db_password",
      "--yes",
      "--no-yield",
    ),
    {
      maxActive: 0,
      yield: false,
      includeUnfinished: true,
      includeThumbnails: true,
      redact: ["token", "db_password"],
      yes: true,
    },
  );
  assert.equal(parse("--max-active", "7").maxActive, 7);
  for (const bad of ["-1", "1.5", "two", ""]) {
    assert.throws(
      () => parse("--max-active", bad),
      (e) =>
        e instanceof UsageError &&
        e.message === `--max-active must be a whole number >= 0, got "${bad}"`,
      bad,
    );
  }
  const help = addPacingOptions(new Command("x")).helpInformation();
  assert.match(help, /--max-active <n>\s+at most this many .*\(default: 2\)/s);
  assert.match(help, /--redact <key>\s+.*\(repeatable\) \(default: none\)/s);
  assert.match(help, /--yes\s+do not ask .* a concurrency above 16/s);
});

Deno.test("humanDuration() says seconds, minutes, hours (one decimal) or days", () => {
  const s = 1000;
  assert.equal(humanDuration(0), "1 s", "never 0 s");
  assert.equal(humanDuration(40 * s), "40 s");
  assert.equal(humanDuration(89 * s), "89 s");
  assert.equal(humanDuration(90 * s), "2 min");
  assert.equal(humanDuration(12 * 60 * s), "12 min");
  assert.equal(humanDuration(89 * 60 * s), "89 min");
  assert.equal(humanDuration(90 * 60 * s), "1.5 h");
  assert.equal(humanDuration(3 * 3600 * s), "3 h", "no trailing .0");
  assert.equal(humanDuration(3.5 * 3600 * s), "3.5 h");
  assert.equal(humanDuration(35.9 * 3600 * s), "35.9 h");
  assert.equal(humanDuration(36 * 3600 * s), "2 days");
  assert.equal(humanDuration(14 * 86400 * s), "14 days");
});

const estimate = (over: Partial<JobEstimate> = {}): JobEstimate => ({
  runs: 200,
  parallel: 2,
  totalMs: 3.5 * 3_600_000,
  plugins: [{
    plugin: "variantCaller",
    runs: 200,
    samples: 20,
    medianMs: 126_000,
  }],
  ...over,
});

Deno.test("describeEstimate() puts the runs, the total, the parallelism and its basis on one line", () => {
  assert.equal(
    describeEstimate(estimate()),
    "200 run(s) to launch (200 variantCaller), about 3.5 h at 2 at a time (variantCaller 2 min median over 20 recent run(s))",
  );
  assert.equal(
    describeEstimate(estimate({
      runs: 30,
      parallel: 1,
      totalMs: null,
      plugins: [
        { plugin: "igv", runs: 20, samples: 3, medianMs: 40_000 },
        { plugin: "DataExport", runs: 10, samples: 0, medianMs: null },
      ],
    })),
    "30 run(s) to launch (20 igv, 10 DataExport), no history: time unknown (igv 40 s median over 3 recent run(s); DataExport: no completed run on this server to go by); at most 1 at a time",
  );
  // Rows whose run will fail validation are counted in the line.
  assert.equal(
    describeEstimate(estimate({ failValidation: 50 })),
    "200 run(s) to launch (200 variantCaller), about 3.5 h at 2 at a time (variantCaller 2 min median over 20 recent run(s)); 50 of them will fail validation (no config for a plugin that requires one)",
  );
});

Deno.test("confirmLongJob(): the question counts the runs that will fail validation", () => {
  const r = onTerminal(true, true, (io) =>
    confirmLongJob(
      estimate({ totalMs: 3 * 86_400_000, failValidation: 12 }),
      {},
      io,
    ));
  assert.deepEqual(r.asked, [
    "This job will take 3 days on the plugin queue the lab shares (12 of its 200 run(s) will fail validation). Start it?",
  ]);
});

/** Runs `fn` with an io whose stdin and stderr are terminals (or not), questions answered by `answer`, stderr captured. */
function onTerminal<R>(
  terminal: boolean | { stdin: boolean; stderr: boolean },
  answer: boolean,
  fn: (io: CommandIO) => R,
): { result: R; asked: string[]; stderr: string; stdout: string } {
  const { stdin, stderr } = typeof terminal === "boolean"
    ? { stdin: terminal, stderr: terminal }
    : terminal;
  const c = captureIO({ terminal: { stdin, stderr }, confirm: () => answer });
  const result = fn(c.io);
  return { result, asked: c.asked, stderr: c.stderr(), stdout: c.stdout() };
}

Deno.test("confirmLongJob() asks on a terminal before a job longer than a day, and the answer decides", () => {
  assert.equal(LONG_JOB_MS, 86_400_000);
  const long = estimate({ totalMs: 3 * 86_400_000 });
  for (const answer of [true, false]) {
    const r = onTerminal(true, answer, (io) => confirmLongJob(long, {}, io));
    assert.equal(r.result, answer);
    assert.deepEqual(r.asked, [
      "This job will take 3 days on the plugin queue the lab shares. Start it?",
    ]);
  }
  const cases: [string, JobEstimate, { yes?: boolean }, boolean][] = [
    ["--yes", long, { yes: true }, true],
    ["exactly a day", estimate({ totalMs: LONG_JOB_MS }), {}, true],
    ["time unknown", estimate({ totalMs: null }), {}, true],
  ];
  for (const [why, e, flags, terminal] of cases) {
    const r = onTerminal(terminal, false, (io) => confirmLongJob(e, flags, io));
    assert.deepEqual([r.result, r.asked], [true, []], why);
  }
});

Deno.test("confirmLongJob() refuses off a terminal (a pipe, cron, nohup) and names --yes; nothing on stdout", () => {
  const long = estimate({ totalMs: 3 * 86_400_000 });
  const why =
    "This job will take 3 days on the plugin queue the lab shares: not started without --yes (standard input is not a terminal, so nobody can be asked)\n";
  const r = onTerminal(false, true, (io) => confirmLongJob(long, {}, io));
  assert.deepEqual([r.result, r.asked, r.stderr, r.stdout], [
    false,
    [],
    why,
    "",
  ]);
  // A terminal on one end only is no person to ask.
  for (
    const ends of [{ stdin: true, stderr: false }, {
      stdin: false,
      stderr: true,
    }]
  ) {
    const half = onTerminal(ends, true, (io) => confirmLongJob(long, {}, io));
    assert.deepEqual(
      [half.result, half.asked, half.stderr],
      [false, [], why],
      JSON.stringify(ends),
    );
  }
  const yes = onTerminal(
    false,
    false,
    (io) => confirmLongJob(long, { yes: true }, io),
  );
  assert.deepEqual([yes.result, yes.asked, yes.stderr], [true, [], ""]);
});

Deno.test("askLine() writes the question on stderr, never stdout, and reads the answer from stdin", () => {
  for (
    const [typed, expected] of [
      ["y\n", true],
      ["YES\n", true],
      ["n\n", false],
      ["\n", false],
      ["", false],
    ] as const
  ) {
    const input = new TextEncoder().encode(typed);
    let at = 0;
    const stdin = {
      readSync(p: Uint8Array) {
        if (at >= input.length) return null;
        p[0] = input[at++]!;
        return 1;
      },
    };
    const written: number[] = [];
    const stderr = {
      writeSync(p: Uint8Array) {
        written.push(...p);
        return p.length;
      },
    };
    assert.equal(askLine("Stop these 2 run(s)?", stdin, stderr), expected);
    assert.equal(
      new TextDecoder().decode(new Uint8Array(written)),
      "Stop these 2 run(s)? [y/N] ",
    );
  }
});

Deno.test("confirmConcurrency() lets 16 through, asks above it on a terminal, refuses elsewhere without --yes", () => {
  assert.equal(MAX_SANE_CONCURRENCY, 16);
  const sane = onTerminal(true, false, (io) => confirmConcurrency(16, {}, io));
  assert.deepEqual([sane.result, sane.asked, sane.stderr], [true, [], ""]);
  const why =
    "--concurrency 17 sends that many launches at once to a server whose web front has a handful of workers";
  for (const answer of [true, false]) {
    const r = onTerminal(true, answer, (io) => confirmConcurrency(17, {}, io));
    assert.deepEqual([r.result, r.asked, r.stderr], [answer, [
      `${why}. Go on?`,
    ], ""]);
  }
  const off = onTerminal(false, false, (io) => confirmConcurrency(17, {}, io));
  assert.deepEqual([off.result, off.asked, off.stderr], [
    false,
    [],
    `${why}: not started without --yes (standard input is not a terminal, so nobody can be asked)\n`,
  ]);
  for (const terminal of [true, false]) {
    const yes = onTerminal(
      terminal,
      false,
      (io) => confirmConcurrency(64, { yes: true }, io),
    );
    assert.deepEqual([yes.result, yes.asked, yes.stderr], [true, [], ""]);
  }
});

Deno.test("pacingOptions() carries the flags into bulkRun's options; its confirm lets a short job through", async () => {
  const flags: PacingFlags = {
    maxActive: 3,
    includeThumbnails: true,
    redact: ["lims_token"],
  };
  const options = pacingOptions(flags);
  assert.equal(options.maxActive, 3);
  assert.equal(options.includeUnfinished, false);
  assert.equal(options.includeThumbnails, true);
  assert.deepEqual(options.redactKeys, ["lims_token"]);
  // A job under a day is never asked about, terminal or not.
  assert.equal(await options.confirm!(estimate({ totalMs: 60_000 })), true);
});

Deno.test("pacingOptions(): the bar is cleared before the question, so the question has a line of its own", async () => {
  const c = captureIO({
    terminal: { stdin: true, stderr: true },
    confirm: () => true,
  });
  const order: string[] = [];
  const options = pacingOptions(
    { maxActive: 2, redact: [] },
    { ...c.io, confirm: (m) => (order.push(`ask ${m}`), true) },
    () => order.push("clear"),
  );
  await options.confirm!(estimate({ totalMs: 3 * 86_400_000 }));
  assert.deepEqual(order.map((o) => o.slice(0, 5)), ["clear", "ask T"]);
});
