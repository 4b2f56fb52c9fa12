// The closing block the scripts print on stderr when they end: the counts,
// up to ten failures with their reason, what else needs a look (stale,
// cancelled, missing reports), and the exact command that reruns the
// failures. Built from status rows (status.ts) or from a bulk summary
// (bulk_run.ts), so that both end the same way.

import { relative } from "node:path";
import { fileURLToPath } from "node:url";
import type { JobView, PairStatus, RunLog } from "../../lib/status/mod.ts";
import { classifyState } from "../../lib/states.ts";
import {
  type BulkSummary,
  countOutcomes,
  type RowResult,
} from "../../lib/bulk/mod.ts";
import { eprint, useColor } from "./output.ts";
import { type CommandIO, denoIO } from "./io.ts";

/** One failure the block names. */
export interface ClosingFailure {
  /** Report key, if any. */
  report: number | null;
  /** Report name, if known. */
  reportName?: string | null;
  /** Plugin name, if any. */
  plugin: string | null;
  /** Why, in a line (a state, a validation error, a log's error line). */
  reason: string;
}

/** What the closing block says. */
export interface ClosingInput {
  /** What is counted, plural: `"pair(s)"`, `"row(s)"`. */
  unit: string;
  /** Counts in the order shown, e.g. `[["completed", 8], ["failed", 2]]`; zeros are left out. */
  counts: readonly (readonly [string, number])[];
  /** Every failure; the first ten are named. */
  failures: readonly ClosingFailure[];
  /** What the failures are, after their number; default `"failed"`. */
  failuresLabel?: string;
  /** The command that reruns the failures, when there are some. */
  rerun?: string | undefined;
  /**
   * The command that launches the rows that did not launch (the same
   * command again: the job resumes, nothing is launched twice), when there
   * are some.
   */
  resume?: string | undefined;
  /** Other lines worth reading (stale runs, missing reports, where the page is). */
  notes?: readonly string[];
  /**
   * Some pair was launched twice: the resume line then does not claim that
   * nothing is launched twice.
   */
  launchedTwice?: boolean;
}

/** How many failures the block names. */
export const CLOSING_FAILURES = 10;

/**
 * The closing block's lines: a rule, the counts, up to ten failures with
 * their reason, the notes, and the rerun command. With `color`, failures are
 * red and the command bold.
 */
export function renderClosing(
  input: ClosingInput,
  options: { color?: boolean; max?: number } = {},
): string[] {
  const max = options.max ?? CLOSING_FAILURES;
  const paint = (code: string, s: string) =>
    options.color ? `\x1b[${code}m${s}\x1b[0m` : s;
  const total = input.counts.reduce((n, [, c]) => n + c, 0);
  const counts = input.counts.filter(([, n]) => n > 0).map(([k, n]) =>
    `${n} ${k}`
  );
  const lines = [
    "── summary " + "─".repeat(38),
    `${total} ${input.unit}: ${counts.join(", ") || "none"}`,
  ];
  const failures = input.failures;
  if (failures.length > 0) {
    lines.push(
      paint(
        "1;31",
        `${failures.length} ${input.failuresLabel ?? "failed"}${
          failures.length > max ? ` (the first ${max})` : ""
        }:`,
      ),
    );
    for (const f of failures.slice(0, max)) {
      const who = [
        f.report ?? "",
        f.reportName ? cut(f.reportName, 40) : "",
        f.plugin ?? "",
      ].filter((x) => x !== "").join("  ");
      lines.push(`  ${who}: ${paint("31", cut(f.reason, 120))}`);
    }
    if (failures.length > max) {
      lines.push(`  … and ${failures.length - max} more`);
    }
  }
  for (const note of input.notes ?? []) lines.push(note);
  if (input.rerun && failures.length > 0) {
    lines.push("Rerun the failed ones:", `  ${paint("1", input.rerun)}`);
  }
  if (input.resume) {
    lines.push(
      `Launch the rows that did not launch (the same command resumes the job${
        input.launchedTwice ? "" : "; nothing is launched twice"
      }):`,
      `  ${paint("1", input.resume)}`,
    );
  }
  return lines;
}

