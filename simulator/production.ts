// Simulator internals: the lab's own use of the plugin queue (production
// load). On a real server the queue also runs the plugins the analysis
// pipeline launches when a sequencing run's analysis ends (TLScript.py
// `runplugins`, no duplicate check) and other users' manual launches.
//
// Everything is scheduled by the simulator's clock and decided by the seed
// and the event's number: reports appear (`Started`) and finish after
// `analysisMs` (`Completed`, timeStamp = then), then their plan's plugins
// are launched by the pipeline owner; manual launches come at their own
// rate. The schedule is advanced lazily, before the queue (its feeder), so
// an injected clock can jump and every event still happens at its time.

import type { ProductionRun, RouteContext } from "./types.ts";
import { effectiveConfig } from "./config_chain.ts";
import { APPS, chance, hexKey, INSTRUMENTS, makeRng } from "./data.ts";
import { createJob } from "./launch.ts";
import { planFor } from "./plans.ts";
import { statusGroup } from "./report_status.ts";
import {
  jobNow,
  type JobRow,
  type PluginRow,
  type PrRow,
  type ReportRow,
} from "./store.ts";
import { barcodesOf } from "./stores.ts";
import { compareLooseVersion } from "../lib/loose_version.ts";

/** The resolved production settings (see `SimulatorOptions.production`). */
export interface ProductionSettings {
  /** Mean interval between new reports, in clock ms (Infinity: none). */
  reportEveryMs: number;
  /** Mean interval between manual launches, in clock ms (Infinity: none). */
  manualEveryMs: number;
  /** Plugins the pipeline launches per report; null: the plan's. */
  pluginsPerReport: number | null;
  /** How long a new report's analysis runs before it is `Completed`. */
  analysisMs: number;
  /** Owner (user id, from 1) of the pipeline's runs. */
  owner: number;
  /** Owner (user id) of the manual launches. */
  manualOwner: number;
}

const SALT = {
  reportGap: 0x9e9047,
  manualGap: 0x3a9a1,
  report: 0x7e90,
  manual: 0x3a97,
  seeded: 0x5eed5,
} as const;

interface Entry {
  pr: PrRow;
  job: JobRow | null;
  kind: "pipeline" | "manual";
  createdAt: number;
}

/** The background load: a schedule of reports finishing and manual launches. */
export class Production {
  #nextReportAt: number;
  #reportK = 0;
  #nextManualAt: number;
  #manualK = 0;
  /** Reports whose analysis ends, by time. */
  #finishing: { at: number; report: ReportRow }[] = [];
  #nextId: number;
  #runs: Entry[] = [];

  constructor(
    readonly ctx: RouteContext,
    readonly p: ProductionSettings,
    start: number,
  ) {
    const seed = ctx.settings.seed;
    this.#nextReportAt = start + this.#gap(SALT.reportGap, 0, p.reportEveryMs);
    this.#nextManualAt = start + this.#gap(SALT.manualGap, 0, p.manualEveryMs);
    this.#nextId = Math.max(0, ...ctx.store.reportById.keys()) + 1;
    if (p.reportEveryMs !== Infinity) {
      // The seeded reports still being analysed finish within analysisMs.
      for (const r of ctx.store.reports) {
        if (statusGroup(r.status) !== "Progress") continue;
        const u = chance(seed, SALT.seeded, r.id);
        this.#addFinish(start + Math.round(u * p.analysisMs), r);
      }
    }
  }

