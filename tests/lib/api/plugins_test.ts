import assert from "node:assert/strict";
import { findPlugin, listPlugins } from "../../../lib/api/plugins.ts";
import { clientFor, simulator } from "../../_helpers.ts";

Deno.test("listPlugins() issues exactly one request", async () => {
  await using sim = await simulator();
  using client = await clientFor(sim);
  const plugins = await listPlugins(client);
  assert.equal(sim.requests.length, 1);
  assert.ok(plugins.every((p) => p.selected && p.active));
  const all = await listPlugins(client, { all: true });
  assert.ok(all.length > plugins.length, "some plugins are not enabled");
});

Deno.test("findPlugin() picks the highest active version of a name", async () => {
  await using sim = await simulator();
  using client = await clientFor(sim);
  const rows = sim.plugins() as { name: string; active: boolean }[];
  const counts = new Map<string, number>();
  for (const p of rows.filter((p) => p.active)) {
    counts.set(p.name, (counts.get(p.name) ?? 0) + 1);
  }
  const twoVersions = [...counts].find(([, n]) => n > 1)?.[0];
  assert.ok(twoVersions, "the simulator seeds one plugin with two versions");
  const found = await findPlugin(client, twoVersions);
  const versions = (await listPlugins(client, { all: true, name: twoVersions }))
    .map((p) => p.version);
  assert.equal(versions.length, 2);
  assert.equal(found?.version, versions[0]); // sorted newest first
  assert.equal(await findPlugin(client, "noSuchPlugin"), undefined);
});
