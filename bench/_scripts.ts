// What the benchmarks and the stress harness share: running the toolkit's
// scripts as a user runs them (a new Deno process with the flags of the
// script's shebang line), against a simulator.

const ROOT = new URL("../", import.meta.url).pathname;

/** The repository's root folder. */
export const REPO = ROOT;

/**
 * The Deno flags of a script's shebang line, as a user running it directly
 * gets them (the network stays as wide: the launch registry's beacons are
 * Unix sockets, which Deno counts as network). `--no-prompt`: a missing
 * permission fails instead of waiting for an answer. `--cached-only`: the
 * test task has cached every dependency already, and Deno 2.9 otherwise
 * refetches a package's registry metadata in the background when its cached
 * copy is missing, printing "Download …" on stderr.
 */
export function shebangFlags(name: string): string[] {
  const first = Deno.readTextFileSync(`${ROOT}scripts/${name}`).split("\n")[0]!;
  const m = /^#!\/usr\/bin\/env -S deno (run .*)$/.exec(first);
  if (!m) throw new Error(`scripts/${name} has no deno shebang line`);
  return [...m[1]!.split(/\s+/), "--no-prompt", "--cached-only"];
}

/** Deno's cache of this process (the scripts' XDG_CACHE_HOME differs). */
export const DENO_DIR = Deno.env.get("DENO_DIR") ||
  `${
    Deno.env.get("XDG_CACHE_HOME") ||
    `${Deno.env.get("HOME")}/${
      Deno.build.os === "darwin" ? "Library/Caches" : ".cache"
    }`
  }/deno`;

/** Settings that point a script at a simulator, with a registry folder. */
export function envFor(
  sim: { url: string; users: { username: string; apiKey: string }[] },
  cache: string,
): Record<string, string> {
  const user = sim.users[0]!;
  return {
    TS_URL: sim.url,
    TS_USER: user.username,
    TS_API_KEY: user.apiKey,
    NO_COLOR: "1",
    HOME: Deno.env.get("HOME") ?? "/tmp",
    PATH: Deno.env.get("PATH") ?? "",
    DENO_DIR,
    XDG_CACHE_HOME: cache,
  };
}

/** Options of {@linkcode spawnScript}. */
export interface SpawnOptions {
  /** The whole environment of the script (nothing else is passed). */
  env: Record<string, string>;
  /** Its working directory. */
  cwd: string;
  /** Extra Deno flags before the script. */
  denoFlags?: string[];
  /** Drop its output (a child nobody reads must not block on a full pipe). */
  quiet?: boolean;
  /** Standard input piped (the caller writes it); default none. */
  stdin?: boolean;
}

/**
 * Starts `scripts/<name>` in a new Deno process with the flags of its
 * shebang line and only the environment given; the caller waits for it
 * (reading its output) or kills it. The one spawner of the benchmarks, the
 * stress harness and the tests.
 */
export function spawnScript(
  name: string,
  args: string[],
  options: SpawnOptions,
): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: [
      ...shebangFlags(name),
      ...(options.denoFlags ?? []),
      `${ROOT}scripts/${name}`,
      ...args,
    ],
    clearEnv: true,
    env: options.env,
    cwd: options.cwd,
    stdin: options.stdin ? "piped" : "null",
    stdout: options.quiet ? "null" : "piped",
    stderr: options.quiet ? "null" : "piped",
  }).spawn();
}

/** What a script run produced, and how long it took. */
export interface Ran {
  code: number;
  stdout: string;
  stderr: string;
  seconds: number;
}

/** Runs a script to its end. */
export async function runScript(
  name: string,
  args: string[],
  options: { env: Record<string, string>; cwd: string; denoFlags?: string[] },
): Promise<Ran> {
  const start = performance.now();
  const out = await spawnScript(name, args, options).output();
  return {
    code: out.code,
    stdout: new TextDecoder().decode(out.stdout),
    stderr: new TextDecoder().decode(out.stderr),
    seconds: (performance.now() - start) / 1000,
  };
}

/** Requests by kind (`GET pluginresult/`, `POST results/N/plugin/`), from a simulator's log. */
export function requestKinds(
  requests: readonly { method: string; path: string }[],
): Record<string, number> {
  const kinds: Record<string, number> = {};
  for (const r of requests) {
    const kind = `${r.method} ${
      r.path.replace(/^\/rundb\/api\/v1\//, "").replace(/\/\d+\//g, "/N/")
        .replace(/\?.*$/, "")
    }`;
    kinds[kind] = (kinds[kind] ?? 0) + 1;
  }
  return kinds;
}
