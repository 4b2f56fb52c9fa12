/**
 * A bulk job seen from outside, through its journal: every pair of the job
 * (its `plan` record), which of them are still to be launched, whether the
 * job ended, and whether its launcher is still there (the journal's lock and
 * its owner's beacon). What `status.ts <journal>` shows while the job runs
 * in another terminal.
 *
 * @module
 */

import { type JournalRecord, replayJournal } from "../bulk/mod.ts";
import { isOwner, type Owner, ownerState } from "../claims/mod.ts";
import type { PairStatus } from "./status.ts";
import { pairKey } from "../api/mod.ts";

/** What a journal says of its job, now. */
export interface JobView {
  /** Every (report, plugin) pair of the job, as `"<report>/<plugin>"`. */
  pairs: string[];
  /** The pairs the job means to launch and has not sent yet. */
  waiting: Set<string>;
  /** Pairs the job launches (sent or still to send). */
  total: number;
  /** Of those, sent (launched, failed to launch, or in doubt). */
  launched: number;
  /** The job finished (its `end` record). */
  ended: boolean;
  /**
   * Its launcher: `alive` (working on it now), `unresponsive` (stopped,
   * e.g. Ctrl-Z), `none` (no process holds the journal), `unknown` (the
   * journal was read from standard input).
   */
  launcher: "alive" | "unresponsive" | "none" | "unknown";
  /** Still launching: not ended, and its launcher is there. */
  live: boolean;
}

/** The records of a journal's text (`undefined`: not a journal). */
function recordsOf(text: string): JournalRecord[] | undefined {
  const records: JournalRecord[] = [];
  for (const line of text.split(/\r?\n/)) {
    if (!line.startsWith("{")) continue;
    try {
      const r = JSON.parse(line);
      if (typeof r?.type === "string" && typeof r?.time === "string") {
        records.push(r);
      }
    } catch {
      // a torn last record (being written now)
    }
  }
  return records.some((r) => r.type === "job") ? records : undefined;
}

/**
 * Reads the job a journal's text records, and (given the journal's path)
 * whether its launcher still holds it.
 *
 * @param text The journal's text.
 * @param path The journal's path (none for standard input).
 * @returns The job, or `undefined` when the text is not a journal.
 */
export async function jobView(
  text: string,
  path: string | undefined,
): Promise<JobView | undefined> {
  const records = recordsOf(text);
  if (!records) return undefined;
  const state = replayJournal(records);
  const ended = state.ended !== undefined;
  const launcher = path === undefined ? "unknown" : await launcherOf(path);
  const sent = new Set(state.pairs.keys());
  const plan = state.plan;
  const waiting = new Set<string>();
  if (plan && !ended) {
    for (const key of plan.launch) {
      if (!state.sincePlan?.has(key)) waiting.add(key);
    }
  }
  const all = new Set([...sent, ...waiting]);
  for (const key of waiting) sent.delete(key);
  return {
    pairs: plan ? [...new Set([...plan.pairs, ...all])] : [...all],
    waiting,
    total: all.size,
    launched: all.size - waiting.size,
    ended,
    launcher,
    live: !ended && (launcher === "alive" || launcher === "unresponsive"),
  };
}

/** Whether a live process holds the journal's lock (`<journal>.lock`). */
async function launcherOf(
  journal: string,
): Promise<"alive" | "unresponsive" | "none"> {
  let owner: unknown;
  try {
    const text = await Deno.readTextFile(`${journal}.lock`);
    owner = text.trim() ? JSON.parse(text)?.owner : undefined;
  } catch {
    return "none"; // no lock, or torn: nobody holds it
  }
  if (!isOwner(owner)) return "none";
  const state = await ownerState(owner, self());
  return state === "dead" ? "none" : state;
}

/** This process as an {@linkcode Owner} that holds nothing. */
function self(): Owner {
  let host = "unknown";
  try {
    host = Deno.hostname();
  } catch {
    try {
      host = Deno.readTextFileSync("/etc/hostname").trim() || "unknown";
    } catch {
      // not known
    }
  }
  return {
    host,
    pid: Deno.pid,
    started: new Date().toISOString(),
    beacon: "",
    heartbeat: "",
  };
}

/**
 * The statuses of a job's pairs with those still to be launched marked:
 * `launch: "waiting"` while the job goes on, `"stopped"` when its launcher
 * is gone before sending them (the same bulk_run command resumes it). A
 * pair to be launched shows no run (an older run of it is not this job's).
 *
 * @param statuses The pairs' statuses (from the server).
 * @param job The job, from {@linkcode jobView}.
 * @returns The statuses, those waiting to launch marked.
 */
export function markWaiting(
  statuses: readonly PairStatus[],
  job: JobView,
): PairStatus[] {
  return statuses.map((s) =>
    job.waiting.has(pairKey(s.report, s.plugin))
      ? {
        ...s,
        state: null,
        stateClass: "missing",
        id: null,
        starttime: null,
        endtime: null,
        durationSeconds: null,
        url: null,
        logUrl: null,
        validationErrors: [],
        launch: job.live || job.launcher === "unknown" ? "waiting" : "stopped",
      }
      : s
  );
}
