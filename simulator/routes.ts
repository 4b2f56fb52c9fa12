// Simulator internals: URL routing (301 on a missing slash, 405 before 401)
// and the handlers of the Torrent Suite resources.

import type { Reply, Req, RouteContext } from "./_types.ts";
import {
  API,
  canned,
  empty,
  HTML,
  json,
  numericPk,
  ok,
  reportOr,
} from "./replies.ts";
import {
  type CompiledFilter,
  compileFilters,
  compileOrdering,
  type ResourceSpec,
} from "./filters.ts";
import {
  jobJson,
  pluginJson,
  prJson,
  reportJson,
  reportPrJson,
} from "./json.ts";
import { launch } from "./launch.ts";
import type { PrRow, SimStore } from "./store.ts";
import { CANNED, paginate, SimHttpError } from "./tastypie.ts";

type Handler = (
  ctx: RouteContext,
  req: Req,
  pk: string,
) => Reply | Promise<Reply>;
interface Route {
  re: RegExp;
  methods: string[];
  auth: boolean;
  handle: Handler;
}

const ALL = ["GET", "POST", "PUT", "DELETE", "PATCH"];
const PK = "(\\w[\\w/-]*)";

/** Standard list: filters, ordering, pagination; `narrow` picks candidates from an index. */
function list<T>(
  req: Req,
  spec: ResourceSpec<T>,
  all: T[],
  uri: string,
  toJson: (o: T) => unknown,
  narrow?: (filters: CompiledFilter[]) => T[] | null,
): Reply {
  const s = spec as ResourceSpec<unknown>;
  const filters = compileFilters(s, req.params);
  const base = narrow?.(filters) ?? all;
  const items = filters.length
    ? base.filter((o) => filters.every((f) => f.test(o, req.now)))
    : [...base];
  items.sort(compileOrdering(s, req.params, req.now));
  const { meta, page } = paginate(items, req.params, uri);
  return ok(req, { meta, objects: page.map(toJson) });
}

/** Candidates from an id index for `key=<id>` / `key__in=<ids>` filters. */
function byIds<T>(
  filters: CompiledFilter[],
  key: string,
  index: Map<number, T | T[]>,
): T[] | null {
  const f = filters.find((f) =>
    f.key === key || f.key === `${key}__in` || f.key === `${key}__exact`
  );
  if (!f) return null;
  const out: T[] = [];
  for (const id of new Set(f.raw.split(","))) {
    const hit = index.get(Number(id));
    if (Array.isArray(hit)) out.push(...hit);
    else if (hit !== undefined) out.push(hit);
  }
  return out;
}

function narrowPrs(store: SimStore, filters: CompiledFilter[]): PrRow[] | null {
  const byReport = byIds(filters, "result", store.prsByReport);
  if (byReport) return byReport;
  const f = filters.find((f) =>
    f.key === "plugin__name" || f.key === "plugin__name__in"
  );
  if (f) {
    return [...new Set(f.raw.split(","))].flatMap((n) =>
      store.prsByPlugin.get(n) ?? []
    );
  }
  return byIds(filters, "id", store.prById);
}

const truthy = (v: string | null) => v !== null && v !== "";

// Resources listed by the API's top level (`GET /rundb/api/v1/`).
const TOP_LEVEL = `
activeionchefprepkitinfo analysismetrics applicationgroup chip
compositeexperiment compositeresult content contentupload dnabarcode
emailaddress eventlog experiment experimentanalysissettings fileserver
getsoftwareinfo globalconfig kitinfo libmetrics location monitorresult
onetouchplanTemplate plannedexperiment plugin pluginresult PluginResultJob
project qualitymetrics referencegenome results rig runtype sample
samplegroup sampleset tfmetrics torrentsuite user
`.trim().split(/\s+/);

