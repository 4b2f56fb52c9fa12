#!/usr/bin/env -S deno run --allow-net --allow-read --allow-write --allow-env=TS_*,HOME,XDG_*,APPDATA,NO_COLOR,FORCE_COLOR,CLICOLOR_FORCE,HTTP*,ALL_PROXY,NO_PROXY,http*,all_proxy,no_proxy,UNDICI_*,JEST_WORKER_ID
/**
 * `results.ts`: one QC table across reports from each plugin run's results
 * (its `store`), one row per (report, barcode).
 *
 *     results.ts reports.csv --plugin coverageAnalysis
 *     results.ts reports.csv --plugin coverageAnalysis,variantCaller,sampleID --format html --out qc.html
 *     results.ts reports.csv --plugin coverageAnalysis --columns mapped_reads,on_target,mean_depth,uniformity
 *     results.ts reports.csv --plugin coverageAnalysis --list-columns
 *
 * @module
 */

import { type Command, Option } from "commander";
import { stringify } from "csv-stringify/sync";
import type { TsClient } from "../lib/http/mod.ts";
import { UsageError } from "../lib/errors.ts";
import {
  chooseRuns,
  listPlugins,
  reasonText,
  type RunChoice,
} from "../lib/api/mod.ts";
import {
  type Cell,
  countKeys,
  firedRules,
  type FlagRule,
  parseFlagRule,
  renderResultsPage,
  resolveColumns,
  type ResultRow,
  resultRows,
  tableHeader,
} from "../lib/results/mod.ts";
import { checkWritable, distance } from "./_cli/flags.ts";
import { connect, explain, profileLine } from "./_cli/connect.ts";
import {
  type Column,
  eprint,
  renderTable,
  terminalWidth,
  write,
  writeRows,
} from "./_cli/output.ts";
import {
  type CommonFlags,
  EXIT,
  type Invocation,
  invocationOf,
  newProgram,
  runMain,
} from "./_cli/program.ts";
import { type CommandIO, denoIO } from "./_cli/io.ts";
import {
  addReportOptions,
  parsePick,
  type ReportInputFlags,
  requireReports,
  selectReports,
} from "./_cli/report_input.ts";

const FORMATS = ["table", "csv", "tsv", "json", "ndjson", "html"] as const;
type Format = typeof FORMATS[number];

interface Flags extends CommonFlags, ReportInputFlags {
  plugin: string[];
  columns: string[];
  listColumns?: boolean;
  run?: string;
  raw?: boolean;
  flag: string[];
  strict?: boolean;
  format?: Format;
  out?: string;
  wide?: boolean;
}

const HELP = `
Input: a CSV of report keys or names (a bulk_run journal or summary works), "-",
--report KEY, or report filters (--project, --status, --since ...; thumbnail
reports left out unless --thumbnails).

Which run: per (report, plugin) the newest Completed run (--run newest: the
newest finished run whatever its state; --run ID: that run). A newer failed
or running rerun is noted in <plugin>.note beside the older good results,
never hides them. A report without a usable run keeps one row with the
reason, and makes the exit code 1.

Columns: each plugin's built-in aliases (coverageAnalysis: mapped_reads,
on_target_pct, mean_depth, uniformity_pct, ...; variantCaller: variants,
het_snps, hotspots, ...; sampleID: sample_id, gender, ...), <plugin>.<alias>,
or any store key path (variants.het_snps, 'loci_cov."Coverage at 20x"').
--list-columns prints the keys the selected runs actually have.

Values are parsed: "98.50%" -> 98.5, numeric text -> numbers, "true" ->
true, "NaN" -> empty (--raw keeps the server's text). Missing is empty,
never zero. A Completed run without the expected keys is noted no-metrics.

--flag 'uniformity_pct<90' (repeatable) colours those cells on the page and
fills a flags column elsewhere; --strict makes a fired rule exit 1 too.

Exit codes: 0 every pair had a usable run; 1 some had none (or, with
--strict, a rule fired); 2 bad input; 3 authentication failed.`;

