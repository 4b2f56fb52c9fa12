#!/usr/bin/env -S deno run --allow-net --allow-read --allow-write --allow-env=TS_*,HOME,XDG_*,APPDATA,NO_COLOR,FORCE_COLOR,CLICOLOR_FORCE,HTTP*,ALL_PROXY,NO_PROXY,http*,all_proxy,no_proxy,UNDICI_*,JEST_WORKER_ID
/**
 * `download.ts`: a plugin's output files from many reports into one folder,
 * resumable, verified, two at a time.
 *
 *     download.ts reports.csv --plugin variantCaller --files '*.vcf.gz' --out vcfs/
 *     download.ts reports.csv --plugin coverageAnalysis --files '*.bc_summary.xls' --files '*.amplicon.cov.xls'
 *     download.ts reports.csv --plugin variantCaller --type variants_vcf_gz,variants_vcf_gz_tbi --dry-run
 *     download.ts --verify --out vcfs/
 *
 * @module
 */

import { type Command, Option } from "commander";
import { httpFor, readCaCert } from "../lib/http/mod.ts";
import { UsageError } from "../lib/errors.ts";
import type { ConnectionConfig } from "../lib/config.ts";
import {
  compilePattern,
  DEFAULT_MAX_BYTES,
  describePlan,
  type DownloadEvent,
  type DownloadItem,
  type DownloadPlan,
  FileSession,
  formatBytes,
  type Layout,
  planDownloads,
  RateLimit,
  runDownloads,
  verifyDownloads,
} from "../lib/downloads/mod.ts";
import {
  addFormatOption,
  addWideOption,
  type Format,
  resolveFormat,
  wholeNumber,
} from "./_cli/flags.ts";
import { rerunCommand } from "./_cli/closing.ts";
import { configFrom, connect, explain, profileLine } from "./_cli/connect.ts";
import { type Column, eprint, write, writeRows } from "./_cli/output.ts";
import {
  type CommonFlags,
  EXIT,
  type Invocation,
  invocationOf,
  newProgram,
  runMain,
  withInterrupt,
} from "./_cli/program.ts";
import { type CommandIO, denoIO } from "./_cli/io.ts";
import {
  addReportOptions,
  parsePick,
  type ReportInputFlags,
  requireReports,
  selectReports,
} from "./_cli/report_input.ts";

interface Flags extends CommonFlags, ReportInputFlags {
  plugin: string[];
  files: string[];
  type: string[];
  out: string;
  layout: Layout;
  maxSize: number;
  limitRate?: number;
  concurrency: number;
  run?: string;
  dryRun?: boolean;
  verify?: boolean;
  format?: Format;
  wide?: boolean;
}

const HELP = `
Input: a CSV of report keys or names (a bulk_run journal or summary works), "-",
--report KEY, or report filters (--project, --status, --since ...).

Which run: per (report, plugin) the newest Completed run, as ionrun results
reads it (--run newest|ID). Reports without a usable run are listed with the
reason.

Which files: --files patterns as in .gitignore (no "/": the name at any
depth, e.g. '*.vcf.gz'; with "/": the path in the run folder), --type for
variantCaller's typed list (variants_vcf_gz, variants_vcf_gz_tbi,
genome_vcf_gz, alleles_xls, ...). Found from the run's results, the plugin's
known layout, then barcode-folder listings. Links to the report's BAM are
left out unless a pattern names them; files over --max-size are skipped and
said so.

Files need the password (TS_USER and TS_PASSWORD): Torrent Suite accepts an
API key only under /rundb/api/. The password goes once, then the session.

Layout: <out>/<plugin>/<report>_<name>/<path in the run> (--layout tree), or
<out>/<name>.<barcode>.<sample>.<file> (--layout flat). A newer run of a pair
goes to a folder of its own. Each file is written to <file>.part, checked
(length, SHA-256, gzip/BGZF whole) and renamed; <out>/manifest.jsonl records
it. The same command again fetches only what is missing or changed (one HEAD
per file) and resumes partial files. --verify re-hashes the files.

Exit codes: 0 every file is there; 1 some files or reports failed or were
left out; 2 bad input, name collisions or no password; 3 authentication
failed; 130 interrupted (the same command resumes).`;

