/**
 * Distribution tasks (`deno task bundle | install | compile`):
 *
 * - `bundle`: `dist/ionrun.js` and `dist/<script>.js`, each one
 *   self-contained file (npm packages inlined) that runs anywhere Deno does,
 *   with an empty cache and no `deno.json`;
 * - `install [--root DIR]`: bundles, copies `ionrun.js` into the install
 *   root and installs the `ionrun` command there (`deno install -g`, honouring
 *   `DENO_INSTALL_ROOT`), with the permissions of its shebang line;
 * - `compile [--target T]…`: `dist/ionrun` (or `dist/ionrun-<target>`), a
 *   single binary with those permissions baked in. It needs Deno's runtime
 *   `denort`, which `deno compile` downloads from dl.deno.land or takes from
 *   `DENORT_BIN`; without it, one line says so and how to provide it.
 *
 * A bundle, not the sources, is what gets installed or compiled: `deno
 * install -g scripts/ionrun.ts` cannot see this repository's import map and
 * frozen lock, while a bundle needs neither.
 *
 * @module
 */

import { basename, join } from "node:path";

const ROOT = new URL("../", import.meta.url).pathname;
const DIST = join(ROOT, "dist");
/** The standalone scripts bundled beside `ionrun.js`. */
const SCRIPTS = ["list", "run", "bulk_run", "status", "doctor"];
/** `deno compile --target` values. */
const TARGETS = [
  "x86_64-unknown-linux-gnu",
  "aarch64-unknown-linux-gnu",
  "x86_64-apple-darwin",
  "aarch64-apple-darwin",
  "x86_64-pc-windows-msvc",
];

/** The Deno permission flags of a script's shebang line. */
function permissions(script: string): string[] {
  const first = Deno.readTextFileSync(join(ROOT, "scripts", script)).split(
    "\n",
  )[0]!;
  const m = /^#!\/usr\/bin\/env -S deno run (.*)$/.exec(first);
  if (!m) throw new Error(`scripts/${script} has no deno shebang line`);
  return m[1]!.split(/\s+/).filter((f) => f.startsWith("--allow-"));
}

/** Runs deno with these arguments; its output passes through unless `quiet`. */
async function deno(
  args: string[],
  options: { quiet?: boolean; env?: Record<string, string> } = {},
): Promise<{ code: number; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args,
    cwd: ROOT,
    env: options.env ?? {},
    stdout: options.quiet ? "piped" : "inherit",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  if (!options.quiet && out.code !== 0) await Deno.stderr.write(out.stderr);
  return { code: out.code, stderr };
}

/** Bundles `ionrun` and the scripts into `dist/`; returns the sizes. */
async function bundle(
  names: readonly string[] = ["ionrun", ...SCRIPTS],
): Promise<Record<string, number>> {
  await Deno.mkdir(DIST, { recursive: true });
  const sizes: Record<string, number> = {};
  for (const name of names) {
    const out = join(DIST, `${name}.js`);
    const r = await deno([
      "bundle",
      "--quiet",
      "--platform",
      "deno",
      "--frozen-lockfile",
      "-o",
      out,
      join(ROOT, "scripts", `${name}.ts`),
    ]);
    if (r.code !== 0) throw new Failure(`bundling scripts/${name}.ts failed`);
    sizes[`${name}.js`] = (await Deno.stat(out)).size;
  }
  return sizes;
}

/** Installs `ionrun` into the root (`--root`, `DENO_INSTALL_ROOT` or `~/.deno`). */
async function install(args: string[]): Promise<void> {
  const at = args.indexOf("--root");
  const root = at >= 0 ? args[at + 1] : Deno.env.get("DENO_INSTALL_ROOT") ??
    join(Deno.env.get("HOME") ?? ".", ".deno");
  if (!root) throw new Failure("--root needs a folder");
  await bundle(["ionrun"]);
  // The installed command must not depend on this checkout staying put.
  const share = join(root, "share", "ionrun");
  await Deno.mkdir(share, { recursive: true });
  const file = join(share, "ionrun.js");
  await Deno.copyFile(join(DIST, "ionrun.js"), file);
  const r = await deno([
    "install",
    "--global",
    "--force",
    "--quiet",
    "--root",
    root,
    "--name",
    "ionrun",
    ...permissions("ionrun.ts"),
    file,
  ]);
  if (r.code !== 0) throw new Failure("deno install failed");
  console.log(`installed ionrun in ${join(root, "bin")} (the code: ${file})`);
  if (!(Deno.env.get("PATH") ?? "").split(":").includes(join(root, "bin"))) {
    console.log(`add ${join(root, "bin")} to your PATH to run it as ionrun`);
  }
}

