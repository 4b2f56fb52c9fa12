// The scripts' program plumbing: the common flags, the client they build,
// exit codes, how errors are reported, and Ctrl-C. Not part of the library.

import { Command, CommanderError, Option } from "commander";
import {
  type ClientOptions,
  createClient,
  proxyFor,
  redactUrl,
  type TsClient,
} from "../../lib/http/mod.ts";
import {
  basicPasswordProblem,
  type ConfigFlags,
  loadConfig,
} from "../../lib/config.ts";
import {
  ApiError,
  AuthError,
  FilterNotAppliedError,
  formatProblem,
  InputError,
  JobLockedError,
  JournalWriteError,
  NetworkError,
  PaginationError,
  UsageError,
} from "../../lib/errors.ts";
import { VERSION } from "../../lib/version.ts";
import { positiveNumber } from "./flags.ts";
import { eprint as say, useColor, write } from "./output.ts";
import {
  type CommandIO,
  commandName,
  configSources,
  denoIO,
  spokenAs,
} from "./io.ts";

/** Problems of an input listed at most; the rest are counted. */
export const MAX_PROBLEMS = 50;

/** Exit codes shared by every script. */
export const EXIT = {
  ok: 0,
  failed: 1,
  usage: 2,
  auth: 3,
  interrupted: 130,
  brokenPipe: 141,
} as const;

/**
 * One run of a command: what it talks to, the name it is called by (`list.ts`
 * or `ionrun list`), its arguments, and the exit code its action sets.
 */
export interface Invocation {
  /** Streams, environment, terminal; whether started as `ionrun <command>`. */
  readonly io: CommandIO;
  /** `list.ts`, or `ionrun list`. */
  readonly name: string;
  /** The arguments after the command's name. */
  readonly args: readonly string[];
  /** The script: `list.ts`. */
  readonly script: string;
  /** Set by the command's action; 0 unless it says otherwise. */
  exitCode: number;
}

/** An invocation of the script `script` (`list.ts`) with these arguments. */
export function invocationOf(
  script: string,
  args: readonly string[],
  io: CommandIO = denoIO,
): Invocation {
  return {
    io,
    name: commandName(io, script),
    args,
    script,
    exitCode: EXIT.ok,
  };
}

/** Text appended to every script's --help. */
export const ENV_HELP = `
Environment (also read from a .env file in the working directory; set
variables win):
  TS_URL        server base URL, e.g. https://ts.example.org (a trailing
                /rundb/api/v1/ is fine)
  TS_USER       user name
  TS_API_KEY    API key (preferred; shown on the server at /configure/account/)
  TS_PASSWORD   password, used for HTTP Basic when TS_API_KEY is not set
  TS_CA_CERT    PEM file of the server's CA or self-signed certificate
  TS_SERVER     a server profile of ~/.config/ionrun/servers.json (url, user,
                CA and where the secret comes from; see the README)
  NO_COLOR      disable colors
  HTTPS_PROXY, HTTP_PROXY, ALL_PROXY, NO_PROXY
                honoured (from the environment only)
Secrets are read only from the environment or .env, never from flags, and
never printed.`;

/** Widest line of a help. */
export const HELP_WIDTH = 80;

/**
 * Wraps the lines of a help wider than `width` at spaces: an option's or
 * command's description continues under its description column, other
 * lines under their own indent.
 */
export function wrapHelp(text: string, width = HELP_WIDTH): string {
  return text.split("\n").map((line) => {
    if (line.length <= width) return line;
    const column = /^(\s+\S.*?\s{2,})\S/.exec(line)?.[1]?.length;
    const indent = " ".repeat(
      column !== undefined && column < width / 2
        ? column
        : /^\s*/.exec(line)![0].length,
    );
    const out: string[] = [];
    let rest = line;
    while (rest.length > width) {
      let at = rest.lastIndexOf(" ", width);
      if (at <= indent.length) at = rest.indexOf(" ", width);
      if (at < 0) break;
      out.push(rest.slice(0, at).trimEnd());
      rest = indent + rest.slice(at + 1).trimStart();
    }
    out.push(rest);
    return out.join("\n");
  }).join("\n");
}

/**
 * The "Examples:" of each command's help, by script; written as the
 * script's name, said as `ionrun <command>` under ionrun.
 */
