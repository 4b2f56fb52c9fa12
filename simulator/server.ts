// Simulator internals: building a running simulator from its options: the
// store (seeded or loaded from the state file), the queue, the pipeline,
// the HTTP server and the methods tests and benchmarks call.

import { RUNNING_STATES } from "../lib/states.ts";
import type { Simulator, SimulatorOptions } from "./options.ts";
import type {
  LaunchRecord,
  RecordedRequest,
  RouteContext,
  Settings,
  SimUser,
} from "./types.ts";
import { Production, type ProductionSettings } from "./production.ts";
import { withProfile } from "./profiles.ts";
import { DEFAULT_USERS } from "./auth.ts";
import { hexKey, makeRng, seedStore } from "./data.ts";
import { FaultPlan } from "./faults.ts";
import { serveHttp } from "./http.ts";
import { pluginJson, prJson, prTimes } from "./json.ts";
import { loadState, saveState, StateWriter } from "./persist.ts";
import { Gate, handle, type Pipeline, tooLongRecorded } from "./pipeline.ts";
import { PluginQueue } from "./queue.ts";
import { resourceSpecs } from "./specs.ts";
import { jobNow, type PrRow } from "./store.ts";
import { barcodesOf, rngFor, storeNow } from "./stores.ts";
import { etagOf, sha256Of } from "./files.ts";
import { type FileState, folderFiles } from "./static.ts";
import { statusGroup } from "./report_status.ts";

/** A numeric option, checked: a number from `min` to `max` (finite unless `infinite`). */
function finite(
  name: string,
  value: number,
  min: number,
  max = Infinity,
  infinite = false,
): number {
  const ok = typeof value === "number" && value >= min && value <= max &&
    (infinite || Number.isFinite(value));
  if (!ok) {
    throw new RangeError(
      `Option ${name} must be a number from ${min} to ${max}, got ${value}`,
    );
  }
  return value;
}

/** A rate option (0..1) with its default. */
const rate = (name: string, v: number | undefined, d: number) =>
  finite(name, v ?? d, 0, 1);

/** The options with their defaults, checked. */
function settingsOf(o: SimulatorOptions, seed: number): Settings {
  const k = timeScaleOf(o);
  const ms = (name: string, v: number | undefined, d = 0) =>
    finite(name, v ?? d, 0) * k;
  const pluginRunMs: Record<string, number> = {};
  for (const [name, v] of Object.entries(o.pluginRunMs ?? {})) {
    pluginRunMs[name] = ms(`pluginRunMs.${name}`, v);
  }
  const broken = (o.brokenReports ?? []).map((id) =>
    finite("brokenReports", id, 0)
  );
  return {
    seed,
    localhostAutoLogin: o.localhostAutoLogin ?? false,
    queuedMs: ms("queuedMs", o.queuedMs, 300),
    runMs: ms("runMs", o.runMs, 1500),
    pluginRunMs,
    runSpread: finite("runSpread", o.runSpread ?? 0.2, 0, 1),
    failureRate: finite("failureRate", o.failureRate ?? 0, 0, 1),
    stuckRate: finite("stuckRate", o.stuckRate ?? 0, 0, 1),
    stuckQueuedRate: rate("stuckQueuedRate", o.stuckQueuedRate, 0),
    unknownRate: finite("unknownRate", o.unknownRate ?? 0, 0, 1),
    configChain: o.configChain ?? true,
    launchDelayMs: ms("launchDelayMs", o.launchDelayMs),
    createDelayMs: ms("createDelayMs", o.createDelayMs),
    brokenReports: new Set(broken),
    stopMs: ms("stopMs", o.stopMs),
    stopErrorRate: finite("stopErrorRate", o.stopErrorRate ?? 0, 0, 1),
    objectCostMs: ms("objectCostMs", o.objectCostMs),
    storeCostMs: ms("storeCostMs", o.storeCostMs),
    basicAuthCostMs: ms("basicAuthCostMs", o.basicAuthCostMs),
    sessionCostMs: ms("sessionCostMs", o.sessionCostMs),
    logs: o.logs ?? true,
    brokenReportRuns: o.brokenReportRuns ?? false,
    djangoBasicBug: o.djangoBasicBug ?? false,
    wsgiMaxRequests: Math.floor(
      finite("wsgiMaxRequests", o.wsgiMaxRequests ?? 0, 0),
    ),
    wsgiProcesses: Math.floor(
      finite("wsgiProcesses", o.wsgiProcesses ?? 16, 1),
    ),
    wsgiStartupMs: ms("wsgiStartupMs", o.wsgiStartupMs),
  };
}

