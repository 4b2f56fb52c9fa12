import assert from "node:assert/strict";
import { runDoctor } from "../../../lib/doctor/doctor.ts";
import { filesCheck } from "../../../lib/doctor/_files.ts";
import { freshReports, simulator } from "../../_helpers.ts";

const noProxy = () => undefined;

Deno.test("runDoctor() with a password reads a run's file: which path works, the session cookie, Range and ETag", async () => {
  await using sim = await simulator({ reports: 10 });
  const user = sim.users[1]!;
  const [report] = freshReports(sim, "sampleID", 1);
  sim.addRun({ report: report!, plugin: "sampleID", state: "Completed" });
  sim.clearLog();
  const r = await runDoctor(
    { url: sim.url, user: user.username, password: user.password },
    { getEnv: noProxy },
  );
  const files = r.checks.find((c) => c.id === "files")!;
  assert.equal(files.status, "pass", files.detail);
  assert.equal(
    files.detail,
    "a run's files read by /output/ with the password, then its session cookie and /auth/output/ with Basic; Range and ETag honoured: cut downloads resume",
  );
  const fileRequests = sim.requests.filter((q) => q.path.includes("/output/"));
  assert.equal(
    fileRequests.filter((q) => q.path.startsWith("/auth/")).length,
    1,
    "one request on /auth/",
  );
  assert.ok(fileRequests.length <= 5, `${fileRequests.length} file requests`);
  assert.ok(fileRequests.some((q) => q.auth === "session"));
  assert.ok(r.ok);
  const keyOnly = await runDoctor(
    { url: sim.url, user: user.username, apiKey: user.apiKey },
    { getEnv: noProxy },
  );
  assert.ok(
    !keyOnly.checks.some((c) => c.id === "files"),
    "no password: not a check",
  );
});

Deno.test("filesCheck() fails a refused password with the fix, and passes a log that is not there with why", async () => {
  await using sim = await simulator({
    reports: 10,
    fileFaults: { archivedRate: 1 },
  });
  const user = sim.users[1]!;
  const [report] = freshReports(sim, "sampleID", 1);
  const run = sim.addRun({
    report: report!,
    plugin: "sampleID",
    state: "Completed",
  });
  const url = (sim.pluginResults({ report: report!, plugin: "sampleID" }) as {
    id: number;
    URL: string;
  }[]).find((p) => p.id === run)!.URL;
  const refused = await filesCheck(
    { url: sim.url, user: user.username, password: "wrong" },
    sim.url,
    url,
    { timeoutMs: 5000 },
  );
  assert.equal(refused.status, "fail");
  assert.match(refused.fix!, /TS_USER and TS_PASSWORD/);
  const archived = await filesCheck(
    { url: sim.url, user: user.username, password: user.password },
    sim.url,
    url,
    { timeoutMs: 5000 },
  );
  assert.equal(archived.status, "pass");
  assert.match(
    archived.detail,
    /not checked: .*404.*archived by Data Management\?/,
  );
  assert.ok(!JSON.stringify([refused, archived]).includes(user.password));
});
