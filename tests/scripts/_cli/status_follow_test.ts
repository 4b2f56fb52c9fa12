import assert from "node:assert/strict";
import { launchPlugin } from "../../../lib/api/launch.ts";
import { pairStatuses } from "../../../lib/status/status.ts";
import {
  finalProgress,
  follow,
  pageWriter,
} from "../../../scripts/_cli/status_follow.ts";
import { clientFor, freshReports, simulator } from "../../_helpers.ts";

Deno.test("follow() rewrites the page at every poll (never half-written) and returns the final states; finalProgress() says how far", async () => {
  await using sim = await simulator({
    failureRate: 1,
    pluginRunMs: { igv: 400 },
  });
  using client = await clientFor(sim);
  const [a, b] = freshReports(sim, "igv", 2);
  await launchPlugin(client, { report: a!, plugin: "igv" });
  sim.addPluginResult(b!, "igv", "Completed");
  const dir = await Deno.makeTempDir();
  const html = `${dir}/page.html`;
  const statuses = await pairStatuses(client, {
    reports: [a!, b!],
    plugins: ["igv"],
  });
  const writes: string[] = [];
  const real = pageWriter(client, { html, holes: "never", refreshSeconds: 7 });
  const page = {
    async write(...args: Parameters<typeof real.write>) {
      await real.write(...args);
      writes.push(await Deno.readTextFile(html));
    },
  };
  const final = await follow(client, statuses, {
    timeoutMs: 10_000,
    pollMs: 50,
    staleAfterMs: 25 * 3_600_000,
    html,
  }, page);
  assert.deepEqual(
    final.map((s) => s.state),
    ["Error", "Completed"],
  );
  assert.ok(writes.length >= 2, `${writes.length} writes`);
  for (const w of writes) {
    assert.match(w, /^<!doctype html>/i);
    assert.match(w, /<\/html>\s*$/);
    assert.match(w, /data-final="false"/);
    assert.match(w, /http-equiv="refresh" content="7"/);
  }
  assert.match(writes[0]!, /Following: 0 of 1 run\(s\) finished/);
  assert.deepEqual(finalProgress(final), { done: 2, total: 2, final: true });
  const still = finalProgress(statuses);
  assert.equal(still.done, 1);
  assert.match(still.note!, /1 run\(s\) still running/);
  const leftovers = (await Array.fromAsync(Deno.readDir(dir))).map((e) =>
    e.name
  );
  assert.deepEqual(leftovers, ["page.html"], "no temporary file left");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("pageWriter() without a file writes nothing", async () => {
  await using sim = await simulator({ reports: 3 });
  using client = await clientFor(sim);
  // The working folder is looked at, not changed: Deno.chdir would move
  // the tests of other files running in this process at the same time.
  const names = async () =>
    (await Array.fromAsync(Deno.readDir(Deno.cwd()))).map((e) => e.name)
      .sort();
  const before = await names();
  await pageWriter(client, { holes: "never" }).write([], undefined);
  assert.deepEqual(await names(), before);
});
