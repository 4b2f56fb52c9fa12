#!/usr/bin/env -S deno run --allow-net --allow-read --allow-env=TS_*,HOME,XDG_*,NO_COLOR,FORCE_COLOR,CLICOLOR_FORCE,HTTP*,ALL_PROXY,NO_PROXY,http*,all_proxy,no_proxy,UNDICI_*,JEST_WORKER_ID
/**
 * `list.ts`: list a Torrent Suite server's plugins (the default) or reports.
 *
 *     list.ts                       launchable plugins
 *     list.ts plugins --all         every active plugin, enabled or not
 *     list.ts reports --status Completed --since 2026-01-01 --format csv > reports.csv
 *
 * @module
 */

import type { Command } from "commander";
import type { TsClient } from "../lib/client.ts";
import { UsageError } from "../lib/errors.ts";
import { getPlugin, listPlugins } from "../lib/plugins.ts";
import { getReport, listReports } from "../lib/reports.ts";
import type { Plugin, Report } from "../lib/types.ts";
import {
  addFormatOption,
  type Format,
  resolveFormat,
  wholeNumber,
} from "./_cli/flags.ts";
import { type Column, eprint, writeRows } from "./_cli/output.ts";
import {
  clientFromFlags,
  type CommonFlags,
  newProgram,
  runMain,
} from "./_cli/program.ts";

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

const REPORT_COLUMNS: Column<Report>[] = [
  { name: "report", value: (r) => r.id, right: true },
  { name: "name", value: (r) => r.resultsName },
  { name: "status", value: (r) => r.status },
  { name: "timestamp", value: (r) => r.timeStamp },
  { name: "link", value: (r) => r.reportLink },
];

interface PluginFlags extends CommonFlags {
  name?: string;
  id?: number;
  all?: boolean;
  format?: Format;
}

interface ReportFlags extends CommonFlags {
  status?: string;
  nameContains?: string;
  since?: string;
  until?: string;
  limit?: number;
  id?: number;
  format?: Format;
}

/** Builds the command-line program. */
export function program(): Command {
  const root = newProgram(
    "list.ts",
    "List a Torrent Suite server's plugins (default) or reports.",
  );
  const plugins = root.command("plugins", { isDefault: true })
    .description(
      "list plugins: launchable ones (active and enabled) by default",
    )
    .option("--name <name>", "only the plugin with this exact name")
    .option("--id <id>", "only the plugin with this id", wholeNumber("--id", 1))
    .option("--all", "include plugins that are not enabled")
    .action(async (_opts, cmd: Command) => {
      const flags = cmd.optsWithGlobals<PluginFlags>();
      await withClient(flags, (client) => showPlugins(client, flags));
    });
  addFormatOption(plugins);

  const reports = root.command("reports")
    .description("list reports (results), newest first")
    .option("--status <status>", 'only this analysis status, e.g. "Completed"')
    .option("--name-contains <text>", "only names containing this (any case)")
    .option("--since <date>", "only reports at or after this date/time (ISO)")
    .option("--until <date>", "only reports at or before this date/time (ISO)")
    .option(
      "--limit <n>",
      "at most this many reports",
      wholeNumber("--limit"),
    )
    .option("--id <id>", "only the report with this id", wholeNumber("--id", 1))
    .addHelpText(
      "after",
      "\nWith --format csv the first column is `report`, ready for bulk_run.ts.",
    )
    .action(async (_opts, cmd: Command) => {
      const flags = cmd.optsWithGlobals<ReportFlags>();
      await withClient(flags, (client) => showReports(client, flags));
    });
  addFormatOption(reports);
  return root;
}

async function withClient(
  flags: CommonFlags,
  body: (client: TsClient) => Promise<void>,
): Promise<void> {
  const client = await clientFromFlags(flags);
  try {
    await body(client);
  } finally {
    client.close();
  }
}

async function showPlugins(client: TsClient, flags: PluginFlags) {
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
        flags.all
          ? `No active plugin named "${flags.name}" on this server`
          : `No launchable plugin named "${flags.name}" (try --all to include disabled ones)`,
      );
      Deno.exitCode = 1;
    }
  }
  writeRows(plugins, PLUGIN_COLUMNS, resolveFormat(flags.format));
}

async function showReports(client: TsClient, flags: ReportFlags) {
  const format = resolveFormat(flags.format);
  if (flags.id !== undefined) {
    writeRows([await getReport(client, flags.id)], REPORT_COLUMNS, format);
    return;
  }
  const reports: Report[] = [];
  for await (
    const report of listReports(client, {
      ...(flags.status !== undefined ? { status: flags.status } : {}),
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
    })
  ) reports.push(report);
  writeRows(reports, REPORT_COLUMNS, format);
  if (format === "table") eprint(`${reports.length} report(s)`);
}

function parseDate(flag: string, value: string, endOfDay = false): Date {
  const dateOnly = /^\d{4}-\d{2}-\d{2}$/.test(value);
  const date = new Date(
    dateOnly ? `${value}T${endOfDay ? "23:59:59.999" : "00:00:00"}Z` : value,
  );
  if (Number.isNaN(date.getTime())) {
    throw new UsageError(
      `${flag} must be a date like 2026-01-31 or 2026-01-31T12:00:00Z, got "${value}"`,
    );
  }
  return date;
}

/** Runs the script with the given arguments; returns the exit code. */
export function main(args: string[]): Promise<number> {
  return runMain(program(), args);
}

if (import.meta.main) {
  Deno.exitCode = await main(Deno.args);
}