/** The `timeScale` option, checked (a positive number). */
function timeScaleOf(o: SimulatorOptions): number {
  const k = finite("timeScale", o.timeScale ?? 1, 0);
  if (k === 0) throw new RangeError("Option timeScale must be above 0");
  return k;
}

/** The production settings, or null when there is no load; adds missing owners to `users`. */
function productionOf(
  o: SimulatorOptions,
  users: SimUser[],
  seed: number,
): ProductionSettings | null {
  const p = o.production;
  if (!p) return null;
  const k = timeScaleOf(o);
  const hour = 3_600_000 * k;
  const perHour = (name: string, v: number | undefined) => {
    const n = finite(`production.${name}`, v ?? 0, 0);
    return n > 0 ? hour / n : Infinity;
  };
  const rng = makeRng(seed ^ 0x1ab05e7);
  const userId = (name: string) => {
    let i = users.findIndex((u) => u.username === name);
    if (i < 0) {
      users.push({
        username: name,
        password: hexKey(rng, 16),
        apiKey: hexKey(rng),
      });
      i = users.length - 1;
    }
    return i + 1;
  };
  const settings: ProductionSettings = {
    reportEveryMs: perHour("reportsPerHour", p.reportsPerHour),
    manualEveryMs: perHour("manualPerHour", p.manualPerHour),
    pluginsPerReport: p.pluginsPerReport === undefined ? null : Math.floor(
      finite("production.pluginsPerReport", p.pluginsPerReport, 0),
    ),
    analysisMs:
      finite("production.analysisMs", p.analysisMs ?? 4 * hour / k, 0) * k,
    owner: 0,
    manualOwner: 0,
  };
  if (
    settings.reportEveryMs === Infinity && settings.manualEveryMs === Infinity
  ) {
    return null;
  }
  settings.owner = userId(p.owner ?? "ionpipeline");
  settings.manualOwner = userId(p.manualOwner ?? "ionlab");
  return settings;
}

