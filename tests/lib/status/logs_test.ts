import assert from "node:assert/strict";
import { createClient } from "../../../lib/http/client.ts";
import { launchPlugin } from "../../../lib/api/launch.ts";
import {
  createLogReader,
  isErrorLine,
  readRunLogs,
  runLogUrl,
} from "../../../lib/status/logs.ts";
import { waitForRuns } from "../../../lib/api/runs.ts";
import { pairStatuses } from "../../../lib/status/status.ts";
import {
  assertNoSecrets,
  clientFor,
  fakeTransport,
  freshReports,
  simulator,
} from "../../_helpers.ts";

Deno.test("readRunLogs() with a password reads the tail of a failed run's log, errors marked", async () => {
  await using sim = await simulator();
  using client = await clientFor(sim);
  const [a, b] = freshReports(sim, "igv", 2);
  sim.addPluginResult(a!, "igv", "Error");
  sim.addPluginResult(b!, "igv", "Failed Validation");
  const statuses = await pairStatuses(client, {
    reports: [a!, b!],
    plugins: ["igv"],
  });
  const user = sim.users[1]!;
  await using reader = await createLogReader({
    url: sim.url,
    user: user.username,
    password: user.password,
  });
  assert.ok(reader.canRead);
  sim.clearLog();
  const [failed, invalid] = await readRunLogs(reader, statuses, { lines: 8 });
  assert.equal(failed!.status, "ok", failed!.message);
  assert.equal(failed!.lines.length, 8);
  assert.ok(failed!.truncated);
  assert.match(failed!.lines.join("\n"), /ERROR: igv failed: /);
  assert.match(failed!.lines.at(-1)!, /ion-plugin-status --state Error/);
  assert.ok(failed!.errorLines.length >= 2, "the ERROR line and the exception");
  for (const i of failed!.errorLines) assert.ok(isErrorLine(failed!.lines[i]!));
  assert.equal(failed!.url, runLogUrl(statuses[0]!.url!));
  assert.equal(invalid!.status, "no-log");
  assert.match(invalid!.message, /failed validation/);
  const logRequests = sim.requests.filter((r) => r.path.startsWith("/output/"));
  assert.deepEqual(logRequests.map((r) => r.auth), ["basic", "basic"]);
});

Deno.test("readRunLogs() with only an API key asks for TS_PASSWORD and gives the URLs, sending nothing", async () => {
  await using sim = await simulator();
  using client = await clientFor(sim);
  const [a] = freshReports(sim, "igv", 1);
  sim.addPluginResult(a!, "igv", "Error");
  const statuses = await pairStatuses(client, {
    reports: [a!],
    plugins: ["igv"],
  });
  const user = sim.users[0]!;
  await using reader = await createLogReader({
    url: sim.url,
    user: user.username,
    apiKey: user.apiKey,
  });
  assert.ok(!reader.canRead);
  assert.match(reader.needs, /^run logs need TS_PASSWORD: .*not an API key/);
  sim.clearLog();
  const [log] = await readRunLogs(reader, statuses);
  assert.equal(log!.status, "needs-password");
  assert.equal(log!.url, statuses[0]!.logUrl);
  assert.match(log!.url!, /\/plugin_out\/igv_out\.\d+\/drmaa_stdout\.txt$/);
  assert.equal(sim.requests.length, 0);
  // What the server does with an API key there: the login page, never a log.
  const res = await fetch(log!.url!, {
    headers: { Authorization: `ApiKey ${user.username}:${user.apiKey}` },
    redirect: "manual",
  });
  await res.body?.cancel();
  assert.equal(res.status, 302);
  assert.match(res.headers.get("location")!, /\/login\/\?next=/);
});

Deno.test("LogReader.tail() says a wrong password is refused (the login page is no log)", async () => {
  await using sim = await simulator();
  using client = await clientFor(sim);
  const [a] = freshReports(sim, "igv", 1);
  sim.addPluginResult(a!, "igv", "Error");
  const [status] = await pairStatuses(client, {
    reports: [a!],
    plugins: ["igv"],
  });
  await using reader = await createLogReader({
    url: sim.url,
    user: "ionuser",
    password: "not-the-password",
  });
  const log = await reader.tail(status!);
  assert.equal(log.status, "refused");
  assert.deepEqual(log.lines, []);
  assert.match(log.message, /login page: the password of user "ionuser"/);
  assert.ok(!log.message.includes("not-the-password"));
});

