#!/usr/bin/env -S deno run --allow-net=127.0.0.1 --allow-read --allow-write --allow-env
/**
 * Runs the Torrent Suite simulator standalone until SIGINT or SIGTERM:
 *
 * ```sh
 * deno run --allow-net=127.0.0.1 --allow-read --allow-env simulator/main.ts --port 8000
 * ```
 *
 * `--state-file` also needs `--allow-write` (for that file's folder).
 *
 * Prints one line, `Torrent Suite simulator listening on <url>`, to stdout.
 * Log in as `ionadmin`/`ionadmin` (Basic) or with the API keys of
 * `DEFAULT_USERS` in `simulator/mod.ts`; they are never printed.
 *
 * Same command-line contract as the toolkit's scripts: `--help`, usage
 * errors on stderr with exit code 2, exit 1 when it cannot start.
 *
 * @module
 */

import { Command, CommanderError, Option } from "commander";
import { type SimulatorOptions, startSimulator } from "./mod.ts";

/** Where {@linkcode main} writes, and what stops it (for tests). */
export interface MainOptions {
  /** Stops the server when aborted; default: SIGINT or SIGTERM. */
  signal?: AbortSignal;
  /** Writes a stdout line; default console.log. */
  stdout?: (line: string) => void;
  /** Writes a stderr line; default console.error. */
  stderr?: (line: string) => void;
}

/** A usage error in the arguments (exit code 2). */
class UsageError extends Error {}

function number(flag: string, min: number, max = Infinity) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === "" || !Number.isFinite(n) || n < min || n > max) {
      throw new UsageError(
        `${flag} must be a number from ${min}${
          max === Infinity ? "" : ` to ${max}`
        }, got "${value}"`,
      );
    }
    return n;
  };
}

/** `name=ms[,name=ms…]` → `{name: ms}`. */
function runTimes(value: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const part of value.split(",")) {
    const m = /^\s*([\w.-]+)\s*=\s*(\d+(?:\.\d+)?)\s*$/.exec(part);
    if (!m) {
      throw new UsageError(
        `--plugin-run-ms takes name=ms[,name=ms...], got "${value}"`,
      );
    }
    out[m[1]!] = Number(m[2]);
  }
  return out;
}

/** `1,2,3` → report ids. */
function ids(value: string): number[] {
  const list = value.split(",").map((v) => v.trim());
  if (!list.every((v) => /^\d+$/.test(v))) {
    throw new UsageError(
      `--broken-reports takes report ids like 12,40, got "${value}"`,
    );
  }
  return list.map(Number);
}

interface Flags {
  port?: number;
  hostname?: string;
  reports?: number;
  seed?: number;
  failureRate?: number;
  queuedMs?: number;
  runMs?: number;
  launchDelayMs?: number;
  tlsCert?: string;
  tlsKey?: string;
  localhostAutoLogin?: boolean;
  slots?: number;
  pluginRunMs?: Record<string, number>;
  runSpread?: number;
  stuckRate?: number;
  unknownRate?: number;
  configChain?: boolean;
  createDelayMs?: number;
  brokenReports?: number[];
  stopMs?: number;
  stopErrorRate?: number;
  objectCostMs?: number;
  storeCostMs?: number;
  storePatchFailRate?: number;
  barcodeErrorRate?: number;
  earlyErrorRate?: number;
  unbarcodedRate?: number;
  bamBytes?: number;
  basicAuthCostMs?: number;
  sessionCostMs?: number;
  archivedRate?: number;
  otherStorageRate?: number;
  fileCutRate?: number;
  fileBytesPerSecond?: number;
  thumbnails?: boolean;
  logs?: boolean;
  stateFile?: string;
  profile?: string;
  timeScale?: number;
  schedulerIntervalMs?: number;
  stuckQueuedRate?: number;
  brokenReportRuns?: boolean;
  djangoBasicBug?: boolean;
  wsgiMaxRequests?: number;
  wsgiProcesses?: number;
  wsgiStartupMs?: number;
  productionReportsPerHour?: number;
  productionManualPerHour?: number;
  productionAnalysisMs?: number;
}