/** Builds and starts a simulator (listening when it returns). */
export function createSimulator(given: SimulatorOptions): Simulator {
  const options = withProfile(given);
  const clock = options.now ?? Date.now;
  const seed = finite("seed", options.seed ?? 1, -(2 ** 53));
  const hostname = options.hostname ?? "127.0.0.1";
  // Production owners may be added: to a copy of the caller's list.
  const users = options.users
    ? (options.production ? [...options.users] : options.users)
    : DEFAULT_USERS.map((u) => ({ ...u }));
  if (users.length === 0) {
    throw new RangeError("Option users must name at least one user");
  }
  const settings = settingsOf(options, seed);
  const slots = finite("slots", options.slots ?? 2, 0, Infinity, true);
  const queue = new PluginQueue(
    slots === 0 ? Infinity : Math.floor(slots),
    finite("schedulerIntervalMs", options.schedulerIntervalMs ?? 0, 0) *
      timeScaleOf(options),
  );
  const productionSettings = productionOf(options, users, seed);
  const store = (options.stateFile && loadState(options.stateFile, queue)) ||
    seedStore({
      count: Math.floor(finite("reports", options.reports ?? 3000, 0)),
      seed,
      now: clock(),
      thumbnails: options.thumbnails ?? false,
      durationScale: timeScaleOf(options),
    });
  store.world = {
    seed: store.loaded ? store.world.seed : seed,
    patchFailRate: rate("storePatchFailRate", options.storePatchFailRate, 0),
    barcodeErrorRate: rate("barcodeErrorRate", options.barcodeErrorRate, 0.03),
    earlyErrorRate: rate("earlyErrorRate", options.earlyErrorRate, 0.25),
    unbarcodedRate: rate("unbarcodedRate", options.unbarcodedRate, 0.15),
  };
  const ff = options.fileFaults ?? {};
  const otherStorage = rate(
    "fileFaults.otherStorageRate",
    ff.otherStorageRate,
    0,
  );
  for (const r of store.reports) {
    const kit = store.easById.get(r.easId)?.barcodeKitName ?? "IonXpress";
    r.barcodes ??= barcodesOf(store.world, r, kit);
    if (
      !store.loaded && otherStorage > 0 &&
      rngFor(seed, 0x570ae, r.easId)() < otherStorage
    ) r.storage = "Archive";
  }
  const files: FileState = {
    settings: {
      cutRate: rate("fileFaults.cutRate", ff.cutRate, 0),
      bytesPerSecond: finite(
        "fileFaults.bytesPerSecond",
        ff.bytesPerSecond ?? 0,
        0,
      ),
      changeOnHeadRate: rate(
        "fileFaults.changeOnHeadRate",
        ff.changeOnHeadRate,
        0,
      ),
      archivedRate: rate("fileFaults.archivedRate", ff.archivedRate, 0),
      bamBytes: Math.floor(finite("bamBytes", options.bamBytes ?? 0, 0)),
    },
    overrides: new Map(),
    served: 0,
  };
  const writer = options.stateFile
    ? new StateWriter(options.stateFile, () => saveState(store, queue))
    : null;
  if (writer) store.onChange = () => writer.changed();
  const requests: RecordedRequest[] = [];
  const launches: LaunchRecord[] = [];
  const faults = new FaultPlan(seed);
  const gate = new Gate();
  const closing = new AbortController();
  const ctx: RouteContext = {
    store,
    queue,
    specs: resourceSpecs(store, users),
    users,
    sessions: new Map(),
    settings,
    keyRng: makeRng(seed ^ 0x0a9e1e7 ^ store.nextPr),
    closing: closing.signal,
    now: clock,
    onLaunch: (record) => launches.push(record),
    files,
    authCounts: { basic: 0, session: 0 },
    wsgi: { counts: [], next: 0, restarts: 0 },
  };
  const production = productionSettings
    ? new Production(ctx, productionSettings, clock())
    : null;
  if (production) queue.feeder = (now) => production.advance(now);

  const host = hostname.includes(":") ? `[${hostname}]` : hostname;
  const pipeline: Pipeline = {
    ctx,
    requests,
    faults,
    gate,
    clock,
    scheme: options.tls ? "https" : "http",
    fallbackHost: () => `${host}:${server.port}`,
  };
  const server = serveHttp(
    {
      hostname,
      port: finite("port", options.port ?? 0, 0, 65535),
      tls: options.tls,
      keepAliveTimeoutMs: finite(
        "keepAliveTimeoutMs",
        options.keepAliveTimeoutMs ?? 5_000,
        1,
      ),
      maxKeepAliveRequests: Math.floor(
        finite("maxKeepAliveRequests", options.maxKeepAliveRequests ?? 100, 1),
      ),
    },
    (raw) => handle(pipeline, raw),
    (line) => tooLongRecorded(pipeline, line),
  );
  server.signal.addEventListener("abort", () => closing.abort(), {
    once: true,
  });
  const pluginRows = (name: string) => {
    const rows = store.plugins.filter((p) => p.name === name);
    if (!rows.length) throw new RangeError(`No plugin named "${name}"`);
    return rows;
  };
  const prOf = (id: number) => {
    const pr = store.prById.get(id);
    if (!pr) throw new RangeError(`No plugin result ${id}`);
    return pr;
  };
  let closed: Promise<void> | null = null;
  const close = () =>
    closed ??= (async () => {
      await server.close();
      await writer?.close();
    })();
  const prWithTimes = (p: PrRow, now: number) => {
    const { start, end } = prTimes(p, now);
    const json = prJson(p, now, store.world);
    // A copy: the built stores are shared with later answers.
    json.store = structuredClone(json.store);
    return { ...json, startedAt: start, endedAt: end };
  };
  return {
    url: `${options.tls ? "https" : "http"}://${host}:${server.port}`,
    port: server.port,
    requests,
    launches,
    users,
    addFault: (fault) => faults.add(fault),
    clearFaults: () => faults.clear(),
    clearLog() {
      requests.length = 0;
      launches.length = 0;
    },
    plugins: () => store.plugins.map(pluginJson),
    reportIds: ({ group } = {}) =>
      store.reports
        .filter((r) => group === undefined || statusGroup(r.status) === group)
        .map((r) => r.id).sort((a, b) => a - b),
    pluginResults(filter = {}) {
      const now = clock();
      queue.advance(now);
      let prs = filter.report === undefined
        ? store.prs
        : store.prsByReport.get(filter.report) ?? [];
      if (filter.plugin !== undefined) {
        prs = prs.filter((p) => p.plugin.name === filter.plugin);
      }
      return [...prs].reverse().map((p) => prWithTimes(p, now));
    },
    addRun(run) {
      const now = clock();
      let pr: PrRow;
      if (run.pluginResult !== undefined) {
        const old = store.prById.get(run.pluginResult);
        if (!old) throw new RangeError(`No plugin result ${run.pluginResult}`);
        pr = old;
      } else {
        const row = store.reportById.get(run.report ?? NaN);
        if (!row) throw new RangeError(`No report ${run.report}`);
        const rows = pluginRows(run.plugin ?? "");
        const p = rows.filter((r) => r.active).at(-1) ?? rows.at(-1)!;
        pr = store.addPr(row, p, 1, hexKey(ctx.keyRng));
        pr.size = 20_000 + Math.floor(ctx.keyRng() * 5_000_000);
        pr.inodes = 5 + Math.floor(ctx.keyRng() * 200);
      }
      const running = RUNNING_STATES.includes(run.state);
      const queued = run.state === "Queued" || run.state === "Pending";
      const job = store.addJob(pr, {
        state: run.state,
        runLevel: "default",
        starttime: queued ? null : run.startedAt ?? now,
        endtime: running ? null : run.endedAt ?? now,
        config: structuredClone(run.config ?? {}),
        life: null,
      });
      if (run.storeFate) job.storeFate = run.storeFate;
      store.onChange();
      return pr.id;
    },
    storeOf(id) {
      const now = clock();
      queue.advance(now);
      return structuredClone(storeNow(store.world, prOf(id), now).served);
    },
    resultsJsonOf(id) {
      const now = clock();
      queue.advance(now);
      return structuredClone(storeNow(store.world, prOf(id), now).disk);
    },
    filesOf(id) {
      const now = clock();
      queue.advance(now);
      return folderFiles(ctx, prOf(id), now).map((f) => ({
        path: f.path,
        size: f.size,
        sha256: sha256Of(f),
        etag: etagOf(f),
        mtime: f.mtime,
      }));
    },
    setFile(id, path, content) {
      prOf(id);
      const bytes = typeof content === "string"
        ? new TextEncoder().encode(content)
        : content;
      ctx.files.overrides.set(`${id}/${path}`, {
        content: bytes,
        mtime: Math.max(
          clock(),
          (ctx.files.overrides.get(`${id}/${path}`)?.mtime ?? 0) + 1000,
        ),
      });
    },
    authCounts: () => ({ ...ctx.authCounts }),
    barcodesOf(id) {
      const r = store.reportById.get(id);
      if (!r) throw new RangeError(`No report ${id}`);
      return structuredClone(r.barcodes ?? []);
    },
    addPluginResult(report, plugin, state) {
      const row = store.reportById.get(report);
      if (!row) throw new RangeError(`No report ${report}`);
      const rows = pluginRows(plugin);
      const p = rows.filter((r) => r.active).at(-1) ?? rows.at(-1)!;
      const now = clock();
      const pr = store.addPr(row, p, 1, hexKey(ctx.keyRng));
      if (state === "Failed Validation") {
        pr.validationErrors = [
          `${plugin} requires configuration before execution.`,
        ];
      } else if (state !== "Unknown") {
        const running = RUNNING_STATES.includes(state);
        store.addJob(pr, {
          state,
          runLevel: "default",
          starttime: state === "Queued" || state === "Pending" ? null : now,
          endtime: running ? null : now,
          config: {},
          life: null,
        });
      }
      store.onChange();
      return pr.id;
    },
    setPlugin(name, patch) {
      for (const row of pluginRows(name)) {
        if (patch.selected !== undefined) row.selected = patch.selected;
        if (patch.active !== undefined) row.active = patch.active;
        if (patch.config !== undefined) {
          row.config = structuredClone(patch.config);
        }
      }
      store.onChange();
    },
    queue() {
      queue.advance(clock());
      return { slots: queue.slots, ...queue.snapshot() };
    },
    productionRuns() {
      const now = clock();
      queue.advance(now);
      return production?.runs(now) ?? [];
    },
    reboot() {
      const now = clock();
      const dead = queue.reboot(now);
      for (const job of dead) {
        job.state = "Started";
        job.starttime = job.life!.started;
        job.endtime = null;
        job.life = null;
      }
      store.onChange();
      return dead.map((j) => j.pr);
    },
    upgrade() {
      const now = clock();
      queue.advance(now);
      const changed = new Set<number>();
      for (const job of store.jobs) {
        const cur = jobNow(job, now);
        if (!RUNNING_STATES.includes(cur.state)) continue;
        if (cur.start === null) {
          // PluginResult.complete: Error, jobid -1. A job waiting in SGE
          // still runs there; a held one or a fixed row just ends.
          if (job.life && !job.life.held && job.life.started === null) {
            job.life.detachedAt = now;
          } else {
            job.life = null;
            job.state = "Error";
            job.endtime = now;
          }
          job.gridEngineJobId = -1;
          changed.add(job.pr);
        } else if (!job.life && cur.start < now - 25 * 3_600_000) {
          job.state = "Error"; // cleanup_pluginresult_state: over 25 h
          job.endtime = now;
          changed.add(job.pr);
        }
      }
      store.onChange();
      return [...changed];
    },
    pause: () => gate.pause(),
    resume: () => gate.resume(),
    close,
    [Symbol.asyncDispose]: close,
  };
}
