import assert from "node:assert/strict";
import { pairStatuses } from "../../../lib/status/status.ts";
import { LOG_LIMIT, showLogs } from "../../../scripts/_cli/run_logs.ts";
import { clientFor, freshReports, simulator } from "../../_helpers.ts";

Deno.test("showLogs() reads at most LOG_LIMIT failed runs' logs unless all, with a password; only URLs with an API key", async () => {
  await using sim = await simulator({ reports: 400 });
  using client = await clientFor(sim);
  const reports = freshReports(sim, "igv", LOG_LIMIT + 3);
  for (const r of reports) sim.addPluginResult(r, "igv", "Error");
  const statuses = await pairStatuses(client, { reports, plugins: ["igv"] });
  const user = sim.users[1]!;
  const base = {
    url: sim.url,
    user: user.username,
    lines: 5,
    extraKeys: [],
    timeoutMs: 10_000,
    format: "json" as const,
  };
  const withPassword = {
    url: sim.url,
    user: user.username,
    password: user.password,
  };
  const some = await showLogs(withPassword, statuses, { ...base, all: false });
  assert.equal(some.size, LOG_LIMIT);
  for (const log of some.values()) {
    assert.equal(log.status, "ok", log.message);
    assert.ok(log.lines.length <= 5);
  }
  const all = await showLogs(withPassword, statuses, { ...base, all: true });
  assert.equal(all.size, reports.length);
  sim.clearLog();
  const keyOnly = await showLogs(
    { url: sim.url, user: user.username, apiKey: user.apiKey },
    statuses,
    { ...base, all: false },
  );
  for (const log of keyOnly.values()) {
    assert.equal(log.status, "needs-password");
    assert.match(log.url!, /\/drmaa_stdout\.txt$/);
  }
  assert.equal(sim.requests.length, 0, "nothing fetched with an API key");
});
