// Internals of the bulk launcher: what its phases share. Each phase takes the
// one context object instead of a list of positional arguments.

import type { Registry } from "../claims/mod.ts";
import { guard, type GuardDecision, type RerunPolicy } from "./guard.ts";
import { classifyState } from "../states.ts";
import type { RetryPolicy, TsClient } from "../http/mod.ts";
import type { Journal } from "./journal.ts";
import type { PairRecord } from "./journal_replay.ts";
import type { BulkEvent, ConfigSource, Outcome, RowResult } from "./summary.ts";
import type { PluginConfig } from "../types.ts";

/** One (report, plugin) pair to launch, with the input rows asking for it. */
export interface Task {
  /** `"<report>/<plugin>"`. */
  key: string;
  report: number;
  plugin: string;
  /** The config the input gave (the row's or the default), or `null`. */
  given: PluginConfig | null;
  /** The config sent: the given one, the previous run's, or `null` (the server's). */
  config: PluginConfig | null;
  /** Where the config the run gets comes from (set by the plan). */
  configSource?: ConfigSource;
  /** The first row carries the outcome; later duplicate rows follow it. */
  rows: RowResult[];
  /** Newest run id of the pair before the launch (0 when none). */
  before: number;
  /** When its launch was sent (ms), while in doubt. */
  sentAt?: number;
  /** When its launch was sent and accepted (ms), in this invocation. */
  acceptedAt?: number;
  /** Claimed in the registry by this process. */
  claimed?: boolean;
  /** Another live job was sending it: since when (ms), how many tries. */
  deferredSince?: number;
  deferrals?: number;
  /** Tries in a row that found its holder not answering (stopped, hung). */
  stoppedTries?: number;
  /** Why it is still held by another job, should it be left unsent. */
  heldBy?: string;
}

/**
 * How a launch ended: accepted, sent with its answer lost, refused by the
 * server, or failed on network or server errors without reaching it.
 */
export type SendOutcome =
  | "launched"
  | "in-doubt"
  | "refused"
  | "trouble"
  /** Not sent: settled by the gate (skipped, in the settler's hands). */
  | "settled"
  /** Not sent yet: another live job is sending this pair; tried again later. */
  | "deferred";

/** What every phase of one bulk run works with. */
export interface BulkContext {
  client: TsClient;
  /** The journal, except in a dry run or without one. */
  journal: Journal | undefined;
  /** The claims registry, when given. */
  registry: Registry | undefined;
  /** Progress events. */
  emit: (event: BulkEvent) => void;
  /** Stops starting launches (Ctrl-C, SIGTERM); those in flight finish. */
  signal: AbortSignal | undefined;
  retry: RetryPolicy;
  /** Launches in flight at once. */
  concurrency: number;
  /**
   * How long after a launch whose answer was lost it may still create its
   * run (the client gave up; the server did not): before that, no new run
   * on the server does not mean no launch.
   */
  settleMs: number;
  /** How long in-doubt pairs are looked for at least, after their launch. */
  graceMs: number;
  /** Clock in ms (the client's). */
  now: () => number;
  /** The duplicate guard's rerun policy. */
  policy: RerunPolicy;
  /** A run running longer than this is stale, in ms. */
  staleAfterMs: number;
  /**
   * Paced jobs yield to other users: no launch while one of their runs
   * waits on the queue; default true.
   */
  yieldToOthers?: boolean;
  /**
   * `--rerun failed` relaunches a pair only if it failed fewer times than
   * this in its history; default 2.
   */
  maxFailures?: number;
  /** Failed runs of each pair in its history (from the plan), by task key. */
  failures?: ReadonlyMap<string, { count: number; newest: number }>;
  /**
   * When the queue passed each waiting run of the plan's history, by run id
   * (`passedSince`): a run held that long is stale.
   */
  passedAt?: ReadonlyMap<number, number>;
  /**
   * Hides secrets in a message before it is kept (row results, journal):
   * server errors may quote a config.
   */
  redact?: (text: string) => string;
  /**
   * When this machine's launchers launched each pair's run, by task key
   * (from the registry): a Queued run launched longer ago than
   * `staleAfterMs` is stale.
   */
  launchedAt?: ReadonlyMap<string, { at: number; run: number | null }>;
  /**
   * Dead jobs' journals read while taking over their claims, by job
   * identity: what each says of its pairs (`undefined`: it cannot tell).
   */
  deadJobs?: Map<string, Promise<Map<string, PairRecord> | undefined>>;
}

/** The guard's decision on a task, given the pair's newest run. */
export function decide(
  ctx: BulkContext,
  run: Parameters<typeof guard>[0],
  key: string,
): GuardDecision {
  const launch = ctx.launchedAt?.get(key);
  const f = ctx.failures?.get(key);
  const failed = (f?.count ?? 0) +
    (run && classifyState(run.state) === "failed" && run.id > (f?.newest ?? 0)
      ? 1
      : 0);
  const decision = guard(run, {
    failures: failed,
    maxFailures: ctx.maxFailures ?? 2,
    policy: ctx.policy,
    now: ctx.now(),
    staleAfterMs: ctx.staleAfterMs,
    ...(launch && run && launch.run === run.id
      ? { launchedAt: launch.at }
      : {}),
    passedAt: run ? ctx.passedAt?.get(run.id) : undefined,
  });
  if (decision.heldBack) {
    const [report, plugin] = key.split("/");
    decision.reason +=
      ` (ionrun status --report ${report} --plugin ${plugin} --log)`;
  }
  return decision;
}

/** A pair's outcome, as {@linkcode recordOutcome} records it. */
export interface PairOutcome {
  outcome: Outcome;
  /** The run launched, or the existing run that caused a skip. */
  run: number | null;
  message: string;
  state?: string | undefined;
}

/** Records a pair's outcome on its first row (and run on its duplicates) and reports it. */
export function recordOutcome(
  ctx: BulkContext,
  task: Task,
  outcome: PairOutcome,
): void {
  const [first, ...duplicates] = task.rows;
  const message = ctx.redact ? ctx.redact(outcome.message) : outcome.message;
  Object.assign(first!, {
    ...outcome,
    message,
    state: outcome.state ?? null,
  });
  for (const d of duplicates) d.run = outcome.run;
  ctx.emit({ type: "row", result: first! });
}

/** Outcomes a phase decided, in order, for the orchestrator to record. */
export type Decisions = [task: Task, outcome: PairOutcome][];

/** Records each decided outcome, in order (see {@linkcode recordOutcome}). */
export function recordOutcomes(ctx: BulkContext, decisions: Decisions): void {
  for (const [task, outcome] of decisions) recordOutcome(ctx, task, outcome);
}

/** The first row's result: where a task's outcome is kept. */
export function resultOf(task: Task): RowResult {
  return task.rows[0]!;
}
