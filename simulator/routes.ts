// Simulator internals: URL routing (301 on a missing slash, 405 before 401)
// and the handlers of the Torrent Suite resources.

import type { Reply, Req, RouteContext } from "./types.ts";
import {
  jobJson,
  pluginJson,
  pluginStoreJson,
  prJson,
  reportJson,
  reportPrJson,
} from "./json.ts";
import { LAB_ROUTES } from "./lab_routes.ts";
import { launch } from "./launch.ts";
import { byIds, detail, list, narrowPrs, serializeCost } from "./lists.ts";
import { barcodeSampleInfo, easJson } from "./plans.ts";
import {
  canned,
  empty,
  HTML,
  json,
  notFound,
  numericPk,
  ok,
  reportOr,
} from "./replies.ts";
import type { ReportRow } from "./store.ts";
import { stop } from "./stop.ts";
import { API, CANNED, SimHttpError } from "./tastypie.ts";
import { webRoute } from "./web.ts";

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

const truthy = (v: string | null) => v !== null && v !== "";

/**
 * ResultsResource.apply_filters (api.py): `isThumbnail=yes` keeps the
 * reports whose `metaData` text contains "thumb", `no` drops them, any
 * other value filters nothing.
 */
function thumbnailFilter(all: ReportRow[], value: string | null): ReportRow[] {
  if (value !== "yes" && value !== "no") return all;
  const want = value === "yes";
  return all.filter((r) =>
    JSON.stringify(r.metaData).includes("thumb") === want
  );
}

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
            "list_endpoint": `${API}/${n}/`,
            schema: `${API}/${n}/schema/`,
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
      list(ctx, req, {
        spec: ctx.specs.plugin,
        all: ctx.store.plugins.filter((p) => p.active),
        uri: `${API}/plugin/`,
        toJson: pluginJson,
        narrow: (f) => {
          if (
            f.some((x) => x.key.startsWith("isConfig"))
          ) throw new SimHttpError(500, CANNED);
          return null;
        },
      }),
  },
  {
    re: new RegExp(`^plugin/${PK}/$`),
    methods: ALL,
    auth: true,
    handle: (ctx, req, pk) => {
      const p = ctx.store.pluginById.get(numericPk(pk));
      return p?.active ? detail(ctx, req, pluginJson(p)) : empty(404);
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
        const j = prJson(pr, req.now, ctx.store.world);
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
    handle: async (ctx, req, pk) => {
      const report = reportOr(ctx, pk, 404, CANNED);
      if (req.method === "POST") return empty(501);
      const major = truthy(req.params.get("major"));
      const prs = [...(ctx.store.prsByReport.get(report.id) ?? [])].reverse()
        .filter((p) => !major || p.plugin.majorBlock)
        .sort((a, b) =>
          a.plugin.name.toLowerCase().localeCompare(b.plugin.name.toLowerCase())
        );
      await serializeCost(ctx, prs.length);
      return ok(req, prs.map((p) => reportPrJson(p, req.now, ctx.store.world)));
    },
  },
  {
    re: new RegExp(`^results/${PK}/pluginstore/$`),
    methods: ["GET"],
    auth: true,
    handle: async (ctx, req, pk) => {
      const report = reportOr(ctx, pk, 404, CANNED);
      const data = pluginStoreJson(ctx.store, report, req.now);
      await serializeCost(ctx, 1, [{ store: data }]);
      return ok(req, data);
    },
  },
  {
    re: new RegExp(`^results/${PK}/barcodesampleinfo/$`),
    methods: ["GET"],
    auth: true,
    handle: (ctx, req, pk) => {
      const report = reportOr(ctx, pk, 404, CANNED);
      return ok(req, barcodeSampleInfo(report));
    },
  },
  {
    re: new RegExp(`^results/${PK}/pluginresult_set/$`),
    methods: ["GET"],
    auth: true,
    handle: (ctx, req, pk) => {
      const report = reportOr(ctx, pk, 410);
      return list(ctx, req, {
        spec: ctx.specs.pluginresult,
        all: ctx.store.prsByReport.get(report.id) ?? [],
        uri: `${API}/results/${report.id}/pluginresult_set/`,
        toJson: (p) => prJson(p, req.now, ctx.store.world),
      });
    },
  },
  {
    re: /^results\/$/,
    methods: ALL,
    auth: true,
    handle: (ctx, req) => {
      const thumb = req.params.get("isThumbnail");
      const plugins = truthy(req.params.get("plugin"));
      return list(ctx, req, {
        spec: ctx.specs.results,
        all: thumbnailFilter(ctx.store.reports, thumb),
        uri: `${API}/results/`,
        toJson: (r) => reportJson(ctx.store, r, req.now, plugins),
        narrow: (f) => {
          const hits = byIds(f, "id", ctx.store.reportById);
          return hits && thumbnailFilter(hits, thumb);
        },
      });
    },
  },
  {
    re: new RegExp(`^results/${PK}/$`),
    methods: ALL,
    auth: true,
    handle: (ctx, req, pk) => {
      const r = ctx.store.reportById.get(numericPk(pk));
      return r
        ? detail(
          ctx,
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
      list(ctx, req, {
        spec: ctx.specs.pluginresult,
        all: ctx.store.prs,
        uri: `${API}/pluginresult/`,
        toJson: (p) => prJson(p, req.now, ctx.store.world),
        narrow: (f) => narrowPrs(ctx.store, f),
      }),
  },
  {
    re: new RegExp(`^pluginresult/${PK}/stop/$`),
    methods: ["GET"],
    auth: true,
    handle: stop,
  },
  {
    re: new RegExp(`^pluginresult/${PK}/$`),
    methods: ALL,
    auth: true,
    handle: (ctx, req, pk) => {
      const pr = ctx.store.prById.get(numericPk(pk));
      return pr
        ? detail(ctx, req, prJson(pr, req.now, ctx.store.world))
        : empty(404);
    },
  },
  {
    re: /^PluginResultJob\/$/,
    methods: ALL,
    auth: true,
    handle: (ctx, req) =>
      list(ctx, req, {
        spec: ctx.specs.job,
        all: ctx.store.jobs,
        uri: `${API}/PluginResultJob/`,
        toJson: (j) => jobJson(j, req.now),
        narrow: (f) => byIds(f, "id", ctx.store.jobById),
      }),
  },
  {
    re: new RegExp(`^PluginResultJob/${PK}/$`),
    methods: ALL,
    auth: true,
    handle: (ctx, req, pk) => {
      const job = ctx.store.jobById.get(numericPk(pk));
      return job ? detail(ctx, req, jobJson(job, req.now)) : empty(404);
    },
  },
  ...LAB_ROUTES,
  {
    re: /^experimentanalysissettings\/$/,
    methods: ALL,
    auth: true,
    handle: (ctx, req) =>
      list(ctx, req, {
        spec: ctx.specs.eas,
        all: ctx.store.eas,
        uri: `${API}/experimentanalysissettings/`,
        toJson: (e) => easJson(e, ctx.store),
        narrow: (f) => byIds(f, "id", ctx.store.easById),
      }),
  },
  {
    re: new RegExp(`^experimentanalysissettings/${PK}/$`),
    methods: ALL,
    auth: true,
    handle: (ctx, req, pk) => {
      const eas = ctx.store.easById.get(numericPk(pk));
      return eas ? detail(ctx, req, easJson(eas, ctx.store)) : empty(404);
    },
  },
];

function find(path: string): [Route, string] | null {
  if (!path.startsWith(`${API}/`)) return null;
  const rest = path.slice(API.length + 1);
  for (const r of ROUTES) {
    const m = r.re.exec(rest);
    if (m) return [r, m[1] ?? ""];
  }
  return null;
}

/**
 * Routes a request: route → slash 301 → method 405 → auth 401 → handler
 * (500 canned on a crash); pages outside the API go to the web routes.
 * First the plugin queue is brought up to the request's time.
 */
export async function dispatch(ctx: RouteContext, req: Req): Promise<Reply> {
  ctx.queue.advance(req.now);
  const hit = find(req.pathname);
  if (!hit) {
    if (!req.pathname.endsWith("/") && find(`${req.pathname}/`)) {
      return empty(301, {
        Location: `${req.origin}${req.pathname}/${req.search}`,
      });
    }
    return webRoute(ctx, req) ?? notFound(req.pathname);
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
  if (route.auth && !req.auth.user && !ctx.settings.localhostAutoLogin) {
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
