// Internals of the bulk launcher, third phase: the launch worker pool, with
// retries that check the server before resending and a stop when the server
// stays down.

import { type BulkContext, settle, type Task } from "./_bulk_context.ts";
import { resolveRuns } from "./_bulk_follow.ts";
import { backoffMs, isPermanent, mayHaveLaunched } from "./_retry.ts";
import { AuthError, RedirectError } from "./errors.ts";
import { findNewRun, postLaunch } from "./launch.ts";

/** Launch intents journaled per disk sync. */
const INTENT_BATCH = 64;

/** Launches per background look-up of new run ids (one `__in` batch). */
const RESOLVE_BATCH = 500;

/**
 * Launches tasks with bounded concurrency; returns true if interrupted. When
 * launch after launch fails on network or server errors (the server is down),
 * it stops starting new ones: those are reported `not-started`.
 */
export async function launchAll(
  ctx: BulkContext,
  tasks: readonly Task[],
): Promise<boolean> {
  const { journal } = ctx;
  const queue = [...tasks];
  let fatal: unknown;
  // Launches that gave up on network or server errors in a row: past
  // `giveUpAfter`, the server is down and the rest waits for a later run.
  const n = Math.max(1, Math.min(ctx.concurrency, tasks.length));
  const giveUpAfter = Math.max(5, 2 * n);
  let troubleStreak = 0;
  let serverDown: string | undefined;
  // New run ids are looked up in batches while later launches go on.
  const unresolved: Task[] = [];
  const resolving: Promise<void>[] = [];
  const stopped = () =>
    ctx.signal?.aborted || fatal !== undefined || serverDown !== undefined;
  // Intents are journaled ahead, INTENT_BATCH launches per disk sync, while
  // earlier launches are in flight: the sync stays off the critical path. An
  // intent with no outcome is "in doubt", and a resume checks the server
  // before launching that pair again.
  const intents = new Map<Task, Promise<void>>();
  const intentFor = (t: Task): Promise<void> | undefined => {
    if (!journal) return undefined;
    const known = intents.get(t);
    if (known) return known;
    const batch = [t];
    for (const q of queue) {
      if (batch.length >= INTENT_BATCH) break;
      if (!intents.has(q)) batch.push(q);
    }
    for (const b of batch) {
      journal.appendLater({
        type: "intent",
        report: b.report,
        plugin: b.plugin,
        before: b.before,
        attempt: 0,
      });
    }
    const synced = journal.flush();
    synced.catch(() => {}); // reported where it is awaited
    for (const b of batch) intents.set(b, synced);
    return synced;
  };
  const worker = async () => {
    let task = stopped() ? undefined : queue.shift();
    let intent = task && intentFor(task);
    while (task) {
      const next = stopped() ? undefined : queue.shift();
      const nextIntent = next && intentFor(next);
      try {
        const gaveUp = await launchOne(ctx, task, intent);
        troubleStreak = gaveUp ? troubleStreak + 1 : 0;
        if (troubleStreak >= giveUpAfter) serverDown ??= task.rows[0]!.message;
        if (
          task.rows[0]!.outcome === "launched" && task.rows[0]!.run === null
        ) {
          unresolved.push(task);
          if (unresolved.length >= RESOLVE_BATCH) {
            const batch = unresolved.splice(0);
            resolving.push(
              resolveRuns(ctx, batch, { final: false }).catch(
                () => {}, // left unresolved: the final pass retries them
              ),
            );
          }
        }
      } catch (error) {
        fatal = error; // auth or redirect: every other launch would fail too
        settle(ctx, task, {
          outcome: "failed",
          run: null,
          message: error instanceof Error ? error.message : String(error),
        });
      }
      if (next && stopped()) {
        queue.unshift(next); // not launched: reported as not started
        break;
      }
      task = next;
      intent = nextIntent;
    }
  };
  await Promise.all(Array.from({ length: n }, worker));
  await Promise.all(resolving);
  await journal?.flush();
  for (const t of queue) {
    settle(ctx, t, {
      outcome: "not-started",
      run: null,
      message: fatal
        ? "not launched: stopped after a fatal error"
        : serverDown !== undefined
        ? `not launched: the last ${giveUpAfter} launches failed on network or server errors (${serverDown}); run the same command again when the server is back`
        : "not launched: interrupted",
    });
  }
  if (fatal) throw fatal;
  return queue.length > 0 && serverDown === undefined;
}

/**
 * Launches one task, retrying transient failures. Returns true when it gave
 * up on network or server errors (a sign the server is down).
 */
async function launchOne(
  ctx: BulkContext,
  task: Task,
  firstIntent: Promise<void> | undefined,
): Promise<boolean> {
  const { client, journal, retry } = ctx;
  const { report, plugin, before } = task;
  let inDoubt = false;
  let lastError = "";
  // The server has a new run for the pair: the launch happened after all.
  const confirmed = (run: number) => {
    journal?.appendLater({ type: "launched", report, plugin, before, run });
    settle(ctx, task, {
      outcome: "launched",
      run,
      message: `launched (confirmed on the server after: ${lastError})`,
    });
    return false;
  };
  const failed = async (message: string) => {
    await journal?.append({ type: "failed", report, plugin, error: lastError });
    settle(ctx, task, { outcome: "failed", run: null, message });
  };
  for (let attempt = 0;; attempt++) {
    try {
      if (inDoubt) {
        const run = await findNewRun(client, { report, plugin, after: before });
        if (run) return confirmed(run.id);
        inDoubt = false;
      }
      await (attempt === 0 ? firstIntent : journal?.append({
        type: "intent",
        report,
        plugin,
        before,
        attempt,
      }));
      await postLaunch(client, { report, plugin }, { config: task.config });
      // Not synced now: until it is on disk the intent alone says "in doubt",
      // which a resume settles from the server. The next launch need not wait.
      journal?.appendLater({
        type: "launched",
        report,
        plugin,
        before,
        run: null,
      });
      settle(ctx, task, {
        outcome: "launched",
        run: null,
        message: task.rows[0]!.message,
      });
      return false;
    } catch (error) {
      if (error instanceof AuthError) throw error;
      lastError = error instanceof Error ? error.message : String(error);
      if (isPermanent(error)) {
        await failed(lastError);
        if (error instanceof RedirectError) throw error;
        return false;
      }
      inDoubt ||= mayHaveLaunched(error);
      if (attempt >= retry.retries || ctx.signal?.aborted) {
        if (inDoubt) {
          // One last look: the server may have the run after all.
          const run = await findNewRun(client, {
            report,
            plugin,
            after: before,
          }).catch(() => null);
          if (run) return confirmed(run.id);
          if (run === undefined) inDoubt = false; // checked: not launched
        }
        const gaveUp = !ctx.signal?.aborted;
        if (!inDoubt) {
          await failed(lastError);
          return gaveUp;
        }
        task.inDoubt = true; // the journal stays open for the next run
        settle(ctx, task, {
          outcome: "failed",
          run: null,
          message:
            `${lastError} (outcome unknown: the next run of the same command checks the server)`,
        });
        return gaveUp;
      }
      const delayMs = backoffMs(attempt, retry.baseDelayMs, retry.random);
      ctx.emit({
        type: "retry",
        report,
        plugin,
        attempt: attempt + 1,
        error: lastError,
        delayMs,
      });
      await client.sleep(delayMs);
    }
  }
}
