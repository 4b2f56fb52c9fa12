/**
 * The bulk launcher: launches plugins on many reports exactly once, with a
 * duplicate guard, bounded concurrency, claims that keep other launchers off
 * the same pairs, a self-repairing journal to resume from, launches whose
 * lost answers are settled from the server instead of resent, and a per-row
 * summary.
 *
 * @module
 */

import { basename, dirname, join } from "node:path";
import {
  Beacon,
  identifyServer,
  launchTimes,
  Registry,
} from "../claims/mod.ts";
import { type BulkContext, recordOutcomes, resultOf } from "./_context.ts";
import { FileBoard } from "./_board.ts";
import { estimateFor } from "./_estimate.ts";
import { findNewRuns, finished, summarize } from "./_finish.ts";
import { waitAll } from "./_follow.ts";
import { jobId, type OpenedJob, openJob } from "./_job.ts";
import { launchAll } from "./_launch.ts";
import { observeQueue, pacerFor } from "./_pace.ts";
import { applyGuard, type Plan, planBulkRun } from "./_plan.ts";
import { resumeTasks } from "./_resume.ts";
import { Settler } from "./_settle.ts";
import type { TsClient } from "../http/mod.ts";
import type { RowProblem } from "../errors.ts";
import { DEFAULT_RERUN, type RerunPolicy } from "./guard.ts";
import { STALE_AFTER_MS } from "../states.ts";
import { planRecord, replayJournal } from "./journal_replay.ts";
import { redactText } from "../redact.ts";
import type { RunRow } from "../run_rows.ts";
import type { BulkEvent, BulkSummary, JobEstimate } from "./summary.ts";

/** Options for {@linkcode bulkRun}. */
export interface BulkRunOptions {
  /** Input name used in problems (`file:line: …`). */
  file: string;
  /** Problems already found while parsing the input. */
  problems?: readonly RowProblem[];
  /** Launch the valid rows even when some are invalid; default false. */
  skipInvalid?: boolean;
  /**
   * Rerun policy of the duplicate guard: the classes of existing runs to
   * launch again (default `["failed"]`; `[]`: only pairs never run), or
   * `"always"` to launch every pair.
   */
  policy?: RerunPolicy;
  /** A run running longer than this is stale, in ms; default 25 h. */
  staleAfterMs?: number;
  /**
   * Where rows without a config get one: `"server"` (default: send none,
   * so the server applies the plugin's global config, else the report's
   * plan settings) or `"previous"` (the config of the pair's newest run,
   * sent as given; never run: the server's). A row's own config replaces
   * the server's entirely, it is not merged with it.
   */
  configFrom?: "server" | "previous";
  /** Launch on reports still being analysed too (skipped by default). */
  includeUnfinished?: boolean;
  /** Launch on thumbnail reports whose full report exists (skipped by default). */
  includeThumbnails?: boolean;
  /** Launches in flight at once; default 4. */
  concurrency?: number;
  /**
   * At most this many of the job's runs Queued or Started on the server at
   * once (with `registry`: this user's runs of every job on this machine
   * and server); the next is launched as one finishes. Default 0: no limit.
   * The plugin queue has 1 or 2 slots and runs the lab's new sequencing
   * runs too: a script should pass a small number.
   */
  maxActive?: number;
  /**
   * With `maxActive`: yield to other users (the lab's pipeline, other
   * people): each poll looks at the server's newest runs of any owner, and
   * no launch goes out while one of theirs waits on the queue. Default
   * true; false for a server that is the job's alone.
   */
  yieldToOthers?: boolean;
  /**
   * With the `failed` rerun class: a pair whose runs failed this many times
   * (or more) in its history is not relaunched but skipped as "failed N
   * times: read the log"; default 2.
   */
  maxFailures?: number;
  /**
   * Asked with the job's estimate before anything is launched (not in a
   * dry run); false: nothing is launched (`declined`).
   */
  confirm?: (estimate: JobEstimate) => boolean | Promise<boolean>;
  /** Retries of a launch that certainly did not reach the server; default 3. */
  retries?: number;
  /** First retry delay in ms (doubles each time, with jitter); default 1000. */
  retryDelayMs?: number;
  /** Plan only: validate, preflight and guard, launch nothing. */
  dryRun?: boolean;
  /**
   * The job's journal file, for crash-safe resume; none when absent (or
   * `dryRun`). A journal is one job: the same rows with the same policy
   * resume it; other rows start a new job (the old journal kept beside it).
   */
  journal?: string;
  /** Start a new job even if the journal holds this one (kept aside). */
  newJob?: boolean;
  /**
   * The claims registry folder (`defaultRegistryDir()`); none: no claims,
   * and the journal's lock is known to this machine only.
   */
  registry?: string;
  /**
   * How long a launch whose answer was lost may still create its run, in
   * ms; default 10 minutes. A pair in doubt is launched again only by a
   * later invocation, once this long has passed and the server shows no run.
   */
  settleMs?: number;
  /** How long in-doubt pairs are looked for at least; default min(30 s, settleMs). */
  graceMs?: number;
  /** Follow launched runs to their end. */
  wait?: { timeoutMs: number; pollMs: number };
  /** Stops starting launches (Ctrl-C, SIGTERM); those in flight are settled. */
  signal?: AbortSignal;
  /** Progress callback. */
  onEvent?: (event: BulkEvent) => void;
  /**
   * More key names whose values are secrets, besides password, passwd,
   * secret, token, api_key, apikey and credential: messages kept in the
   * results and the journal are redacted with them. Configs themselves are
   * never written anywhere.
   */
  redactKeys?: readonly string[];
  /** Random source for jitter; default `Math.random`. */
  random?: () => number;
}

