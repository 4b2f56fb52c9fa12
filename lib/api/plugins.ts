/**
 * Plugins: list the launchable ones, find one by name, get one by id.
 *
 * @module
 */

import type { TsClient } from "../http/mod.ts";
import { compareLooseVersion } from "../loose_version.ts";
import { listAll } from "./paginate.ts";
import type { Plugin } from "../types.ts";

/** Options for {@linkcode listPlugins}. */
export interface ListPluginsOptions {
  /** Include plugins that are not enabled (`selected: false`); default false. */
  all?: boolean;
  /** Only plugins with exactly this name (verified on each object). */
  name?: string;
  /** Aborts the request. */
  signal?: AbortSignal;
}

/**
 * Lists the server's plugins, sorted by name then newest version first. By
 * default only launchable ones: active (the API shows no others) and enabled
 * (`selected`).
 *
 * @example
 * ```ts
 * import { createClient } from "../http/mod.ts";
 * import { listPlugins } from "./plugins.ts";
 * import { startSimulator } from "../../simulator/mod.ts";
 * await using server = await startSimulator({ reports: 1 });
 * const [user] = server.users;
 * using client = await createClient({ url: server.url, user: user!.username, apiKey: user!.apiKey });
 * const plugins = await listPlugins(client);
 * for (const p of plugins) console.log(p.name, p.version);
 * if (!plugins.some((p) => p.name === "coverageAnalysis")) throw new Error();
 * ```
 *
 * @param client The API client.
 * @param options Filters.
 * @returns The plugins.
 */
export async function listPlugins(
  client: TsClient,
  options: ListPluginsOptions = {},
): Promise<Plugin[]> {
  const params: Record<string, string> = {};
  const verify: Record<string, (p: Plugin) => boolean> = {};
  if (!options.all) {
    params.selected = "true";
    verify.selected = (p) => p.selected === true;
  }
  if (options.name !== undefined) {
    params.name = options.name;
    verify.name = (p) => p.name === options.name;
  }
  const plugins = await listAll<Plugin>(client, "plugin/", {
    params,
    verify,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  return plugins.sort((a, b) =>
    a.name.localeCompare(b.name) || compareLooseVersion(b.version, a.version)
  );
}

/**
 * Finds the plugin a launch by name would run: among the active rows with
 * that exact name, the highest version, as the server chooses. Returns
 * `undefined` when the server has no active plugin of that name; check
 * `selected` to know whether it is launchable.
 *
 * @param client The API client.
 * @param name Case-sensitive plugin name.
 * @param options Abort signal.
 * @returns The plugin, or `undefined`.
 */
export async function findPlugin(
  client: TsClient,
  name: string,
  options: { signal?: AbortSignal } = {},
): Promise<Plugin | undefined> {
  const rows = await listPlugins(client, { ...options, all: true, name });
  return pickLaunchVersion(rows);
}

/**
 * Gets one active plugin by id.
 *
 * @param client The API client.
 * @param id Plugin primary key.
 * @returns The plugin (an `ApiError` with status 404 when unknown or inactive).
 */
export function getPlugin(client: TsClient, id: number): Promise<Plugin> {
  return client.get<Plugin>(`plugin/${id}/`);
}

/**
 * Picks the row a launch by name would use: enabled rows first, then the
 * highest version.
 *
 * @param rows Plugin rows sharing one name.
 * @returns The chosen row, or `undefined` for none.
 */
export function pickLaunchVersion(rows: readonly Plugin[]): Plugin | undefined {
  const sorted = [...rows].sort((a, b) =>
    Number(b.selected) - Number(a.selected) ||
    compareLooseVersion(b.version, a.version)
  );
  return sorted[0];
}
