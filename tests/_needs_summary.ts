// Said again after the tests (the test task runs it last): the tests that
// were skipped for a missing Debian package, since their one line is
// buried mid-output among the parallel workers'.

import { hasExecutable } from "./_needs.ts";

/** The Debian packages some tests need, and the executable that shows each. */
const NEEDED: readonly [pkg: string, executable: string][] = [
  ["chromium", "/usr/bin/chromium"],
  ["openssl", "openssl"],
];

if (import.meta.main) {
  const missing = NEEDED.filter(([, exe]) => !hasExecutable(exe));
  if (missing.length > 0 && Deno.env.get("CI") !== "true") {
    const pkgs = missing.map(([p]) => p).join(" ");
    console.error(
      `skipped: the tests needing the Debian package(s) ${pkgs} (install with: apt-get install ${pkgs})`,
    );
  }
}