/**
 * Launches plugins on the rows' reports. Throws `InputError` before any
 * launch when a row is invalid (unless `skipInvalid`). Each (report, plugin)
 * pair launches at most once, even across crashes, retries, lost answers and
 * concurrent launchers.
 *
 * It goes plan (check the rows locally and on the server, look up each
 * pair's newest run) → job (lock and repair the journal; a finished job
 * launches nothing) → resume (what the job launched is never launched again;
 * what it left in doubt is settled from the server) → guard → launch
 * (claimed, journaled, lost answers settled, never resent) → follow (find the
 * new runs and, with `wait`, follow them to their end).
 *
 * @example
 * ```ts
 * import { bulkRun } from "./bulk_run.ts";
 * import { createClient } from "../http/mod.ts";
 * import { parseRunRows } from "../run_rows.ts";
 * import { startSimulator } from "../../simulator/mod.ts";
 * await using server = await startSimulator({ reports: 4 });
 * const [user] = server.users;
 * using client = await createClient({ url: server.url, user: user!.username, apiKey: user!.apiKey });
 * const { rows } = parseRunRows(`report\n${server.reportIds().join("\n")}\n`, {
 *   file: "reports.csv",
 *   plugin: "igv",
 * });
 * // A real job keeps its journal beside its input and the user's registry
 * // (`defaultRegistryDir()`, from ionrun/claims); here, a folder of its own.
 * const dir = await Deno.makeTempDir();
 * const summary = await bulkRun(client, rows, {
 *   file: "reports.csv",
 *   journal: `${dir}/reports.csv.journal.ndjson`,
 *   registry: `${dir}/registry`,
 *   concurrency: 8,
 * });
 * console.log(summary.counts);
 * await Deno.remove(dir, { recursive: true });
 * if (summary.counts.launched === 0 || summary.counts.failed > 0) throw new Error();
 * ```
 *
 * @param client The API client.
 * @param rows Parsed input rows (`readRunRows`).
 * @param options Policy, concurrency, journal, registry, wait, progress.
 * @returns One result per row.
 */
export async function bulkRun(
  client: TsClient,
  rows: readonly RunRow[],
  options: BulkRunOptions,
): Promise<BulkSummary> {
  const ctx = contextFor(client, options);
  // When the plan began to look, not when it ended: another job's launch
  // recorded while the plan's requests were out may be missing from them,
  // and the registry defers to the plan only for launches before its look.
  const planAt = ctx.now();
  const plan = await planBulkRun(ctx, {
    rows,
    file: options.file,
    problems: options.problems ?? [],
    skipInvalid: options.skipInvalid ?? false,
    reports: {
      includeUnfinished: options.includeUnfinished ?? false,
      includeThumbnails: options.includeThumbnails ?? false,
    },
    configFrom: options.configFrom ?? "server",
  });
  // One server under several names (an IP and a host name, http and https)
  // shares one registry: its identity, not its URL as written, names it.
  const server = options.registry !== undefined
    ? (await identifyServer(client, options.registry)).key
    : undefined;
  if (options.registry !== undefined) {
    ctx.launchedAt = await launchTimes(options.registry, {
      server: server!,
      pairs: plan.candidates,
      onNote: (message) => ctx.emit({ type: "warning", message }),
    });
  }
  if (options.dryRun) return await dryRun(ctx, plan, options.maxActive ?? 0);

  const id = await jobIdOf(plan, ctx.policy, options);
  const beacon = await beaconFor(options);
  let job: OpenedJob | undefined;
  try {
    if (options.journal !== undefined) {
      job = await openJob(options.journal, {
        job: {
          id,
          input: options.file,
          flags: {
            policy: ctx.policy,
            skipInvalid: options.skipInvalid ?? false,
          },
          maxBefore: Math.max(0, ...plan.tasks.map((t) => t.before)),
        },
        beacon: beacon!,
        newJob: options.newJob ?? false,
        now: ctx.now,
      });
      for (const message of job.notes) ctx.emit({ type: "note", message });
      if (!job.journal) return await finished(ctx, plan, job);
      ctx.journal = job.journal;
    }
    if (options.registry !== undefined) {
      ctx.registry = await openRegistry(ctx, options.registry, {
        server: server!,
        journal: options.journal,
        id,
        beacon: beacon!,
      });
    }
    const maxActive = options.maxActive ?? 0;
    const board = options.registry !== undefined && maxActive > 0
      ? await FileBoard.open(options.registry, {
        server: server!,
        beacon: beacon!,
      })
      : undefined;
    try {
      return await launchJob(ctx, {
        plan,
        planAt,
        job,
        wait: options.wait,
        maxActive,
        board,
        confirm: options.confirm,
      });
    } finally {
      await board?.close();
    }
  } finally {
    await ctx.journal?.close().catch(() => {});
    await job?.release().catch(() => {});
    beacon?.close();
  }
}

