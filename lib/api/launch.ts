/**
 * Launching a plugin on a report, and finding the run a launch created.
 *
 * The server answers a launch with 202 and an empty body: no id. The run is
 * found by recording the newest run id of the (report, plugin) pair before the
 * POST and looking for a higher one after it.
 *
 * @module
 */

import { mayHaveLaunched, type TsClient } from "../http/mod.ts";
import { ApiError } from "../errors.ts";
import { paginate } from "./paginate.ts";
import { latestRun, type Pair, reportOf } from "./runs.ts";
import type { PluginConfig, PluginResult } from "../types.ts";

/** Options for {@linkcode postLaunch} and {@linkcode launchPlugin}. */
export interface LaunchOptions {
  /** The run's config; sent as `pluginconfig` only when given. */
  config?: PluginConfig | null | undefined;
  /** Aborts the request. */
  signal?: AbortSignal;
}

/**
 * Sends the launch request, exactly as Torrent Suite's own pages do:
 * `POST /rundb/api/v1/results/<report>/plugin/` with
 * `{"plugin": ["<Name>"], "pluginconfig": {…}}`. One plugin per POST.
 *
 * Errors carry a readable message: 410 = the plugin cannot be launched
 * there (unknown, inactive or not enabled), 404 = no such report.
 *
 * @param client The API client.
 * @param pair Report primary key and plugin name (case-sensitive).
 * @param options Config and signal.
 * @returns Resolves when the server accepted the launch (202).
 */
export async function postLaunch(
  client: TsClient,
  pair: Pair,
  options: LaunchOptions = {},
): Promise<void> {
  const { report, plugin } = pair;
  const body: { plugin: string[]; pluginconfig?: PluginConfig } = {
    plugin: [plugin],
  };
  if (options.config) body.pluginconfig = options.config;
  try {
    await client.post(
      `results/${report}/plugin/`,
      body,
      options.signal ? { signal: options.signal } : {},
    );
  } catch (error) {
    throw explainLaunchError(error, report, plugin);
  }
}

function explainLaunchError(
  error: unknown,
  report: number,
  plugin: string,
): unknown {
  if (!(error instanceof ApiError) || error.name !== "ApiError") return error;
  const because = error.status === 410
    ? `plugin "${plugin}" cannot be launched on this server (not installed, inactive or not enabled)`
    : error.status === 404
    ? `report ${report} does not exist`
    : undefined;
  if (because === undefined) return error;
  return new ApiError(`${because} (${error.status})`, {
    method: error.method,
    url: error.url,
    status: error.status,
    serverMessage: error.serverMessage,
    cause: error,
  });
}

/**
 * Finds the oldest run of a pair with an id above `afterId`: the run a launch
 * made after `afterId` was recorded.
 *
 * @param client The API client.
 * @param pair The pair, and `after`: its newest run id before the launch
 *   (0 when there was none).
 * @param options Signal.
 * @returns The new run, or `undefined` when there is none (yet).
 */
export async function findNewRun(
  client: TsClient,
  pair: Pair & { after: number },
  options: { signal?: AbortSignal } = {},
): Promise<PluginResult | undefined> {
  const { report, plugin, after: afterId } = pair;
  for await (
    const run of paginate<PluginResult>(client, "pluginresult/", {
      params: {
        result: report,
        plugin__name: plugin,
        id__gt: afterId,
        order_by: "id",
      },
      max: 1,
      verify: {
        result: (r) => reportOf(r) === report,
        plugin__name: (r) => r.pluginName === plugin,
        id__gt: (r) => r.id > afterId,
      },
      ...(options.signal ? { signal: options.signal } : {}),
    })
  ) return run;
  return undefined;
}

/** What {@linkcode launchPlugin} did. */
export interface LaunchResult {
  /** Report primary key. */
  report: number;
  /** Plugin name. */
  plugin: string;
  /** Newest run id before the launch (0 when none). */
  previousId: number;
  /**
   * The run the launch created, or `null` when the server accepted the launch
   * but created no run (it failed before creating one).
   */
  run: PluginResult | null;
}

/**
 * Launches a plugin on a report and returns the run it created: newest run
 * id before, POST, then the new run after the 202.
 *
 * It does not check for a running duplicate: see `bulkRun` or `run.ts` for
 * the guard. It never sends the launch twice: when the answer is lost (a
 * dropped connection, a timeout, a 5xx) it looks for the new run, returns it
 * if the launch happened after all, and otherwise rethrows the error.
 *
 * @example
 * ```ts
 * import { createClient } from "../http/mod.ts";
 * import { launchPlugin } from "./launch.ts";
 * import { startSimulator } from "../../simulator/mod.ts";
 * await using server = await startSimulator({ reports: 1 });
 * const [user] = server.users;
 * using client = await createClient({ url: server.url, user: user!.username, apiKey: user!.apiKey });
 * const [report] = server.reportIds();
 * const { run } = await launchPlugin(
 *   client,
 *   { report: report!, plugin: "coverageAnalysis" },
 *   { config: { minimum_coverage: 20 } },
 * );
 * console.log(run?.id, run?.state);
 * if (!run) throw new Error("no run");
 * ```
 *
 * @param client The API client.
 * @param pair Report primary key and plugin name.
 * @param options Config and signal.
 * @returns The new run.
 */
export async function launchPlugin(
  client: TsClient,
  pair: Pair,
  options: LaunchOptions = {},
): Promise<LaunchResult> {
  const { report, plugin } = pair;
  const signal = options.signal ? { signal: options.signal } : {};
  const before = await latestRun(client, pair, signal);
  const previousId = before?.id ?? 0;
  const newRun = () =>
    findNewRun(client, { report, plugin, after: previousId }, signal);
  try {
    await postLaunch(client, pair, options);
  } catch (error) {
    if (!mayHaveLaunched(error)) throw error;
    const run = await newRun().catch(() => undefined);
    if (run) return { report, plugin, previousId, run };
    throw error;
  }
  let run = await newRun();
  for (let attempt = 0; !run && attempt < 3; attempt++) {
    // The server creates the run inside the launch call; allow for lag.
    await client.sleep(250 * 2 ** attempt, options.signal);
    run = await newRun();
  }
  return { report, plugin, previousId, run: run ?? null };
}
