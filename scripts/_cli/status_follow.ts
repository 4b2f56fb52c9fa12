// status.ts --wait and --html: following the running runs to their end,
// and the status page, rewritten (atomically) at every poll.

import type { TsClient } from "../../lib/http/mod.ts";
import { pairKey, waitForRuns } from "../../lib/api/mod.ts";
import { countStates } from "../../lib/states.ts";
import {
  type JobView,
  type PairStatus,
  pairStatus,
  renderStatusPage,
} from "../../lib/status/mod.ts";
import type { PluginResult } from "../../lib/types.ts";
import { eprint } from "./output.ts";
import { type CommandIO, denoIO } from "./io.ts";
import { Progress } from "./progress.ts";

/** Where and how the status page is written. */
export interface PageOptions {
  /** The page's file (`--html`); without it nothing is written. */
  html?: string | undefined;
  /** The page reloads itself this often in a browser (`--html-refresh`). */
  refreshSeconds?: number | undefined;
  /** What an empty cell means: never run, or not asked for. */
  holes: "never" | "unchecked";
}

/** How far a followed page is. */
export type PageProgressInput = {
  done: number;
  total: number;
  final: boolean;
  note?: string;
  /** The bulk job is still launching: how many of its pairs it sent. */
  launching?: { launched: number; total: number };
};

/** Writes the status page, atomically (see {@linkcode pageWriter}). */
export interface PageWriter {
  /** Renders and writes the page (nothing without a file). */
  write(
    statuses: readonly PairStatus[],
    progress: PageProgressInput | undefined,
    reasons?: ReadonlyMap<number, string>,
  ): Promise<void>;
}

/**
 * Writes the page atomically: a temporary file beside it, renamed over it,
 * so a browser reloading it never reads half a page.
 */
export function pageWriter(client: TsClient, options: PageOptions): PageWriter {
  const file = options.html;
  return {
    async write(statuses, progress, reasons): Promise<void> {
      if (!file) return;
      const html = renderStatusPage({
        server: client.baseUrl,
        generatedAt: new Date(client.now()),
        statuses,
        holes: options.holes,
        progress,
        refreshSeconds: options.refreshSeconds,
        reasons,
      });
      const tmp = `${file}.${Deno.pid}.tmp`;
      await Deno.writeTextFile(tmp, html);
      await Deno.rename(tmp, file);
    },
  };
}

/** The final page's progress: how many of the runs ended. */
export function finalProgress(
  statuses: readonly PairStatus[],
  job?: JobView | undefined,
): PageProgressInput {
  const open = statuses.filter((s) => s.stateClass === "running").length;
  const total = statuses.filter((s) => s.id !== null).length;
  const unsent = job && !job.ended ? job.waiting.size : 0;
  const notes = [
    unsent > 0
      ? job!.live
        ? `the wait ended while the job was still launching: ${
          job!.launched
        } of ${job!.total} launched`
        : `the job stopped with ${job!.launched} of ${
          job!.total
        } launched (the same bulk_run command resumes it)`
      : "",
    open > 0 ? `the wait ended with ${open} run(s) still running` : "",
  ].filter(Boolean);
  return {
    done: total - open,
    total,
    final: true,
    ...(notes.length > 0 ? { note: notes.join("; ") } : {}),
  };
}

/** A page's progress while the job is still launching. */
export function launchingProgress(
  statuses: readonly PairStatus[],
  job: JobView,
): PageProgressInput {
  const total = statuses.filter((s) => s.id !== null).length;
  const open = statuses.filter((s) => s.stateClass === "running").length;
  return {
    done: total - open,
    total,
    final: false,
    launching: { launched: job.launched, total: job.total },
  };
}

/**
 * `status.ts <journal> --wait` while its job is still launching (in another
 * terminal): reads the journal and the runs again at every poll, rewriting
 * the page, until the job has ended (or its launcher is gone) or the
 * timeout; returns the statuses as last seen. The running runs are then
 * followed by {@linkcode follow}.
 */
