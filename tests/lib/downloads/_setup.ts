// What the downloads tests share: a simulator with finished runs, a client,
// a file session with the password, and a folder of their own.

import { clientFor, freshReports, simulator } from "../../_helpers.ts";
import { httpFor, type TsClient } from "../../../lib/http/mod.ts";
import { FileSession } from "../../../lib/downloads/mod.ts";
import type { Simulator, SimulatorOptions } from "../../../simulator/mod.ts";

/** A simulator, its clients and a temporary folder; dispose of it. */
export interface DownloadWorld extends AsyncDisposable {
  sim: Simulator;
  client: TsClient;
  files: FileSession;
  out: string;
  /** The reports that got a Completed run of the plugin, and those runs. */
  reports: number[];
  runs: Map<number, number>;
}

/**
 * A simulator with `n` fresh reports that each get a Completed run of
 * `plugin`.
 */
export async function downloadWorld(
  plugin: string,
  n: number,
  options: SimulatorOptions & { cookie?: boolean } = {},
): Promise<DownloadWorld> {
  const sim = await simulator({ reports: Math.max(60, n * 8), ...options });
  const client = await clientFor(sim);
  const user = sim.users[0]!;
  const files = new FileSession(
    httpFor({
      url: sim.url,
      purpose: "files",
      user: user.username,
      password: user.password,
    }),
    { cookie: options.cookie ?? true },
  );
  const reports = freshReports(sim, plugin, n);
  const runs = new Map(
    reports.map((report) => [
      report,
      sim.addRun({ report, plugin, state: "Completed" }),
    ]),
  );
  const out = await Deno.makeTempDir({ prefix: "ionrun-downloads-" });
  return {
    sim,
    client,
    files,
    out,
    reports,
    runs,
    async [Symbol.asyncDispose]() {
      await files.close();
      client.close();
      await sim.close();
      await Deno.remove(out, { recursive: true });
    },
  };
}
