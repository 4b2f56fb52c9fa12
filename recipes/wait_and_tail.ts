#!/usr/bin/env -S deno run -A
// Follows one run to its end, then prints its state, its output folder's
// URL and, if it did not complete, the last lines of its log:
// wait_and_tail.ts 5120
// Logs sit behind the web login: they need TS_USER and TS_PASSWORD.
import { createClient, createLogReader, loadConfig, waitForRuns } from "ionrun";

const id = Number(Deno.args[0]);
if (!Number.isInteger(id) || id <= 0) {
  console.error("usage: wait_and_tail.ts RUN_ID");
  Deno.exit(2);
}
try {
  const config = await loadConfig();
  using client = await createClient(config);
  const { runs, missing } = await waitForRuns(client, [id], { pollMs: 10_000 });
  const run = runs.get(id);
  if (!run || missing.length > 0) throw new Error(`run ${id} does not exist`);
  console.log(
    `run ${id} (${run.pluginName} on ${run.resultName}): ${run.state}`,
  );
  // The output folder (URL is a web path on the server).
  const url = run.URL ? new URL(run.URL, `${client.baseUrl}/`).href : null;
  console.log(`output: ${url ?? "none"}`);
  if (run.state === "Completed") Deno.exit(0);
  await using reader = await createLogReader(config);
  const report = Number(/\/results\/(\d+)\/?$/.exec(run.result)?.[1]);
  const log = await reader.tail({ report, plugin: run.pluginName, id, url });
  console.log(log.lines.join("\n") || log.message);
  Deno.exit(1);
} catch (error) {
  console.error(`error: ${error instanceof Error ? error.message : error}`);
  Deno.exit(1);
}
