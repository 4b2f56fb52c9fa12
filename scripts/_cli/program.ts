// The scripts' program plumbing: the common flags, the client they build,
// exit codes, how errors are reported, and Ctrl-C. Not part of the library.

import { Command, CommanderError, Option } from "commander";
import {
  type ClientOptions,
  createClient,
  type TsClient,
} from "../../lib/http/mod.ts";
import { type ConfigFlags, loadConfig } from "../../lib/config.ts";
import {
  ApiError,
  AuthError,
  FilterNotAppliedError,
  InputError,
  JobLockedError,
  JournalWriteError,
  NetworkError,
  PaginationError,
  UsageError,
} from "../../lib/errors.ts";
import { VERSION } from "../../lib/version.ts";
import { positiveNumber } from "./flags.ts";
import { eprint, write } from "./output.ts";

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
 * How the running command was started: the standalone script or `ionrun
 * <command>` (the commands a closing block prints are spelled the same
 * way), and its arguments.
 */
export const invocation: { ionrun: boolean; args: readonly string[] } = {
  ionrun: false,
  args: [],
};

/** Text appended to every script's --help. */
export const ENV_HELP = `
Environment (also read from a .env file in the working directory; set variables win):
  TS_URL        server base URL, e.g. https://ts.example.org (a trailing /rundb/api/v1/ is fine)
  TS_USER       user name
  TS_API_KEY    API key (preferred; shown on the server at /configure/account/)
  TS_PASSWORD   password, used for HTTP Basic when TS_API_KEY is not set
  TS_CA_CERT    PEM file of the server's CA or self-signed certificate
  TS_SERVER     a server profile of ~/.config/ionrun/servers.json (url, user,
                CA and where the secret comes from; see the README)
  NO_COLOR      disable colors
  HTTPS_PROXY, HTTP_PROXY, ALL_PROXY, NO_PROXY  honoured (from the environment only)
Secrets are read only from the environment or .env, never from flags, and never printed.`;

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
export function newProgram(name: string, description: string): Command {
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
    .option("--debug", "show stack traces of errors")
    .exitOverride()
    .configureOutput({
      writeOut: (s) => write(Deno.stdout, s),
      writeErr: (s) => write(Deno.stderr, s),
      outputError: () => {}, // reported by runMain
    })
    .showHelpAfterError(false)
    .addHelpText("after", ENV_HELP);
}

/** Builds a client from the common flags, the environment and `.env`. */
export async function clientFromFlags(
  flags: CommonFlags,
  options: Pick<ClientOptions, "onRetry"> = {},
): Promise<TsClient> {
  const configFlags: ConfigFlags = {
    server: flags.server,
    url: flags.url,
    user: flags.user,
    caCert: flags.caCert,
  };
  const config = await loadConfig({ flags: configFlags });
  return await createClient({
    ...config,
    ...options,
    timeoutMs: flags.requestTimeout * 1000,
  });
}

/**
 * Runs a script body: parses arguments, maps errors to messages on stderr
 * and to exit codes. Returns the exit code.
 */
export async function runMain(
  program: Command,
  args: string[],
): Promise<number> {
  const debug = args.includes("--debug");
  invocation.args = args;
  try {
    await program.parseAsync(args, { from: "user" });
    return typeof Deno.exitCode === "number" ? Deno.exitCode : EXIT.ok;
  } catch (error) {
    return reportError(program.name(), error, debug);
  }
}

/** Prints an error the way every script does and returns its exit code. */
export function reportError(
  name: string,
  error: unknown,
  debug: boolean,
): number {
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
  const code = error instanceof UsageError || error instanceof InputError ||
      error instanceof JournalWriteError // thrown only before any launch
    ? EXIT.usage
    : error instanceof AuthError
    ? EXIT.auth
    : EXIT.failed;
  const message = error instanceof Error ? error.message : String(error);
  eprint(
    error instanceof InputError ? message : `${name}: error: ${message}`,
  );
  if (error instanceof NetworkError && error.hint) {
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
): Promise<T> {
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
