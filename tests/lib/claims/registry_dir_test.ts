// Unit tests of where the launch registry lives: the user's cache folder,
// per operating system, from the environment.

import assert from "node:assert/strict";
import { join } from "node:path";
import { defaultRegistryDir } from "../../../lib/claims/registry_dir.ts";

/** A getEnv reading `vars` only. */
const envOf = (vars: Record<string, string>) => (name: string) => vars[name];

Deno.test("defaultRegistryDir() is ~/.cache/ionrun on Linux, and under XDG_CACHE_HOME when that is set", () => {
  assert.equal(
    defaultRegistryDir(envOf({ HOME: "/home/lab" }), "linux"),
    "/home/lab/.cache/ionrun",
  );
  assert.equal(
    defaultRegistryDir(
      envOf({ HOME: "/home/lab", XDG_CACHE_HOME: "/scratch/cache" }),
      "linux",
    ),
    "/scratch/cache/ionrun",
  );
  assert.equal(
    defaultRegistryDir(envOf({ XDG_CACHE_HOME: "/scratch/cache" }), "freebsd"),
    "/scratch/cache/ionrun",
  );
});

Deno.test("defaultRegistryDir() is ~/Library/Caches/ionrun on macOS unless XDG_CACHE_HOME is set", () => {
  assert.equal(
    defaultRegistryDir(envOf({ HOME: "/Users/lab" }), "darwin"),
    "/Users/lab/Library/Caches/ionrun",
  );
  assert.equal(
    defaultRegistryDir(
      envOf({ HOME: "/Users/lab", XDG_CACHE_HOME: "/Users/lab/.xdg" }),
      "darwin",
    ),
    "/Users/lab/.xdg/ionrun",
  );
});

Deno.test("defaultRegistryDir() is %LOCALAPPDATA%\\ionrun on Windows, else under USERPROFILE; HOME and XDG do not count there", () => {
  const local = "C:\\Users\\lab\\AppData\\Local";
  assert.equal(
    defaultRegistryDir(
      envOf({
        LOCALAPPDATA: local,
        USERPROFILE: "C:\\Users\\lab",
        HOME: "/home/lab",
        XDG_CACHE_HOME: "/xdg",
      }),
      "windows",
    ),
    join(local, "ionrun"),
  );
  assert.equal(
    defaultRegistryDir(envOf({ USERPROFILE: "C:\\Users\\lab" }), "windows"),
    join("C:\\Users\\lab", "ionrun"),
  );
  assert.throws(
    () =>
      defaultRegistryDir(
        envOf({ HOME: "/home/lab", XDG_CACHE_HOME: "/xdg" }),
        "windows",
      ),
    /no cache folder for the launch registry/,
  );
});

Deno.test("defaultRegistryDir() ignores empty and blank variables, and trims the others", () => {
  assert.equal(
    defaultRegistryDir(
      envOf({ XDG_CACHE_HOME: "  ", HOME: " /home/lab " }),
      "linux",
    ),
    "/home/lab/.cache/ionrun",
  );
  assert.equal(
    defaultRegistryDir(
      envOf({ LOCALAPPDATA: "", USERPROFILE: "D:\\u" }),
      "windows",
    ),
    join("D:\\u", "ionrun"),
  );
});

Deno.test("defaultRegistryDir() throws, naming what to set, without a cache or home folder", () => {
  assert.throws(
    () => defaultRegistryDir(envOf({}), "linux"),
    {
      name: "Error",
      message:
        "no cache folder for the launch registry: set HOME or XDG_CACHE_HOME",
    },
  );
  assert.throws(
    () => defaultRegistryDir(envOf({ HOME: "" }), "darwin"),
    /set HOME or XDG_CACHE_HOME/,
  );
});

Deno.test("defaultRegistryDir() reads this process's environment and OS by default", () => {
  const xdg = Deno.env.get("XDG_CACHE_HOME")?.trim();
  const home = Deno.env.get("HOME")?.trim();
  if (Deno.build.os === "windows" || (!xdg && !home)) return;
  const expected = xdg
    ? join(xdg, "ionrun")
    : Deno.build.os === "darwin"
    ? join(home!, "Library", "Caches", "ionrun")
    : join(home!, ".cache", "ionrun");
  assert.equal(defaultRegistryDir(), expected);
});
