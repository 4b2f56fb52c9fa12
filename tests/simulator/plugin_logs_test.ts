// Tests of the content of the runs' drmaa_stdout.txt: progress while
// running, a traceback on Error, the config printed (secrets included).

import assert from "node:assert/strict";
import { type Simulator, startSimulator } from "../../simulator/mod.ts";
import { API, call, type Json, launch, U } from "./_helpers.ts";

const BASIC = { Authorization: `Basic ${btoa(`${U.username}:${U.password}`)}` };

async function logOf(sim: Simulator, id: number) {
  const run = (await call(sim, `${API}pluginresult/${id}/`)).json();
  return await call(sim, `${run.URL}drmaa_stdout.txt`, {}, BASIC);
}

Deno.test("plugin logs: none while queued, growing while running, a traceback on Error", async () => {
  let t = Date.UTC(2024, 4, 1);
  await using sim = await startSimulator({
    reports: 5,
    slots: 1,
    queuedMs: 0,
    failureRate: 1,
    pluginRunMs: { variantCaller: 60_000 },
    runSpread: 0,
    now: () => t,
  });
  await launch(sim, 1, {
    plugin: "variantCaller",
    pluginconfig: { "user_password": "s3cret", threshold: 3 },
  });
  await launch(sim, 2, { plugin: "igv" });
  const [vc, igv] = sim.launches.map((l) => l.pluginResultId!);
  assert.equal((await logOf(sim, igv!)).status, 404, "queued: no file yet");
  t += 20_000;
  const partial = (await logOf(sim, vc!)).text;
  assert.match(partial, /^ {2}user_password=s3cret$/m);
  assert.match(partial, /^ {2}threshold=3$/m);
  assert.match(partial, /\[2024-05-01 00:00:08\] Reading BAM files/);
  assert.doesNotMatch(partial, /ERROR|Traceback/);
  t += 60_000;
  const full = (await logOf(sim, vc!)).text;
  assert.ok(full.startsWith(partial.trimEnd()), "the file grew");
  const tail = full.trimEnd().split("\n").slice(-8).join("\n");
  assert.match(tail, /^\[2024-05-01 00:01:00\] ERROR: variantCaller failed: /m);
  assert.match(tail, /^Traceback \(most recent call last\):$/m);
  assert.match(tail, /ion-plugin-status --state Error$/);
  await launch(sim, 3, { plugin: "igv", pluginconfig: { invalid: 1 } });
  assert.equal(
    (await logOf(sim, sim.launches.at(-1)!.pluginResultId!)).status,
    404,
    "Failed Validation: never submitted",
  );
});

Deno.test("plugin logs: seeded finished runs have one, in legacy <Name>_out folders too", async () => {
  await using sim = await startSimulator({ reports: 400 });
  const runs = sim.pluginResults() as Json[];
  const done = runs.find((r) =>
    r.state === "Completed" && /\.\d+\/$/.test(r.URL)
  )!;
  const log = (await logOf(sim, done.id)).text;
  assert.match(log, /completed successfully/);
  const legacy = runs.filter((r) => /_out\/$/.test(r.URL));
  assert.ok(legacy.length > 0, "some runs from before the .<id> folders");
  const old = legacy.find((r) => r.state !== "Failed Validation")!;
  assert.ok(old.path.endsWith(`/plugin_out/${old.pluginName}_out`));
  assert.equal((await logOf(sim, old.id)).status, 200);
});

Deno.test("plugin logs: every log holds a secret (the run's own API key in its runinfo line); a seeded failed one ends with its error", async () => {
  await using sim = await startSimulator({ reports: 200 });
  const runs = sim.pluginResults() as Json[];
  const done = runs.find((r) => r.state === "Completed")!;
  const log = (await logOf(sim, done.id)).text;
  const key =
    /^\[[^\]]+\] runinfo: \{.*"pluginresult": (\d+), "api_key": "([0-9a-f]{40})"/m
      .exec(log);
  assert.ok(key, `the runinfo line carries the run's key:\n${log}`);
  assert.equal(Number(key[1]), done.id);
  const other = runs.find((r) => r.state === "Completed" && r.id !== done.id)!;
  assert.ok(
    !(await logOf(sim, other.id)).text.includes(key[2]!),
    "each run has its own key",
  );
  const failed = runs.find((r) => r.state === "Error")!;
  const lines = (await logOf(sim, failed.id)).text.trimEnd().split("\n");
  assert.match(lines.at(-1)!, /ion-plugin-status --state Error$/);
  assert.ok(
    lines.slice(-8).some((l) => /ERROR: .* failed: /.test(l)),
    lines.join("\n"),
  );
});