const EXAMPLES: Record<string, string> = {
  "list.ts": `
  list.ts                      the launchable plugins
  list.ts reports --status Completed --since 7d --format csv > reports.csv
  list.ts reports --name-contains chip_123 --wide`,
  "run.ts": `
  run.ts coverageAnalysis 1234
  run.ts --plugin variantCaller --report 1234 --report 1235 --wait
  run.ts variantCaller 1234 --config @vc.json --dry-run`,
  "bulk_run.ts": `
  bulk_run.ts reports.csv --plugin coverageAnalysis --dry-run
  bulk_run.ts reports.csv --plugin variantCaller --wait --yes
  status.ts reports.csv --failed --format csv | bulk_run.ts -`,
  "status.ts": `
  status.ts reports.csv.journal.ndjson --wait
  status.ts reports.csv --plugin sampleID --failed --format csv > failed.csv
  status.ts reports.csv --html status.html`,
  "results.ts": `
  results.ts reports.csv --plugin coverageAnalysis
  results.ts reports.csv --plugin coverageAnalysis,sampleID --format csv
  results.ts reports.csv --plugin coverageAnalysis --flag 'uniformity_pct<90'`,
  "download.ts": `
  download.ts reports.csv --plugin variantCaller --out vcfs --dry-run
  download.ts reports.csv --plugin variantCaller --out vcfs
  download.ts --out vcfs --verify`,
  "doctor.ts": `
  doctor.ts
  doctor.ts --server tower
  doctor.ts --url https://ts.example.org --format json`,
};

/** Adds the "Examples:" of the script `script` to its help (and its commands'). */
export function addExamples(program: Command, script: string): void {
  const examples = EXAMPLES[script];
  if (!examples) return;
  program.addHelpText("after", `\nExamples:${examples}`);
  for (const sub of program.commands) {
    sub.addHelpText("after", `\nExamples:${examples}`);
  }
}

/** Flags common to every script. */
export interface CommonFlags {
  server?: string;
  url?: string;
  user?: string;
  caCert?: string;
  requestTimeout: number;
  debug?: boolean;
}

/** Creates a commander program with the common flags and error handling. */
export function newProgram(
  name: string,
  description: string,
  io: CommandIO = denoIO,
): Command {
  return new Command(name)
    .description(description)
    .version(VERSION, "-V, --version")
    .option(
      "--server <name>",
      "a server profile of servers.json (default: $TS_SERVER)",
    )
    .option("--url <url>", "server base URL (default: $TS_URL)")
    .option("--user <name>", "user name (default: $TS_USER)")
    .option("--ca-cert <pem>", "PEM file to trust (default: $TS_CA_CERT)")
    .addOption(
      new Option(
        "--request-timeout <seconds>",
        "timeout of each HTTP request in seconds",
      ).default(30).argParser(positiveNumber("--request-timeout")),
    )
    .option(
      "--problems <file>",
      `write every input problem to FILE (the output shows the first ${MAX_PROBLEMS})`,
    )
    .option("--debug", "show stack traces of errors")
    .exitOverride()
    .configureOutput({
      // The help names the command as it was started (`ionrun bulk-run`).
      writeOut: (s) => write(io.stdout, wrapHelp(spokenAs(io, s))),
      writeErr: (s) => write(io.stderr, wrapHelp(spokenAs(io, s))),
      getOutHasColors: () => useColor(io, io.stdout),
      getErrHasColors: () => useColor(io, io.stderr),
      outputError: () => {}, // reported by runMain
    })
    .showHelpAfterError(false)
    .addHelpText("after", ENV_HELP);
}

/** Builds a client from the common flags, the io's environment and `.env`. */
export async function clientFromFlags(
  flags: CommonFlags,
  options: Pick<ClientOptions, "onRetry"> = {},
  io: CommandIO = denoIO,
): Promise<TsClient> {
  const configFlags: ConfigFlags = {
    server: flags.server,
    url: flags.url,
    user: flags.user,
    caCert: flags.caCert,
  };
  const config = await loadConfig({ ...configSources(io), flags: configFlags });
  const problem = basicPasswordProblem(config);
  if (problem) throw new UsageError(problem);
  return await createClient({
    ...config,
    ...options,
    timeoutMs: flags.requestTimeout * 1000,
  });
}

/**
 * Runs a script body: parses the invocation's arguments, maps errors to
 * messages on its stderr and to exit codes. Returns the exit code (the one
 * the action set in `run.exitCode`, or the error's).
 */
export async function runMain(
  program: Command,
  run: Invocation,
): Promise<number> {
  const debug = run.args.includes("--debug");
  addExamples(program, run.script);
  try {
    await program.parseAsync([...run.args], { from: "user" });
    return run.exitCode;
  } catch (error) {
    const code = reportError(run.name, error, debug, run.io);
    const file = program.opts().problems as string | undefined;
    if (file !== undefined && error instanceof InputError) {
      await writeProblems(file, error, run);
    }
    return code;
  }
}

/** Writes every problem of an input to `--problems FILE`, and says so. */
async function writeProblems(
  file: string,
  error: InputError,
  run: Invocation,
): Promise<void> {
  const eprint = (line: string) => say(run.io, spokenAs(run.io, line));
  try {
    await Deno.writeTextFile(
      file,
      error.problems.map(formatProblem).join("\n") + "\n",
    );
    eprint(`all ${error.problems.length} problem(s) written to ${file}`);
  } catch (e) {
    eprint(
      `cannot write --problems ${file}: ${
        e instanceof Error ? e.message : String(e)
      }`,
    );
  }
}