const ROUTES: Route[] = [
  {
    re: /^$/,
    methods: ALL,
    auth: false,
    handle: () =>
      json(
        200,
        Object.fromEntries(
          TOP_LEVEL.map((
            n,
          ) => [n, {
            "list_endpoint": `${API}${n}/`,
            schema: `${API}${n}/schema/`,
          }]),
        ),
      ),
  },
  {
    re: /^torrentsuite\/version\/$/,
    methods: ["GET"],
    auth: false,
    handle: () => json(200, { "meta_version": "5.18.1" }),
  },
  {
    re: /^getsoftwareinfo\/$/,
    methods: ["GET"],
    auth: false,
    handle: () =>
      json(200, {
        "server_mode": "Server",
        "site_name": "Torrent Server",
        "software_platform": "S5",
        "software_release_version": "5.18.1",
      }),
  },
  {
    re: /^plugin\/$/,
    methods: ALL,
    auth: true,
    handle: (ctx, req) =>
      list(
        req,
        ctx.specs.plugin,
        ctx.store.plugins.filter((p) => p.active),
        `${API}plugin/`,
        pluginJson,
        (f) => {
          if (
            f.some((x) => x.key.startsWith("isConfig"))
          ) throw new SimHttpError(500, CANNED);
          return null;
        },
      ),
  },
  {
    re: new RegExp(`^plugin/${PK}/$`),
    methods: ALL,
    auth: true,
    handle: (ctx, req, pk) => {
      const p = ctx.store.pluginById.get(numericPk(pk));
      return p?.active ? ok(req, pluginJson(p)) : empty(404);
    },
  },
  {
    re: new RegExp(`^results/${PK}/plugin/$`),
    methods: ["GET", "POST", "PUT"],
    auth: true,
    handle: (ctx, req, pk) => {
      if (req.method === "PUT") return empty(400);
      if (req.method === "POST") return launch(ctx, req, pk);
      const report = reportOr(ctx, pk, 404, CANNED);
      if (!report.pluginOut) return canned(500);
      const state: Record<string, string> = {};
      const files: Record<string, string[]> = {};
      for (const pr of ctx.store.prsByReport.get(report.id) ?? []) {
        const j = prJson(pr, req.now);
        state[pr.plugin.name] = j.state as string;
        files[`${pr.plugin.name}.${pr.id}`] = j.files as string[];
      }
      return ok(req, { pluginFiles: files, pluginState: state });
    },
  },
  {
    re: new RegExp(`^results/${PK}/pluginresults/$`),
    methods: ["GET", "POST"],
    auth: true,
    handle: (ctx, req, pk) => {
      const report = reportOr(ctx, pk, 404, CANNED);
      if (req.method === "POST") return empty(501);
      const major = truthy(req.params.get("major"));
      const prs = [...(ctx.store.prsByReport.get(report.id) ?? [])].reverse()
        .filter((p) => !major || p.plugin.majorBlock)
        .sort((a, b) =>
          a.plugin.name.toLowerCase().localeCompare(b.plugin.name.toLowerCase())
        );
      return ok(req, prs.map((p) => reportPrJson(p, req.now)));
    },
  },
  {
    re: new RegExp(`^results/${PK}/pluginresult_set/$`),
    methods: ["GET"],
    auth: true,
    handle: (ctx, req, pk) => {
      const report = reportOr(ctx, pk, 410);
      return list(
        req,
        ctx.specs.pluginresult,
        ctx.store.prsByReport.get(report.id) ?? [],
        `${API}results/${report.id}/pluginresult_set/`,
        (p) => prJson(p, req.now),
      );
    },
  },
  {
    re: /^results\/$/,
    methods: ALL,
    auth: true,
    handle: (ctx, req) => {
      const thumb = req.params.get("isThumbnail");
      const all = thumb === "yes" ? [] : ctx.store.reports;
      const plugins = truthy(req.params.get("plugin"));
      return list(
        req,
        ctx.specs.results,
        all,
        `${API}results/`,
        (r) => reportJson(ctx.store, r, req.now, plugins),
        (f) => byIds(f, "id", ctx.store.reportById),
      );
    },
  },
  {
    re: new RegExp(`^results/${PK}/$`),
    methods: ALL,
    auth: true,
    handle: (ctx, req, pk) => {
      const r = ctx.store.reportById.get(numericPk(pk));
      return r
        ? ok(
          req,
          reportJson(
            ctx.store,
            r,
            req.now,
            !truthy(req.params.get("noplugin")),
          ),
        )
        : empty(404);
    },
  },
  {
    re: /^pluginresult\/$/,
    methods: ALL,
    auth: true,
    handle: (ctx, req) =>
      list(
        req,
        ctx.specs.pluginresult,
        ctx.store.prs,
        `${API}pluginresult/`,
        (p) => prJson(p, req.now),
        (f) => narrowPrs(ctx.store, f),
      ),
  },
  {
    re: new RegExp(`^pluginresult/${PK}/stop/$`),
    methods: ["GET"],
    auth: true,
    handle: (ctx, req, pk) => {
      const pr = ctx.store.prById.get(numericPk(pk));
      if (!pr) return canned(404);
      for (const job of pr.jobs) {
        if (job.gridEngineJobId <= 0) continue;
        const end = job.life ? null : job.endtime;
        job.life = null;
        job.state = "Cancelled";
        job.gridEngineJobId = -1;
        job.endtime = end ?? req.now;
      }
      return empty(204);
    },
  },
  {
    re: new RegExp(`^pluginresult/${PK}/$`),
    methods: ALL,
    auth: true,
    handle: (ctx, req, pk) => {
      const pr = ctx.store.prById.get(numericPk(pk));
      return pr ? ok(req, prJson(pr, req.now)) : empty(404);
    },
  },
  {
    re: /^PluginResultJob\/$/,
    methods: ALL,
    auth: true,
    handle: (ctx, req) =>
      list(
        req,
        ctx.specs.job,
        ctx.store.jobs,
        `${API}PluginResultJob/`,
        (j) => jobJson(j, req.now),
        (f) => byIds(f, "id", ctx.store.jobById),
      ),
  },
  {
    re: new RegExp(`^PluginResultJob/${PK}/$`),
    methods: ALL,
    auth: true,
    handle: (ctx, req, pk) => {
      const job = ctx.store.jobById.get(numericPk(pk));
      return job ? ok(req, jobJson(job, req.now)) : empty(404);
    },
  },
];