/** Builds the command-line program of an invocation. */
export function program(
  run: Invocation = invocationOf("download.ts", []),
): Command {
  const cmd = newProgram(
    run.name,
    "Download a plugin's output files from many reports, verified and resumable.",
    run.io,
  )
    .argument("[input]", 'CSV of report keys or names, or "-" for stdin')
    .option(
      "--plugin <names>",
      "plugin(s) whose files to fetch (comma-separated, repeatable)",
      collectList,
      [],
    )
    .option(
      "--files <pattern>",
      "file pattern, e.g. '*.vcf.gz' (repeatable)",
      (v: string, p: string[]) => [...p, v],
      [],
    )
    .option(
      "--type <types>",
      "variantCaller file types (comma-separated)",
      collectList,
      [],
    )
    .option("--out <dir>", "download folder", "downloads")
    .addOption(
      new Option("--layout <layout>", "tree or flat").choices(["tree", "flat"])
        .default("tree"),
    )
    .addOption(
      new Option(
        "--max-size <size>",
        "skip files bigger than this (e.g. 500MB)",
      )
        .argParser(parseSize("--max-size")).default(DEFAULT_MAX_BYTES, "2GB"),
    )
    .addOption(
      new Option("--limit-rate <rate>", "total bytes per second (e.g. 20MB)")
        .argParser(parseSize("--limit-rate")),
    )
    .addOption(
      new Option("--concurrency <n>", "transfers at once")
        .argParser(wholeNumber("--concurrency", 1)).default(2),
    )
    .option("--run <which>", "completed (default), newest, or a run id")
    .option("--dry-run", "print the plan: files, sizes, what is left out")
    .option("--verify", "re-hash the files of --out against its manifest")
    .addHelpText("after", HELP)
    .action(async (input: string | undefined, _o, command: Command) => {
      run.exitCode = await download(run, input, command.opts<Flags>());
    });
  addWideOption(addFormatOption(cmd));
  return addReportOptions(cmd);
}

function collectList(value: string, previous: string[]): string[] {
  return [
    ...previous,
    ...value.split(",").map((s) => s.trim()).filter(Boolean),
  ];
}

const UNITS: Record<string, number> = {
  "": 1,
  b: 1,
  k: 1e3,
  kb: 1e3,
  m: 1e6,
  mb: 1e6,
  g: 1e9,
  gb: 1e9,
  t: 1e12,
  tb: 1e12,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
};

/** A size like `500MB`, `2G`, `1.5GiB`, `100000`. */
function parseSize(flag: string): (value: string) => number {
  return (value) => {
    const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*(?:\/s)?\s*$/i.exec(value);
    const unit = m ? UNITS[m[2]!.toLowerCase()] : undefined;
    if (!m || unit === undefined || Number(m[1]) <= 0) {
      throw new UsageError(
        `${flag} must be a size like 500MB, 2GB or 1048576, got ${
          JSON.stringify(value)
        }`,
      );
    }
    return Math.round(Number(m[1]) * unit);
  };
}

/** The file session, or the one line saying why there is none. */
async function filesSession(config: ConnectionConfig): Promise<FileSession> {
  if (config.password === undefined || config.user === undefined) {
    throw new UsageError(
      `downloads need the password: set TS_USER and TS_PASSWORD (in the environment or .env). Torrent Suite accepts an API key only under /rundb/api/; the files under /output/ need HTTP Basic${
        config.apiKey ? " (TS_API_KEY stays in use for the API)" : ""
      }`,
    );
  }
  const caCert = await readCaCert(config.caCertFile);
  return new FileSession(httpFor({
    url: config.url,
    purpose: "files",
    user: config.user,
    password: config.password,
    ...(caCert !== undefined ? { caCert } : {}),
    ...(config.caCertFile !== undefined
      ? { caCertFile: config.caCertFile }
      : {}),
  }));
}

