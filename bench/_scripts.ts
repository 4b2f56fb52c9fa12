// What the benchmarks and the stress harness share: running the toolkit's
// scripts as a user runs them (a new Deno process with the flags of the
// script's shebang line), against a simulator.

const ROOT = new URL("../", import.meta.url).pathname;

/** The repository's root folder. */
export const REPO = ROOT;

/** The Deno flags of a script's shebang line. */
export function shebangFlags(name: string): string[] {
  const first = Deno.readTextFileSync(`${ROOT}scripts/${name}`).split("\n")[0]!;
  const m = /^#!\/usr\/bin\/env -S deno (run .*)$/.exec(first);
  if (!m) throw new Error(`scripts/${name} has no deno shebang line`);
  return [...m[1]!.split(/\s+/), "--no-prompt", "--cached-only"];
}

/** Deno's cache of this process (the scripts' XDG_CACHE_HOME differs). */
const DENO_DIR = Deno.env.get("DENO_DIR") ||
  `${Deno.env.get("XDG_CACHE_HOME") || `${Deno.env.get("HOME")}/.cache`}/deno`;

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

/**
 * Starts a script; the caller waits for it (reading its output) or kills it.
 * `quiet`: its output is dropped (a child nobody reads must not block on a
 * full pipe).
 */
export function spawnScript(
  name: string,
  args: string[],
  options: {
    env: Record<string, string>;
    cwd: string;
    denoFlags?: string[];
    quiet?: boolean;
  },
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
    stdin: "null",
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
