import assert from "node:assert/strict";
import { main } from "../../simulator/main.ts";
import { API, U } from "./_helpers.ts";

Deno.test("main(): help, usage errors, serve until stopped", async () => {
  const lines: string[] = [];
  const io = {
    stdout: (l: string) => lines.push(l),
    stderr: (l: string) => lines.push(`E ${l}`),
  };
  assert.equal(await main(["--help"], io), 0);
  const help = lines.splice(0).join("\n");
  assert.match(help, /^Usage: simulator \[options\]/);
  assert.match(help, /--failure-rate <f>/);
  assert.match(help, /Users: ionadmin/);
  assert.equal(await main(["--bogus"], io), 2);
  assert.equal(lines.pop(), 'E Run "simulator --help" for usage.');
  assert.equal(lines.pop(), "E simulator: unknown option '--bogus'");
  assert.equal(await main(["--failure-rate", "2"], io), 2);
  assert.match(lines.at(-2)!, /--failure-rate must be a number from 0 to 1/);
  assert.equal(await main(["--tls-cert", "x.pem"], io), 2);
  assert.match(lines.at(-2)!, /--tls-cert and --tls-key go together/);
  lines.length = 0;
  const stop = new AbortController();
  const done = main(["--port", "0", "--reports", "5"], {
    ...io,
    signal: stop.signal,
  });
  while (!lines.length) await new Promise((r) => setTimeout(r, 10));
  const url =
    /^Torrent Suite simulator listening on (http:\/\/127\.0\.0\.1:\d+)$/.exec(
      lines[0]!,
    )![1];
  const res = await fetch(`${url}${API}torrentsuite/version/`);
  assert.equal(res.status, 200);
  await res.body?.cancel();
  stop.abort();
  assert.equal(await done, 0);
  assert.ok(!lines.join("\n").includes(U.apiKey));
});
