// Internals of the bulk launcher: which config each pair runs with. Torrent
// Suite launches a plugin sent no (or an empty) `pluginconfig` with the
// plugin's global config, else the report's plan settings, else nothing, and
// validates that effective config; a given config replaces the chain, it is
// not merged with it. The plan says which of these each row gets, and warns
// (never refuses) when a plugin requires a configuration that no source has:
// the server still accepts the launch and fails its run in validation.

import type { BulkContext, Task } from "./_context.ts";
import { isNonEmptyObject, plannedConfigs } from "../api/mod.ts";
import type { ConfigSource } from "./summary.ts";
import type { Plugin, PluginConfig, PluginResult, Report } from "../types.ts";

/** What the config step needs from the plan. */
export interface ConfigInputs {
  /** The plugin each name launches. */
  plugins: ReadonlyMap<string, Plugin>;
  /** The reports, by key (with `eas` when the server exposes it). */
  reports: ReadonlyMap<number, Report>;
  /** The pairs' newest runs, by task key (for `configFrom: "previous"`). */
  latest: ReadonlyMap<string, PluginResult>;
  /** `"previous"`: rows without a config reuse their pair's newest run's. */
  configFrom: "server" | "previous";
}

/**
 * Sets each task's config source (and, for `previous`, the config to send),
 * with warnings on the task's first row. One batched look-up of the plan
 * settings, only for pairs that would fall back to them.
 */
export async function resolveConfigs(
  ctx: BulkContext,
  tasks: readonly Task[],
  inputs: ConfigInputs,
): Promise<void> {
  for (const task of tasks) {
    if (isNonEmptyObject(task.given)) {
      task.config = task.given;
      task.configSource = "given";
      continue;
    }
    task.config = null;
    if (inputs.configFrom === "previous") {
      const previous = configOf(inputs.latest.get(task.key));
      if (previous) {
        task.config = previous;
        task.configSource = "previous";
        continue;
      }
      warn(
        task,
        inputs.latest.has(task.key)
          ? "--config previous: the newest run has no stored config; the server's config applies"
          : "--config previous: never run before; the server's config applies",
      );
    }
    const global = inputs.plugins.get(task.plugin)?.config;
    if (isNonEmptyObject(global)) task.configSource = "global";
  }

  // Plan settings matter only where no global config comes first.
  const open = tasks.filter((t) => t.configSource === undefined);
  const withEas = open.flatMap((t) => {
    const report = inputs.reports.get(t.report);
    return report?.eas ? [report] : [];
  });
  let planned = new Map<number, Map<string, PluginConfig>>();
  let planKnown = true;
  if (withEas.length > 0) {
    try {
      planned = await plannedConfigs(ctx.client, withEas);
    } catch (error) {
      if (error instanceof TypeError) throw error; // a bug, not the server
      planKnown = false; // unknown launches: the server still decides
      ctx.emit({
        type: "warning",
        message: `cannot read the reports' plan settings: ${
          error instanceof Error ? error.message : String(error)
        }`,
      });
    }
  }
  for (const task of open) {
    const plugin = inputs.plugins.get(task.plugin);
    const report = inputs.reports.get(task.report);
    if (planned.get(task.report)?.has(task.plugin)) {
      task.configSource = "plan";
    } else if (
      // Absent fields (an older or differently set-up server) are unknown,
      // not "none": the server may well have a config.
      plugin?.config === undefined || report?.eas === undefined ||
      (report.eas !== null && !planKnown)
    ) {
      task.configSource = "unknown";
    } else {
      task.configSource = "none";
      if (plugin?.requires_configuration) {
        warn(
          task,
          `${task.plugin} requires a configuration and the server has none for report ${task.report} (no global config, not in its plan): its run will fail validation; give one with --config or a config column`,
        );
      }
    }
  }
  for (const task of tasks) task.rows[0]!.configSource = task.configSource!;
}

/** The config a run used (its first job's with one), if non-empty. */
function configOf(run: PluginResult | undefined): PluginConfig | undefined {
  for (const job of run?.plugin_result_jobs ?? []) {
    if (isNonEmptyObject(job.config)) return job.config;
  }
  return undefined;
}

/** Adds a warning to a task's first row. */
export function warn(task: Task, message: string): void {
  const row = task.rows[0]!;
  row.warnings = [...(row.warnings ?? []), message];
}

/** How each source reads in a plan, for people. */
export const CONFIG_SOURCE_WORDS: Record<ConfigSource, string> = {
  given: "the config given",
  previous: "the config of the pair's newest run",
  global: "the plugin's global config on the server",
  plan: "the report's plan settings (as planned)",
  none: "no config",
  unknown: "the server's config (this server does not say which)",
};
