/**
 * **ionrun**: launch, follow and rerun Ion Torrent Torrent Suite analysis
 * plugins on many reports, through the server's REST API (`/rundb/api/v1/`).
 *
 * The library handles what the API makes easy to get wrong: the trailing
 * slash, redirects that turn a launch into a no-op, pagination capped at 1000,
 * filters the server silently ignores, launches that answer 202 with no id,
 * and the absence of any duplicate check on the server.
 *
 * ```ts
 * import { createClient, listPlugins, startSimulator } from "./mod.ts";
 *
 * // A built-in simulator of a Torrent Suite server, for trying things out.
 * await using server = await startSimulator({ reports: 50 });
 * const [admin] = server.users;
 * using client = await createClient({
 *   url: server.url,
 *   user: admin!.username,
 *   apiKey: admin!.apiKey,
 * });
 *
 * const plugins = await listPlugins(client); // launchable ones
 * if (!plugins.some((p) => p.name === "coverageAnalysis")) {
 *   throw new Error("expected coverageAnalysis");
 * }
 * ```
 *
 * The scripts in `scripts/` (`list.ts`, `run.ts`, `bulk_run.ts`,
 * `status.ts`) are thin command-line fronts over these functions.
 *
 * @module
 */

export * from "./lib/errors.ts";
export * from "./lib/types.ts";
export * from "./lib/version.ts";
export * from "./lib/config.ts";
export * from "./lib/client.ts";
export * from "./lib/paginate.ts";
export * from "./lib/plugins.ts";
export * from "./lib/reports.ts";
export * from "./lib/states.ts";
export * from "./lib/runs.ts";
export * from "./lib/launch.ts";
export * from "./lib/guard.ts";
export * from "./lib/preflight.ts";
export * from "./lib/run_rows.ts";
export * from "./lib/journal.ts";
export * from "./lib/bulk_run.ts";
export * from "./lib/summary.ts";
export * from "./lib/status.ts";
export * from "./lib/status_page.ts";
export * from "./lib/simulator.ts";
