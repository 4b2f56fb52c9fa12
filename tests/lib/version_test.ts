import assert from "node:assert/strict";
import { VERSION } from "../../lib/version.ts";
import { clientFor, simulator } from "../_helpers.ts";

Deno.test("VERSION is the version deno.json publishes", async () => {
  const config = JSON.parse(
    await Deno.readTextFile(new URL("../../deno.json", import.meta.url)),
  ) as { version: string };
  assert.equal(VERSION, config.version);
  assert.match(VERSION, /^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/);
});

Deno.test("the client sends VERSION in its User-Agent header", async () => {
  await using sim = await simulator({ reports: 3 });
  using client = await clientFor(sim);
  await client.get("plugin/", { params: { limit: 1 } });
  assert.equal(sim.requests.length, 1);
  assert.match(
    sim.requests[0]!.headers["user-agent"]!,
    new RegExp(`^ionrun/${VERSION.replaceAll(".", "\\.")} \\(Deno `),
  );
});