/** The context of one bulk run, from its options (journal and registry come later). */
function contextFor(client: TsClient, options: BulkRunOptions): BulkContext {
  const settleMs = options.settleMs ?? 600_000;
  return {
    client,
    journal: undefined,
    registry: undefined,
    emit: options.onEvent ?? (() => {}),
    signal: options.signal,
    retry: {
      retries: options.retries ?? 3,
      baseDelayMs: options.retryDelayMs ?? 1000,
      random: options.random ?? Math.random,
    },
    concurrency: options.concurrency ?? 4,
    settleMs,
    graceMs: options.graceMs ?? Math.min(30_000, settleMs),
    now: client.now,
    policy: normalizePolicy(options.policy ?? DEFAULT_RERUN),
    staleAfterMs: options.staleAfterMs ?? STALE_AFTER_MS,
    yieldToOthers: options.yieldToOthers ?? true,
    maxFailures: options.maxFailures ?? 2,
    redact: (text) => redactText(text, { extraKeys: options.redactKeys ?? [] }),
  };
}

/** A dry run: the guard's decisions and the estimate, nothing launched. */
async function dryRun(
  ctx: BulkContext,
  plan: Plan,
  maxActive: number,
): Promise<BulkSummary> {
  const { toLaunch, skipped } = applyGuard(ctx, {
    tasks: plan.candidates,
    latest: plan.latest,
  });
  recordOutcomes(ctx, skipped);
  const production = toLaunch.length && maxActive > 0
    ? await observeQueue(ctx, plan)
    : undefined;
  const estimate = await estimateFor(ctx, toLaunch, {
    plan,
    maxActive,
    production,
  });
  recordOutcomes(
    ctx,
    toLaunch.map((t) => [t, {
      outcome: "planned",
      run: null,
      message: `would launch: ${resultOf(t).message}`,
    }]),
  );
  return {
    ...summarize(plan, { resumed: 0, duplicates: 0 }),
    ...(estimate ? { estimate } : {}),
  };
}

/**
 * The job's identity: the input's configs, not those read from the server
 * (the same command is the same job even once its own runs are the pairs'
 * newest), and the flags that change what it launches.
 */
async function jobIdOf(
  plan: Plan,
  policy: RerunPolicy,
  options: BulkRunOptions,
): Promise<string> {
  const configFrom = options.configFrom ?? "server";
  return await jobId({
    policy,
    skipInvalid: options.skipInvalid ?? false,
    ...(configFrom === "previous" ? { configFrom } : {}),
    rows: plan.tasks.map((t) => [t.report, t.plugin, t.given]),
  });
}

/** The beacon that tells this process live, when a journal or registry needs one. */
async function beaconFor(options: BulkRunOptions): Promise<Beacon | undefined> {
  if (options.journal === undefined && options.registry === undefined) {
    return undefined;
  }
  return await Beacon.start(
    options.registry !== undefined
      ? join(options.registry, "procs")
      : await Deno.makeTempDir({ prefix: "ionrun-beacon-" }),
  );
}

/** Opens the claims registry for this job on this server. */
async function openRegistry(
  ctx: BulkContext,
  dir: string,
  { server, journal, id, beacon }: {
    server: string;
    journal: string | undefined;
    id: string;
    beacon: Beacon;
  },
): Promise<Registry> {
  return await Registry.open(dir, {
    server,
    // What the job is, not the journal's name as typed: two folders with an
    // in.csv each are two jobs.
    job: journal !== undefined
      ? `${await resolvedPath(journal)}#${id}`
      : `run-${crypto.randomUUID()}`,
    beacon,
    settleMs: ctx.settleMs,
    now: ctx.now,
    onNote: (message) => ctx.emit({ type: "warning", message }),
  });
}

