// Simulator internals: `GET pluginresult/<pk>/stop/`.
//
// TS (dbReports/iondb/bin/ionPlugin.py `sgeStop`) terminates each SGE job
// and waits up to 20 s for it (`_session.wait(jobid, timeout=20)`); the
// view then marks every job with a grid-engine id `Cancelled`, finished
// ones too. The SGE epilog of a killed job may PATCH its state to `Error`
// (exit 143) instead. A stopped job frees its slot at once.

import { RUNNING_STATES } from "../lib/states.ts";
import type { Reply, Req, RouteContext } from "./types.ts";
import { chance } from "./data.ts";
import { wait } from "./launch.ts";
import { SALT } from "./queue.ts";
import { canned, empty, numericPk } from "./replies.ts";
import { jobNow } from "./store.ts";

/** Stops a run's jobs; answers 204 after `stopMs` per running job. */
export async function stop(
  ctx: RouteContext,
  req: Req,
  pk: string,
): Promise<Reply> {
  const pr = ctx.store.prById.get(numericPk(pk));
  if (!pr) return canned(404);
  const running = pr.jobs.filter((j) =>
    j.gridEngineJobId > 0 && jobNow(j, req.now).state === "Started"
  );
  const s = ctx.settings;
  if (s.stopMs > 0 && running.length) {
    await wait(s.stopMs * running.length, ctx.closing);
  }
  const now = ctx.now();
  ctx.queue.advance(now);
  for (const job of pr.jobs) {
    if (job.gridEngineJobId <= 0) continue;
    const cur = jobNow(job, now);
    const killed = cur.state === "Started";
    if (job.life) ctx.queue.remove(job);
    job.life = null;
    job.state =
      killed && chance(s.seed, SALT.stopError, job.id) < s.stopErrorRate
        ? "Error"
        : "Cancelled";
    job.starttime = cur.start;
    job.endtime = RUNNING_STATES.includes(cur.state) ? now : cur.end ?? now;
    job.gridEngineJobId = -1;
  }
  ctx.store.onChange();
  return empty(204);
}
