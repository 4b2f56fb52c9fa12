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
import { type CommandIO, denoIO } from "./_cli/io.ts";
import { eprint, print, write } from "./_cli/output.ts";
import type { Command } from "commander";
import { type Invocation, invocationOf } from "./_cli/program.ts";
import { completionScript, SHELLS } from "./_cli/completion.ts";

/** A command's entry point: its arguments and io in, its exit code out. */
type Main = (args: string[], io: CommandIO) => Promise<number>;

/** A command's module: its entry point and, but for the simulator, its program. */
type Module = {
  main: Main;
  program?: (run: Invocation) => Command;
};

/**
 * The subcommands, in the order of the help: name, one line of what it
 * does, and its module, imported only when the command is run.
 */
const COMMANDS: readonly {
  name: string;
  what: string;
  script?: string;
  load: () => Promise<Module>;
}[] = [
  {
    name: "list",
    script: "list.ts",
    what: "list plugins, or reports (as CSV ready for bulk-run)",
    load: () => import("./list.ts"),
  },
  {
    name: "run",
    script: "run.ts",
    what: "launch a plugin on one or more reports",
    load: () => import("./run.ts"),
  },
  {
    name: "bulk-run",
    script: "bulk_run.ts",
    what: "launch plugins on every report of a CSV, exactly once, paced",
    load: () => import("./bulk_run.ts"),
  },
  {
    name: "status",
    script: "status.ts",
    what: "newest run per report and plugin; follow, stop, logs, a page",
    load: () => import("./status.ts"),
  },
  {
    name: "results",
    script: "results.ts",
    what: "one QC table across reports from the plugin runs' results",
    load: () => import("./results.ts"),
  },
  {
    name: "download",
    script: "download.ts",
    what: "a plugin's output files from many reports, verified, resumable",
    load: () => import("./download.ts"),
  },
  {
    name: "doctor",
    script: "doctor.ts",
    what: "check the set-up: URL, TLS, credentials, reading, proxy, clock",
    load: () => import("./doctor.ts"),
  },
  {
    name: "simulator",
    what: "serve the built-in simulator of a Torrent Suite server",
    load: async () => {
      const m = await import("../simulator/main.ts");
      return { main: (args) => m.main(args) };
    },
  },
];

const HELP = `Usage: ionrun <command> [options]

Launch, follow and rerun Ion Torrent Torrent Suite plugins on many reports.

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(10)} ${c.what}`).join("\n")}

  completion  shell completion: ionrun completion bash|zsh|fish

Options:
  -V, --version  the version
  -h, --help     this help; "ionrun <command> --help" for a command's

Settings come from the environment (TS_URL, TS_USER, TS_API_KEY or
TS_PASSWORD, TS_CA_CERT, TS_SERVER), a .env file, or a server profile
(--server NAME); secrets never from flags.

Examples:
  ionrun doctor
  ionrun list reports --status Completed --since 7d --format csv > reports.csv
  ionrun bulk-run reports.csv --plugin coverageAnalysis --wait
  ionrun status reports.csv --failed --format csv | ionrun bulk-run -
  source <(ionrun completion bash)`;

/**
 * Runs `ionrun` with the given arguments; returns the exit code.
 *
 * @param args The arguments after `ionrun`.
 * @param io Streams, environment and terminal (default the real ones).
 */
export async function main(
  args: string[],
  io: CommandIO = denoIO,
): Promise<number> {
  const [first, ...rest] = args;
  if (first === undefined) {
    eprint(io, HELP);
    return 2;
  }
  if (
    first === "-h" || first === "--help" ||
    (first === "help" && rest.length === 0)
  ) {
    print(io, HELP);
    return 0;
  }
  if (first === "-V" || first === "--version") {
    print(io, VERSION);
    return 0;
  }
  if (first === "completion") return await completion(rest, io);
  const name = first === "help" ? rest[0] : first;
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    const near = nearest(name ?? "");
    eprint(
      io,
      `ionrun: unknown command "${name ?? ""}"${
        near ? `: did you mean "${near}"?` : ""
      } (commands: ${COMMANDS.map((c) => c.name).join(", ")})`,
    );
    eprint(io, 'Run "ionrun --help" for usage.');
    return 2;
  }
  const { main } = await command.load();
  return await main(first === "help" ? ["--help"] : rest, {
    ...io,
    ionrun: true,
  });
}

/** `ionrun completion bash|zsh|fish`: the script, from the command tree. */
async function completion(args: string[], io: CommandIO): Promise<number> {
  const shell = SHELLS.find((s) => s === args[0]);
  if (!shell || args.length > 1) {
    eprint(
      io,
      `ionrun completion: give one shell: ${
        SHELLS.join(", ")
      } (e.g. source <(ionrun completion bash))`,
    );
    return 2;
  }
  const tree = await Promise.all(COMMANDS.map(async (c) => {
    const m = c.script ? await c.load() : undefined;
    const program = m?.program && c.script
      ? m.program(invocationOf(c.script, [], { ...io, ionrun: true }))
      : undefined;
    return { name: c.name, what: c.what, ...(program ? { program } : {}) };
  }));
  write(io.stdout, completionScript(shell, tree));
  return 0;
}

/** The command nearest to a misspelling (`bulk_run`, `stauts`), if near. */
function nearest(word: string): string | undefined {
  const w = word.toLowerCase().replace("_", "-");
  let best: [string, number] | undefined;
  for (const { name: c } of COMMANDS) {
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