/** The flags passed on to the simulator as they are. */
const PASSED = [
  "port",
  "hostname",
  "reports",
  "seed",
  "failureRate",
  "queuedMs",
  "runMs",
  "launchDelayMs",
  "localhostAutoLogin",
  "slots",
  "pluginRunMs",
  "runSpread",
  "stuckRate",
  "unknownRate",
  "configChain",
  "createDelayMs",
  "brokenReports",
  "stopMs",
  "stopErrorRate",
  "objectCostMs",
  "storeCostMs",
  "storePatchFailRate",
  "barcodeErrorRate",
  "earlyErrorRate",
  "unbarcodedRate",
  "bamBytes",
  "basicAuthCostMs",
  "sessionCostMs",
  "thumbnails",
  "logs",
  "stateFile",
  "timeScale",
  "schedulerIntervalMs",
  "stuckQueuedRate",
  "brokenReportRuns",
  "djangoBasicBug",
  "wsgiMaxRequests",
  "wsgiProcesses",
  "wsgiStartupMs",
] as const;

const USERS_HELP = `
Users: ionadmin (password ionadmin) and ionuser (password ionuser): point the
commands at it with TS_URL, TS_USER and TS_PASSWORD. Their API keys are fixed
(DEFAULT_USERS of the ionrun/simulator library).`;