/** Resume, guard, launch, follow, end: the job's work in this invocation. */
async function launchJob(
  ctx: BulkContext,
  { plan, planAt, job, wait, maxActive, board, confirm }: {
    plan: Plan;
    planAt: number;
    job: OpenedJob | undefined;
    wait: BulkRunOptions["wait"];
    maxActive: number;
    board: FileBoard | undefined;
    confirm: BulkRunOptions["confirm"];
  },
): Promise<BulkSummary> {
  const settler = new Settler(ctx);
  ctx.emit({ type: "phase", phase: "guard", total: plan.tasks.length });
  const { remaining, resumed, inDoubt } = await resumeTasks(ctx, {
    tasks: plan.candidates,
    state: job?.state ?? replayJournal([]),
    latest: plan.latest,
  });
  for (const t of inDoubt) settler.add(t);
  const { toLaunch, skipped } = applyGuard(ctx, {
    tasks: remaining,
    latest: plan.latest,
  });
  recordOutcomes(ctx, skipped);
  const production = toLaunch.length && maxActive > 0
    ? await observeQueue(ctx, plan)
    : undefined;
  const estimate = await estimateFor(ctx, toLaunch, {
    plan,
    maxActive,
    production,
  });
  if (estimate && confirm && !(await confirm(estimate))) {
    recordOutcomes(
      ctx,
      toLaunch.map((t) => [t, {
        outcome: "not-started",
        run: null,
        message: "not launched: the job was not confirmed",
      }]),
    );
    return {
      ...summarize(plan, { resumed, duplicates: 0 }),
      estimate,
      declined: true,
    };
  }
  // The whole job and what this invocation launches: a reader of the
  // journal (status.ts from another terminal) sees the pairs not sent yet.
  await ctx.journal?.append(planRecord({
    pairs: plan.tasks.map((t) => t.key),
    launch: toLaunch.map((t) => t.key),
  }));
  const pacer = maxActive > 0
    ? pacerFor(ctx, { plan, toLaunch, remaining, maxActive, board, estimate })
    : undefined;

  ctx.emit({ type: "phase", phase: "launch", total: toLaunch.length });
  let interrupted = false;
  let stoppedBy: Error | undefined;
  let serverDown: string | undefined;
  const view = {
    latest: plan.latest,
    checkedAt: new Map(plan.tasks.map((t) => [t.key, planAt])),
  };
  try {
    ({ interrupted, stoppedBy, serverDown } = await launchAll(ctx, {
      tasks: toLaunch,
      view,
      settler,
      pacer,
    }));
  } finally {
    // Even after a fatal error: what was sent is settled before the summary.
    if (settler.open.size > 0) {
      ctx.emit({ type: "phase", phase: "settle", total: settler.open.size });
    }
    await settler.finish();
  }
  const duplicates = await findNewRuns(ctx, plan.tasks);

  let pendingAfterWait = 0;
  let staleAfterWait = 0;
  if (wait && !ctx.signal?.aborted) {
    ({ pending: pendingAfterWait, stale: staleAfterWait } = await waitAll(
      ctx,
      plan.tasks,
      wait,
    ));
  }
  interrupted ||= ctx.signal?.aborted ?? false;
  const summary = summarize(plan, {
    resumed,
    duplicates,
    pendingAfterWait,
    staleAfterWait,
    interrupted,
    settleMs: ctx.settleMs,
  });
  if (stoppedBy) summary.stoppedBy = stoppedBy;
  if (serverDown) summary.serverDown = serverDown;
  if (estimate) summary.estimate = estimate;
  // Pairs in doubt (or not started) keep the job open: the same command
  // settles them; otherwise the job is finished.
  const open = interrupted || summary.counts["in-doubt"] > 0 ||
    summary.counts["not-started"] > 0;
  await ctx.journal?.append(
    open || stoppedBy
      ? { type: "interrupted" }
      : { type: "end", counts: summary.counts },
  ).catch((error) => {
    summary.stoppedBy ??= error; // the disk filled up: the summary still counts
  });
  return summary;
}

/** The journal's path, absolute and with its folder's links resolved. */
async function resolvedPath(path: string): Promise<string> {
  try {
    return await Deno.realPath(path);
  } catch {
    return join(await Deno.realPath(dirname(path)), basename(path));
  }
}

/** A policy in one spelling (sorted, no repeats): part of the job's identity. */
function normalizePolicy(policy: RerunPolicy): RerunPolicy {
  return policy === "always" ? policy : [...new Set(policy)].sort();
}
