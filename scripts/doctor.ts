#!/usr/bin/env -S deno run --allow-net --allow-read --allow-env=TS_*,HOME,XDG_*,APPDATA,NO_COLOR,FORCE_COLOR,CLICOLOR_FORCE,HTTP*,ALL_PROXY,NO_PROXY,http*,all_proxy,no_proxy,UNDICI_*,JEST_WORKER_ID
/**
 * `doctor.ts`: checks the connection to a Torrent Suite server, in order,
 * and prints a checklist with a fix for each failure.
 *
 *     doctor.ts                       with TS_URL, TS_USER, TS_API_KEY…
 *     doctor.ts --url https://ts.example.org --format json
 *
 * @module
 */

import { main } from "./_cli/commands/doctor.ts";

if (import.meta.main) {
  Deno.exitCode = await main(Deno.args);
}