async function download(
  run: Invocation,
  input: string | undefined,
  flags: Flags,
): Promise<number> {
  const { io } = run;
  if (flags.verify) return await verify(io, flags);
  if (flags.plugin.length === 0) {
    throw new UsageError("give --plugin NAME (e.g. --plugin variantCaller)");
  }
  if (flags.files.length === 0 && flags.type.length === 0) {
    throw new UsageError(
      "say which files: --files PATTERN (e.g. '*.vcf.gz') or --type TYPE",
    );
  }
  requireReports(input, flags);
  const patterns = flags.files.map(compilePattern);
  const pick = parsePick(flags.run);
  // Checked before anything connects: no password, no download.
  const session = await filesSession(await configFrom(flags, io));
  const { config, client } = await connect(flags, io);
  const line = profileLine(config);
  if (line) eprint(io, line);
  try {
    const reports = await selectReports(io, client, input, flags);
    if (reports.length === 0) {
      eprint(io, "no reports: nothing to download");
      return EXIT.ok;
    }
    const plan = await planDownloads(client, session, reports, {
      plugins: [...new Set(flags.plugin)],
      wanted: { patterns, types: flags.type },
      layout: flags.layout,
      pick,
      out: flags.out,
    });
    if (plan.collisions.length) {
      eprint(
        io,
        `${plan.collisions.length} local name(s) would hold two files (nothing was downloaded):`,
      );
      for (const c of plan.collisions.slice(0, 10)) eprint(io, `  ${c}`);
      eprint(io, "use --layout tree (the default), or narrower --files");
      return EXIT.usage;
    }
    if (flags.dryRun) return dryRun(io, plan, flags);
    for (const s of plan.skipped) {
      eprint(
        io,
        `left out: ${s.report} ${s.plugin}${
          s.file ? ` ${s.file}` : ""
        }: ${s.reason}`,
      );
    }
    eprint(io, `${describePlan(plan)} → ${flags.out}`);
    const progress = progressFor(io, plan.items);
    const summary = await withInterrupt(
      (signal) =>
        runDownloads(session, plan.items, {
          out: flags.out,
          concurrency: flags.concurrency,
          maxBytes: flags.maxSize,
          ...(flags.limitRate ? { rate: new RateLimit(flags.limitRate) } : {}),
          onEvent: progress.event,
          signal,
        }).catch((error) => {
          if (signal.aborted) return null;
          throw error;
        }),
      io,
    );
    progress.done();
    const rerun = rerunCommand(
      run.args.filter((a) => a !== "--dry-run"),
      { ionrun: io.ionrun },
    );
    if (summary === null) {
      eprint(
        io,
        `stopped: partial files stay and resume; run the same command again:\n  ${rerun}`,
      );
      return EXIT.interrupted;
    }
    const c = summary.counts;
    eprint(io, "─".repeat(Math.min(60, io.columns() ?? 60)));
    eprint(
      io,
      [
        `${c.downloaded} downloaded`,
        c.resumed ? `${c.resumed} resumed` : "",
        c.unchanged ? `${c.unchanged} already there` : "",
        c["too-big"] ? `${c["too-big"]} over --max-size` : "",
        c.gone ? `${c.gone} not on the server` : "",
        c.failed ? `${c.failed} failed` : "",
        summary.notTried ? `${summary.notTried} not tried` : "",
      ].filter(Boolean).join(", ") + ` (${formatBytes(summary.bytes)} written)`,
    );
    for (const f of summary.failures.slice(0, 10)) {
      eprint(io, `  ✗ ${f.item.dest}: ${f.message}`);
    }
    if (summary.failures.length > 10) {
      eprint(io, `  … and ${summary.failures.length - 10} more`);
    }
    if (summary.stopped) eprint(io, `stopped: ${summary.stopped}`);
    const pairsLeft = plan.skipped.filter((s) => !s.file).length;
    if (pairsLeft) {
      eprint(io, `${pairsLeft} (report, plugin) pair(s) without a usable run`);
    }
    const incomplete = summary.failures.length > 0 || summary.notTried > 0;
    if (incomplete) {
      eprint(io, `the same command again fetches what is missing:\n  ${rerun}`);
    }
    if (
      summary.failures.some((f) =>
        /refused the user name and password|login page/.test(f.message)
      )
    ) {
      return EXIT.auth;
    }
    return incomplete || pairsLeft ? EXIT.failed : EXIT.ok;
  } catch (error) {
    throw explain(error, config);
  } finally {
    client.close();
    await session.close();
  }
}

