// Simulator internals: the routes of the lab's resources that reports are
// chosen by (project/, experiment/, sample/, plannedexperiment/), as
// Torrent Suite serves them; their data is in lab.ts.

import type { Reply, Req, RouteContext } from "./types.ts";
import {
  experimentJson,
  experiments,
  planJson,
  planOf,
  projectJson,
  projectOf,
  PROJECTS,
  sampleJson,
  samplesOf,
} from "./lab.ts";
import { detail, list } from "./lists.ts";
import { empty, numericPk } from "./replies.ts";
import { API } from "./tastypie.ts";
import type { ReportRow } from "./store.ts";

/** A route of the simulator's API (the shape routes.ts dispatches on). */
export interface LabRoute {
  /** The path under `/rundb/api/v1/`. */
  re: RegExp;
  /** Methods answered (others: 405). */
  methods: string[];
  /** Whether credentials are needed. */
  auth: boolean;
  /** The handler; `pk` is the path's first group. */
  handle: (ctx: RouteContext, req: Req, pk: string) => Reply | Promise<Reply>;
}

const ALL = ["GET", "POST", "PUT", "DELETE", "PATCH"];
const PK = "(\\w[\\w/-]*)";

/** project/, experiment/ (list and detail), sample/, plannedexperiment/. */
export const LAB_ROUTES: LabRoute[] = [
  {
    re: /^project\/$/,
    methods: ALL,
    auth: true,
    handle: (ctx, req) => {
      const byProject = new Map<number, ReportRow[]>();
      for (const r of ctx.store.reports) {
        const id = projectOf(r).id;
        byProject.set(id, [...(byProject.get(id) ?? []), r]);
      }
      return list(ctx, req, {
        spec: ctx.specs.project,
        all: PROJECTS.map((name, i) => ({ id: i + 1, name })),
        uri: `${API}/project/`,
        toJson: (p) => projectJson(p, byProject.get(p.id) ?? []),
      });
    },
  },
  {
    re: /^experiment\/$/,
    methods: ALL,
    auth: true,
    handle: (ctx, req) => {
      const byExp = experiments(ctx.store);
      return list(ctx, req, {
        spec: ctx.specs.experiment,
        all: [...byExp.values()].map((rs) => rs[0]!),
        uri: `${API}/experiment/`,
        toJson: (r) => experimentJson(byExp.get(r.experimentId)!),
      });
    },
  },
  {
    re: new RegExp(`^experiment/${PK}/$`),
    methods: ALL,
    auth: true,
    handle: (ctx, req, pk) => {
      const rs = experiments(ctx.store).get(numericPk(pk));
      return rs ? detail(ctx, req, experimentJson(rs)) : empty(404);
    },
  },
  {
    re: /^sample\/$/,
    methods: ALL,
    auth: true,
    handle: (ctx, req) =>
      list(ctx, req, {
        spec: ctx.specs.sample,
        all: [...experiments(ctx.store).values()].flatMap((rs) =>
          samplesOf(rs[0]!)
        ),
        uri: `${API}/sample/`,
        toJson: sampleJson,
      }),
  },
  {
    re: /^plannedexperiment\/$/,
    methods: ALL,
    auth: true,
    handle: (ctx, req) =>
      list(ctx, req, {
        spec: ctx.specs.plan,
        all: [...experiments(ctx.store).values()].map((rs) => planOf(rs[0]!)),
        uri: `${API}/plannedexperiment/`,
        toJson: planJson,
      }),
  },
];