export async function followJob(
  first: { statuses: PairStatus[]; job: JobView },
  refresh: () => Promise<{ statuses: PairStatus[]; job: JobView }>,
  options: { timeoutMs: number; pollMs: number; html?: string | undefined },
  page: PageWriter,
  io: CommandIO = denoIO,
): Promise<PairStatus[]> {
  const until = Date.now() + options.timeoutMs;
  let { statuses, job } = first;
  let said = -1;
  for (;;) {
    if (job.launched !== said) {
      said = job.launched;
      eprint(
        io,
        `job still launching: ${job.launched} of ${job.total} launched`,
      );
    }
    await page.write(statuses, launchingProgress(statuses, job)).catch((e) =>
      eprint(
        io,
        `cannot write ${options.html}: ${e instanceof Error ? e.message : e}`,
      )
    );
    if (!job.live || Date.now() >= until) break;
    await new Promise((r) =>
      setTimeout(r, Math.max(0, Math.min(options.pollMs, until - Date.now())))
    );
    try {
      ({ statuses, job } = await refresh());
    } catch (error) {
      eprint(
        io,
        `status check failed, still waiting: ${
          error instanceof Error ? error.message : error
        }`,
      );
    }
    if (!job.live) break;
  }
  if (!job.ended && !job.live && job.waiting.size > 0) {
    eprint(
      io,
      `the job stopped with ${job.launched} of ${job.total} launched: the same bulk_run command resumes it`,
    );
  }
  return statuses;
}

/** How {@linkcode follow} waits. */
export interface FollowOptions {
  /** Give up after this many ms. */
  timeoutMs: number;
  /** Time between polls, ms. */
  pollMs: number;
  /** A run running longer than this is stale. */
  staleAfterMs: number;
  /** Launch times from a journal, by pair key. */
  launchedAt?: ReadonlyMap<string, number>;
  /** The page's file, for the message when it cannot be written. */
  html?: string | undefined;
}

/**
 * `status.ts --wait`: follows the running runs until they end (or the
 * timeout), with a progress bar on stderr, rewriting the page at every
 * poll; returns the statuses as last seen.
 */
export async function follow(
  client: TsClient,
  statuses: PairStatus[],
  options: FollowOptions,
  page: PageWriter,
  io: CommandIO = denoIO,
): Promise<PairStatus[]> {
  const running = statuses.filter((s) => s.stateClass === "running");
  if (running.length === 0) return statuses;
  const progress = new Progress({ io });
  progress.handle({ type: "phase", phase: "wait", total: running.length });
  let current = statuses;
  let writing: Promise<void> = Promise.resolve();
  const update = (seen: ReadonlyMap<number, PluginResult>) =>
    statuses.map((s) => {
      const run = s.id === null ? undefined : seen.get(s.id);
      return run
        ? pairStatus(client, {
          ...s,
          run,
          staleAfterMs: options.staleAfterMs,
          launchedAt: options.launchedAt?.get(pairKey(s.report, s.plugin)),
          ...(s.reportName ? { reportName: s.reportName } : {}),
          ...(s.reportFound !== undefined
            ? { reportFound: s.reportFound }
            : {}),
        })
        : s;
    });
  await page.write(current, { done: 0, total: running.length, final: false });
  const { runs } = await waitForRuns(client, running.map((s) => s.id!), {
    timeoutMs: options.timeoutMs,
    pollMs: options.pollMs,
    onPoll: (seen) => {
      const counts = countStates(seen.values());
      progress.handle({ type: "wait", ...counts });
      current = update(seen);
      const done = running.length - counts.running;
      writing = writing.then(() =>
        page.write(current, { done, total: running.length, final: false })
      ).catch((e) =>
        eprint(
          io,
          `cannot write ${options.html}: ${e instanceof Error ? e.message : e}`,
        )
      );
    },
    onPollError: (message) =>
      progress.handle({
        type: "warning",
        message: `status check failed, still waiting: ${message}`,
      }),
  });
  await writing;
  progress.finish();
  return update(runs);
}
