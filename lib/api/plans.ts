/**
 * A report's plan settings: the config each planned plugin runs with when a
 * launch sends none (`userInput` of the plan's selected plugins, in the
 * report's analysis settings). Torrent Suite uses, for an empty
 * `pluginconfig`, the plugin's global config, then these, then nothing;
 * a given config replaces them all.
 *
 * @module
 */

import type { TsClient } from "../http/mod.ts";
import { inBatches, listAll } from "./paginate.ts";
import type { AnalysisSettings, PluginConfig, Report } from "../types.ts";

/** The id in an `experimentanalysissettings` URI, or `NaN`. */
function easId(uri: string | null | undefined): number {
  const m = uri ? /experimentanalysissettings\/(\d+)\/?$/.exec(uri) : null;
  return m ? Number(m[1]) : NaN;
}

/**
 * The planned config of every plugin of each report, with batched look-ups
 * of the reports' analysis settings (a report without any has none).
 *
 * @param client The API client.
 * @param reports The reports (with their `eas` field).
 * @param options Signal.
 * @returns By report key: plugin name → planned config (non-empty only).
 */
export async function plannedConfigs(
  client: TsClient,
  reports: Iterable<Report>,
  options: { signal?: AbortSignal } = {},
): Promise<Map<number, Map<string, PluginConfig>>> {
  const byEas = new Map<number, number[]>();
  for (const r of reports) {
    const id = easId(r.eas);
    if (Number.isFinite(id)) byEas.set(id, [...(byEas.get(id) ?? []), r.id]);
  }
  const settings = await inBatches([...byEas.keys()], (batch) => {
    const wanted = new Set(batch);
    return listAll<AnalysisSettings>(client, "experimentanalysissettings/", {
      params: { id__in: batch },
      verify: { id__in: (s) => wanted.has(s.id) },
      ...(options.signal ? { signal: options.signal } : {}),
    });
  });
  const planned = new Map<number, Map<string, PluginConfig>>();
  for (const s of settings) {
    const configs = new Map<string, PluginConfig>();
    for (const [name, entry] of Object.entries(s.selectedPlugins ?? {})) {
      const input = entry?.userInput;
      if (isNonEmptyObject(input)) configs.set(name, input);
    }
    for (const report of byEas.get(s.id) ?? []) planned.set(report, configs);
  }
  return planned;
}

/** A JSON object with at least one key. */
export function isNonEmptyObject(value: unknown): value is PluginConfig {
  return typeof value === "object" && value !== null && !Array.isArray(value) &&
    Object.keys(value).length > 0;
}