function find(path: string): [Route, string] | null {
  if (!path.startsWith(API)) return null;
  const rest = path.slice(API.length);
  for (const r of ROUTES) {
    const m = r.re.exec(rest);
    if (m) return [r, m[1] ?? ""];
  }
  return null;
}

/** The TS/Django "page not found" page. */
function notFound(path: string): Reply {
  const safe = path.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  return {
    status: 404,
    headers: HTML,
    body:
      `<!DOCTYPE html>\n<html lang="en">\n<head><meta charset="utf-8"><title>Page Not Found - Torrent Suite</title></head>\n` +
      `<body>\n<div class="container"><h1>Page Not Found</h1>\n<p>The requested URL ${safe} was not found on this server.</p></div>\n</body>\n</html>\n`,
  };
}

/** Routes a request: route → slash 301 → method 405 → auth 401 → handler (500 canned on a crash). */
export async function dispatch(
  ctx: RouteContext,
  req: Req,
  search: string,
): Promise<Reply> {
  const hit = find(req.pathname);
  if (!hit) {
    if (!req.pathname.endsWith("/") && find(`${req.pathname}/`)) {
      return empty(301, { Location: `${req.origin}${req.pathname}/${search}` });
    }
    return notFound(req.pathname);
  }
  const [route, pk] = hit;
  if (route !== ROUTES[0]) {
    const allow = route.methods.join(",");
    if (req.method === "OPTIONS") {
      return { status: 200, headers: { ...HTML, Allow: allow }, body: allow };
    }
    if (!route.methods.includes(req.method)) {
      return { status: 405, headers: { ...HTML, Allow: allow }, body: allow };
    }
  }
  if (route.auth && !req.auth.user && !ctx.localhostAutoLogin) {
    return empty(401, { "WWW-Authenticate": 'Basic Realm="Torrent Suite"' });
  }
  if (route.auth && req.method !== "GET" && route.methods === ALL) {
    return empty(501);
  }
  try {
    return await route.handle(ctx, req, pk);
  } catch (e) {
    if (e instanceof SimHttpError) {
      return e.payload === null ? empty(e.status) : json(e.status, e.payload);
    }
    if (ctx.closing.aborted) throw e;
    return canned(500);
  }
}
