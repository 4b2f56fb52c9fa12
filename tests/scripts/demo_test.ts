import assert from "node:assert/strict";
import { DENO_DIR, ROOT } from "../_helpers.ts";

Deno.test("the demo shows a failed run's log and the closing summary, with no escape codes under NO_COLOR or in a pipe", async () => {
  const cwd = await Deno.makeTempDir({ prefix: "ionrun-demo-" });
  try {
    const out = await new Deno.Command(Deno.execPath(), {
      // The flags of `deno task demo`.
      args: [
        "run",
        "--allow-net=127.0.0.1",
        "--allow-read",
        "--allow-write=.",
        "--allow-env",
        "--allow-run",
        "--cached-only",
        `${ROOT}scripts/demo.ts`,
        "--quick",
      ],
      cwd,
      clearEnv: true,
      env: {
        NO_COLOR: "1",
        DENO_DIR,
        XDG_CACHE_HOME: await Deno.makeTempDir({ prefix: "ionrun-cache-" }),
        HOME: Deno.env.get("HOME") ?? "",
        PATH: Deno.env.get("PATH") ?? "",
      },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stdout = new TextDecoder().decode(out.stdout);
    const stderr = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 0, stderr);
    assert.ok(!stdout.includes("\x1b[") && !stderr.includes("\x1b["));
    assert.match(stdout, /^# Check the connection first$/m);
    assert.match(stdout, /^All checks passed\.$/m);
    assert.match(stdout, /^# Why did they fail\? /m);
    const logs = stdout.slice(stdout.indexOf("# Why did they fail?"));
    assert.match(logs, /^── \d+ .+ sampleID {2}#\d+ {2}Error$/m);
    assert.match(logs, /\/drmaa_stdout\.txt$/m);
    assert.match(logs, /^ {2}\[[^\]]+\] ERROR: sampleID failed: /m);
    assert.match(stderr, /^── summary ─+$/m);
    assert.match(stderr, /^\d+ pair\(s\): \d+ completed, \d+ failed/m);
    assert.match(
      stderr,
      /^Rerun the failed ones:\n {2}deno run -A \S+status\.ts /m,
    );
    const page = await Deno.readTextFile(`${cwd}/demo-out/status.html`);
    assert.match(page, /<th data-plugin="sampleID"/);
  } finally {
    await Deno.remove(cwd, { recursive: true });
  }
});
