// Simulator internals: the config a launched run uses, and its validation.
//
// What the TS source says (iontorrent/TS):
// - dbReports/iondb/rundb/api.py `ResultsResource.post_plugin` builds
//   `get_plugins_dict([plugin], result.eas.selectedPlugins)` and passes the
//   POSTed `pluginconfig` as `instance_config` (default `{}`).
// - dbReports/iondb/plugins/launch_utils.py `get_plugins_dict`: each plugin
//   gets `pluginconfig = dict(p.config)` (the global config saved by
//   config.html) and `userInput = selectedPlugins[name]["userInput"]` (the
//   plan's settings, plan.html).
// - dbReports/iondb/plugins/plugin_json.py `get_pluginconfig`: "Return first
//   non-empty configuration": `instance_pluginconfig or
//   plugin['pluginconfig'] or plugin['userInput'] or {}`, then the legacy
//   `pluginconfig.json` of the plugin folder. Python truthiness: a given
//   non-empty config REPLACES the others, nothing is merged (TS 4.0's
//   post_plugin did `pluginconfig.update(config)`; 4.2+ no longer).
// - dbReports/iondb/bin/ionPlugin.py `launchPlugins` stores
//   `start_json['pluginconfig']` as the job's `config`; validation
//   (`pipeline/python/ion/plugin/base.py IonPlugin.validate`) runs on it:
//   `requires_configuration` with an empty config gives "<name> requires
//   configuration before execution.", the run is created without a job, in
//   `Failed Validation`, and post_plugin still answers 202.

import { planInput } from "./plans.ts";
import type { PluginRow, ReportRow, SimStore } from "./store.ts";

/** Python truthiness of a JSON value (`{}`, `[]`, `""`, 0, null are false). */
export function truthy(v: unknown): boolean {
  if (v === null || v === undefined || v === false || v === 0 || v === "") {
    return false;
  }
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === "object") return Object.keys(v).length > 0;
  return true;
}

/** A launch, for {@linkcode effectiveConfig}. */
export interface LaunchInput {
  store: SimStore;
  /** Apply the chain (global config, plan settings). */
  chain: boolean;
  report: ReportRow;
  plugin: PluginRow;
  /** The POSTed `pluginconfig` (undefined when absent). */
  sent: unknown;
}

/**
 * The config a run launched with `sent` (the POSTed `pluginconfig`) uses:
 * `sent` if non-empty, else (with the chain on) the plugin's global config,
 * else the report's plan `userInput` for the plugin, else `{}`.
 */
export function effectiveConfig(
  { store, chain, report, plugin, sent }: LaunchInput,
): unknown {
  if (truthy(sent)) return sent;
  if (!chain) return {};
  if (truthy(plugin.config)) return structuredClone(plugin.config);
  const plan = planInput(store, report, plugin);
  return truthy(plan) ? structuredClone(plan) : {};
}

/** True when the plugin needs a config and `config` is empty. */
export function requiresConfigWithout(
  plugin: PluginRow,
  config: unknown,
): boolean {
  return plugin.requires_configuration && !truthy(config);
}

/**
 * Validation errors of a launch with `config`, or null. Besides the real
 * rule, a top-level key `"invalid"` fails validation: a hook for tests of
 * `Failed Validation` on plugins that need no config.
 */
export function validate(plugin: PluginRow, config: unknown): string[] | null {
  if (requiresConfigWithout(plugin, config)) {
    return [`${plugin.name} requires configuration before execution.`];
  }
  if (config && typeof config === "object" && "invalid" in config) {
    return [
      `${plugin.name}: invalid value for configuration key "invalid": ${
        JSON.stringify((config as Record<string, unknown>).invalid)
      }`,
    ];
  }
  return null;
}