/** Prints an error the way every script does and returns its exit code. */
export function reportError(
  name: string,
  error: unknown,
  debug: boolean,
  io: CommandIO = denoIO,
): number {
  const eprint = (line: string) => say(io, spokenAs(io, line));
  // The reader of our output went away (`list.ts | head`): stop quietly, as
  // a Unix tool killed by SIGPIPE does.
  if (error instanceof Deno.errors.BrokenPipe) return EXIT.brokenPipe;
  if (error instanceof CommanderError) {
    if (
      error.code === "commander.helpDisplayed" ||
      error.code === "commander.version" || error.code === "commander.help"
    ) return EXIT.ok;
    eprint(`${name}: ${error.message.replace(/^error: /, "")}`);
    eprint(`Run "${name} --help" for usage.`);
    return EXIT.usage;
  }
  // An error that says its exit code (UsageError, InputError: 2) is taken
  // at its word; two have none of their own: a journal that cannot be
  // written is thrown only before any launch (usage), and an AuthError is an
  // ApiError whose code (3) is the scripts' own.
  const code = exitCodeOf(error) ??
    (error instanceof JournalWriteError
      ? EXIT.usage
      : error instanceof AuthError
      ? EXIT.auth
      : EXIT.failed);
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof InputError && error.problems.length > MAX_PROBLEMS) {
    // 75,000 missing reports are not 75,000 lines: the first ones, a count.
    for (const p of error.problems.slice(0, MAX_PROBLEMS)) {
      eprint(formatProblem(p));
    }
    eprint(
      `… and ${
        error.problems.length - MAX_PROBLEMS
      } more problem(s) (${error.problems.length} in all; nothing was done)`,
    );
  } else {
    eprint(
      error instanceof InputError ? message : `${name}: error: ${message}`,
    );
  }
  const proxy = error instanceof NetworkError && error.kind !== "tls" &&
      URL.canParse(error.url)
    ? proxyFor(error.url, (n) => io.env(n))
    : undefined;
  if (proxy !== undefined) {
    // The proxy refused or did not answer: not TS_URL's fault.
    eprint(
      `hint: the request went through the proxy ${
        redactUrl(proxy)
      } (HTTPS_PROXY, HTTP_PROXY or ALL_PROXY): the proxy did not answer or refused it; check the proxy setting, or add the server to NO_PROXY`,
    );
  } else if (error instanceof NetworkError && error.hint) {
    eprint(`hint: ${error.hint}`);
  }
  if (error instanceof FilterNotAppliedError) {
    eprint(
      "hint: this server does not support that filter; nothing was changed",
    );
  }
  const expected = error instanceof ApiError ||
    error instanceof NetworkError || error instanceof UsageError ||
    error instanceof InputError || error instanceof FilterNotAppliedError ||
    error instanceof JobLockedError || error instanceof JournalWriteError ||
    error instanceof PaginationError;
  if (
    debug && error instanceof Error &&
    !(error instanceof UsageError || error instanceof InputError)
  ) {
    eprint(error.stack ?? "");
    if (error.cause) eprint(`cause: ${String(error.cause)}`);
  } else if (!expected) {
    eprint("(run with --debug for details)");
  }
  return code;
}

/** The `exitCode` an error carries (lib/errors.ts), if it has one. */
function exitCodeOf(error: unknown): number | undefined {
  if (!(error instanceof Error) || !("exitCode" in error)) return undefined;
  return typeof error.exitCode === "number" ? error.exitCode : undefined;
}

/** The signals that stop a launch the way Ctrl-C does. */
const STOP_SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;

/**
 * Calls `body` with a signal aborted by the first Ctrl-C, SIGTERM (`kill`,
 * `timeout`, systemd) or SIGHUP (an ssh session dropped): no new launch
 * starts, those in flight are settled and journaled, the summary is
 * written. A second Ctrl-C exits at once.
 */
export async function withInterrupt<T>(
  body: (signal: AbortSignal) => Promise<T>,
  io: CommandIO = denoIO,
): Promise<T> {
  const eprint = (line: string) => say(io, line);
  const controller = new AbortController();
  const handlers = STOP_SIGNALS.map((name) => {
    const onSignal = () => {
      if (controller.signal.aborted) {
        if (name !== "SIGINT") return; // a second kill waits for the summary
        eprint("\nInterrupted again: exiting now (the journal is up to date)");
        Deno.exit(EXIT.interrupted);
      }
      eprint(
        `\n${
          name === "SIGINT" ? "Interrupted" : `Stopped by ${name}`
        }: settling the launches in flight, then stopping${
          name === "SIGINT" ? " (Ctrl-C again to quit now)" : ""
        }`,
      );
      controller.abort(new DOMException(name, "AbortError"));
    };
    Deno.addSignalListener(name, onSignal);
    return [name, onSignal] as const;
  });
  try {
    return await body(controller.signal);
  } finally {
    for (const [name, onSignal] of handlers) {
      Deno.removeSignalListener(name, onSignal);
    }
  }
}
