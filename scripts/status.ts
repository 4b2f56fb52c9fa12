#!/usr/bin/env -S deno run --allow-net --allow-read --allow-write --allow-sys=hostname --allow-env=TS_*,HOME,XDG_*,APPDATA,NO_COLOR,FORCE_COLOR,CLICOLOR_FORCE,HTTP*,ALL_PROXY,NO_PROXY,http*,all_proxy,no_proxy,UNDICI_*,JEST_WORKER_ID
/**
 * `status.ts`: the newest run of each (report, plugin) pair; why the failed
 * ones failed (their logs); follow, stop, or publish them as an HTML page.
 *
 *     status.ts runs.csv                       every plugin that ran on them
 *     status.ts --report 1234 --report 1235 --plugin coverageAnalysis
 *     status.ts runs.csv --failed --log        the failed runs' logs
 *     status.ts runs.csv --failed --format csv | bulk_run.ts -
 *     status.ts runs.csv --wait --html status.html --html-refresh 30
 *
 * @module
 */

import { main } from "./_cli/commands/status.ts";

if (import.meta.main) {
  Deno.exitCode = await main(Deno.args);
}
