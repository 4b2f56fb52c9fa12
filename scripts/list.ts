#!/usr/bin/env -S deno run --allow-net --allow-read --allow-env=TS_*,HOME,XDG_*,APPDATA,NO_COLOR,FORCE_COLOR,CLICOLOR_FORCE,HTTP*,ALL_PROXY,NO_PROXY,http*,all_proxy,no_proxy,UNDICI_*,JEST_WORKER_ID
/**
 * `list.ts`: list a Torrent Suite server's plugins (the default) or reports.
 *
 *     list.ts                       launchable plugins
 *     list.ts plugins --all         every active plugin, enabled or not
 *     list.ts reports --status Completed --since 2026-01-01 --format csv > reports.csv
 *     list.ts reports --project BRCA_Research --chip-type 540 --no-thumbnails
 *
 * @module
 */

import type { Command } from "commander";
import type { TsClient } from "../lib/http/mod.ts";
import { UsageError } from "../lib/errors.ts";
import {
  getPlugin,
  getReport,
  listPlugins,
  listReports,
  type ListReportsOptions,
  recentStatuses,
} from "../lib/api/mod.ts";
import type { Plugin, Report } from "../lib/types.ts";
import { formatIso, parseTsDate } from "../lib/datetime.ts";
import {
  addFormatOption,
  addWideOption,
  distance,
  type Format,
  parseDate,
  resolveFormat,
  wholeNumber,
} from "./_cli/flags.ts";
import { type Column, eprint, writeRows } from "./_cli/output.ts";
import {
  type CommonFlags,
  type Invocation,
  invocationOf,
  newProgram,
  reportError,
  runMain,
} from "./_cli/program.ts";
import { type CommandIO, denoIO } from "./_cli/io.ts";
import { connect, explain, profileLine } from "./_cli/connect.ts";

const PLUGIN_COLUMNS: Column<Plugin>[] = [
  { name: "name", value: (p) => p.name },
  { name: "version", value: (p) => p.version },
  { name: "id", value: (p) => p.id, right: true },
  { name: "enabled", value: (p) => p.selected },
  {
    name: "description",
    value: (p) => p.description?.replace(/\s+/g, " ") ?? "",
    maxWidth: 60,
  },
];

const REPORT_COLUMNS: Column<Report & { metaData?: unknown }>[] = [
  { name: "report", value: (r) => r.id, right: true },
  { name: "name", value: (r) => r.resultsName, minWidth: 16 },
  { name: "status", value: (r) => r.status },
  {
    // Tastypie's "…04.000597+00:00" means 597 ms: ISO 8601 with the real ms.
    name: "timestamp",
    value: (r) => formatIso(parseTsDate(r.timeStamp)) ?? r.timeStamp,
    drop: 2,
  },
  {
    name: "thumbnail",
    value: (r) => JSON.stringify(r.metaData ?? {}).includes("thumb"),
    drop: 3,
  },
  { name: "link", value: (r) => r.reportLink, minWidth: 20, drop: 1 },
];

interface PluginFlags extends CommonFlags {
  name?: string;
  id?: number;
  all?: boolean;
  format?: Format;
  wide?: boolean;
}

interface ReportFlags extends CommonFlags {
  status?: string;
  project?: string;
  sample?: string;
  chipType?: string;
  plan?: string;
  thumbnails?: boolean;
  nameContains?: string;
  since?: string;
  until?: string;
  limit?: number;
  id?: number;
  format?: Format;
  wide?: boolean;
}

/** Builds the command-line program of an invocation. */
export function program(
  run: Invocation = invocationOf("list.ts", []),
): Command {
  const root = newProgram(
    run.name,
    "List a Torrent Suite server's plugins (default) or reports.",
    run.io,
  );
  // `list -o json`: the format and --wide before the command too.
  addWideOption(addFormatOption(root));
  const plugins = root.command("plugins", { isDefault: true })
    .description(
      "list plugins: launchable ones (active and enabled) by default",
    )
    .option("--name <name>", "only the plugin with this exact name")
    .option("--id <id>", "only the plugin with this id", wholeNumber("--id", 1))
    .option("--all", "include plugins that are not enabled")
    .action(async (_opts, cmd: Command) => {
      const flags = cmd.optsWithGlobals<PluginFlags>();
      await withClient(run, flags, (client) => showPlugins(run, client, flags));
    });
  addWideOption(addFormatOption(plugins));

  const reports = root.command("reports")
    .description("list reports (results), newest first")
    .option(
      "--status <status>",
      'only this analysis status, e.g. "Completed" (any case)',
    )
    .option("--project <name>", "only reports of this project (any case)")
    .option(
      "--sample <name>",
      "only reports of runs with this sample (any case)",
    )
    .option("--chip-type <type>", 'only runs on this chip type, e.g. "540"')
    .option("--plan <name>", "only runs of the plan with this name (any case)")
    .option("--thumbnails", "only thumbnail reports (S5/Proton)")
    .option("--no-thumbnails", "leave thumbnail reports out")
    .option("--name-contains <text>", "only names containing this (any case)")
    .option(
      "--since <date>",
      "only reports at or after this date/time (ISO, or 7d, 12h ago)",
    )
    .option(
      "--until <date>",
      "only reports at or before this date/time (ISO, or 7d, 12h ago)",
    )
    .option(
      "--limit <n>",
      "at most this many reports",
      wholeNumber("--limit"),
    )
    .option("--id <id>", "only the report with this id", wholeNumber("--id", 1))
    .addHelpText(
      "after",
      `
Every filter is checked on what the server returns (a server that ignores one
makes list.ts stop with an error, never list everything): project, sample,
chip type and plan go through the reports' project and experiment.

With --format csv the first column is \`report\`, ready for bulk_run.ts.`,
    )
    .action(async (_opts, cmd: Command) => {
      const flags = cmd.optsWithGlobals<ReportFlags>();
      await withClient(run, flags, (client) => showReports(run, client, flags));
    });
  addWideOption(addFormatOption(reports));
  return root;
}

