#!/usr/bin/env -S deno run --allow-net --allow-read --allow-write --allow-sys=hostname --allow-env=TS_*,HOME,XDG_*,APPDATA,NO_COLOR,FORCE_COLOR,CLICOLOR_FORCE,HTTP*,ALL_PROXY,NO_PROXY,http*,all_proxy,no_proxy,UNDICI_*,JEST_WORKER_ID
/**
 * `ionrun`: the toolkit as one command. Each subcommand is the code of the
 * standalone script of the same name (`ionrun bulk-run` is `bulk_run.ts`),
 * loaded when asked for, so that `ionrun --help` starts fast.
 *
 *     ionrun list reports --status Completed --format csv > reports.csv
 *     ionrun bulk-run reports.csv --plugin coverageAnalysis --wait
 *     ionrun status reports.csv --failed --format csv | ionrun bulk-run -
 *
 * @module
 */

import { VERSION } from "../lib/version.ts";
import { invocation } from "./_cli/program.ts";

/** The subcommands: what each does, and how it is loaded and run. */
const COMMANDS: Record<
  string,
  { what: string; main: () => Promise<(args: string[]) => Promise<number>> }
> = {
  list: {
    what: "list plugins, or reports (as CSV ready for bulk-run)",
    main: async () => {
      const m = await import("./_cli/commands/list.ts");
      return (args) => m.main(args, "ionrun list");
    },
  },
  run: {
    what: "launch a plugin on one or more reports",
    main: async () => {
      const m = await import("./_cli/commands/run.ts");
      return (args) => m.main(args, "ionrun run");
    },
  },
  "bulk-run": {
    what: "launch plugins on every report of a CSV, exactly once, paced",
    main: async () => {
      const m = await import("./_cli/commands/bulk_run.ts");
      return (args) => m.main(args, "ionrun bulk-run");
    },
  },
  status: {
    what: "newest run per report and plugin; follow, stop, logs, a page",
    main: async () => {
      const m = await import("./_cli/commands/status.ts");
      return (args) => m.main(args, "ionrun status");
    },
  },
  doctor: {
    what: "check the set-up: URL, TLS, credentials, reading, proxy, clock",
    main: async () => {
      const m = await import("./_cli/commands/doctor.ts");
      return (args) => m.main(args, "ionrun doctor");
    },
  },
  simulator: {
    what: "serve the built-in simulator of a Torrent Suite server",
    main: async () => {
      const m = await import("../simulator/main.ts");
      return (args) => m.main(args);
    },
  },
};

const HELP = `Usage: ionrun <command> [options]

Launch, follow and rerun Ion Torrent Torrent Suite plugins on many reports.

Commands:
${
  Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(10)} ${c.what}`)
    .join("\n")
}

Options:
  -V, --version  the version
  -h, --help     this help; "ionrun <command> --help" for a command's

Settings come from the environment (TS_URL, TS_USER, TS_API_KEY or
TS_PASSWORD, TS_CA_CERT, TS_SERVER), a .env file, or a server profile
(--server NAME); secrets never from flags.`;

/** Runs `ionrun` with the given arguments; returns the exit code. */
export async function main(args: string[]): Promise<number> {
  const [first, ...rest] = args;
  if (first === undefined) {
    console.error(HELP);
    return 2;
  }
  if (first === "-h" || first === "--help") {
    console.log(HELP);
    return 0;
  }
  if (first === "-V" || first === "--version") {
    console.log(VERSION);
    return 0;
  }
  const name = first === "help" ? rest[0] : first;
  const command = name === undefined ? undefined : COMMANDS[name];
  if (!command) {
    const near = nearest(name ?? "");
    console.error(
      `ionrun: unknown command "${name ?? ""}"${
        near ? `: did you mean "${near}"?` : ""
      } (commands: ${Object.keys(COMMANDS).join(", ")})`,
    );
    console.error('Run "ionrun --help" for usage.');
    return 2;
  }
  invocation.ionrun = true;
  const run = await command.main();
  return await run(first === "help" ? ["--help"] : rest);
}

/** The command nearest to a misspelling (`bulk_run`, `stauts`), if near. */
function nearest(word: string): string | undefined {
  const w = word.toLowerCase().replace("_", "-");
  let best: [string, number] | undefined;
  for (const c of Object.keys(COMMANDS)) {
    const d = distance(w, c);
    if (!best || d < best[1]) best = [c, d];
  }
  return best && best[1] <= 3 ? best[0] : undefined;
}

/** Levenshtein distance. */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const here = row[j]!;
      row[j] = Math.min(
        row[j]! + 1,
        row[j - 1]! + 1,
        prev + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
      prev = here;
    }
  }
  return row[b.length]!;
}

if (import.meta.main) {
  const code = await main(Deno.args);
  // The simulator serves until stopped; the others end with their work.
  Deno.exitCode = code;
}
