import assert from "node:assert/strict";
import { proxyConfigured } from "../../lib/_proxy.ts";

const NAMES = ["HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"]
  .flatMap((n) => [n, n.toLowerCase()]);

/** Runs `fn` with exactly these proxy variables set, then restores them. */
function withProxyEnv(vars: Record<string, string>, fn: () => void) {
  const saved = NAMES.map((n) => [n, Deno.env.get(n)] as const);
  try {
    for (const n of NAMES) Deno.env.delete(n);
    for (const [n, v] of Object.entries(vars)) Deno.env.set(n, v);
    fn();
  } finally {
    for (const [n, v] of saved) {
      if (v === undefined) Deno.env.delete(n);
      else Deno.env.set(n, v);
    }
  }
}

Deno.test("proxyConfigured() follows the scheme's variable, ALL_PROXY and NO_PROXY", () => {
  const http = "http://ts.example.org";
  const https = "https://ts.example.org:8443";
  const cases: [Record<string, string>, string, boolean][] = [
    [{}, http, false],
    [{ HTTP_PROXY: "http://proxy:3128" }, http, true],
    [{ http_proxy: "http://proxy:3128" }, http, true],
    [{ HTTP_PROXY: "http://proxy:3128" }, https, false],
    [{ HTTPS_PROXY: "http://proxy:3128" }, https, true],
    [{ ALL_PROXY: "http://proxy:3128" }, https, true],
    [{ HTTP_PROXY: "http://p:1", NO_PROXY: ".example.org" }, http, false],
    [{ HTTP_PROXY: "http://p:1", no_proxy: "example.org:80" }, http, false],
    [{ HTTP_PROXY: "http://p:1", NO_PROXY: "ts.example.org" }, http, false],
    [{ HTTP_PROXY: "http://p:1", NO_PROXY: "*" }, http, false],
    [
      { HTTP_PROXY: "http://p:1", NO_PROXY: "other.org, ample.org" },
      http,
      true,
    ],
    [{ HTTP_PROXY: "http://p:1", NO_PROXY: "10.0.0.0/8" }, http, true],
  ];
  for (const [vars, url, expected] of cases) {
    withProxyEnv(vars, () => {
      assert.equal(
        proxyConfigured(url),
        expected,
        `${JSON.stringify(vars)} ${url}`,
      );
    });
  }
});

Deno.test("proxyConfigured() assumes a proxy when it may not read the environment", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const module = new URL("../../lib/_proxy.ts", import.meta.url).href;
    await Deno.writeTextFile(
      `${dir}/check.ts`,
      `import { proxyConfigured } from "${module}";
console.log(proxyConfigured("http://ts.example.org"));\n`,
    );
    // No --allow-env: the variables cannot be read.
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--no-prompt", "--allow-read", `${dir}/check.ts`],
      clearEnv: true,
      env: { NO_COLOR: "1", PATH: Deno.env.get("PATH") ?? "" },
    }).output();
    const stderr = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 0, stderr);
    assert.equal(new TextDecoder().decode(out.stdout).trim(), "true");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
