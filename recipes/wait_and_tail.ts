#!/usr/bin/env -S deno run -A
// Follows one run to its end, then prints its state and, if it did not
// complete, the last lines of its log: wait_and_tail.ts 5120
// Logs sit behind the web login: they need TS_USER and TS_PASSWORD.
import {
  createClient,
  createLogReader,
  loadConfig,
  pairStatuses,
  waitForRuns,
} from "ionrun";

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
  if (run.state === "Completed") Deno.exit(0);
  const report = Number(/\/results\/(\d+)\/?$/.exec(run.result)?.[1]);
  const [status] = (await pairStatuses(client, {
    reports: [report],
    plugins: [run.pluginName],
  })).filter((s) => s.id === id);
  await using reader = await createLogReader(config);
  const log = await reader.tail({ ...status!, id, plugin: run.pluginName });
  console.log(log.lines.join("\n") || log.message);
  Deno.exit(1);
} catch (error) {
  console.error(`error: ${error instanceof Error ? error.message : error}`);
  Deno.exit(1);
}