  /** An exponential gap (Poisson arrivals) around `mean`, seeded by `k`. */
  #gap(salt: number, k: number, mean: number): number {
    if (mean === Infinity) return Infinity;
    const u = Math.min(0.999, chance(this.ctx.settings.seed, salt, k));
    return Math.max(1, Math.round(-Math.log(1 - u) * mean));
  }

  #addFinish(at: number, report: ReportRow): void {
    let i = this.#finishing.length;
    while (i > 0 && this.#finishing[i - 1]!.at > at) i--;
    this.#finishing.splice(i, 0, { at, report });
  }

  /** Runs every event up to `now`, in time order (the queue's feeder). */
  advance(now: number): void {
    let changed = false;
    for (;;) {
      const f = this.#finishing[0]?.at ?? Infinity;
      const t = Math.min(f, this.#nextReportAt, this.#nextManualAt);
      if (t > now || t === Infinity) break;
      changed = true;
      if (t === f) this.#finish(this.#finishing.shift()!.report, t);
      else if (t === this.#nextReportAt) {
        this.#appear(this.#reportK++, t);
        this.#nextReportAt = t +
          this.#gap(SALT.reportGap, this.#reportK, this.p.reportEveryMs);
      } else {
        this.#manual(this.#manualK++, t);
        this.#nextManualAt = t +
          this.#gap(SALT.manualGap, this.#manualK, this.p.manualEveryMs);
      }
    }
    if (changed) this.ctx.store.onChange();
  }

  /** A new sequencing run's report appears, its analysis `Started`. */
  #appear(k: number, t: number): void {
    const { store } = this.ctx;
    const rng = makeRng(
      (this.ctx.settings.seed ^ SALT.report ^ Math.imul(k, 0x9e3779b1)) >>> 0,
    );
    const pick = <T>(list: readonly T[]): T =>
      list[Math.floor(rng() * list.length)]!;
    const id = this.#nextId++;
    const inst = pick(INSTRUMENTS);
    const [app, reference, auto] = pick(APPS);
    const expId = 1000 + id * 2;
    const run = 900 + k;
    const date = new Date(t).toISOString().slice(0, 19).replace(/[-T:]/g, "_");
    const code = () =>
      Array.from({ length: 5 }, () => pick([..."ABCDEFGHJKLMNPQRSTUVWXYZ"]))
        .join("");
    const row: ReportRow = {
      id,
      resultsName: `Auto_user_${inst.name}-${run}-${app}_${expId}`,
      status: this.p.analysisMs > 0 ? "Started" : "Completed",
      timeStamp: t,
      experimentId: expId,
      expName: `R_${date}_user_${inst.name}-${run}-${app}`,
      chipType: pick(inst.chips),
      runid: code(),
      planShortID: code(),
      reference,
      resultsType: "",
      processedflows: pick([400, 500, 550]),
      diskusage: 2000 + Math.floor(rng() * 90_000),
      analysisVersion: "_TS5.18.1",
      pluginOut: false,
      application: app,
      metaData: {},
      easId: expId + 11,
    };
    store.addReport(row);
    const eas = planFor(store, { report: row, auto, rng });
    store.addEas(eas);
    row.barcodes = barcodesOf(store.world, row, eas.barcodeKitName);
    this.#addFinish(t + this.p.analysisMs, row);
  }

  /** The analysis ends: `Completed`, and the pipeline launches the plan's plugins. */
  #finish(report: ReportRow, t: number): void {
    report.status = "Completed";
    report.timeStamp = t;
    const eas = this.ctx.store.easById.get(report.easId);
    let names = Object.keys(eas?.selectedPlugins ?? {});
    const n = this.p.pluginsPerReport;
    if (n !== null) {
      const extra = this.ctx.store.plugins.filter((p) =>
        p.active && p.selected && p.defaultSelected && !names.includes(p.name)
      ).map((p) => p.name);
      names = [...new Set([...names, ...extra])].slice(0, n);
    }
    for (const name of names) {
      const plugin = latest(this.ctx, name);
      if (plugin) this.#launch(report, plugin, this.p.owner, "pipeline", t);
    }
  }

  /** Another user launches a plugin by hand on a recent finished report. */
  #manual(k: number, t: number): void {
    const { store, settings } = this.ctx;
    const rng = makeRng(
      (settings.seed ^ SALT.manual ^ Math.imul(k, 0x9e3779b1)) >>> 0,
    );
    const done = store.reports.filter((r) => r.status === "Completed");
    if (!done.length) return;
    const recent = done.slice(-200);
    const report = recent[Math.floor(recent.length * (1 - rng() ** 2))] ??
      recent.at(-1)!;
    const planned = Object.keys(
      store.easById.get(report.easId)?.selectedPlugins ?? {},
    );
    const any = store.plugins.filter((p) => p.active && p.selected);
    const name = planned.length && rng() < 0.7
      ? planned[Math.floor(rng() * planned.length)]!
      : any[Math.floor(rng() * any.length)]!.name;
    const plugin = latest(this.ctx, name);
    if (plugin) this.#launch(report, plugin, this.p.manualOwner, "manual", t);
  }

  #launch(
    report: ReportRow,
    plugin: PluginRow,
    owner: number,
    kind: Entry["kind"],
    t: number,
  ): void {
    const ctx = this.ctx;
    const pr = ctx.store.addPr(report, plugin, owner, hexKey(ctx.keyRng));
    pr.size = 20_000 + Math.floor(ctx.keyRng() * 5_000_000);
    pr.inodes = 5 + Math.floor(ctx.keyRng() * 200);
    const config = effectiveConfig({
      store: ctx.store,
      chain: ctx.settings.configChain,
      report,
      plugin,
      sent: {},
    });
    const job = createJob(ctx, {
      pr,
      config,
      now: t,
      pipeline: kind === "pipeline",
    });
    this.#runs.push({ pr, job, kind, createdAt: t });
  }

  /**
   * The production runs so far (the queue advanced to `now` first): their
   * queue times are SGE's (a job detached by an upgrade still has them),
   * their state the database's.
   */
  runs(now: number): ProductionRun[] {
    return this.#runs.map(({ pr, job, kind, createdAt }) => {
      const cur = job ? jobNow(job, now) : null;
      const life = job?.life;
      const startedAt = life
        ? (life.started !== null && life.started <= now ? life.started : null)
        : cur?.start ?? null;
      const endedAt = life
        ? (life.ended !== null && life.ended <= now ? life.ended : null)
        : cur?.end ?? null;
      return {
        pluginResultId: pr.id,
        jobId: job?.id ?? null,
        report: pr.report.id,
        plugin: pr.plugin.name,
        owner: this.ctx.users[pr.owner - 1]?.username ?? "",
        kind,
        createdAt,
        startedAt,
        endedAt,
        state: cur?.state ??
          (pr.validationErrors ? "Failed Validation" : "Unknown"),
      };
    });
  }
}

/** The newest active, enabled row of a plugin name. */
function latest(ctx: RouteContext, name: string): PluginRow | null {
  const rows = ctx.store.plugins.filter((p) =>
    p.name === name && p.active && p.selected
  );
  return rows.sort((a, b) => compareLooseVersion(b.version, a.version))[0] ??
    null;
}
