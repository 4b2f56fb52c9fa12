// Simulator internals: `POST results/<pk>/plugin/` (post_plugin and what
// ionPlugin does behind the 202: the run exists when the 202 is sent) and
// abortable waits.

import { compareLooseVersion } from "../lib/loose_version.ts";
import type { Reply, Req, RouteContext } from "./types.ts";
import { effectiveConfig, validate } from "./config_chain.ts";
import { chance, hexKey } from "./data.ts";
import { compileFilters, type ResourceSpec } from "./filters.ts";
import { newEntry, SALT } from "./queue.ts";
import { canned, empty, json, reportOr } from "./replies.ts";
import { archived } from "./files.ts";
import type { JobRow, PluginRow, PrRow, ReportRow } from "./store.ts";
import { CANNED } from "./tastypie.ts";

function launchable(ctx: RouteContext, spec: unknown): PluginRow | null {
  const rows = ctx.store.plugins.filter((p) => p.active && p.selected);
  if (typeof spec === "string") {
    const named = rows.filter((p) => p.name === spec);
    return named.sort((a, b) => compareLooseVersion(b.version, a.version))[0] ??
      null;
  }
  if (typeof spec === "number" || typeof spec === "boolean") {
    spec = { id: Number(spec) };
  }
  if (!spec || typeof spec !== "object" || Array.isArray(spec)) return null;
  // ORM kwargs: every key must be a plugin field (lookups allowed); exactly one row.
  try {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(spec)) {
      params.set(k, typeof v === "string" ? v : JSON.stringify(v));
    }
    const known = new Set(Object.keys(ctx.specs.plugin.fields).concat("pk"));
    if ([...params.keys()].some((k) => !known.has(k.split("__")[0]!))) {
      return null;
    }
    if (params.has("pk")) {
      params.set("id", params.get("pk")!), params.delete("pk");
    }
    const filters = compileFilters(
      ctx.specs.plugin as ResourceSpec<unknown>,
      params,
    );
    const hits = rows.filter((p) => filters.every((f) => f.test(p, 0)));
    return hits.length === 1 ? hits[0]! : null;
  } catch {
    return null;
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const done = () => (clearTimeout(timer), reject(signal.reason));
    const timer = setTimeout(
      () => (signal.removeEventListener("abort", done), resolve()),
      ms,
    );
    signal.addEventListener("abort", done, { once: true });
  });
}

/** Waits `ms`, ended early by the signal (no rejection). */
export function wait(ms: number, signal: AbortSignal): Promise<void> {
  return sleep(ms, signal).catch(() => {});
}

/** `POST results/<pk>/plugin/` in the order of post_plugin (reference §5.3). */
export async function launch(
  ctx: RouteContext,
  req: Req,
  pk: string,
): Promise<Reply> {
  const report = reportOr(ctx, pk, 404, CANNED);
  const type = (req.headers.get("content-type") ?? "").split(";")[0]!.trim()
    .toLowerCase();
  if (type !== "application/json") return canned(500);
  let body: unknown;
  try {
    body = JSON.parse(req.bodyText);
  } catch {
    return json(400, { error: "" });
  }
  if (!body || typeof body !== "object" || Array.isArray(body)) {
    return canned(500);
  }
  const data = body as Record<string, unknown>;
  let owner = ctx.users.indexOf(req.auth.user ?? ctx.users[0]!) + 1;
  const asUser = data.owner ?? data.username;
  if (owner === 1 && typeof asUser === "string") {
    const i = ctx.users.findIndex((u) => u.username === asUser);
    if (i >= 0) owner = i + 1;
  }
  // post_plugin creates `<report>/plugin_out` (mode 0777) here: with the
  // report folder gone the mkdir raises, and the view answers 500.
  if (ctx.settings.brokenReports.has(report.id)) return canned(500);
  report.pluginOut = true;
  let spec = data.plugin;
  if (Array.isArray(spec)) {
    if (spec.length === 0) return canned(500);
    spec = spec[0];
  }
  const plugin = launchable(ctx, spec);
  if (!plugin) return empty(410);
  // Like mod_wsgi, a slow view is not stopped when the client hangs up:
  // only the simulator's close() ends the wait (and then nothing is created).
  const delay = ctx.settings.launchDelayMs + ctx.settings.createDelayMs +
    (req.createDelayMs ?? 0);
  if (delay > 0) await sleep(delay, ctx.closing);
  const created = ctx.now();
  const sent = data.pluginconfig;
  let pr: PrRow | null = null;
  if (typeof data.pluginresult === "number") {
    const old = ctx.store.prById.get(data.pluginresult);
    if (old && old.report === report) pr = old;
  } else {
    pr = ctx.store.addPr(report, plugin, owner, hexKey(ctx.keyRng));
    pr.size = 20_000 + Math.floor(ctx.keyRng() * 5_000_000);
    pr.inodes = 5 + Math.floor(ctx.keyRng() * 200);
  }
  const config = effectiveConfig({
    store: ctx.store,
    chain: ctx.settings.configChain,
    report,
    plugin,
    sent,
  });
  if (pr) createJob(ctx, { pr, config, now: created });
  ctx.onLaunch({
    report: report.id,
    plugin: plugin.name,
    pluginResultId: pr?.id ?? null,
    config: sent ?? null,
    effectiveConfig: config,
    time: req.now,
    created,
  });
  ctx.store.onChange();
  return empty(202);
}

/**
 * What ionPlugin does with a new run: validate the effective config (a
 * failure keeps the run without a job, `Failed Validation`), submit the job
 * to SGE (a failed submission leaves it without a job, `Unknown`), then
 * queue it.
 */
export function createJob(
  ctx: RouteContext,
  { pr, config, now, pipeline = false }: {
    pr: PrRow;
    config: unknown;
    now: number;
    /** Launched by the analysis pipeline (autostart). */
    pipeline?: boolean;
  },
): JobRow | null {
  const s = ctx.settings;
  pr.validationErrors = validate(pr.plugin, config);
  if (pr.validationErrors) return null;
  const jobId = ctx.store.nextJob;
  // Keyed by the run (and its job count): a failed submission creates no
  // job, so the next job id would decide the same again.
  const key = pr.id + pr.jobs.length * 0x10000;
  if (chance(s.seed, SALT.unknown, key) < s.unknownRate) return null;
  const life = newEntry(s, { plugin: pr.plugin.name, jobId, now });
  if (pipeline) life.pipeline = true;
  // The plugin runs on whatever the report has: missing BAMs (analysis
  // unfinished or failed, output archived) make it fail.
  if (s.brokenReportRuns && brokenReport(ctx, pr.report)) life.fail = true;
  const job = ctx.store.addJob(pr, {
    state: "Queued",
    runLevel: "default",
    starttime: null,
    endtime: null,
    config,
    life,
  });
  // A held job, or a missing launch script (SGE job id 1): Queued for ever.
  if (life.held && chance(s.seed, SALT.held ^ 1, jobId) < 0.5) {
    job.gridEngineJobId = 1;
  }
  ctx.queue.enqueue(job, now);
  return job;
}

/** A report a plugin cannot run on: analysis not `Completed`, or output archived. */
export function brokenReport(ctx: RouteContext, report: ReportRow): boolean {
  return report.status !== "Completed" ||
    archived(ctx.store.world, ctx.files.settings, report.id);
}
