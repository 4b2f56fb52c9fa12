// Simulator internals: `POST results/<pk>/plugin/` (post_plugin and what
// ionPlugin does behind the 202) and abortable waits.

import { compareLooseVersion } from "../lib/loose_version.ts";
import type { Reply, Req, RouteContext } from "./_types.ts";
import { canned, empty, json, reportOr } from "./replies.ts";
import { compileFilters, type ResourceSpec } from "./filters.ts";
import type { PluginRow, PrRow } from "./store.ts";
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
  report.pluginOut = true;
  let spec = data.plugin;
  if (Array.isArray(spec)) {
    if (spec.length === 0) return canned(500);
    spec = spec[0];
  }
  const plugin = launchable(ctx, spec);
  if (!plugin) return empty(410);
  if (ctx.launchDelayMs > 0) await sleep(ctx.launchDelayMs, ctx.closing);
  const now = ctx.now();
  const config = data.pluginconfig;
  let pr: PrRow | null = null;
  if (typeof data.pluginresult === "number") {
    const old = ctx.store.prById.get(data.pluginresult);
    if (old && old.report === report) pr = old;
  } else {
    let key = "";
    while (key.length < 40) key += Math.floor(ctx.keyRng() * 16).toString(16);
    pr = ctx.store.addPr(report, plugin, owner, key);
    pr.size = 20_000 + Math.floor(ctx.keyRng() * 5_000_000);
    pr.inodes = 5 + Math.floor(ctx.keyRng() * 200);
  }
  if (pr) {
    const emptyConfig = !config ||
      (typeof config === "object" && Object.keys(config).length === 0);
    if (plugin.requires_configuration && emptyConfig) {
      pr.validationErrors = [
        `${plugin.name} requires configuration before execution.`,
      ];
    } else {
      pr.validationErrors = null;
      const life = {
        created: now,
        queuedMs: ctx.queuedMs,
        runMs: ctx.runMs,
        fail: ctx.failRng() < ctx.failureRate,
      };
      ctx.store.addJob(pr, {
        state: "Queued",
        runLevel: "default",
        starttime: now,
        endtime: null,
        config: config ?? {},
        life,
      });
    }
  }
  ctx.onLaunch(report.id, plugin.name, pr?.id ?? null, config ?? null);
  return empty(202);
}