/** Builds the command-line program of an invocation. */
export function program(
  run: Invocation = invocationOf("results.ts", []),
): Command {
  const cmd = newProgram(
    run.name,
    "One QC table across reports from each plugin run's results, per barcode.",
    run.io,
  )
    .argument("[input]", 'CSV of report keys or names, or "-" for stdin')
    .option(
      "--plugin <names>",
      "plugin(s) whose results to read (comma-separated, repeatable)",
      collectList,
      [],
    )
    .option(
      "--columns <names>",
      "aliases or store key paths (comma-separated, repeatable)",
      collectList,
      [],
    )
    .option("--list-columns", "print the store keys the runs have, with counts")
    .option("--run <which>", "completed (default), newest, or a run id")
    .option("--raw", "keep the server's text values")
    .option(
      "--flag <rule>",
      "threshold rule, e.g. 'uniformity_pct<90' (repeatable)",
      (v: string, p: string[]) => [...p, v],
      [],
    )
    .option("--strict", "exit 1 when a --flag rule fires")
    .addOption(
      new Option(
        "-o, --format <format>",
        "output format (default: table on a terminal, else csv)",
      ).choices(FORMATS),
    )
    .option("--out <file>", "write the table to this file instead of stdout")
    .option("--wide", "tables: every column, nothing cut")
    .addHelpText("after", HELP)
    .action(async (input: string | undefined, _o, command: Command) => {
      run.exitCode = await results(run.io, input, command.opts<Flags>());
    });
  return addReportOptions(cmd);
}

function collectList(value: string, previous: string[]): string[] {
  return [
    ...previous,
    ...splitList(value),
  ];
}

/** Splits a comma list, keeping commas inside double quotes. */
function splitList(value: string): string[] {
  const out: string[] = [];
  let current = "";
  let quoted = false;
  for (const c of value) {
    if (c === '"') quoted = !quoted;
    if (c === "," && !quoted) {
      out.push(current.trim());
      current = "";
    } else current += c;
  }
  out.push(current.trim());
  return out.filter(Boolean);
}

async function results(
  io: CommandIO,
  input: string | undefined,
  flags: Flags,
): Promise<number> {
  if (flags.plugin.length === 0) {
    throw new UsageError("give --plugin NAME (e.g. --plugin coverageAnalysis)");
  }
  requireReports(input, flags);
  const pick = parsePick(flags.run);
  const plugins = [...new Set(flags.plugin)];
  const columns = resolveColumns(plugins, flags.columns);
  const header = tableHeader(plugins, columns);
  const rules = flags.flag.map((r) => parseFlagRule(r, header));
  const format: Format = flags.format ??
    (flags.out ? formatOfFile(flags.out) : undefined) ??
    (io.stdout.isTerminal() ? "table" : "csv");
  if (flags.out) await checkWritable(flags.out, "--out");
  const { config, client } = await connect(flags, io);
  const line = profileLine(config);
  if (line) eprint(io, line);
  try {
    await checkPlugins(client, plugins);
    const reports = await selectReports(io, client, input, flags);
    if (reports.length === 0) {
      eprint(io, "no reports: nothing to read");
      return EXIT.ok;
    }
    if (flags.listColumns) {
      return await listColumns(io, client, reports, plugins, pick, format);
    }
    const sink = await openSink(io, flags.out);
    const out = tableWriter(format, sink, {
      header: rules.length ? [...header, "flags"] : header,
      rules,
      wide: flags.wide ?? false,
      io,
      serverUrl: config.url,
      toStdout: !flags.out,
    });
    const unusable: string[] = [];
    const seen = new Set<number>();
    let rows = 0;
    let fired = 0;
    try {
      for await (
        const { row, choices } of resultRows(client, reports, {
          plugins,
          columns,
        }, { pick, raw: flags.raw ?? false })
      ) {
        if (!seen.has(row.report as number)) {
          seen.add(row.report as number);
          for (const c of choices) {
            if (!c.run) unusable.push(unusableLine(c));
          }
        }
        const hits = firedRules(rules, row);
        if (hits.length) fired++;
        out.row(
          rules.length ? { ...row, flags: hits.join("; ") || null } : row,
        );
        rows++;
      }
      out.end(unusable);
    } finally {
      await sink.close();
    }
    eprint(
      io,
      `${rows} row(s) from ${seen.size} report(s)${
        rules.length ? `; ${fired} row(s) flagged` : ""
      }${flags.out ? `; written to ${flags.out}` : ""}`,
    );
    if (unusable.length) {
      eprint(
        io,
        `${unusable.length} (report, plugin) pair(s) without a usable run:`,
      );
      for (const u of unusable.slice(0, 10)) eprint(io, `  ${u}`);
      if (unusable.length > 10) {
        eprint(io, `  … and ${unusable.length - 10} more`);
      }
    }
    return unusable.length || (flags.strict && fired) ? EXIT.failed : EXIT.ok;
  } catch (error) {
    throw explain(error, config);
  } finally {
    client.close();
  }
}

