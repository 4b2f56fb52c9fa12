// Test helpers: a simulator per test, a client for it, running a command
// in-process with captured streams (`runCommand`, `captureIO`), and running a
// script as a user would (a separate Deno process with a clean environment).

import {
  DENO_DIR as BENCH_DENO_DIR,
  shebangFlags as benchShebangFlags,
  spawnScript as benchSpawnScript,
} from "../bench/_scripts.ts";
import type { CommandIO } from "../scripts/_cli/io.ts";
import type { BulkContext, Task } from "../lib/bulk/_context.ts";
import { createClient, type TsClient } from "../lib/http/client.ts";
import type { Transport } from "../lib/http/transport.ts";
import {
  type Simulator,
  type SimulatorOptions,
  startSimulator,
} from "../simulator/mod.ts";

/** Deno's cache folder of this process, for the scripts the tests spawn. */
export const DENO_DIR = BENCH_DENO_DIR;

/** Root of the repository. */
export const ROOT = new URL("../", import.meta.url).pathname;

/**
 * The Deno flags of a script's shebang line (see bench/_scripts.ts, the one
 * spawner of the tests and the benchmarks).
 */
export const shebangFlags = benchShebangFlags;

/** Starts a simulator (default 200 reports, fast lifecycle). */
export function simulator(options: SimulatorOptions = {}): Promise<Simulator> {
  return startSimulator({ reports: 200, queuedMs: 50, runMs: 150, ...options });
}

/** A client authenticated as the simulator's first user (ApiKey). */
export async function clientFor(
  sim: Simulator,
  options: { timeoutMs?: number } = {},
): Promise<TsClient> {
  const user = sim.users[0]!;
  return await createClient({
    url: sim.url,
    user: user.username,
    apiKey: user.apiKey,
    sleep: (ms) => new Promise((r) => setTimeout(r, Math.min(ms, 20))),
    ...options,
  });
}

/** Environment pointing a script at the simulator with an API key. */
export function envFor(sim: Simulator): Record<string, string> {
  const user = sim.users[0]!;
  return {
    TS_URL: sim.url,
    TS_USER: user.username,
    TS_API_KEY: user.apiKey,
  };
}

/** What a script run produced. */
export interface ScriptResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Options for {@linkcode runScript}. */
export interface RunScriptOptions {
  /** Environment variables (the rest of the environment is cleared). */
  env?: Record<string, string>;
  /** Working directory; default a fresh temp dir. */
  cwd?: string;
  /** Text for standard input. */
  stdin?: string;
  /** Extra Deno flags before the script. */
  denoFlags?: string[];
}

/** Runs `scripts/<name>` in a new Deno process with a clean environment. */
export async function runScript(
  name: string,
  args: string[],
  options: RunScriptOptions = {},
): Promise<ScriptResult> {
  const child = spawnScript(name, args, options);
  if (options.stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(options.stdin));
    await writer.close();
  }
  const out = await child.output();
  return {
    code: out.code,
    stdout: new TextDecoder().decode(out.stdout),
    stderr: new TextDecoder().decode(out.stderr),
  };
}

/**
 * The whole environment of a spawned script or recipe: `extra`, no colour,
 * this Deno cache, HOME and PATH, and a registry of its own unless the test
 * shares one (two launchers at once). Deno's own cache follows
 * XDG_CACHE_HOME too, so DENO_DIR is pinned.
 */
function childEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {
    NO_COLOR: "1",
    DENO_DIR: DENO_DIR,
    XDG_CACHE_HOME: Deno.makeTempDirSync({ prefix: "ionrun-cache-" }),
    ...extra,
  };
  for (const name of ["HOME", "PATH"]) {
    const v = Deno.env.get(name);
    if (v !== undefined && env[name] === undefined) env[name] = v;
  }
  return env;
}

/**
 * Spawns a script (for tests that need a process: its exit, signals, two at
 * once, its permissions): bench/_scripts.ts's spawner with the tests'
 * environment ({@linkcode childEnv}) and a fresh working directory.
 */
export function spawnScript(
  name: string,
  args: string[],
  options: RunScriptOptions = {},
): Deno.ChildProcess {
  return benchSpawnScript(name, args, {
    env: childEnv(options.env),
    cwd: options.cwd ?? Deno.makeTempDirSync({ prefix: "ionrun-test-" }),
    ...(options.denoFlags ? { denoFlags: options.denoFlags } : {}),
    stdin: options.stdin !== undefined,
  });
}

