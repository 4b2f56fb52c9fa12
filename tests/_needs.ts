// Tests that need a Debian package (Chromium for the browser test, openssl
// for the TLS tests). Where it is missing they are skipped, with one line
// naming the package to install; under CI=true a missing package is a
// failure (.ci/run installs them before the tests).

/** Whether an executable is there: an absolute path, or a name on PATH. */
export function hasExecutable(name: string): boolean {
  const candidates = name.startsWith("/")
    ? [name]
    : (Deno.env.get("PATH") ?? "").split(":").filter(Boolean).map((d) =>
      `${d}/${name}`
    );
  return candidates.some((path) => {
    try {
      return Deno.statSync(path).isFile;
    } catch {
      return false;
    }
  });
}

const reported = new Set<string>();

/**
 * Registers a test that needs the Debian package `pkg` (found by the
 * executable `executable`).
 */
export function testNeeding(
  pkg: string,
  executable: string,
  name: string,
  fn: (t: Deno.TestContext) => void | Promise<void>,
): void {
  const present = hasExecutable(executable);
  const inCi = Deno.env.get("CI") === "true";
  if (present || inCi) {
    Deno.test(name, async (t) => {
      if (!present) {
        throw new Error(
          `needs the Debian package ${pkg} (apt-get install ${pkg}); .ci/run installs it`,
        );
      }
      await fn(t);
    });
    return;
  }
  if (!reported.has(pkg)) {
    reported.add(pkg);
    console.error(
      `skipped: tests needing the Debian package ${pkg} (install it with: apt-get install ${pkg})`,
    );
  }
  Deno.test({ name: `${name} (needs ${pkg})`, ignore: true, fn: () => {} });
}

/** Debian's Chromium, driven by playwright-core (which never downloads a browser). */
export const CHROMIUM = "/usr/bin/chromium";

/**
 * As root, in a sandbox with no network: no sandbox, no GPU, and none of
 * the background connections Chromium makes at start-up (refused here).
 */
export const CHROMIUM_ARGS: readonly string[] = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