function formatOfFile(path: string): Format | undefined {
  const ext = /\.([a-z]+)$/i.exec(path)?.[1]?.toLowerCase();
  return ext === "html" || ext === "htm"
    ? "html"
    : ext === "json"
    ? "json"
    : ext === "ndjson" || ext === "jsonl"
    ? "ndjson"
    : ext === "tsv"
    ? "tsv"
    : ext === "csv"
    ? "csv"
    : undefined;
}

function unusableLine(c: RunChoice): string {
  return `${c.report}${c.reportName ? ` ${c.reportName}` : ""} ${c.plugin}: ${
    reasonText(c)
  }`;
}

/** Refuses a plugin the server does not have, naming the nearest. */
async function checkPlugins(client: TsClient, plugins: readonly string[]) {
  const names = [
    ...new Set((await listPlugins(client, { all: true })).map((p) => p.name)),
  ];
  for (const p of plugins) {
    if (names.includes(p)) continue;
    const lower = names.find((n) => n.toLowerCase() === p.toLowerCase());
    const near = lower ?? names
      .map((n) => [n, distance(p.toLowerCase(), n.toLowerCase())] as const)
      .sort((a, b) => a[1] - b[1])
      .find(([, d]) => d <= 3)?.[0];
    throw new UsageError(
      `no plugin named ${p} on this server${
        near ? `: did you mean ${near}?` : ""
      }`,
    );
  }
}

async function listColumns(
  io: CommandIO,
  client: TsClient,
  reports: number[],
  plugins: string[],
  pick: "completed" | "newest" | number,
  format: Format,
): Promise<number> {
  const choices: RunChoice[] = [];
  for await (const c of chooseRuns(client, reports, plugins, { pick })) {
    // Only the keys are kept, not the stores.
    choices.push(c);
  }
  const counts = countKeys(choices);
  const rows = [...counts].flatMap(([plugin, paths]) =>
    [...paths].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
      .map(([path, count]) => ({ plugin, path, count }))
  );
  const cols: Column<{ plugin: string; path: string; count: number }>[] = [
    { name: "plugin", value: (r) => r.plugin },
    { name: "column", value: (r) => `${r.plugin}.${r.path}` },
    { name: "samples", value: (r) => r.count, right: true },
  ];
  const f = format === "html" || format === "tsv" ? "csv" : format;
  writeRows(io, rows, cols, f);
  const runs = choices.filter((c) => c.run).length;
  eprint(
    io,
    `${rows.length} key(s) in ${runs} run(s) of ${reports.length} report(s)`,
  );
  return EXIT.ok;
}

/** Where the table goes: stdout, or a file written whole then renamed. */
interface Sink {
  write(text: string): void;
  close(): Promise<void>;
}

async function openSink(io: CommandIO, out: string | undefined): Promise<Sink> {
  if (!out) return { write: (t) => write(io.stdout, t), close: async () => {} };
  // A temporary name, renamed at the end: an interrupted run never leaves a
  // half table under the name asked for.
  const tmp = `${out}.${Deno.pid}.tmp`;
  const file = await Deno.open(tmp, {
    write: true,
    create: true,
    truncate: true,
  });
  const enc = new TextEncoder();
  let failed = false;
  return {
    write: (t) => {
      const bytes = enc.encode(t);
      let off = 0;
      while (off < bytes.length) off += file.writeSync(bytes.subarray(off));
    },
    close: async () => {
      file.close();
      if (failed) return;
      await Deno.rename(tmp, out).catch(async (e) => {
        failed = true;
        await Deno.remove(tmp).catch(() => {});
        throw e;
      });
    },
  };
}

interface TableWriter {
  row(row: ResultRow): void;
  end(unusable: readonly string[]): void;
}

function csvCell(v: Cell): string | number | boolean | null {
  return v;
}