/** Prints the closing block on stderr (colored on a terminal, never with NO_COLOR). */
export function writeClosing(
  input: ClosingInput,
  io: CommandIO = denoIO,
): void {
  for (const line of renderClosing(input, { color: useColor(io, io.stderr) })) {
    eprint(io, line);
  }
}

function cut(s: string, n: number): string {
  const one = s.replace(/\s+/g, " ").trim();
  return one.length > n ? `${one.slice(0, n - 1)}…` : one;
}

/** Quotes a shell word when it needs it. */
export function shellQuote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg)
    ? arg
    : `'${arg.replaceAll("'", "'\\''")}'`;
}

/** How a printed command is spelled. */
export interface CommandSpelling {
  /** Started as `ionrun`: `ionrun <command>` instead of the script. */
  ionrun?: boolean | undefined;
  /** The folder the command is run from; default the working directory. */
  cwd?: string | undefined;
}

/**
 * How to run one of the scripts from the working directory: `ionrun
 * <command>` under ionrun (`ionrun` true); `deno run -A scripts/<name>` with the path
 * relative to it; from a bundle (`dist/`), the bundled script beside it.
 */
export function scriptCommand(
  name: string,
  { ionrun = false, cwd = Deno.cwd() }: CommandSpelling = {},
): string {
  if (ionrun) {
    return `ionrun ${name.replace(/\.ts$/, "").replace("_", "-")}`;
  }
  const source = import.meta.url.endsWith("/scripts/_cli/closing.ts");
  const path = source
    ? fileURLToPath(new URL(`../${name}`, import.meta.url))
    : fileURLToPath(new URL(name.replace(/\.ts$/, ".js"), Deno.mainModule));
  let shown = relative(cwd, path);
  if (shown.startsWith("../../") || shown === "") shown = path;
  return `deno run -A ${shellQuote(shown)}`;
}

/**
 * The rerun command of failed pairs: `status.ts <selection> --failed
 * --format csv | bulk_run.ts -`, which relaunches exactly the pairs whose
 * newest run failed (state class `failed`: not cancelled, not stale).
 *
 * @param selection The arguments that select the pairs (input file,
 *   `--report`, `--plugin`, `--stale-after`), already split.
 * @param spelling `ionrun`: spelled as `ionrun status … | ionrun bulk-run -`.
 */
export function rerunCommand(
  selection: readonly string[],
  spelling: CommandSpelling = {},
): string {
  return `${scriptCommand("status.ts", spelling)} ${
    [...selection, "--failed", "--format", "csv"].map(shellQuote).join(" ")
  } | ${scriptCommand("bulk_run.ts", spelling)} -`;
}

/** A failed pair's reason: its validation errors, its log's last error line, or its state. */
export function statusReason(
  s: PairStatus,
  log: RunLog | undefined,
): string {
  if (s.validationErrors.length > 0) {
    return `${s.state}: ${s.validationErrors.join("; ")}`;
  }
  const line = log && log.errorLines.length > 0
    ? log.lines[log.errorLines[0]!]
    : undefined;
  // Without the log's time stamp and its own "ERROR:": the state says it.
  const said = line?.trim().replace(/^\[[^\]]*\]\s*/, "")
    .replace(/^error:\s*/i, "");
  return said ? `${s.state}: ${said}` : `${s.state ?? "failed"}`;
}

/**
 * The closing block of `status.ts`: counts per state group, the failed pairs
 * (with the error line of their log when read), stale and cancelled runs and
 * missing reports as notes, and the rerun command.
 */
