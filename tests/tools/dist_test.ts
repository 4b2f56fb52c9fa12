// The distribution tasks as a user runs them: bundles that run from any
// folder with an empty Deno cache, `ionrun` installed into a root of its
// own, and `deno compile` saying in one line why it cannot build a binary.

import assert from "node:assert/strict";
import { DENO_DIR, envFor, ROOT, simulator } from "../_helpers.ts";

// What Deno needs to reach the npm registry, kept in the clean environment:
// `deno bundle` fetches esbuild on first use, through the machine's proxy
// and the CA it trusts (Deno reads NODE_EXTRA_CA_CERTS).
const NETWORK_ENV = [
  "NODE_EXTRA_CA_CERTS",
  "DENO_CERT",
  "DENO_TLS_CA_STORE",
  "NPM_CONFIG_REGISTRY",
  "HTTPS_PROXY",
  "HTTP_PROXY",
  "NO_PROXY",
  "https_proxy",
  "http_proxy",
  "no_proxy",
];

/** Runs `deno task <name>` in the repository; clean environment. */
async function task(
  name: string,
  args: string[],
  env: Record<string, string> = {},
) {
  const network: Record<string, string> = {};
  for (const name of NETWORK_ENV) {
    const v = Deno.env.get(name);
    if (v !== undefined) network[name] = v;
  }
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["task", "--quiet", name, ...args],
    cwd: ROOT,
    clearEnv: true,
    env: {
      ...network,
      DENO_DIR,
      HOME: Deno.env.get("HOME") ?? "/tmp",
      PATH: Deno.env.get("PATH") ?? "",
      ...env,
    },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: text(out.stdout), stderr: text(out.stderr) };
}

/** Runs a command in `cwd` with only these variables. */
async function run(
  cmd: string,
  args: string[],
  cwd: string,
  env: Record<string, string>,
) {
  const out = await new Deno.Command(cmd, {
    args,
    cwd,
    clearEnv: true,
    env: { PATH: Deno.env.get("PATH") ?? "", NO_COLOR: "1", ...env },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: text(out.stdout), stderr: text(out.stderr) };
}

Deno.test("deno task bundle: each bundle runs from another folder with an empty Deno cache", async () => {
  await using sim = await simulator();
  const built = await task("bundle", []);
  assert.equal(built.code, 0, built.stderr);
  const away = await Deno.makeTempDir({ prefix: "ionrun-away-" });
  const names = ["ionrun", "list", "run", "bulk_run", "status", "doctor"];
  for (const name of names) {
    await Deno.copyFile(`${ROOT}dist/${name}.js`, `${away}/${name}.js`);
  }
  const empty = await Deno.makeTempDir({ prefix: "ionrun-empty-cache-" });
  const env = { ...envFor(sim), DENO_DIR: empty, HOME: away };
  const deno = (args: string[]) =>
    run(Deno.execPath(), ["run", "--cached-only", "-A", ...args], away, env);
  for (const name of names) {
    const r = await deno([
      `${name}.js`,
      name === "ionrun" ? "--version" : "--help",
    ]);
    assert.equal(r.code, 0, `${name}.js: ${r.stderr}`);
  }
  const list = await deno(["list.js", "--format", "json"]);
  assert.equal(list.code, 0, list.stderr);
  assert.ok((JSON.parse(list.stdout) as unknown[]).length > 5);
  const sub = await deno([
    "ionrun.js",
    "list",
    "reports",
    "--limit",
    "3",
    "--format",
    "csv",
  ]);
  assert.equal(sub.code, 0, sub.stderr);
  assert.match(sub.stdout, /^report,/);
  assert.equal(sub.stdout.trim().split("\n").length, 4);
  await Deno.remove(away, { recursive: true });
  await Deno.remove(empty, { recursive: true });
});

Deno.test("deno task install --root DIR installs ionrun there; it runs against the simulator", async () => {
  await using sim = await simulator();
  const root = await Deno.makeTempDir({ prefix: "ionrun-root-" });
  const installed = await task("install", ["--root", root]);
  assert.equal(installed.code, 0, installed.stderr);
  assert.match(installed.stdout, new RegExp(`installed ionrun in ${root}/bin`));
  const cwd = await Deno.makeTempDir();
  const env = { ...envFor(sim), DENO_DIR, HOME: cwd };
  const r = await run(
    `${root}/bin/ionrun`,
    ["list", "--format", "json"],
    cwd,
    env,
  );
  assert.equal(r.code, 0, r.stderr);
  assert.ok(
    (JSON.parse(r.stdout) as { name: string }[]).some((p) => p.name === "igv"),
  );
  // DENO_INSTALL_ROOT is honoured too.
  const other = await Deno.makeTempDir({ prefix: "ionrun-root-" });
  const byEnv = await task("install", [], { DENO_INSTALL_ROOT: other });
  assert.equal(byEnv.code, 0, byEnv.stderr);
  await Deno.stat(`${other}/bin/ionrun`);
  for (const d of [root, other, cwd]) await Deno.remove(d, { recursive: true });
});

Deno.test("deno task compile without the runtime ends with one line saying how to provide it", async () => {
  const r = await task("compile", [], { DENORT_BIN: "/nonexistent/denort" });
  assert.equal(r.code, 1);
  const lines = r.stderr.trim().split("\n");
  assert.equal(lines.length, 1, r.stderr);
  assert.match(
    lines[0]!,
    /^compile: deno compile needs Deno's runtime "denort" and cannot get it \(DENORT_BIN=\/nonexistent\/denort does not exist\): download https:\/\/dl\.deno\.land\/release\/v[\d.]+\/denort-.*\.zip .* DENORT_BIN=\/path\/to\/denort/,
  );
  const wrong = await task("compile", ["--target", "vax"]);
  assert.equal(wrong.code, 1);
  assert.match(wrong.stderr, /^compile: --target must be one of /);
});

Deno.test("compile --target all without the runtime: the help names every target's zip, one run per target", async () => {
  const { runtimeHelp } = await import("../../tools/dist.ts");
  const help = runtimeHelp("offline", "x86_64-unknown-linux-gnu", [
    "x86_64-unknown-linux-gnu",
    "aarch64-apple-darwin",
    "x86_64-pc-windows-msvc",
  ]);
  for (
    const t of [
      "x86_64-unknown-linux-gnu",
      "aarch64-apple-darwin",
      "x86_64-pc-windows-msvc",
    ]
  ) {
    assert.ok(help.includes(`denort-${t}.zip`), `${t}: ${help}`);
  }
  assert.match(help, /compile one target at a time: DENORT_BIN=/);
  assert.match(
    runtimeHelp("offline"),
    /denort-.*\.zip where the network allows/,
  );
});
