#!/usr/bin/env -S deno run --allow-net --allow-read --allow-env=TS_*,HOME,XDG_*,APPDATA,NO_COLOR,FORCE_COLOR,CLICOLOR_FORCE,HTTP*,ALL_PROXY,NO_PROXY,http*,all_proxy,no_proxy,UNDICI_*,JEST_WORKER_ID
/**
 * `list.ts`: list a Torrent Suite server's plugins (the default) or reports.
 *
 *     list.ts                       launchable plugins
 *     list.ts plugins --all         every active plugin, enabled or not
 *     list.ts reports --status Completed --since 2026-01-01 --format csv > reports.csv
 *     list.ts reports --project BRCA_Research --chip-type 540 --no-thumbnails
 *
 * @module
 */

import { main } from "./_cli/commands/list.ts";

if (import.meta.main) {
  Deno.exitCode = await main(Deno.args);
}