function program(out: (s: string) => void, err: (s: string) => void) {
  const opt = (flags: string, text: string, parse: (v: string) => number) =>
    new Option(flags, text).argParser(parse);
  return new Command("simulator")
    .description(
      "Serves a simulated Torrent Suite REST API (/rundb/api/v1/) until Ctrl-C.",
    )
    .addOption(
      opt(
        "--port <n>",
        "port to listen on (default 0: a free port)",
        number("--port", 0, 65535),
      ),
    )
    .option("--hostname <h>", "interface to listen on (default 127.0.0.1)")
    .addOption(
      opt(
        "--reports <n>",
        "number of seeded reports (default 3000)",
        number("--reports", 0),
      ),
    )
    .addOption(
      opt(
        "--seed <n>",
        "seed of the generated data (default 1)",
        number("--seed", 0),
      ),
    )
    .addOption(
      opt(
        "--failure-rate <f>",
        "fraction 0..1 of new runs that end in Error (default 0)",
        number("--failure-rate", 0, 1),
      ),
    )
    .addOption(
      opt(
        "--queued-ms <n>",
        "the shortest time a new run stays Queued (default 300)",
        number("--queued-ms", 0),
      ),
    )
    .addOption(
      opt(
        "--run-ms <n>",
        "base run time once it has a slot, times a per-plugin factor (default 1500)",
        number("--run-ms", 0),
      ),
    )
    .addOption(
      opt(
        "--launch-delay-ms <n>",
        "extra latency of each launch POST (default 0)",
        number("--launch-delay-ms", 0),
      ),
    )
    .addOption(
      opt(
        "--slots <n>",
        "plugin-queue slots: 1 on S5, 2 on towers; 0 = no limit (default 2)",
        number("--slots", 0),
      ),
    )
    .addOption(
      new Option(
        "--plugin-run-ms <list>",
        "run time per plugin, e.g. variantCaller=60000,igv=500",
      ).argParser(runTimes),
    )
    .addOption(
      opt(
        "--run-spread <f>",
        "spread of run times, 0..1 (default 0.2: ±20%)",
        number("--run-spread", 0, 1),
      ),
    )
    .addOption(
      opt(
        "--stuck-rate <f>",
        "fraction 0..1 of new runs that stay Started for ever (default 0)",
        number("--stuck-rate", 0, 1),
      ),
    )
    .addOption(
      opt(
        "--unknown-rate <f>",
        "fraction 0..1 of launches whose grid submission fails (default 0)",
        number("--unknown-rate", 0, 1),
      ),
    )
    .option(
      "--no-config-chain",
      "use only the sent config (no global config or plan settings)",
    )
    .addOption(
      opt(
        "--create-delay-ms <n>",
        "delay before a launch creates its run, even if the client left (default 0)",
        number("--create-delay-ms", 0),
      ),
    )
    .addOption(
      new Option(
        "--broken-reports <ids>",
        "reports whose folder is missing (launches answer 500), e.g. 12,40",
      ).argParser(ids),
    )
    .addOption(
      opt(
        "--stop-ms <n>",
        "how long a stop waits per running job (default 0)",
        number("--stop-ms", 0),
      ),
    )
    .addOption(
      opt(
        "--stop-error-rate <f>",
        "fraction 0..1 of stopped jobs that end in Error (default 0)",
        number("--stop-error-rate", 0, 1),
      ),
    )
    .addOption(
      opt(
        "--object-cost-ms <n>",
        "server time per serialized object on lists and details (default 0)",
        number("--object-cost-ms", 0),
      ),
    )
    .addOption(
      opt(
        "--store-cost-ms <n>",
        "extra server time per KB of plugin stores serialized (default 0)",
        number("--store-cost-ms", 0),
      ),
    )
    .addOption(
      opt(
        "--store-patch-fail-rate <f>",
        "fraction 0..1 of finished runs whose store PATCH failed (default 0)",
        number("--store-patch-fail-rate", 0, 1),
      ),
    )
    .addOption(
      opt(
        "--barcode-error-rate <f>",
        "fraction 0..1 of failed barcodes in Completed coverage runs (default 0.03)",
        number("--barcode-error-rate", 0, 1),
      ),
    )
    .addOption(
      opt(
        "--early-error-rate <f>",
        "fraction 0..1 of failed runs that wrote no results.json (default 0.25)",
        number("--early-error-rate", 0, 1),
      ),
    )
    .addOption(
      opt(
        "--unbarcoded-rate <f>",
        "fraction 0..1 of plans without barcodes (default 0.15)",
        number("--unbarcoded-rate", 0, 1),
      ),
    )
    .addOption(
      opt(
        "--bam-bytes <n>",
        "size of every virtual BAM link (default seeded 2-6 GB)",
        number("--bam-bytes", 0),
      ),
    )
    .addOption(
      opt(
        "--basic-auth-cost-ms <n>",
        "server time of a Basic password check per request (default 0)",
        number("--basic-auth-cost-ms", 0),
      ),
    )
    .addOption(
      opt(
        "--session-cost-ms <n>",
        "server time of a session look-up per request (default 0)",
        number("--session-cost-ms", 0),
      ),
    )
    .addOption(
      opt(
        "--archived-rate <f>",
        "fraction 0..1 of reports whose output files are archived (404)",
        number("--archived-rate", 0, 1),
      ),
    )
    .addOption(
      opt(
        "--other-storage-rate <f>",
        "fraction 0..1 of reports on the storage 'Archive' instead of 'Home'",
        number("--other-storage-rate", 0, 1),
      ),
    )
    .addOption(
      opt(
        "--file-cut-rate <f>",
        "fraction 0..1 of file bodies cut short",
        number("--file-cut-rate", 0, 1),
      ),
    )
    .addOption(
      opt(
        "--file-bytes-per-second <n>",
        "bandwidth of file bodies (default unlimited)",
        number("--file-bytes-per-second", 0),
      ),
    )
    .option(
      "--profile <name>",
      "a named option set under the other flags: realistic",
    )
    .addOption(
      opt(
        "--time-scale <f>",
        "multiply every simulated duration (default 1)",
        number("--time-scale", Number.MIN_VALUE),
      ),
    )
    .addOption(
      opt(
        "--scheduler-interval-ms <n>",
        "SGE scheduling interval: jobs start on its ticks (default 0)",
        number("--scheduler-interval-ms", 0),
      ),
    )
    .addOption(
      opt(
        "--stuck-queued-rate <f>",
        "fraction 0..1 of new jobs held Queued for ever",
        number("--stuck-queued-rate", 0, 1),
      ),
    )
    .option(
      "--broken-report-runs",
      "runs on unfinished, failed or archived reports end in Error",
    )
    .option(
      "--django-basic-bug",
      "a ':' in a Basic password (or bad base64) is a 500 outside /auth/",
    )
    .addOption(
      opt(
        "--wsgi-max-requests <n>",
        "requests per mod_wsgi process before it is recycled (default 0: never)",
        number("--wsgi-max-requests", 0),
      ),
    )
    .addOption(
      opt(
        "--wsgi-processes <n>",
        "mod_wsgi processes (default 16)",
        number("--wsgi-processes", 1),
      ),
    )
    .addOption(
      opt(
        "--wsgi-startup-ms <n>",
        "extra time of a recycled process's first request (default 0)",
        number("--wsgi-startup-ms", 0),
      ),
    )
    .addOption(
      opt(
        "--production-reports-per-hour <f>",
        "new reports an hour, whose plan's plugins the pipeline launches",
        number("--production-reports-per-hour", 0),
      ),
    )
    .addOption(
      opt(
        "--production-manual-per-hour <f>",
        "another user's manual launches an hour",
        number("--production-manual-per-hour", 0),
      ),
    )
    .addOption(
      opt(
        "--production-analysis-ms <n>",
        "analysis time of a new report (default 4 h)",
        number("--production-analysis-ms", 0),
      ),
    )
    .option("--thumbnails", "give S5 runs a thumbnail report")
    .option("--no-logs", "serve no drmaa_stdout.txt logs")
    .option(
      "--state-file <path>",
      "keep the state in this file across restarts",
    )
    .option(
      "--tls-cert <pem>",
      "certificate chain file: serve HTTPS (needs --tls-key)",
    )
    .option("--tls-key <pem>", "private key file")
    .option(
      "--localhost-auto-login",
      "accept requests without credentials, as TS does for localhost",
    )
    .helpOption("-h, --help", "show this help")
    .addHelpText("after", USERS_HELP)
    .exitOverride()
    .configureOutput({
      writeOut: (s) => out(s.trimEnd()),
      writeErr: (s) => err(s.trimEnd()),
      outputError: () => {}, // reported below, in the scripts' form
    });
}

