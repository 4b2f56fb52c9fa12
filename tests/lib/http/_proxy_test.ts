// Unit tests of the proxy rules: the scheme's variable, ALL_PROXY, NO_PROXY,
// lower-case forms.

import assert from "node:assert/strict";
import { proxyFor } from "../../../lib/http/_proxy.ts";

const P = "http://proxy:3128";

Deno.test("proxyFor() follows the scheme's variable, ALL_PROXY and NO_PROXY", () => {
  const http = "http://ts.example.org";
  const https = "https://ts.example.org:8443";
  const cases: [Record<string, string>, string, string | undefined][] = [
    [{}, http, undefined],
    [{ HTTP_PROXY: P }, http, P],
    [{ http_proxy: P }, http, P],
    [{ HTTP_PROXY: P }, https, undefined], // not for https (unlike undici's own)
    [{ HTTPS_PROXY: P }, https, P],
    [{ https_proxy: P }, https, P],
    [{ HTTPS_PROXY: P }, http, undefined],
    [{ ALL_PROXY: P }, https, P], // undici's own ignores ALL_PROXY
    [{ all_proxy: "proxy:3128" }, http, P], // a bare host:port is http
    [{ HTTPS_PROXY: "http://a:1", ALL_PROXY: P }, https, "http://a:1"],
    [{ HTTP_PROXY: P, NO_PROXY: ".example.org" }, http, undefined],
    [{ HTTP_PROXY: P, no_proxy: "example.org:80" }, http, undefined],
    [{ HTTP_PROXY: P, NO_PROXY: "ts.example.org" }, http, undefined],
    [{ HTTP_PROXY: P, NO_PROXY: "*" }, http, undefined],
    [{ HTTP_PROXY: P, NO_PROXY: "other.org, ample.org" }, http, P],
    [{ HTTP_PROXY: P, NO_PROXY: "10.0.0.0/8" }, http, P],
    [{ HTTP_PROXY: " " }, http, undefined],
  ];
  for (const [vars, url, expected] of cases) {
    assert.equal(
      proxyFor(url, (name) => vars[name]),
      expected,
      `${JSON.stringify(vars)} ${url}`,
    );
  }
});

Deno.test("proxyFor() counts a variable it may not read as unset, without a prompt", async () => {
  const module = new URL("../../../lib/http/_proxy.ts", import.meta.url).href;
  const script = await Deno.makeTempFile({ suffix: ".ts" });
  await Deno.writeTextFile(
    script,
    `import { proxyFor } from "${module}";\nconsole.log(String(proxyFor("http://ts")));\n`,
  );
  // No --allow-env: a prompt would hang, a throw would fail.
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-prompt", "--cached-only", "--allow-read", script],
    env: { HTTP_PROXY: P, NO_COLOR: "1" },
  }).output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  assert.equal(new TextDecoder().decode(out.stdout), "undefined\n");
});
