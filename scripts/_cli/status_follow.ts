// status.ts --wait and --html: following the running runs to their end,
// and the status page, rewritten (atomically) at every poll.

import type { TsClient } from "../../lib/http/mod.ts";
import { pairKey, waitForRuns } from "../../lib/api/mod.ts";
import { countStates } from "../../lib/states.ts";
import {
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
};

/** Writes the status page, atomically (see {@linkcode pageWriter}). */
export interface PageWriter {
  /** Renders and writes the page (nothing without a file). */
  write(
    statuses: readonly PairStatus[],
    progress: PageProgressInput | undefined,
  ): Promise<void>;
}

/**
 * Writes the page atomically: a temporary file beside it, renamed over it,
 * so a browser reloading it never reads half a page.
 */
export function pageWriter(client: TsClient, options: PageOptions): PageWriter {
  const file = options.html;
  return {
    async write(statuses, progress): Promise<void> {
      if (!file) return;
      const html = renderStatusPage({
        server: client.baseUrl,
        generatedAt: new Date(client.now()),
        statuses,
        holes: options.holes,
        progress,
        refreshSeconds: options.refreshSeconds,
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
): PageProgressInput {
  const open = statuses.filter((s) => s.stateClass === "running").length;
  const total = statuses.filter((s) => s.id !== null).length;
  return {
    done: total - open,
    total,
    final: true,
    ...(open > 0
      ? { note: `the wait ended with ${open} run(s) still running` }
      : {}),
  };
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
