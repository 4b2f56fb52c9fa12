// Shared command-line plumbing for the scripts: common flags, client set-up,
// error reporting and exit codes. Not part of the library.

import { Command, CommanderError, Option } from "commander";
import { createClient, type TsClient } from "../lib/client.ts";
import { type ConfigFlags, loadConfig } from "../lib/config.ts";
import {
  ApiError,
  AuthError,
  FilterNotAppliedError,
  InputError,
  NetworkError,
  UsageError,
} from "../lib/errors.ts";
import { VERSION } from "../lib/version.ts";

/** Exit codes shared by every script. */
export const EXIT = {
  ok: 0,
  failed: 1,
  usage: 2,
  auth: 3,
  interrupted: 130,
  brokenPipe: 141,
} as const;

/** Text appended to every script's --help. */
export const ENV_HELP = `
Environment (also read from a .env file in the working directory; set variables win):
  TS_URL        server base URL, e.g. https://ts.example.org (a trailing /rundb/api/v1/ is fine)
  TS_USER       user name
  TS_API_KEY    API key (preferred; shown on the server at /configure/account/)
  TS_PASSWORD   password, used for HTTP Basic when TS_API_KEY is not set
  TS_CA_CERT    PEM file of the server's CA or self-signed certificate
  NO_COLOR      disable colors
  HTTPS_PROXY, HTTP_PROXY, ALL_PROXY, NO_PROXY  honoured (from the environment only)
Secrets are read only from the environment or .env, never from flags, and never printed.`;

/** Flags common to every script. */
export interface CommonFlags {
  url?: string;
  user?: string;
  caCert?: string;
  requestTimeout: number;
  debug?: boolean;
}

/** Output formats of list-like results. */
export const FORMATS = ["table", "json", "ndjson", "csv"] as const;
/** One output format. */
export type Format = typeof FORMATS[number];

/** Creates a commander program with the common flags and error handling. */
export function newProgram(name: string, description: string): Command {
  const program = new Command(name)
    .description(description)
    .version(VERSION, "-V, --version")
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
  return program;
}

/** Adds `--format` (table on a terminal, CSV otherwise). */
export function addFormatOption(command: Command): Command {
  return command.addOption(
    new Option(
      "--format <format>",
      "output format (default: table on a terminal, else csv)",
    ).choices(FORMATS),
  );
}

/** The format to use when `--format` is not given. */
export function resolveFormat(format: Format | undefined): Format {
  return format ?? (Deno.stdout.isTerminal() ? "table" : "csv");
}

/** Builds a client from the common flags, the environment and `.env`. */
export async function clientFromFlags(flags: CommonFlags): Promise<TsClient> {
  const configFlags: ConfigFlags = {
    url: flags.url,
    user: flags.user,
    caCert: flags.caCert,
  };
  const config = await loadConfig({ flags: configFlags });
  return await createClient({
    ...config,
    timeoutMs: flags.requestTimeout * 1000,
  });
}

/** A commander argument parser for positive numbers. */
export function positiveNumber(flag: string): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isFinite(n) || n <= 0) {
      throw new UsageError(`${flag} must be a positive number, got "${value}"`);
    }
    return n;
  };
}

/** A commander argument parser for whole numbers of at least `min`. */
export function wholeNumber(
  flag: string,
  min = 0,
): (value: string) => number {
  return (value) => {
    if (!/^\d+$/.test(value.trim()) || Number(value) < min) {
      throw new UsageError(
        `${flag} must be a whole number >= ${min}, got "${value}"`,
      );
    }
    return Number(value);
  };
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
  const code = error instanceof UsageError || error instanceof InputError
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
  if (
    debug && error instanceof Error &&
    !(error instanceof UsageError || error instanceof InputError)
  ) {
    eprint(error.stack ?? "");
    if (error.cause) eprint(`cause: ${String(error.cause)}`);
  } else if (
    !(error instanceof ApiError || error instanceof NetworkError ||
      error instanceof UsageError || error instanceof InputError ||
      error instanceof FilterNotAppliedError)
  ) {
    eprint("(run with --debug for details)");
  }
  return code;
}

const encoder = new TextEncoder();

/** Writes text to a stream synchronously. */
export function write(stream: { writeSync(p: Uint8Array): number }, s: string) {
  const bytes = encoder.encode(s);
  let written = 0;
  while (written < bytes.length) {
    written += stream.writeSync(bytes.subarray(written));
  }
}

/** Prints a line on stdout. */
export function print(line: string): void {
  write(Deno.stdout, `${line}\n`);
}

/** Prints a line on stderr. */
export function eprint(line: string): void {
  write(Deno.stderr, `${line}\n`);
}

/** Whether colors may be used on a stream (terminal and no NO_COLOR). */
export function useColor(stream: { isTerminal(): boolean }): boolean {
  return !Deno.noColor && stream.isTerminal();
}