export function statusClosing(
  statuses: readonly PairStatus[],
  options: {
    rerun?: string;
    logs?: ReadonlyMap<number, RunLog>;
    notes?: readonly string[];
    /** The bulk job, when the input was its journal. */
    job?: JobView | undefined;
  } = {},
): ClosingInput {
  const n = (cls: string) =>
    statuses.filter((s) => s.stateClass === cls && s.launch === undefined);
  const waiting = statuses.filter((s) => s.launch === "waiting").length;
  const stopped = statuses.filter((s) => s.launch === "stopped").length;
  const missingReports = [
    ...new Set(
      statuses.filter((s) => s.reportFound === false).map((s) => s.report),
    ),
  ];
  const failed = n("failed");
  const stale = n("stale");
  const notes: string[] = [];
  if (stale.length > 0) {
    notes.push(
      `${stale.length} stale (running for longer than any job can; the server never ends them): ${
        stale.slice(0, 5).map((s) => `${s.report} ${s.plugin} #${s.id}`).join(
          ", ",
        )
      }${
        stale.length > 5 ? ", …" : ""
      }; stop them with --stop and rerun them (they are not in --failed)`,
    );
  }
  const cancelled = n("cancelled");
  if (cancelled.length > 0) {
    notes.push(
      `${cancelled.length} cancelled by a user (not in --failed; relaunch them on purpose with bulk_run.ts --force)`,
    );
  }
  const job = options.job;
  if (job && !job.ended && job.waiting.size > 0) {
    notes.push(
      job.live || job.launcher === "unknown"
        ? `job still launching: ${job.launched} of ${job.total} launched`
        : `the job stopped with ${job.launched} of ${job.total} launched: the same bulk_run command resumes it`,
    );
  }
  if (missingReports.length > 0) {
    notes.push(
      `${missingReports.length} report(s) not on this server: ${
        missingReports.slice(0, 10).join(", ")
      }${missingReports.length > 10 ? ", …" : ""}`,
    );
  }
  return {
    unit: "pair(s)",
    counts: [
      ["completed", n("completed").length],
      ["failed", failed.length],
      ["running", n("running").length],
      ["stale", stale.length],
      ["cancelled", cancelled.length],
      ["waiting to launch", waiting],
      ["not launched (job stopped)", stopped],
      [
        "never run",
        statuses.filter((s) =>
          s.stateClass === "missing" && s.reportFound !== false &&
          s.launch === undefined
        )
          .length,
      ],
      [
        "no such report",
        statuses.filter((s) => s.reportFound === false).length,
      ],
    ],
    failures: failed.map((s) => ({
      report: s.report,
      reportName: s.reportName,
      plugin: s.plugin,
      reason: statusReason(
        s,
        s.id === null ? undefined : options.logs?.get(s.id),
      ),
    })),
    ...(options.rerun ? { rerun: options.rerun } : {}),
    notes: [...notes, ...(options.notes ?? [])],
  };
}

/** What {@linkcode bulkRunClosing} needs beside the rows. */
export interface BulkClosingOptions {
  /**
   * The job's journal (`<input>.journal.ndjson` or `--journal`): the rerun
   * command reads its pairs, `status.ts <journal> --failed --format csv |
   * bulk_run.ts -`. Without it (a dry run) no rerun command is given.
   */
  journal?: string | undefined;
  /**
   * The arguments `bulk_run.ts` was started with (`Deno.args`): the command
   * that launches the rows that did not launch (failed to launch, not
   * started, in doubt) is the same one.
   */
  args?: readonly string[] | undefined;
  /** Launched runs still running when `--timeout` ended the wait. */
  pendingAfterWait?: number | undefined;
  /** Launched runs left stale (past `--stale-after`) during the wait. */
  staleAfterWait?: number | undefined;
  /** Pairs that show two new runs (launched twice). */
  duplicates?: number | undefined;
  /** Other lines worth reading. */
  notes?: readonly string[] | undefined;
  /** Started as `ionrun bulk-run`: the commands are spelled that way. */
  ionrun?: boolean | undefined;
  /** The folder the commands are run from; default the working directory. */
  cwd?: string | undefined;
}

/** Rows whose launch did not happen, or whose outcome is unknown. */
const NOT_LAUNCHED = new Set(["failed", "not-started", "in-doubt"]);

/**
 * The closing block of `bulk_run.ts`, from its rows: counts per outcome, up
 * to ten rows that failed to launch or whose run ended in a failure (after
 * `--wait`), each with its reason, and the exact commands: the one that
 * reruns the failed runs (`status.ts <journal> --failed --format csv |
 * bulk_run.ts -`: exactly the pairs whose newest run failed) and, when rows
 * did not launch, the same `bulk_run.ts` command again (it resumes).
 *
 * @example
 * ```ts ignore
 * // at the end of bulk_run.ts:
 * writeClosing(bulkRunClosing(summary.results, {
 *   journal,
 *   args: Deno.args,
 *   pendingAfterWait: summary.pendingAfterWait,
 * }));
 * ```
 */
export function bulkRunClosing(
  rows: readonly RowResult[],
  options: BulkClosingOptions = {},
): ClosingInput {
  const spelling = { ionrun: options.ionrun, cwd: options.cwd };
  const runFailed = (r: RowResult) =>
    r.state !== null && classifyState(r.state) === "failed";
  const failures = rows.filter((r) =>
    r.outcome === "failed" || r.outcome === "in-doubt" || runFailed(r)
  );
  const counts = countOutcomes(rows);
  const notes = [...(options.notes ?? [])];
  const twice = (options.duplicates ?? 0) > 0 ||
    rows.some((r) => / launched (twice|\d+ times), runs /.test(r.message));
  if (counts["in-doubt"] > 0) {
    notes.push(
      `${
        counts["in-doubt"]
      } in doubt: run the same command again later to settle them${
        twice ? "" : " (nothing is launched twice)"
      }`,
    );
  }
  if (options.staleAfterWait) {
    // The status half must see them as stale too: the job's --stale-after.
    const at = options.args?.indexOf("--stale-after") ?? -1;
    const limit = at >= 0 && options.args![at + 1] !== undefined
      ? ["--stale-after", options.args![at + 1]!]
      : [];
    const rerun = options.journal
      ? `: ${
        rerunCommand([options.journal, ...limit], spelling)
      } --rerun failed,stale ${limit.map(shellQuote).join(" ")}`.trimEnd()
      : "";
    notes.push(
      `${options.staleAfterWait} stale: still Started or Queued past --stale-after (the grid job gone after a server reboot, or held for ever); relaunch them${rerun}`,
    );
  }
  if (options.pendingAfterWait) {
    notes.push(
      `${options.pendingAfterWait} still running when --timeout ended the wait: follow them with status.ts --wait`,
    );
  }
  // A run that launched and then failed is for the rerun command, not for
  // the resume (the same command launches nothing more for it).
  const unlaunched = rows.some((r) =>
    NOT_LAUNCHED.has(r.outcome) && !(r.outcome === "failed" && r.run !== null)
  );
  const args = options.args;
  const stdin = args?.includes("-") ?? false;
  const again = args && unlaunched
    ? `${stdin ? "(the same input) | " : ""}${
      scriptCommand("bulk_run.ts", spelling)
    } ${args.map(shellQuote).join(" ")}`.trimEnd()
    : undefined;
  return {
    unit: "row(s)",
    counts: Object.entries(counts),
    failuresLabel: "failed to launch or ended in a failure",
    failures: failures.map((r) => ({
      report: r.report,
      plugin: r.plugin,
      reason: r.outcome === "failed" || r.outcome === "in-doubt"
        ? `${r.outcome}: ${r.message}`
        : `${r.state}${r.message ? `: ${r.message}` : ""}`,
    })),
    ...(options.journal && rows.some(runFailed)
      ? { rerun: rerunCommand([options.journal], spelling) }
      : {}),
    ...(again ? { resume: again } : {}),
    notes,
    ...(twice ? { launchedTwice: true } : {}),
  };
}

/**
 * Prints `bulk_run.ts`'s closing block on stderr: {@linkcode bulkRunClosing}
 * then {@linkcode writeClosing}. What `bulk_run.ts` calls at its end:
 * `writeBulkClosing(summary.results, { journal, args: Deno.args,
 * pendingAfterWait: summary.pendingAfterWait })`.
 */
export function writeBulkClosing(
  rows: readonly RowResult[],
  options: BulkClosingOptions = {},
  io: CommandIO = denoIO,
): void {
  writeClosing(bulkRunClosing(rows, options), io);
}

/**
 * The closing block of a bulk summary, with the rerun command the caller
 * gives; the same as {@linkcode bulkRunClosing} over its rows.
 */
export function bulkClosing(
  summary: BulkSummary,
  options: { rerun?: string; notes?: readonly string[] } = {},
): ClosingInput {
  const block = bulkRunClosing(summary.results, {
    pendingAfterWait: summary.pendingAfterWait,
    staleAfterWait: summary.staleAfterWait,
    notes: options.notes,
  });
  return { ...block, ...(options.rerun ? { rerun: options.rerun } : {}) };
}