function tableWriter(
  format: Format,
  sink: Sink,
  options: {
    header: string[];
    rules: readonly FlagRule[];
    wide: boolean;
    io: CommandIO;
    serverUrl: string;
    toStdout: boolean;
  },
): TableWriter {
  const { header } = options;
  const values = (row: ResultRow) => header.map((h) => csvCell(row[h] ?? null));
  switch (format) {
    case "csv":
    case "tsv": {
      const delimiter = format === "tsv" ? "\t" : ",";
      const line = (cells: unknown[]) =>
        stringify([cells], { delimiter, cast: { boolean: (b) => String(b) } });
      sink.write(line(header));
      return {
        row: (r) => sink.write(line(values(r))),
        end: () => {},
      };
    }
    case "ndjson":
      return {
        row: (r) => sink.write(`${JSON.stringify(pick(r, header))}\n`),
        end: () => {},
      };
    case "json": {
      let first = true;
      sink.write("[");
      return {
        row: (r) => {
          sink.write(
            `${first ? "\n" : ",\n"}${JSON.stringify(pick(r, header))}`,
          );
          first = false;
        },
        end: () => sink.write(first ? "]\n" : "\n]\n"),
      };
    }
    case "html": {
      const rows: ResultRow[] = [];
      return {
        row: (r) => rows.push(r),
        end: (unusable) =>
          sink.write(renderResultsPage({
            header,
            rows,
            rules: options.rules,
            serverUrl: options.serverUrl,
            unusable,
            generatedAt: new Date().toISOString(),
          })),
      };
    }
    case "table": {
      const rows: ResultRow[] = [];
      return {
        row: (r) => rows.push(r),
        end: () => {
          const cols = tableColumns(header);
          if (rows.length === 0) return;
          const width = options.wide || !options.toStdout
            ? undefined
            : terminalWidth(options.io);
          sink.write(renderTable(rows, cols, { width }));
        },
      };
    }
  }
}

/**
 * The table's columns, fitted to the terminal: the report and barcode stay,
 * then the values (the rightmost dropped last of all), then sample and
 * report name (cut first), state, run, error and note; versions and URLs
 * go first. One plugin's run columns are headed by their field alone.
 */
function tableColumns(header: readonly string[]): Column<ResultRow>[] {
  const plugins = new Set(
    header.filter((h) => h.endsWith(".run")).map((h) => h.slice(0, -4)),
  );
  const runField = (h: string) => {
    const dot = h.lastIndexOf(".");
    return dot > 0 && plugins.has(h.slice(0, dot)) ? h.slice(dot + 1) : null;
  };
  const values = header.filter((h) =>
    runField(h) === null &&
    !["report", "report_name", "barcode", "sample"].includes(h)
  );
  const fit: Record<string, Partial<Column<ResultRow>>> = {
    report: { right: true },
    barcode: { minWidth: 13 },
    sample: { minWidth: 8, drop: 12 },
    report_name: { minWidth: 10, drop: 11 },
  };
  const byField: Record<string, Partial<Column<ResultRow>>> = {
    state: { drop: 10 },
    run: { right: true, drop: 9 },
    error: { maxWidth: 30, minWidth: 8, drop: 3 },
    note: { maxWidth: 30, minWidth: 8, drop: 2 },
    version: { drop: 1 },
    url: { drop: 1, cut: "middle" },
  };
  return header.map((h): Column<ResultRow> => {
    const field = runField(h);
    const value = (r: ResultRow) => r[h] ?? null;
    if (field !== null) {
      return {
        name: h,
        value,
        ...byField[field],
        ...(plugins.size === 1 ? { title: field } : {}),
      };
    }
    const v = values.indexOf(h);
    return {
      name: h,
      value,
      ...(fit[h] ?? { right: true, drop: 100 - v }),
    };
  });
}

function pick(row: ResultRow, header: readonly string[]): ResultRow {
  return Object.fromEntries(header.map((h) => [h, row[h] ?? null]));
}

/**
 * Runs the command with the given arguments; returns the exit code.
 *
 * @param args The arguments after the command's name.
 * @param io Streams, environment and terminal (default the real ones);
 *   `io.ionrun` when started as `ionrun results`.
 */
export async function main(
  args: string[],
  io: CommandIO = denoIO,
): Promise<number> {
  const run = invocationOf("results.ts", args, io);
  return await runMain(program(run), run);
}

if (import.meta.main) Deno.exitCode = await main(Deno.args);
