#!/usr/bin/env -S deno run --allow-net --allow-read --allow-write --allow-sys=hostname --allow-env=TS_*,HOME,XDG_*,APPDATA,NO_COLOR,FORCE_COLOR,CLICOLOR_FORCE,HTTP*,ALL_PROXY,NO_PROXY,http*,all_proxy,no_proxy,UNDICI_*,JEST_WORKER_ID
/**
 * `bulk_run.ts`: launch plugins on every report of a CSV, exactly once.
 *
 *     bulk_run.ts reports.csv --plugin coverageAnalysis --concurrency 8 --wait
 *     status.ts runs.csv --failed --format csv | bulk_run.ts -
 *
 * @module
 */

import { main } from "./_cli/commands/bulk_run.ts";

if (import.meta.main) {
  Deno.exitCode = await main(Deno.args);
}