Deno.test("LogReader.tail() redacts a password a plugin printed into its log", async () => {
  await using sim = await simulator({ failureRate: 1, runMs: 20 });
  using client = await clientFor(sim);
  const [a] = freshReports(sim, "igv", 1);
  const planted = "pl4nted-S3cret";
  const { run } = await launchPlugin(client, { report: a!, plugin: "igv" }, {
    config: { "user_password": planted, server: "ts2", "api_token": planted },
  });
  await waitForRuns(client, [run!.id], { pollMs: 20, timeoutMs: 10_000 });
  const [status] = await pairStatuses(client, {
    reports: [a!],
    plugins: ["igv"],
  });
  assert.equal(status!.state, "Error");
  const user = sim.users[1]!;
  await using reader = await createLogReader({
    url: sim.url,
    user: user.username,
    password: user.password,
  });
  const log = await reader.tail(status!, { lines: 500 });
  assert.equal(log.status, "ok", log.message);
  const text = log.lines.join("\n");
  assert.ok(!text.includes(planted), text);
  assert.match(text, /user_password=\[redacted\]/);
  assert.match(text, /server=ts2/);
  // The raw file on the server does hold it (so the redaction did the work).
  const raw = await fetch(log.url!, {
    headers: { Authorization: `Basic ${btoa("ionuser:ionuser")}` },
  });
  assert.ok((await raw.text()).includes(planted));
  assertNoSecrets(sim, text);
});

Deno.test("LogReader.tail() never passes a login page (or any HTML) on as a log", async () => {
  const login =
    `<!DOCTYPE html><html><head><title>Torrent Suite - Sign In</title></head><body>
<form method="post" action="/login/" id="login_form"><input type="password" name="password"></form></body></html>`;
  const answers = [
    {
      status: 200,
      body: login,
      headers: { "content-type": "text/html; charset=utf-8" },
    },
    {
      status: 302,
      body: "",
      headers: { location: "https://ts/login/?next=/output/x" },
    },
    {
      status: 200,
      body: "<html><body>Index of /output</body></html>",
      headers: { "content-type": "text/html" },
    },
    {
      status: 206,
      body: "cut line\nlast line\n",
      headers: {
        "content-type": "text/plain",
        "content-range": "bytes 100-119/120",
      },
    },
  ];
  const transport = fakeTransport((_r, i) => answers[i]!);
  await using reader = await createLogReader({
    url: "https://ts",
    user: "ionuser",
    password: "pw",
    transport,
  });
  const target = {
    report: 1,
    plugin: "igv",
    id: 7,
    url: "https://ts/output/Home/R_001/plugin_out/igv_out.7/",
  };
  const page = await reader.tail(target);
  assert.equal(page.status, "refused");
  assert.deepEqual(page.lines, []);
  assert.equal((await reader.tail(target)).status, "refused");
  const listing = await reader.tail(target);
  assert.equal(listing.status, "no-log");
  assert.deepEqual(listing.lines, []);
  const ranged = await reader.tail(target);
  assert.deepEqual(
    ranged.lines,
    ["last line"],
    "a tail fetched with Range drops its cut first line",
  );
  assert.ok(ranged.truncated);
  assert.match(
    transport.requests[0]!.url.href,
    /igv_out\.7\/drmaa_stdout\.txt$/,
  );
});

Deno.test("LogReader.tail() hides the user's own password and API key wherever a plugin printed them, and --redact-style extra keys", async () => {
  const password = "Lab-pw-7731!";
  const apiKey = "feedc0de".repeat(5);
  await using sim = await simulator({
    failureRate: 1,
    runMs: 20,
    users: [
      { username: "ionadmin", password: "ionadmin", apiKey: "a".repeat(40) },
      { username: "labtech", password, apiKey },
    ],
  });
  const admin = sim.users[0]!;
  using client = await createClient({
    url: sim.url,
    user: admin.username,
    apiKey: admin.apiKey,
  });
  const [a] = freshReports(sim, "igv", 1);
  // Under names no rule knows: only the literal match can catch them.
  const { run } = await launchPlugin(client, { report: a!, plugin: "igv" }, {
    config: { remote: `labtech/${password}`, note: `key ${apiKey}`, pin: 4321 },
  });
  await waitForRuns(client, [run!.id], { pollMs: 20, timeoutMs: 10_000 });
  const [status] = await pairStatuses(client, {
    reports: [a!],
    plugins: ["igv"],
  });
  await using reader = await createLogReader({
    url: sim.url,
    user: "labtech",
    password,
    apiKey,
    redact: { extraKeys: ["pin"] },
  });
  const log = await reader.tail(status!, { lines: 500 });
  assert.equal(log.status, "ok", log.message);
  const text = log.lines.join("\n");
  assert.ok(!text.includes(password) && !text.includes(apiKey), text);
  assert.match(text, /^ {2}remote=labtech\/\[redacted\]$/m);
  assert.match(text, /^ {2}note=key \[redacted\]$/m);
  assert.match(text, /^ {2}pin=\[redacted\]$/m);
});
