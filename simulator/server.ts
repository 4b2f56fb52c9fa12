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
} from "./types.ts";
import { DEFAULT_USERS } from "./auth.ts";
import { hexKey, makeRng, seedStore } from "./data.ts";
import { FaultPlan } from "./faults.ts";
import { serveHttp } from "./http.ts";
import { pluginJson, prJson, prTimes } from "./json.ts";
import { loadState, saveState, StateWriter } from "./persist.ts";
import { Gate, handle, type Pipeline, tooLongRecorded } from "./pipeline.ts";
import { PluginQueue } from "./queue.ts";
import { resourceSpecs } from "./specs.ts";
import type { PrRow } from "./store.ts";
import { barcodesOf, rngFor, storeNow } from "./stores.ts";
import { etagOf, sha256Of } from "./files.ts";
import { type FileState, folderFiles } from "./static.ts";

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
  const pluginRunMs: Record<string, number> = {};
  for (const [name, ms] of Object.entries(o.pluginRunMs ?? {})) {
    pluginRunMs[name] = finite(`pluginRunMs.${name}`, ms, 0);
  }
  const broken = (o.brokenReports ?? []).map((id) =>
    finite("brokenReports", id, 0)
  );
  return {
    seed,
    localhostAutoLogin: o.localhostAutoLogin ?? false,
    queuedMs: finite("queuedMs", o.queuedMs ?? 300, 0),
    runMs: finite("runMs", o.runMs ?? 1500, 0),
    pluginRunMs,
    runSpread: finite("runSpread", o.runSpread ?? 0.2, 0, 1),
    failureRate: finite("failureRate", o.failureRate ?? 0, 0, 1),
    stuckRate: finite("stuckRate", o.stuckRate ?? 0, 0, 1),
    unknownRate: finite("unknownRate", o.unknownRate ?? 0, 0, 1),
    configChain: o.configChain ?? true,
    launchDelayMs: finite("launchDelayMs", o.launchDelayMs ?? 0, 0),
    createDelayMs: finite("createDelayMs", o.createDelayMs ?? 0, 0),
    brokenReports: new Set(broken),
    stopMs: finite("stopMs", o.stopMs ?? 0, 0),
    stopErrorRate: finite("stopErrorRate", o.stopErrorRate ?? 0, 0, 1),
    objectCostMs: finite("objectCostMs", o.objectCostMs ?? 0, 0),
    storeCostMs: finite("storeCostMs", o.storeCostMs ?? 0, 0),
    basicAuthCostMs: finite("basicAuthCostMs", o.basicAuthCostMs ?? 0, 0),
    sessionCostMs: finite("sessionCostMs", o.sessionCostMs ?? 0, 0),
    logs: o.logs ?? true,
  };
}

/** Builds and starts a simulator (listening when it returns). */
export function createSimulator(options: SimulatorOptions): Simulator {
  const clock = options.now ?? Date.now;
  const seed = finite("seed", options.seed ?? 1, -(2 ** 53));
  const hostname = options.hostname ?? "127.0.0.1";
  const users = options.users ?? DEFAULT_USERS.map((u) => ({ ...u }));
  if (users.length === 0) {
    throw new RangeError("Option users must name at least one user");
  }
  const settings = settingsOf(options, seed);
  const slots = finite("slots", options.slots ?? 2, 0, Infinity, true);
  const queue = new PluginQueue(slots === 0 ? Infinity : Math.floor(slots));
  const store = (options.stateFile && loadState(options.stateFile, queue)) ||
    seedStore({
      count: Math.floor(finite("reports", options.reports ?? 3000, 0)),
      seed,
      now: clock(),
      thumbnails: options.thumbnails ?? false,
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
  };

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
    reportIds: () => store.reports.map((r) => r.id).sort((a, b) => a - b),
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
    pause: () => gate.pause(),
    resume: () => gate.resume(),
    close,
    [Symbol.asyncDispose]: close,
  };
}