/** Options of {@linkcode captureIO}. */
export interface CaptureOptions {
  /**
   * Environment variables: with the same defaults as a spawned script's
   * (`NO_COLOR`, a registry folder of its own, HOME, PATH); nothing else of
   * this process is seen.
   */
  env?: Record<string, string>;
  /** Text on standard input; default empty. */
  stdin?: string;
  /** Which streams are terminals; default none. */
  terminal?: { stdin?: boolean; stdout?: boolean; stderr?: boolean };
  /** The terminal's width; default unknown. */
  columns?: number;
  /** The answer to every question; default an error (no question expected). */
  confirm?: (message: string) => boolean;
  /**
   * The folder whose `.env` is read (as a spawned script's working folder);
   * default none.
   */
  cwd?: string;
}

/** A captured io and what was written to it. */
export interface Captured {
  /** The io to give a command's `main`. */
  io: CommandIO;
  /** Everything written to stdout so far. */
  stdout(): string;
  /** Everything written to stderr so far. */
  stderr(): string;
  /** The questions asked. */
  asked: string[];
}

/**
 * An io for running a command in-process: stdout and stderr captured, stdin
 * from a string, the environment given (as a spawned script's, see
 * {@linkcode childEnv}), no terminal unless said.
 */
export function captureIO(options: CaptureOptions = {}): Captured {
  const env = childEnv(options.env);
  const out: Uint8Array[] = [];
  const err: Uint8Array[] = [];
  const sink = (chunks: Uint8Array[], terminal: boolean | undefined) => ({
    writeSync(p: Uint8Array) {
      chunks.push(p.slice());
      return p.length;
    },
    isTerminal: () => terminal ?? false,
  });
  const text = (chunks: Uint8Array[]) => {
    const d = new TextDecoder();
    return chunks.map((c) => d.decode(c, { stream: true })).join("") +
      d.decode();
  };
  const asked: string[] = [];
  const stdin = new TextEncoder().encode(options.stdin ?? "");
  const io: CommandIO = {
    stdout: sink(out, options.terminal?.stdout),
    stderr: sink(err, options.terminal?.stderr),
    stdin: {
      get readable() {
        return new Blob([stdin]).stream();
      },
      isTerminal: () => options.terminal?.stdin ?? false,
    },
    env: (name) => env[name],
    columns: () => options.columns,
    noColor: env.NO_COLOR !== undefined && env.NO_COLOR !== "",
    confirm: (message) => {
      asked.push(message);
      if (!options.confirm) throw new Error(`unexpected question: ${message}`);
      return options.confirm(message);
    },
    envFile: options.cwd ? `${options.cwd}/.env` : null,
  };
  return { io, stdout: () => text(out), stderr: () => text(err), asked };
}

/** A command's entry point (`main` of scripts/<name>.ts). */
export type CommandMain = (args: string[], io: CommandIO) => Promise<number>;

/**
 * Runs a command in-process with a captured io: the same result as
 * {@linkcode runScript} without a new process.
 */
export async function runCommand(
  main: CommandMain,
  args: string[],
  options: CaptureOptions = {},
): Promise<ScriptResult> {
  const captured = captureIO(options);
  const code = await main(args, captured.io);
  return { code, stdout: captured.stdout(), stderr: captured.stderr() };
}

/** Asserts that no secret of the simulator's users appears in the texts. */
export function assertNoSecrets(sim: Simulator, ...texts: string[]): void {
  for (const user of sim.users) {
    // A password equal to the user name (ionadmin/ionadmin) is not checkable.
    const secrets = [user.apiKey, user.password].filter((s) =>
      s !== user.username
    );
    for (const secret of secrets) {
      for (const text of texts) {
        if (secret.length >= 6 && text.includes(secret)) {
          throw new Error(`a secret of ${user.username} leaked into output`);
        }
      }
    }
  }
}

