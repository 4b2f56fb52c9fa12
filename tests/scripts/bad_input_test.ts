// Bad input as a user meets it (issue 21, item 14), in-process but for the proxy: a binary on
// stdin, capped problem lists, empty and header-only alike, a refused proxy
// named as the proxy, a report id not on the server.

import assert from "node:assert/strict";
import { envFor, runCommand, runScript, simulator } from "../_helpers.ts";
import { main as bulkRunMain } from "../../scripts/bulk_run.ts";
import { main as listMain } from "../../scripts/list.ts";

Deno.test("bulk_run.ts: a gzip file is said in one line, nothing launched", async () => {
  await using sim = await simulator({ reports: 5 });
  const dir = await Deno.makeTempDir();
  const file = `${dir}/reports.csv.gz`;
  await Deno.writeFile(file, new Uint8Array([0x1f, 0x8b, 8, 0, 0xff, 0x10]));
  const r = await runCommand(bulkRunMain, [file, "--plugin", "igv"], {
    env: envFor(sim),
  });
  assert.equal(r.code, 2);
  assert.deepEqual(r.stderr.trim().split("\n"), [
    `${file}: not a text file: gzip-compressed (gunzip it first)`,
  ]);
  assert.equal(sim.launches.length, 0);
});

Deno.test("bulk_run.ts: 120 bad rows print the first 50 and a count", async () => {
  await using sim = await simulator({ reports: 5 });
  const stdin = `report\n${
    Array.from({ length: 120 }, (_, i) => `bad${i}`).join("\n")
  }\n`;
  const r = await runCommand(bulkRunMain, ["-", "--plugin", "igv"], {
    env: envFor(sim),
    stdin,
  });
  assert.equal(r.code, 2);
  const lines = r.stderr.trim().split("\n").filter((l) => l.startsWith("-:"));
  assert.equal(lines.length, 50, r.stderr);
  assert.match(
    r.stderr,
    /… and 70 more problem\(s\) \(120 in all; nothing was done\)/,
  );
});

Deno.test("bulk_run.ts --problems FILE: every problem in the file, the first 50 on stderr, nothing launched", async () => {
  await using sim = await simulator({ reports: 5 });
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(
    `${dir}/in.csv`,
    `report\n${Array.from({ length: 75 }, (_, i) => `bad${i}`).join("\n")}\n`,
  );
  const r = await runCommand(bulkRunMain, [
    `${dir}/in.csv`,
    "--plugin",
    "igv",
    "--problems",
    `${dir}/problems.txt`,
  ], { env: envFor(sim) });
  assert.equal(r.code, 2);
  assert.equal(sim.launches.length, 0);
  assert.match(r.stderr, /… and 25 more problem\(s\) \(75 in all/);
  assert.match(
    r.stderr,
    new RegExp(`all 75 problem\\(s\\) written to ${dir}/problems\\.txt`),
  );
  const all = (await Deno.readTextFile(`${dir}/problems.txt`)).trimEnd()
    .split("\n");
  assert.equal(all.length, 75);
  assert.match(all[0]!, new RegExp(`^${dir}/in\\.csv:2: `));
  assert.match(all[74]!, new RegExp(`^${dir}/in\\.csv:76: .*bad74`));
});

Deno.test("bulk_run.ts: an empty input and a header alone are alike: nothing to launch, exit 0", async () => {
  await using sim = await simulator({ reports: 5 });
  for (const stdin of ["", "report,plugin\n"]) {
    const r = await runCommand(bulkRunMain, ["-", "--plugin", "igv"], {
      env: envFor(sim),
      stdin,
    });
    assert.equal(r.code, 0, `${JSON.stringify(stdin)}: ${r.stderr}`);
    assert.match(r.stderr, /^-: no report keys: nothing to launch$/m);
  }
});

Deno.test("a proxy that refuses is named as the proxy, not TS_URL", async () => {
  await using sim = await simulator({ reports: 5 });
  // A port nothing listens on.
  const l = Deno.listen({ port: 0, hostname: "127.0.0.1" });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  // The client reads the proxy from its process's environment: a process.
  const r = await runScript("list.ts", ["reports", "--request-timeout", "5"], {
    env: { ...envFor(sim), HTTP_PROXY: `http://127.0.0.1:${port}` },
  });
  assert.notEqual(r.code, 0);
  assert.match(
    r.stderr,
    new RegExp(
      `hint: the request went through the proxy http://127\\.0\\.0\\.1:${port}/? .*the proxy did not answer or refused it`,
    ),
  );
});

Deno.test("list.ts reports --id 99999: report 99999 is not on this server", async () => {
  await using sim = await simulator({ reports: 5 });
  const r = await runCommand(listMain, ["reports", "--id", "99999"], {
    env: envFor(sim),
  });
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /report 99999 is not on this server/);
});
