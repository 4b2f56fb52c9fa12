/**
 * What a bulk job's journal says: the job, what happened to each pair
 * (launched, failed, in doubt, with its run and final state), whether the
 * job ended. The journal's records and their reading are in `journal.ts`.
 *
 * @module
 */

import type { JournalRecord, NewJournalRecord } from "./journal.ts";
import { pairKey } from "../api/mod.ts";

/** What the journal says about one pair. */
export interface PairRecord {
  /**
   * `launched`: the server has it (never launched again by this job);
   * `failed`: it certainly did not launch; `in-doubt`: sent, outcome unknown.
   */
  status: "launched" | "failed" | "in-doubt";
  /** Newest run id before the launch. */
  before: number;
  /** The run created, when known. */
  run: number | null;
  /** When the launch was (last) sent, ms; for in-doubt pairs. */
  sentAt: number;
  /** The final state, if followed to the end. */
  state?: string;
  /**
   * Sent again after an earlier send of it was in doubt (its settle window
   * had passed with no run): should that first send create its run after
   * all, the pair shows two runs.
   */
  relaunched?: boolean;
}

/**
 * What an invocation of the job means to do, recorded once its duplicate
 * guard has decided (a `plan` record): every pair of the job, and the ones
 * it is about to launch. A reader of the journal (`status.ts` on it, from
 * another terminal) then knows the whole job while it is still launching.
 */
export interface JobPlan {
  /** Every (report, plugin) pair of the job, as `"<report>/<plugin>"`. */
  pairs: string[];
  /** The pairs this invocation launches, as `"<report>/<plugin>"`. */
  launch: string[];
}

/**
 * The `plan` record of {@linkcode JobPlan}, for {@linkcode Journal.append}
 * (older readers skip a record type they do not know).
 *
 * @param plan Every pair of the job, and the ones to launch.
 * @returns The record to append.
 */
export function planRecord(plan: JobPlan): NewJournalRecord {
  return {
    type: "plan",
    pairs: plan.pairs,
    launch: plan.launch,
  } as unknown as NewJournalRecord;
}

/** What a journal holds, replayed. */
export interface JournalState {
  /** The job record, if any (none: a journal of an older version, or empty). */
  job: Extract<JournalRecord, { type: "job" }> | undefined;
  /** What happened to each pair, by `"<report>/<plugin>"`. */
  pairs: Map<string, PairRecord>;
  /** The end record, when the job finished. */
  ended: Extract<JournalRecord, { type: "end" }> | undefined;
  /**
   * Unreadable records in the middle (1-based lines): what they said is
   * lost, so any pair without a settled outcome may have been sent.
   */
  damaged: number[];
  /** The newest time in the journal (ms), 0 for none. */
  latest: number;
  /**
   * The last invocation's plan, when it recorded one: every pair of the
   * job, and those it launches (`"<report>/<plugin>"`).
   */
  plan?: { pairs: string[]; launch: string[] } | undefined;
  /**
   * The pairs with a launch record (intent, outcome) after the last plan:
   * those of its `launch` list that are not here still wait to launch.
   */
  sincePlan?: Set<string>;
  /** Line numbers cut off as a torn last record (at most one). */
  torn: number | undefined;
}

/**
 * Replays records into what happened to each pair. Only the job's last
 * state counts: an `end` record means the job finished.
 *
 * @param records The journal's records.
 * @param damaged Lines that could not be read.
 * @returns The job, its pairs, and whether it ended.
 */
export function replayJournal(
  records: readonly JournalRecord[],
  damaged: readonly number[] = [],
): Omit<JournalState, "torn"> {
  const pairs = new Map<string, PairRecord>();
  let job: JournalState["job"];
  let ended: JournalState["ended"];
  let latest = 0;
  const intents = new Map<string, number>();
  let plan: JobPlan | undefined;
  let sincePlan = new Set<string>();
  for (const r of records) {
    const type = (r as { type: string }).type;
    if (type === "plan") {
      const p = r as unknown as Partial<JobPlan>;
      if (Array.isArray(p.pairs) && Array.isArray(p.launch)) {
        plan = { pairs: p.pairs.map(String), launch: p.launch.map(String) };
        sincePlan = new Set();
      }
      continue;
    }
    if ("report" in r && "plugin" in r && r.type !== "final") {
      sincePlan.add(pairKey(r.report, r.plugin));
    }
    const time = Date.parse(r.time);
    if (Number.isFinite(time)) latest = Math.max(latest, time);
    if (r.type !== "end") ended = undefined;
    switch (r.type) {
      case "job":
        job = r;
        break;
      case "end":
        ended = r;
        break;
      case "intent": {
        const key = pairKey(r.report, r.plugin);
        intents.set(key, time);
        const known = pairs.get(key);
        if (known?.status === "launched") break; // a retry's intent: still launched
        pairs.set(key, {
          status: "in-doubt",
          before: r.before,
          run: null,
          sentAt: time,
          ...(known?.status === "in-doubt" || known?.relaunched
            ? { relaunched: true }
            : {}),
        });
        break;
      }
      case "in-doubt": {
        const key = pairKey(r.report, r.plugin);
        if (pairs.get(key)?.status === "launched") break;
        pairs.set(key, {
          status: "in-doubt",
          before: r.before,
          run: null,
          sentAt: r.sentAt ? Date.parse(r.sentAt) : intents.get(key) ?? time,
        });
        break;
      }
      case "launched": {
        const key = pairKey(r.report, r.plugin);
        const relaunched = pairs.get(key)?.relaunched;
        pairs.set(key, {
          status: "launched",
          before: r.before,
          run: r.run,
          sentAt: intents.get(key) ?? time,
          ...(relaunched ? { relaunched } : {}),
        });
        break;
      }
      case "resolved": {
        const p = pairs.get(pairKey(r.report, r.plugin));
        if (p) p.run = r.run;
        break;
      }
      case "final": {
        const p = pairs.get(pairKey(r.report, r.plugin));
        if (p) p.state = r.state;
        break;
      }
      case "not-sent": {
        const key = pairKey(r.report, r.plugin);
        if (pairs.get(key)?.status === "in-doubt") pairs.delete(key);
        break;
      }
      case "failed": {
        const key = pairKey(r.report, r.plugin);
        // Accepted but no run came of it: failed after all. A launch whose
        // run is known stays launched.
        if (pairs.get(key)?.run != null) break;
        pairs.set(key, {
          status: "failed",
          before: pairs.get(key)?.before ?? 0,
          run: null,
          sentAt: time,
        });
        break;
      }
    }
  }
  return {
    job,
    pairs,
    ended,
    damaged: [...damaged],
    latest,
    ...(plan ? { plan, sincePlan } : {}),
  };
}
