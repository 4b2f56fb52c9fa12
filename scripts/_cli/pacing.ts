// The pacing side of the launch scripts: the flags (how many runs may be
// active, which reports count, secrets to hide), the job's estimate in
// words, and the questions asked before a long job or a high concurrency.
// The plugin queue has 1 or 2 slots shared with the lab's new sequencing
// runs, so the defaults are the careful ones.

import { type Command, Option } from "commander";
import type { BulkRunOptions, JobEstimate } from "../../lib/bulk/mod.ts";
import { wholeNumber } from "./flags.ts";
import { eprint } from "./output.ts";
import { canAsk, type CommandIO, denoIO } from "./io.ts";

/**
 * Default `--max-active`: a tower's two slots kept busy, or one running and
 * one waiting on an S5, with the lab's own runs never behind more than that.
 */
export const DEFAULT_MAX_ACTIVE = 2;

/** Concurrency above this needs a confirmation (a warning off a terminal). */
export const MAX_SANE_CONCURRENCY = 16;

/** A job estimated longer than this is confirmed first on a terminal. */
export const LONG_JOB_MS = 24 * 3_600_000;

/** Flags of {@linkcode addPacingOptions}. */
export interface PacingFlags {
  maxActive: number;
  /** `--no-yield`: false. */
  yield?: boolean;
  includeUnfinished?: boolean;
  includeThumbnails?: boolean;
  redact: string[];
  yes?: boolean;
}

/** Adds `--max-active`, `--include-unfinished`, `--include-thumbnails`, `--redact` and `--yes`. */
export function addPacingOptions(command: Command): Command {
  return command
    .addOption(
      new Option(
        "--max-active <n>",
        "at most this many of the job's runs queued or running on the server (0: no limit)",
      ).argParser(wholeNumber("--max-active")).default(DEFAULT_MAX_ACTIVE),
    )
    .option(
      "--no-yield",
      "launch even while other users' runs wait on the queue (a server that is yours for the night)",
    )
    .option(
      "--include-unfinished",
      "also launch on reports still being analysed or whose analysis failed",
    )
    .option(
      "--include-thumbnails",
      "also launch on thumbnail reports whose full report exists",
    )
    .addOption(
      new Option(
        "--redact <key>",
        "one more config/log key whose value is a secret (repeatable)",
      ).argParser((v: string, all: string[]) => [...all, v]).default(
        [],
        "none",
      ),
    )
    .option(
      "--yes",
      "do not ask before a job estimated at more than a day, or a concurrency above 16",
    );
}

/** A duration in words: `40 s`, `12 min`, `3.5 h`, `14 days`. */
export function humanDuration(ms: number): string {
  const s = ms / 1000;
  if (s < 90) return `${Math.max(1, Math.round(s))} s`;
  if (s < 90 * 60) return `${Math.round(s / 60)} min`;
  if (s < 36 * 3600) return `${+(s / 3600).toFixed(1)} h`;
  return `${Math.round(s / 86400)} days`;
}

/** The estimate in one line: `200 run(s) of variantCaller, about 3.5 h at 2 at a time (…)`. */
export function describeEstimate(e: JobEstimate): string {
  const what = e.plugins.map((p) => `${p.runs} ${p.plugin}`).join(", ");
  const basis = e.plugins.map((p) =>
    p.medianMs === null
      ? `${p.plugin}: no completed run on this server to go by`
      : `${p.plugin} ${
        humanDuration(p.medianMs)
      } median over ${p.samples} recent run(s)`
  ).join("; ");
  let fail = e.failValidation
    ? `; ${e.failValidation} of them will fail validation (no config for a plugin that requires one)`
    : "";
  const p = e.production;
  const prod = p
    ? `; the queue now: ${p.active} active and ${p.waiting} waiting of other users (${p.freeSlots} slot(s) left; the job launches only while none of theirs waits)`
    : "";
  fail += prod;
  if (e.totalMs === null) {
    return `${e.runs} run(s) to launch (${what}), no history: time unknown (${basis}); at most ${e.parallel} at a time${fail}`;
  }
  return `${e.runs} run(s) to launch (${what}), about ${
    humanDuration(e.totalMs)
  } at ${e.parallel} at a time (${basis})${fail}`;
}

/**
 * Before a long job: on a terminal, asks on stderr (unless `--yes`);
 * elsewhere (a pipe, cron, nohup) nobody can answer: refused, with `--yes`
 * named as the way to start it.
 */
export function confirmLongJob(
  estimate: JobEstimate,
  flags: { yes?: boolean },
  io: CommandIO = denoIO,
): boolean {
  if (flags.yes || estimate.totalMs === null) return true;
  if (estimate.totalMs <= LONG_JOB_MS) return true;
  const long = `This job will take ${
    humanDuration(estimate.totalMs)
  } on the plugin queue the lab shares${
    estimate.failValidation
      ? ` (${estimate.failValidation} of its ${estimate.runs} run(s) will fail validation)`
      : ""
  }`;
  if (!canAsk(io)) {
    eprint(
      io,
      `${long}: not started without --yes (standard input is not a terminal, so nobody can be asked)`,
    );
    return false;
  }
  return io.confirm(`${long}. Start it?`);
}

/**
 * The `bulkRun` options these flags set (shared by `run` and `bulk-run`);
 * `beforeAsking` clears the progress bar so that a question has a line of
 * its own.
 */
export function pacingOptions(
  flags: PacingFlags,
  io: CommandIO = denoIO,
  beforeAsking: () => void = () => {},
): Pick<
  BulkRunOptions,
  | "maxActive"
  | "yieldToOthers"
  | "includeUnfinished"
  | "includeThumbnails"
  | "redactKeys"
  | "confirm"
> {
  return {
    maxActive: flags.maxActive,
    yieldToOthers: flags.yield ?? true,
    includeUnfinished: flags.includeUnfinished ?? false,
    includeThumbnails: flags.includeThumbnails ?? false,
    redactKeys: flags.redact,
    confirm: (estimate) => {
      beforeAsking();
      return confirmLongJob(estimate, flags, io);
    },
  };
}

/**
 * Checks `--concurrency`: above {@linkcode MAX_SANE_CONCURRENCY}, asks on a
 * terminal (unless `--yes`) and refuses elsewhere. False: not confirmed.
 */
export function confirmConcurrency(
  concurrency: number,
  flags: { yes?: boolean },
  io: CommandIO = denoIO,
): boolean {
  if (concurrency <= MAX_SANE_CONCURRENCY || flags.yes) return true;
  const why =
    `--concurrency ${concurrency} sends that many launches at once to a server whose web front has a handful of workers`;
  if (!canAsk(io)) {
    eprint(
      io,
      `${why}: not started without --yes (standard input is not a terminal, so nobody can be asked)`,
    );
    return false;
  }
  return io.confirm(`${why}. Go on?`);
}
