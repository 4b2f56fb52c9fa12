/**
 * Preflight: checks input rows against the server before anything is
 * launched: the reports exist, the plugins are launchable. A row without a
 * config is never refused, even for a plugin that `requires_configuration`:
 * the server then uses the plugin's global config or the report's plan
 * settings (see the bulk launcher's config step).
 *
 * @module
 */

import type { TsClient } from "../http/mod.ts";
import type { RowProblem } from "../errors.ts";
import { getReports, listPlugins, pickLaunchVersion } from "../api/mod.ts";
import type { RunRow } from "../run_rows.ts";
import type { Plugin, Report } from "../types.ts";

/** A row to check: an input row with its plugin. */
type PreflightRow = RunRow & { plugin: string };

/** What {@linkcode preflight} found. */
export interface PreflightResult {
  /** One problem per bad row, `file:line`-ready. */
  problems: RowProblem[];
  /** The plugin each name launches (launchable or not), by name. */
  plugins: Map<string, Plugin>;
  /** The reports that exist, by key. */
  reports: Map<number, Report>;
}

/**
 * Checks rows against the server with one plugin listing and batched report
 * look-ups (about 800 reports per request).
 *
 * @example
 * ```ts
 * import { createClient } from "../http/mod.ts";
 * import { preflight } from "./preflight.ts";
 * import { startSimulator } from "../../simulator/mod.ts";
 * await using server = await startSimulator({ reports: 2 });
 * const [user] = server.users;
 * using client = await createClient({ url: server.url, user: user!.username, apiKey: user!.apiKey });
 * const [a] = server.reportIds();
 * const rows = [
 *   { line: 2, report: a!, plugin: "igv", config: null },
 *   { line: 3, report: 999_999, plugin: "igv", config: null }, // no such report
 *   { line: 4, report: a!, plugin: "noSuchPlugin", config: null },
 * ];
 * const { problems } = await preflight(client, rows, { file: "reports.csv" });
 * for (const p of problems) console.error(`${p.file}:${p.line}: ${p.message}`);
 * if (problems.length !== 2) throw new Error(`${problems.length} problems`);
 * ```
 *
 * @param client The API client.
 * @param rows Rows to check.
 * @param options Input name used in problems; signal.
 * @returns Problems, plugins and reports.
 */
export async function preflight(
  client: TsClient,
  rows: readonly PreflightRow[],
  options: { file: string; signal?: AbortSignal },
): Promise<PreflightResult> {
  const { file } = options;
  const signal = options.signal ? { signal: options.signal } : {};
  const all = await listPlugins(client, { all: true, ...signal });
  const byName = new Map<string, Plugin[]>();
  for (const p of all) byName.set(p.name, [...(byName.get(p.name) ?? []), p]);
  const plugins = new Map<string, Plugin>();
  for (const [name, versions] of byName) {
    plugins.set(name, pickLaunchVersion(versions)!);
  }
  const reports = await getReports(client, rows.map((r) => r.report), signal);

  const problems: RowProblem[] = [];
  for (const row of rows) {
    const complaint = pluginProblem(row, plugins) ??
      (reports.has(row.report)
        ? undefined
        : `report ${row.report} does not exist on the server`);
    if (complaint) problems.push({ file, line: row.line, message: complaint });
  }
  return { problems, plugins, reports };
}

function pluginProblem(
  row: PreflightRow,
  plugins: Map<string, Plugin>,
): string | undefined {
  const plugin = plugins.get(row.plugin);
  if (!plugin) {
    const similar = [...plugins.keys()].find((n) =>
      n.toLowerCase() === row.plugin.toLowerCase()
    );
    return `unknown plugin "${row.plugin}"${
      similar ? ` (did you mean "${similar}"? names are case-sensitive)` : ""
    }`;
  }
  if (!plugin.selected) {
    return `plugin "${row.plugin}" is installed but not enabled on the server, so it cannot be launched (enable it under Configure > Plugins)`;
  }
  return undefined;
}