/**
 * Parses the arguments, starts the simulator and serves until stopped.
 *
 * @param args Command-line arguments (without the script name).
 * @param options Signal and output streams, for tests.
 * @returns The exit code: 0 after a clean stop or `--help`, 2 on a usage error, 1 if it cannot start.
 */
export async function main(
  args: string[],
  options: MainOptions = {},
): Promise<number> {
  const out = options.stdout ?? ((line: string) => console.log(line));
  const err = options.stderr ?? ((line: string) => console.error(line));
  const usage = (message: string) => {
    err(`simulator: ${message}`);
    err('Run "simulator --help" for usage.');
    return 2;
  };
  let flags: Flags;
  try {
    flags = program(out, err).parse(args, { from: "user" }).opts<Flags>();
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === "commander.helpDisplayed") return 0;
      return usage(e.message.replace(/^error: /, ""));
    }
    if (e instanceof UsageError) return usage(e.message);
    throw e;
  }
  if ((flags.tlsCert === undefined) !== (flags.tlsKey === undefined)) {
    return usage("--tls-cert and --tls-key go together");
  }
  const simOptions: SimulatorOptions = {};
  for (const key of PASSED) {
    if (flags[key] !== undefined) {
      Object.assign(simOptions, { [key]: flags[key] });
    }
  }
  const fileFaults: NonNullable<SimulatorOptions["fileFaults"]> = {};
  if (flags.archivedRate !== undefined) {
    fileFaults.archivedRate = flags.archivedRate;
  }
  if (flags.otherStorageRate !== undefined) {
    fileFaults.otherStorageRate = flags.otherStorageRate;
  }
  if (flags.fileCutRate !== undefined) fileFaults.cutRate = flags.fileCutRate;
  if (flags.fileBytesPerSecond !== undefined) {
    fileFaults.bytesPerSecond = flags.fileBytesPerSecond;
  }
  if (Object.keys(fileFaults).length) simOptions.fileFaults = fileFaults;
  if (flags.profile !== undefined) {
    if (flags.profile !== "realistic") {
      return usage(`--profile takes realistic, got "${flags.profile}"`);
    }
    simOptions.profile = flags.profile;
  }
  const production: NonNullable<SimulatorOptions["production"]> = {};
  if (flags.productionReportsPerHour !== undefined) {
    production.reportsPerHour = flags.productionReportsPerHour;
  }
  if (flags.productionManualPerHour !== undefined) {
    production.manualPerHour = flags.productionManualPerHour;
  }
  if (flags.productionAnalysisMs !== undefined) {
    production.analysisMs = flags.productionAnalysisMs;
  }
  if (Object.keys(production).length) simOptions.production = production;
  if (flags.tlsCert !== undefined && flags.tlsKey !== undefined) {
    try {
      simOptions.tls = {
        cert: await Deno.readTextFile(flags.tlsCert),
        key: await Deno.readTextFile(flags.tlsKey),
      };
    } catch (e) {
      return usage(`cannot read a TLS file: ${(e as Error).message}`);
    }
  }
  let sim;
  try {
    sim = await startSimulator(simOptions);
  } catch (e) {
    err(`simulator: cannot start: ${(e as Error).message}`);
    return 1;
  }
  out(`Torrent Suite simulator listening on ${sim.url}`);
  const stop = options.signal ?? signalled();
  await new Promise<void>((resolve) => {
    if (stop.aborted) resolve();
    stop.addEventListener("abort", () => resolve(), { once: true });
  });
  await sim.close();
  return 0;
}

/** An AbortSignal aborted by the first SIGINT or SIGTERM (listeners removed then). */
function signalled(): AbortSignal {
  const controller = new AbortController();
  const signals = ["SIGINT", "SIGTERM"] as const;
  const onSignal = () => {
    for (const s of signals) Deno.removeSignalListener(s, onSignal);
    controller.abort();
  };
  for (const s of signals) Deno.addSignalListener(s, onSignal);
  return controller.signal;
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