async function withClient(
  run: Invocation,
  flags: CommonFlags,
  body: (client: TsClient) => Promise<void>,
): Promise<void> {
  const { config, client } = await connect(flags, run.io);
  const line = profileLine(config);
  if (line) eprint(run.io, line);
  try {
    await body(client);
  } catch (error) {
    throw explain(error, config);
  } finally {
    client.close();
  }
}

async function showPlugins(
  run: Invocation,
  client: TsClient,
  flags: PluginFlags,
) {
  const { io } = run;
  let plugins: Plugin[];
  if (flags.id !== undefined) {
    plugins = [await getPlugin(client, flags.id)];
  } else {
    plugins = await listPlugins(client, {
      all: flags.all ?? false,
      ...(flags.name !== undefined ? { name: flags.name } : {}),
    });
    if (flags.name !== undefined && plugins.length === 0) {
      eprint(
        io,
        flags.all
          ? `No active plugin named "${flags.name}" on this server`
          : `No launchable plugin named "${flags.name}" (try --all to include disabled ones)`,
      );
      run.exitCode = 1;
    }
  }
  writeRows(
    io,
    plugins,
    PLUGIN_COLUMNS,
    resolveFormat(flags.format, io.stdout),
    { wide: flags.wide ?? false },
  );
}

async function showReports(
  run: Invocation,
  client: TsClient,
  flags: ReportFlags,
) {
  const { io } = run;
  const format = resolveFormat(flags.format, io.stdout);
  if (flags.id !== undefined) {
    writeRows(io, [await getReport(client, flags.id)], REPORT_COLUMNS, format, {
      wide: flags.wide ?? false,
    });
    return;
  }
  const filters: ListReportsOptions = {
    ...(flags.status !== undefined ? { status: flags.status } : {}),
    ...(flags.project !== undefined ? { project: flags.project } : {}),
    ...(flags.sample !== undefined ? { sample: flags.sample } : {}),
    ...(flags.chipType !== undefined ? { chipType: flags.chipType } : {}),
    ...(flags.plan !== undefined ? { planName: flags.plan } : {}),
    ...(flags.thumbnails !== undefined ? { thumbnails: flags.thumbnails } : {}),
    ...(flags.nameContains !== undefined
      ? { nameContains: flags.nameContains }
      : {}),
    ...(flags.since !== undefined
      ? { since: parseDate("--since", flags.since) }
      : {}),
    ...(flags.until !== undefined
      ? { until: parseDate("--until", flags.until, true) }
      : {}),
    ...(flags.limit !== undefined ? { limit: flags.limit } : {}),
  };
  const reports: Report[] = [];
  for await (const report of listReports(client, filters)) reports.push(report);
  writeRows(io, reports, REPORT_COLUMNS, format, {
    wide: flags.wide ?? false,
  });
  if (reports.length === 0) await explainNone(io, client, flags);
  else if (format === "table") eprint(io, `${reports.length} report(s)`);
}

/** Says why no report matched, with what the server has instead. */
async function explainNone(
  io: CommandIO,
  client: TsClient,
  flags: ReportFlags,
) {
  eprint(io, "no report matches these filters");
  if (flags.status !== undefined) {
    const statuses = await recentStatuses(client);
    const wanted = flags.status.toLowerCase();
    if (!statuses.some(([s]) => s.toLowerCase() === wanted)) {
      eprint(
        io,
        `no recent report has status "${flags.status}"; the newest ${
          statuses.reduce((n, [, c]) => n + c, 0)
        } reports have: ${
          statuses.map(([s, n]) => `"${s}" (${n})`).join(", ") || "none"
        }`,
      );
    }
  }
}

/** The subcommands. */
const COMMANDS = ["plugins", "reports", "help"];

/**
 * The first word that is not an option, if it is no command: an unknown
 * command (`list.ts plugin`) is said as such, with the nearest one, instead
 * of commander's "too many arguments".
 */
export function unknownCommand(args: readonly string[]): string | undefined {
  // Options that take a value, of the program and its commands: their value
  // is no command.
  const root = program();
  const valued = new Set(
    [root, ...root.commands].flatMap((c) =>
      c.options.filter((o) => o.required || o.optional).flatMap((o) =>
        [o.long, o.short].filter((n): n is string => n !== undefined)
      )
    ),
  );
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === "--") return undefined;
    if (a.startsWith("-")) {
      if (valued.has(a)) i++;
      continue;
    }
    if (COMMANDS.includes(a)) return undefined;
    const near = COMMANDS.filter((c) => c !== "help")
      .map((c) => [c, distance(a.toLowerCase(), c)] as const)
      .sort((x, y) => x[1] - y[1])[0]!;
    return `unknown command "${a}"${
      near[1] <= 3 ? `: did you mean "${near[0]}"?` : ""
    } (commands: plugins, reports)`;
  }
  return undefined;
}

/**
 * Runs the command with the given arguments; returns the exit code.
 *
 * @param args The arguments after the command's name.
 * @param io Streams, environment and terminal (default the real ones);
 *   `io.ionrun` when started as `ionrun list`.
 */
export async function main(
  args: string[],
  io: CommandIO = denoIO,
): Promise<number> {
  const run = invocationOf("list.ts", args, io);
  const unknown = unknownCommand(args);
  if (unknown) return reportError(run.name, new UsageError(unknown), false, io);
  return await runMain(program(run), run);
}

if (import.meta.main) Deno.exitCode = await main(Deno.args);
