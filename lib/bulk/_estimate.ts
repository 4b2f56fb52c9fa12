// Internals of the bulk launcher: how long a job will take, from the
// plugins' recent run times on this server. The plugin queue is small and
// shared, so "800 runs" means days: the user should know before starting.

import type { BulkContext, Task } from "./_context.ts";
import type { Plan } from "./_plan.ts";
import { parseTsDate } from "../datetime.ts";
import { listAll } from "../api/mod.ts";
import type { JobEstimate, PluginEstimate } from "./summary.ts";
import type { PluginResult } from "../types.ts";

/** Completed runs needed before the pairs' own newest runs suffice. */
const ENOUGH = 5;
/** Recent runs looked at per plugin otherwise (one request). */
const RECENT = 50;

/** A completed run's start and end (ms), or `undefined`. */
function span(run: PluginResult): [number, number] | undefined {
  if (run.state !== "Completed" || !run.starttime || !run.endtime) {
    return undefined;
  }
  const start = parseTsDate(run.starttime);
  const end = parseTsDate(run.endtime);
  return Number.isFinite(start) && end > start ? [start, end] : undefined;
}

/**
 * Estimates the job: per plugin, the median run time of its recent completed
 * runs (the pairs' own newest runs, else one look-up of the plugin's last
 * runs on the server); runs at a time: `maxActive` (the job keeps that many
 * on the queue), or without a limit (0) as many as ran at once in those
 * samples (the queue's slots, as far as they show).
 */
export async function estimateJob(
  ctx: BulkContext,
  { tasks, latest, maxActive, production }: {
    tasks: readonly Task[];
    latest: ReadonlyMap<string, PluginResult>;
    maxActive: number;
    /** Other users' runs on the queue now, when looked at. */
    production?: { active: number; waiting: number } | undefined;
  },
): Promise<JobEstimate> {
  const byPlugin = new Map<string, number>();
  for (const t of tasks) {
    byPlugin.set(t.plugin, (byPlugin.get(t.plugin) ?? 0) + 1);
  }
  const spans: [number, number][] = [];
  const plugins: PluginEstimate[] = [];
  for (const [name, runs] of byPlugin) {
    let samples = spansOf(
      [...latest.values()].filter((r) => r.pluginName === name),
    );
    if (samples.length < ENOUGH) {
      try {
        const recent = await listAll<PluginResult>(
          ctx.client,
          "pluginresult/",
          {
            params: { plugin__name: name, order_by: "-id" },
            max: RECENT,
            verify: { plugin__name: (r) => r.pluginName === name },
          },
        );
        samples = spansOf(recent);
      } catch (error) {
        if (error instanceof TypeError) throw error; // a bug, not the server
        // No estimate for this plugin: the job still runs.
      }
    }
    spans.push(...samples);
    const durations = samples.map(([a, b]) => b - a).sort((a, b) => a - b);
    plugins.push({
      plugin: name,
      runs,
      samples: durations.length,
      medianMs: durations.length
        ? durations[Math.floor(durations.length / 2)]!
        : null,
    });
  }
  // The job keeps --max-active runs on the queue; without a limit, as many
  // as the samples show ran at once (the queue's slots, as far as they show).
  const slots = Math.max(1, maxOverlap(spans));
  const limit = maxActive > 0 ? maxActive : slots;
  // Production's running runs hold slots: the job gets what they leave.
  // (The samples of one plugin can show fewer at once than the queue has:
  // with no one else's run active, --max-active stands.)
  const freeSlots = production
    ? production.active > 0
      ? Math.max(
        1,
        Math.max(slots, limit, production.active) - production.active,
      )
      : Math.max(slots, limit)
    : undefined;
  const parallel = Math.max(
    1,
    Math.min(limit, freeSlots ?? Infinity, tasks.length || 1),
  );
  const known = plugins.every((p) => p.medianMs !== null);
  const work = plugins.reduce((s, p) => s + p.runs * (p.medianMs ?? 0), 0);
  // The plan warned about these: their runs end in Failed Validation.
  const failValidation =
    tasks.filter((t) =>
      t.rows[0]?.warnings?.some((w) => /will fail validation/.test(w))
    ).length;
  return {
    runs: tasks.length,
    parallel,
    totalMs: known && tasks.length > 0 ? work / parallel : null,
    plugins,
    ...(failValidation > 0 ? { failValidation } : {}),
    ...(production && freeSlots !== undefined
      ? { production: { ...production, freeSlots } }
      : {}),
  };
}

/** The spans of the completed runs among `runs`. */
function spansOf(runs: readonly PluginResult[]): [number, number][] {
  const spans: [number, number][] = [];
  for (const run of runs) {
    const s = span(run);
    if (s) spans.push(s);
  }
  return spans;
}

/** The most intervals overlapping at one moment. */
function maxOverlap(spans: readonly [number, number][]): number {
  const points = spans.flatMap(([a, b]) => [[a, 1], [b, -1]] as const)
    .sort((x, y) => x[0] - y[0] || x[1] - y[1]);
  let now = 0;
  let most = 0;
  for (const [, d] of points) most = Math.max(most, now += d);
  return most;
}

/** The job's estimate, announced as an event; none when nothing is to launch. */
export async function estimateFor(
  ctx: BulkContext,
  toLaunch: readonly Task[],
  { plan, maxActive, production }: {
    plan: Plan;
    maxActive: number;
    production?: { active: number; waiting: number } | undefined;
  },
): Promise<JobEstimate | undefined> {
  if (toLaunch.length === 0) return undefined;
  const estimate = await estimateJob(ctx, {
    tasks: toLaunch,
    latest: plan.latest,
    maxActive,
    production,
  });
  ctx.emit({ type: "estimate", estimate });
  return estimate;
}
