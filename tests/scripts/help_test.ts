// Every command's help has "Examples:", no line over 80 columns and at most
// 120 lines, under either name; `ionrun completion` is generated from the
// command tree (issue 21, item 10); run takes --plugin/--report too (item 11).

import assert from "node:assert/strict";
import { envFor, freshReports, runCommand, simulator } from "../_helpers.ts";
import { main as ionrun } from "../../scripts/ionrun.ts";
import { main as runMain } from "../../scripts/run.ts";

const HELPS = [
  ["--help"],
  ["list", "--help"],
  ["list", "reports", "--help"],
  ["list", "plugins", "--help"],
  ["run", "--help"],
  ["bulk-run", "--help"],
  ["status", "--help"],
  ["results", "--help"],
  ["download", "--help"],
  ["doctor", "--help"],
];

Deno.test("every command's help has Examples: and no line wider than 80 columns", async () => {
  for (const args of HELPS) {
    const r = await runCommand(ionrun, args);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Examples:\n {2}\S/m, args.join(" "));
    for (const line of r.stdout.split("\n")) {
      assert.ok(
        line.length <= 80,
        `${args.join(" ")}: ${line.length}: ${line}`,
      );
    }
    // Help fits a screenful or two; the long explanations are the README's
    // (bulk-run's was 166 lines).
    const lines = r.stdout.trimEnd().split("\n").length;
    assert.ok(lines <= 120, `${args.join(" ")}: ${lines} lines`);
    // The examples speak ionrun's language under ionrun.
    assert.doesNotMatch(
      r.stdout,
      /(?<![\w/.-])(bulk_run|list|run|status|doctor|results|download)\.ts\b/,
    );
  }
});

Deno.test("ionrun completion bash|zsh|fish is generated from the command tree; bash reads it", async () => {
  for (const shell of ["bash", "zsh", "fish"]) {
    const r = await runCommand(ionrun, ["completion", shell]);
    assert.equal(r.code, 0, r.stderr);
    for (const word of ["bulk-run", "max-active", "wide", "reports"]) {
      assert.ok(r.stdout.includes(word), `${shell}: ${word}`);
    }
  }
  const bash = await runCommand(ionrun, ["completion", "bash"]);
  assert.match(bash.stdout, /complete -o default -F _ionrun ionrun/);
  assert.match(
    bash.stdout,
    /list:--format\|list:-o\) COMPREPLY=\(\$\(compgen -W "table json ndjson csv"/,
  );
  const check = await new Deno.Command("bash", {
    args: ["-n"],
    stdin: "piped",
    stderr: "piped",
  }).spawn();
  const w = check.stdin.getWriter();
  await w.write(new TextEncoder().encode(bash.stdout));
  await w.close();
  const out = await check.output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  const bad = await runCommand(ionrun, ["completion", "tcsh"]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /give one shell: bash, zsh, fish/);
});

Deno.test("run.ts takes --plugin and --report as bulk-run and status do", async () => {
  await using sim = await simulator({ queuedMs: 60_000 });
  const [a, b, c] = freshReports(sim, "igv", 3);
  for (
    const args of [
      ["--plugin", "igv", String(a)],
      ["--plugin", "igv", "--report", String(b)],
      ["igv", "--report", String(c)],
    ]
  ) {
    const r = await runCommand(runMain, [...args, "--dry-run", "-o", "json"], {
      env: envFor(sim),
    });
    assert.equal(r.code, 0, `${args.join(" ")}: ${r.stderr}`);
    const rows = JSON.parse(r.stdout) as { report: number }[];
    assert.equal(rows.length, 1);
  }
  const none = await runCommand(runMain, ["--plugin", "igv"], {
    env: envFor(sim),
  });
  assert.equal(none.code, 2);
  assert.match(none.stderr, /no report: give report keys/);
});