/**
 * Parses `--config`: inline JSON or `@file.json`; it must be a JSON object.
 */
export async function parseConfigFlag(
  value: string | undefined,
): Promise<Record<string, unknown> | undefined> {
  if (value === undefined) return undefined;
  let text = value;
  let where = "--config";
  if (value.startsWith("@")) {
    where = value.slice(1);
    try {
      text = await Deno.readTextFile(where);
    } catch (error) {
      throw new UsageError(
        `--config ${value}: cannot read ${where}: ${
          error instanceof Error ? error.message : error
        }`,
      );
    }
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new UsageError(
      `${where} is not valid JSON: ${
        error instanceof Error ? error.message : error
      }`,
    );
  }
  if (data === null || typeof data !== "object" || Array.isArray(data)) {
    throw new UsageError(
      `${where} must be a JSON object like {"key": "value"}, got ${
        Array.isArray(data) ? "an array" : data === null ? "null" : typeof data
      }`,
    );
  }
  return data as Record<string, unknown>;
}

/** Parses a duration: `90`, `90s`, `30m`, `2h`, `1h30m`. Returns ms. */
export function parseDuration(flag: string): (value: string) => number {
  return (value) => {
    const v = value.trim();
    if (/^\d+(\.\d+)?$/.test(v)) return Number(v) * 1000;
    const m = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(v);
    if (!m || v === "") {
      throw new UsageError(
        `${flag} must be a duration like 90s, 30m, 2h or 1h30m, got "${value}"`,
      );
    }
    return ((Number(m[1] ?? 0) * 60 + Number(m[2] ?? 0)) * 60 +
      Number(m[3] ?? 0)) * 1000;
  };
}

/** Calls `body` with a signal aborted by the first Ctrl-C; a second exits. */
export async function withInterrupt<T>(
  body: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const controller = new AbortController();
  const onSignal = () => {
    if (controller.signal.aborted) {
      eprint("\nInterrupted again: exiting now (the journal is up to date)");
      Deno.exit(EXIT.interrupted);
    }
    eprint(
      "\nInterrupted: finishing launches in flight, then stopping (Ctrl-C again to quit now)",
    );
    controller.abort(new DOMException("Interrupted", "AbortError"));
  };
  Deno.addSignalListener("SIGINT", onSignal);
  try {
    return await body(controller.signal);
  } finally {
    Deno.removeSignalListener("SIGINT", onSignal);
  }
}

/** Flags of {@linkcode addGuardOptions}. */
export interface GuardFlags {
  rerun: "failed" | "missing";
  force?: boolean;
}

/** Adds the duplicate-guard flags `--rerun` and `--force`. */
export function addGuardOptions(command: Command): Command {
  return command
    .addOption(
      new Option("--rerun <which>", "which existing pairs to launch again")
        .choices(["failed", "missing"]).default("failed"),
    )
    .option("--force", "launch even when a run is running or completed");
}

/** The rerun policy the guard flags ask for. */
export function rerunPolicy(
  flags: GuardFlags,
): "failed" | "missing" | "always" {
  return flags.force ? "always" : flags.rerun;
}

/** Flags of {@linkcode addWaitOptions}. */
export interface WaitFlags {
  wait?: boolean;
  timeout: number;
  poll: number;
}

/** Adds `--wait`, `--timeout` and `--poll`. */
export function addWaitOptions(command: Command, what: string): Command {
  return command
    .option("--wait", `follow ${what} until they finish`)
    .addOption(
      new Option(
        "--timeout <duration>",
        "with --wait: give up waiting after this long (e.g. 90m, 6h)",
      ).argParser(parseDuration("--timeout")).default(6 * 3600_000, "6h"),
    )
    .option(
      "--poll <seconds>",
      "with --wait: seconds between status checks",
      positiveNumber("--poll"),
      10,
    );
}

/** The wait settings for the library, or none without `--wait`. */
export function waitSettings(
  flags: WaitFlags,
): { wait: { timeoutMs: number; pollMs: number } } | Record<never, never> {
  return flags.wait
    ? { wait: { timeoutMs: flags.timeout, pollMs: flags.poll * 1000 } }
    : {};
}

/** The exit code of a launch summary: 130, 1, 2 or 0. */
export function launchExitCode(summary: {
  interrupted: boolean;
  pendingAfterWait: number;
  counts: Record<string, number>;
}): number {
  const c = summary.counts;
  if (summary.interrupted) return EXIT.interrupted;
  if (
    (c.failed ?? 0) > 0 || (c["not-started"] ?? 0) > 0 ||
    summary.pendingAfterWait > 0
  ) return EXIT.failed;
  return (c.invalid ?? 0) > 0 ? EXIT.usage : EXIT.ok;
}
