/**
 * Where launchers on this machine coordinate: the claims registry and the
 * process beacons live in the user's cache folder. The scripts always use
 * {@linkcode defaultRegistryDir}; the library's `bulkRun` uses a registry
 * when given its location (option `registry`), so a recipe without file
 * permissions still runs.
 *
 * @module
 */

import { join } from "node:path";

/**
 * The default registry folder: `$XDG_CACHE_HOME/ionrun` (else
 * `~/.cache/ionrun`; `~/Library/Caches/ionrun` on macOS,
 * `%LOCALAPPDATA%\ionrun` on Windows).
 *
 * @example
 * ```ts
 * import { defaultRegistryDir } from "./registry_dir.ts";
 * const env: Record<string, string> = { HOME: "/home/lab" };
 * const dir = defaultRegistryDir((name) => env[name], "linux");
 * if (dir !== "/home/lab/.cache/ionrun") throw new Error(dir);
 * ```
 *
 * @param getEnv Reads an environment variable; default `Deno.env.get`.
 * @param os The operating system; default `Deno.build.os`.
 * @returns The folder (it may not exist yet).
 * @throws {Error} When neither a cache folder nor a home folder is set.
 */
export function defaultRegistryDir(
  getEnv: (name: string) => string | undefined = (name) => Deno.env.get(name),
  os: typeof Deno.build.os = Deno.build.os,
): string {
  const set = (name: string) => {
    const v = getEnv(name)?.trim();
    return v ? v : undefined;
  };
  if (os === "windows") {
    const base = set("LOCALAPPDATA") ?? set("USERPROFILE");
    if (base) return join(base, "ionrun");
  } else {
    const xdg = set("XDG_CACHE_HOME");
    if (xdg) return join(xdg, "ionrun");
    const home = set("HOME");
    if (home) {
      return os === "darwin"
        ? join(home, "Library", "Caches", "ionrun")
        : join(home, ".cache", "ionrun");
    }
  }
  throw new Error(
    "no cache folder for the launch registry: set HOME or XDG_CACHE_HOME",
  );
}