/** Counts launches per (report, plugin) pair in the simulator's log. */
export function launchCounts(sim: Simulator): Map<string, number> {
  const counts = new Map<string, number>();
  for (const l of sim.launches) {
    const key = `${l.report}/${l.plugin}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

/** Reports on which the plugin never ran (so the guard lets them launch). */
export function freshReports(
  sim: Simulator,
  plugin: string,
  count: number,
): number[] {
  const used = new Set(
    (sim.pluginResults({ plugin }) as { result: string }[]).map((r) =>
      Number(/\/results\/(\d+)\//.exec(r.result)?.[1])
    ),
  );
  // Only reports whose analysis completed: launches on the others are
  // refused before they go out (and would end in Error on a real server).
  const fresh = sim.reportIds({ group: "Completed" }).filter((id) =>
    !used.has(id)
  ).slice(0, count);
  if (fresh.length < count) throw new Error("not enough fresh reports");
  return fresh;
}

/** A request a {@linkcode fakeTransport} received. */
export interface FakeRequest {
  method: string;
  url: URL;
  body: string | undefined;
}

/**
 * An injected transport answering from `answer` (for protocol cases no real
 * server produces on demand); it records every request.
 */
export function fakeTransport(
  answer: (request: FakeRequest, index: number) => {
    status: number;
    body?: unknown;
    headers?: Record<string, string>;
  },
): Transport & { requests: FakeRequest[] } {
  const requests: FakeRequest[] = [];
  return {
    requests,
    send(req) {
      const request = { method: req.method, url: req.url, body: req.body };
      requests.push(request);
      const a = answer(request, requests.length - 1);
      const body = typeof a.body === "string"
        ? a.body
        : a.body === undefined
        ? ""
        : JSON.stringify(a.body);
      return Promise.resolve({
        status: a.status,
        headers: new Headers({
          "content-type": "application/json",
          ...a.headers,
        }),
        body,
      });
    },
    close: () => Promise.resolve(),
  };
}

/** A bulk launcher's context for testing one of its phases. */
export function bulkContext(
  client: TsClient,
  overrides: Partial<BulkContext> = {},
): BulkContext {
  return {
    client,
    journal: undefined,
    registry: undefined,
    emit: () => {},
    signal: undefined,
    retry: { retries: 0, baseDelayMs: 1, random: Math.random },
    concurrency: 1,
    settleMs: 1000,
    graceMs: 100,
    now: Date.now,
    policy: ["failed"],
    staleAfterMs: 25 * 3_600_000,
    ...overrides,
  };
}

/** A task for one pair, as the plan makes it. */
export function taskFor(
  report: number,
  plugin: string,
  config: Task["config"] = null,
): Task {
  return {
    key: `${report}/${plugin}`,
    report,
    plugin,
    given: config,
    config,
    before: 0,
    rows: [{
      line: report,
      report,
      plugin,
      outcome: "planned",
      run: null,
      message: "",
      state: null,
    }],
  };
}

/** Options for {@linkcode runRecipe}. */
export interface RunRecipeOptions {
  /** Environment variables (the rest of the environment is cleared). */
  env?: Record<string, string>;
  /** Working directory; default a fresh temp dir. */
  cwd?: string;
  /**
   * Copy the recipe alone into `cwd` and run the copy as the README says:
   * `"flag"` with `--config <checkout>/deno.json`; `"deno.json"` with a
   * `deno.json` beside it whose one import maps `ionrun` to the checkout.
   */
  copied?: "flag" | "deno.json";
}

/** Runs `recipes/<name>` with `-A` in a new Deno process, clean environment. */
export async function runRecipe(
  name: string,
  args: string[],
  options: RunRecipeOptions = {},
): Promise<ScriptResult> {
  const cwd = options.cwd ??
    await Deno.makeTempDir({ prefix: "ionrun-recipe-" });
  let main = `${ROOT}recipes/${name}`;
  const flags = ["run", "-A", "--no-prompt", "--cached-only"];
  if (options.copied) {
    main = `${cwd}/${name}`;
    await Deno.copyFile(`${ROOT}recipes/${name}`, main);
    if (options.copied === "flag") {
      flags.push("--config", `${ROOT}deno.json`);
    } else {
      await Deno.writeTextFile(
        `${cwd}/deno.json`,
        JSON.stringify({ imports: { ionrun: `${ROOT}mod.ts` } }),
      );
    }
  }
  const env = childEnv(options.env);
  const out = await new Deno.Command(Deno.execPath(), {
    args: [...flags, main, ...args],
    cwd,
    clearEnv: true,
    env,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  return {
    code: out.code,
    stdout: new TextDecoder().decode(out.stdout),
    stderr: new TextDecoder().decode(out.stderr),
  };
}
