#!/usr/bin/env -S deno run --allow-net=127.0.0.1 --allow-read --allow-env
/**
 * Runs the Torrent Suite simulator standalone until SIGINT or SIGTERM:
 *
 * ```sh
 * deno run --allow-net=127.0.0.1 --allow-read --allow-env scripts/simulator.ts --port 8000
 * ```
 *
 * Prints one line, `Torrent Suite simulator listening on <url>`, to stdout.
 * Log in as `ionadmin`/`ionadmin` (Basic) or with the API keys of
 * `DEFAULT_USERS` in `lib/simulator.ts`; they are never printed.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { type SimulatorOptions, startSimulator } from "../lib/simulator.ts";

const USAGE = `Usage: simulator.ts [options]

Serves a simulated Torrent Suite REST API (/rundb/api/v1/) until Ctrl-C.

Options:
  --port N             port to listen on (default 0: a free port)
  --hostname H         interface to listen on (default 127.0.0.1)
  --reports N          number of seeded reports (default 3000)
  --seed N             seed of the generated data (default 1)
  --failure-rate F     fraction 0..1 of new runs that end in Error (default 0)
  --queued-ms N        how long a new run stays Queued (default 300)
  --run-ms N           how long it then stays Started (default 1500)
  --launch-delay-ms N  extra latency of each launch POST (default 0)
  --tls-cert PEM       certificate chain file: serve HTTPS (needs --tls-key)
  --tls-key PEM        private key file
  --localhost-auto-login  accept requests without credentials, as TS does for localhost
  -h, --help           show this help

Users: ionadmin (password ionadmin) and ionuser (password ionuser); their API
keys are DEFAULT_USERS in lib/simulator.ts.
`;

/** Where {@linkcode main} writes, and what stops it (for tests). */
export interface MainOptions {
  /** Stops the server when aborted; default: SIGINT or SIGTERM. */
  signal?: AbortSignal;
  /** Writes a stdout line; default console.log. */
  stdout?: (line: string) => void;
  /** Writes a stderr line; default console.error. */
  stderr?: (line: string) => void;
}

function number(
  flag: string,
  value: string | undefined,
  min: number,
  max = Infinity,
): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n) || n < min || n > max) {
    throw new TypeError(
      `--${flag} must be a number from ${min}${
        max === Infinity ? "" : ` to ${max}`
      }, got "${value}"`,
    );
  }
  return n;
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
  let simOptions: SimulatorOptions;
  try {
    const { values } = parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
        port: { type: "string" },
        hostname: { type: "string" },
        reports: { type: "string" },
        seed: { type: "string" },
        "failure-rate": { type: "string" },
        "queued-ms": { type: "string" },
        "run-ms": { type: "string" },
        "launch-delay-ms": { type: "string" },
        "tls-cert": { type: "string" },
        "tls-key": { type: "string" },
        "localhost-auto-login": { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    });
    if (values.help) {
      out(USAGE.trimEnd());
      return 0;
    }
    if (
      (values["tls-cert"] === undefined) !== (values["tls-key"] === undefined)
    ) {
      throw new TypeError("--tls-cert and --tls-key go together");
    }
    const entries: [keyof SimulatorOptions, unknown][] = [
      ["port", number("port", values.port, 0, 65535)],
      ["hostname", values.hostname],
      ["reports", number("reports", values.reports, 0)],
      ["seed", number("seed", values.seed, 0)],
      ["failureRate", number("failure-rate", values["failure-rate"], 0, 1)],
      ["queuedMs", number("queued-ms", values["queued-ms"], 0)],
      ["runMs", number("run-ms", values["run-ms"], 0)],
      [
        "launchDelayMs",
        number("launch-delay-ms", values["launch-delay-ms"], 0),
      ],
      ["localhostAutoLogin", values["localhost-auto-login"]],
    ];
    simOptions = Object.fromEntries(
      entries.filter(([, v]) => v !== undefined),
    ) as SimulatorOptions;
    if (values["tls-cert"] !== undefined && values["tls-key"] !== undefined) {
      simOptions.tls = {
        cert: await Deno.readTextFile(values["tls-cert"]),
        key: await Deno.readTextFile(values["tls-key"]),
      };
    }
  } catch (e) {
    if (
      e instanceof Deno.errors.NotFound ||
      e instanceof Deno.errors.PermissionDenied
    ) {
      err(`simulator: cannot read a TLS file: ${(e as Error).message}`);
      return 2;
    }
    err(`simulator: ${(e as Error).message}\nRun with --help for usage.`);
    return 2;
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
