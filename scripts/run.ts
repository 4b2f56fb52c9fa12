#!/usr/bin/env -S deno run --allow-net --allow-read --allow-write --allow-sys=hostname --allow-env=TS_*,HOME,XDG_*,APPDATA,NO_COLOR,FORCE_COLOR,CLICOLOR_FORCE,HTTP*,ALL_PROXY,NO_PROXY,http*,all_proxy,no_proxy,UNDICI_*,JEST_WORKER_ID
/**
 * `run.ts`: launch one plugin on one or more reports.
 *
 *     run.ts coverageAnalysis 1234
 *     run.ts variantCaller 1234 1235 --config @vc.json --wait --timeout 2h
 *
 * @module
 */

import { main } from "./_cli/commands/run.ts";

if (import.meta.main) {
  Deno.exitCode = await main(Deno.args);
}