/** Compiles `dist/ionrun` for this machine or the given targets. */
async function compile(args: string[]): Promise<void> {
  const targets: (string | undefined)[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] !== "--target") continue;
    const t = args[++i];
    if (t === "all") targets.push(...TARGETS);
    else if (t && TARGETS.includes(t)) targets.push(t);
    else {
      throw new Failure(
        `--target must be one of ${TARGETS.join(", ")} or all; got ${
          t ?? "nothing"
        }`,
      );
    }
  }
  if (targets.length === 0) targets.push(undefined);
  const denort = Deno.env.get("DENORT_BIN");
  if (denort !== undefined) {
    try {
      await Deno.stat(denort);
    } catch {
      throw new Failure(runtimeHelp(`DENORT_BIN=${denort} does not exist`));
    }
  }
  await bundle(["ionrun"]);
  for (const target of targets) {
    const out = join(DIST, target ? `ionrun-${target}` : "ionrun");
    const r = await deno([
      "compile",
      "--quiet",
      "--no-check", // a bundle: checked as sources by `deno task test`
      ...permissions("ionrun.ts"),
      ...(target ? ["--target", target] : []),
      "-o",
      out,
      join(DIST, "ionrun.js"),
    ], { quiet: true, env: denort ? { DENORT_BIN: denort } : {} });
    if (r.code !== 0) {
      const why =
        /Could not find denort|dl\.deno\.land|error sending request|denort/i
            .test(r.stderr)
          ? runtimeHelp(
            lastCause(r.stderr),
            target,
            // With several targets, every one still to compile needs its own.
            targets.slice(targets.indexOf(target)).filter((t) =>
              t !== undefined
            ),
          )
          : `deno compile failed: ${lastCause(r.stderr)}`;
      throw new Failure(why);
    }
    const exe =
      target?.includes("windows") || (!target && Deno.build.os === "windows")
        ? `${out}.exe`
        : out;
    const size = (await Deno.stat(exe)).size;
    console.log(`${basename(exe)}: ${(size / 1e6).toFixed(1)} MB`);
  }
}

/**
 * The one line that says the runtime is missing, and how to provide it: for
 * several targets, each one's zip and a run per target (DENORT_BIN is one
 * target's runtime).
 */
export function runtimeHelp(
  why: string,
  target?: string,
  several: string[] = [],
): string {
  if (several.length > 1) {
    const v = Deno.version.deno;
    return `deno compile needs Deno's runtime "denort" for each target and cannot get it (${why}): download, where the network allows, ${
      several.map((t) => `https://dl.deno.land/release/v${v}/denort-${t}.zip`)
        .join(", ")
    }; unzip each, and compile one target at a time: DENORT_BIN=/path/to/denort-TARGET deno task compile --target TARGET (or use the bundle: deno task bundle)`;
  }
  const version = Deno.version.deno;
  const t = target ??
    `${Deno.build.arch}-${
      {
        linux: "unknown-linux-gnu",
        darwin: "apple-darwin",
        windows: "pc-windows-msvc",
      }[
        Deno.build.os as "linux" | "darwin" | "windows"
      ] ?? Deno.build.os
    }`;
  return `deno compile needs Deno's runtime "denort" and cannot get it (${why}): download https://dl.deno.land/release/v${version}/denort-${t}.zip where the network allows, unzip it, and run again with DENORT_BIN=/path/to/denort (or use the bundle: deno task bundle)`;
}

/** Terminal color codes (ESC [ … m). */
const ANSI = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, "g");

/** The innermost cause of a Deno error message, on one line. */
function lastCause(stderr: string): string {
  const lines = stderr.replace(ANSI, "").split("\n").map((l) => l.trim())
    .filter((l) => l && !/^Stack backtrace|^\d+: <unknown>|^Caused by/.test(l));
  const causes = lines.filter((l) => /^\d+: /.test(l)).map((l) =>
    l.replace(/^\d+: /, "")
  );
  return causes.at(-1) ?? lines.at(-1) ?? "no output";
}

/** An expected failure: one line, no stack trace. */
class Failure extends Error {}

if (import.meta.main) {
  const [task, ...args] = Deno.args;
  try {
    if (task === "bundle") {
      for (const [name, size] of Object.entries(await bundle())) {
        console.log(`dist/${name}: ${(size / 1e6).toFixed(2)} MB`);
      }
    } else if (task === "install") await install(args);
    else if (task === "compile") await compile(args);
    else {throw new Failure(
        "usage: tools/dist.ts bundle | install [--root DIR] | compile [--target T]",
      );}
  } catch (error) {
    if (!(error instanceof Failure)) throw error;
    console.error(`${task ?? "dist"}: ${error.message}`);
    Deno.exitCode = 1;
  }
}
