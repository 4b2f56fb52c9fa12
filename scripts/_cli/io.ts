// What a command talks to: its standard streams, its environment, the
// terminal, and how it was started. Every output, prompt, color decision and
// environment read of the commands goes through a CommandIO, so that a test
// can run a command in-process (`main(args, io)`) with captured streams and an
// environment of its own. The default is the real Deno one.

import { decodeInput, readBounded } from "../../lib/run_rows.ts";

/** A stream the commands write to synchronously. */
export interface OutStream {
  /** Writes some of the bytes; returns how many (as `Deno.stdout.writeSync`). */
  writeSync(p: Uint8Array): number;
  /** Whether it is a terminal. */
  isTerminal(): boolean;
}

/** Standard input. */
export interface InStream {
  /** Its bytes (read at most once). */
  readonly readable: ReadableStream<Uint8Array>;
  /** Whether it is a terminal. */
  isTerminal(): boolean;
}

/** The world of one command invocation. */
export interface CommandIO {
  /** Results. */
  stdout: OutStream;
  /** Progress, messages, prompts. */
  stderr: OutStream;
  /** Input (`-`) and the answers to questions. */
  stdin: InStream;
  /** Reads an environment variable. */
  env(name: string): string | undefined;
  /** The terminal's width in columns, or `undefined` when unknown. */
  columns(): number | undefined;
  /** Colors are off (`NO_COLOR`). */
  readonly noColor: boolean;
  /**
   * Asks a yes/no question: the question on stderr (never stdout, which may
   * be a file of results), the answer a line of stdin. Callers ask only
   * when {@linkcode canAsk} says a person is there.
   */
  confirm(message: string): boolean;
  /**
   * The `.env` file to read (default `.env` in the working directory; `null`
   * none); see `loadConfig`.
   */
  envFile?: string | null;
  /** The server profiles file (default the user's); `null` none. */
  profilesFile?: string | null;
  /**
   * Started as `ionrun <command>` rather than as the standalone script: the
   * commands the closing block prints are spelled the same way.
   */
  ionrun?: boolean;
}

/** The real streams, environment and terminal of this Deno process. */
export const denoIO: CommandIO = {
  stdout: {
    writeSync: (p) => Deno.stdout.writeSync(p),
    isTerminal: () => Deno.stdout.isTerminal(),
  },
  stderr: {
    writeSync: (p) => Deno.stderr.writeSync(p),
    isTerminal: () => Deno.stderr.isTerminal(),
  },
  stdin: {
    get readable() {
      return Deno.stdin.readable;
    },
    isTerminal: () => Deno.stdin.isTerminal(),
  },
  env: (name) => Deno.env.get(name),
  columns: () => {
    try {
      return Deno.consoleSize().columns || undefined;
    } catch {
      return undefined;
    }
  },
  get noColor() {
    return Deno.noColor;
  },
  confirm: (message) => askLine(message, Deno.stdin, Deno.stderr),
};

/**
 * Asks `message [y/N]` on `stderr` and reads one line of `stdin`: true for
 * y or yes. (The global `confirm` writes its question to stdout: hidden by
 * `> file`, or written into the results.)
 */
export function askLine(
  message: string,
  stdin: { readSync(p: Uint8Array): number | null },
  stderr: { writeSync(p: Uint8Array): number },
): boolean {
  const prompt = new TextEncoder().encode(`${message} [y/N] `);
  let written = 0;
  while (written < prompt.length) {
    written += stderr.writeSync(prompt.subarray(written));
  }
  const bytes: number[] = [];
  const one = new Uint8Array(1);
  while (bytes.length < 1024) {
    const n = stdin.readSync(one);
    if (n === null || n === 0 || one[0] === 0x0a) break;
    bytes.push(one[0]!);
  }
  const answer = new TextDecoder().decode(new Uint8Array(bytes)).trim()
    .toLowerCase();
  return answer === "y" || answer === "yes";
}

/**
 * Whether a question can be asked: a person at the keyboard (stdin) who
 * sees the question (stderr). Off a terminal, a question is refused and
 * `--yes` is the way to say yes.
 */
export function canAsk(io: CommandIO): boolean {
  return io.stdin.isTerminal() && io.stderr.isTerminal();
}

/** The name a command is called by: `list.ts`, or `ionrun list`. */
export function commandName(io: CommandIO, script: string): string {
  return io.ionrun
    ? `ionrun ${script.replace(/\.ts$/, "").replace("_", "-")}`
    : script;
}

/** The scripts `ionrun` has as commands. */
const SCRIPTS = "bulk_run|list|run|status|results|download|doctor";

/**
 * A text (help, hint, error) in the words of how the command was started:
 * under `ionrun`, `bulk_run.ts` (or `deno run -A scripts/bulk_run.ts`)
 * becomes `ionrun bulk-run`; as a script, it is left as it is.
 */
export function spokenAs(io: Pick<CommandIO, "ionrun">, text: string): string {
  if (!io.ionrun) return text;
  return text.replace(
    new RegExp(
      `(?<![\\w/.-])(?:deno run -A )?(?:scripts/)?(${SCRIPTS})\\.ts\\b`,
      "g",
    ),
    (_, name: string) => `ionrun ${name.replace("_", "-")}`,
  );
}

/** The `loadConfig` options of an io: its environment, `.env` and profiles. */
export function configSources(io: CommandIO): {
  getEnv: (name: string) => string | undefined;
  envFile?: string | null;
  profilesFile?: string | null;
} {
  return {
    getEnv: (name) => io.env(name),
    ...(io.envFile !== undefined ? { envFile: io.envFile } : {}),
    ...(io.profilesFile !== undefined ? { profilesFile: io.profilesFile } : {}),
  };
}

/**
 * Reads an input file as text, `-` from the io's standard input: UTF-8, or
 * UTF-16 with a BOM, bounded in size, what is not text refused (as
 * `readInputText` of lib/run_rows.ts).
 */
export async function readInput(
  io: CommandIO,
  path: string,
  readFile: (path: string) => Promise<string>,
): Promise<string> {
  if (path !== "-") return await readFile(path);
  // Bounded and checked as a file is (not text, too large: one line).
  return decodeInput(await readBounded(io.stdin.readable, path), path);
}