function dryRun(io: CommandIO, plan: DownloadPlan, flags: Flags): number {
  const cols: Column<DownloadItem>[] = [
    { name: "report", value: (i) => i.report, right: true },
    { name: "plugin", value: (i) => i.plugin, drop: 2 },
    { name: "run", value: (i) => i.run, right: true, drop: 1 },
    { name: "barcode", value: (i) => i.barcode || null, drop: 3 },
    { name: "dest", value: (i) => i.dest, minWidth: 20, cut: "middle" },
    { name: "url", value: (i) => i.url, only: "data" },
  ];
  writeRows(io, plan.items, cols, resolveFormat(flags.format, io.stdout), {
    wide: flags.wide ?? false,
  });
  for (const s of plan.skipped) {
    eprint(
      io,
      `left out: ${s.report} ${s.plugin}${
        s.file ? ` ${s.file}` : ""
      }: ${s.reason}`,
    );
  }
  eprint(
    io,
    `dry run: ${describePlan(plan)} → ${flags.out}; nothing downloaded`,
  );
  return EXIT.ok;
}

async function verify(io: CommandIO, flags: Flags): Promise<number> {
  const results = await verifyDownloads(flags.out);
  if (results.length === 0) {
    throw new UsageError(`${flags.out}: no manifest.jsonl, nothing to verify`);
  }
  const bad = results.filter((r) => r.state !== "ok");
  writeRows(
    io,
    bad,
    [
      { name: "path", value: (r) => r.entry.path },
      { name: "state", value: (r) => r.state },
      { name: "sha256", value: (r) => r.entry.sha256, only: "data" },
    ],
    resolveFormat(flags.format, io.stdout),
    { wide: flags.wide ?? false },
  );
  eprint(
    io,
    `${
      results.length - bad.length
    } of ${results.length} file(s) match the manifest`,
  );
  return bad.length ? EXIT.failed : EXIT.ok;
}

/** Progress on stderr: a line redrawn on a terminal, a line per file otherwise. */
function progressFor(io: CommandIO, items: readonly DownloadItem[]) {
  const terminal = io.stderr.isTerminal();
  const started = performance.now();
  let done = 0;
  let bytes = 0;
  let last = 0;
  const draw = (force = false) => {
    const now = performance.now();
    if (!force && now - last < 250) return;
    last = now;
    const secs = (now - started) / 1000;
    const rate = secs > 0 ? bytes / secs : 0;
    const eta = done > 0 && done < items.length
      ? ` · ETA ${Math.ceil((secs / done) * (items.length - done))}s`
      : "";
    const text = `files ${done}/${items.length} · ${formatBytes(bytes)} · ${
      formatBytes(rate)
    }/s${eta}`;
    const width = io.columns() ?? 80;
    write(io.stderr, `\r${text.slice(0, width - 1)}\x1b[K`);
  };
  return {
    event(e: DownloadEvent) {
      if (e.type === "bytes") bytes += e.bytes ?? 0;
      if (e.type === "end") {
        done++;
        if (!terminal) {
          eprint(
            io,
            `${
              e.outcome === "downloaded" || e.outcome === "resumed" ||
                e.outcome === "unchanged"
                ? "✓"
                : "✗"
            } ${e.item.dest} (${e.outcome}${
              e.message ? `: ${e.message}` : ""
            })`,
          );
        }
      }
      if (terminal) draw(e.type === "end");
    },
    done() {
      if (terminal) {
        draw(true);
        write(io.stderr, "\n");
      }
    },
  };
}

/**
 * Runs the command with the given arguments; returns the exit code.
 *
 * @param args The arguments after the command's name.
 * @param io Streams, environment and terminal (default the real ones);
 *   `io.ionrun` when started as `ionrun download`.
 */
export async function main(
  args: string[],
  io: CommandIO = denoIO,
): Promise<number> {
  const run = invocationOf("download.ts", args, io);
  return await runMain(program(run), run);
}

if (import.meta.main) Deno.exitCode = await main(Deno.args);
