// Credentials that cannot work are said before any request: a profile whose
// secret variable is unset (issue 21, item 7), a Basic password with ":"
// (issue 20: Django splits on every colon, a 500 page on every path).

import assert from "node:assert/strict";
import { runCommand, simulator } from "../_helpers.ts";
import { main as listMain } from "../../scripts/list.ts";
import { main as runMain } from "../../scripts/run.ts";
import { main as doctorMain } from "../../scripts/doctor.ts";

Deno.test("a profile whose secret variable is unset: named, before any request", async () => {
  await using sim = await simulator({ reports: 5 });
  const config = await Deno.makeTempDir();
  await Deno.mkdir(`${config}/ionrun`);
  await Deno.writeTextFile(
    `${config}/ionrun/servers.json`,
    JSON.stringify({
      servers: {
        fakeA: {
          url: sim.url,
          user: sim.users[0]!.username,
          apiKeyEnv: "TS_FAKEA_KEY",
        },
      },
    }),
  );
  sim.clearLog();
  for (const main of [listMain, runMain]) {
    const args = main === listMain
      ? ["reports", "--server", "fakeA"]
      : ["igv", "1", "--server", "fakeA"];
    const r = await runCommand(main, args, {
      env: { XDG_CONFIG_HOME: config },
    });
    assert.equal(r.code, 2, r.stderr);
    assert.match(
      r.stderr,
      /TS_FAKEA_KEY \(named by profile fakeA\) is not set/,
    );
    assert.doesNotMatch(r.stderr, /401/);
  }
  assert.equal(sim.requests.length, 0, "nothing was sent");
});

Deno.test('a Basic password with ":" and no API key: a clear error naming the fix, before any request; doctor says so too', async () => {
  await using sim = await simulator({ reports: 5 });
  const env = {
    TS_URL: sim.url,
    TS_USER: sim.users[0]!.username,
    TS_PASSWORD: "pa:ss:word",
  };
  sim.clearLog();
  for (
    const [main, args] of [
      [listMain, ["reports"]],
      [runMain, ["igv", "1"]],
    ] as const
  ) {
    const r = await runCommand(main, [...args], { env });
    assert.equal(r.code, 2, r.stderr);
    assert.match(
      r.stderr,
      /the password \(TS_PASSWORD\) contains ":", which Torrent Suite cannot accept over HTTP Basic.*use an API key \(TS_API_KEY.*or a password without ":"/,
    );
    assert.doesNotMatch(r.stderr, /pa:ss:word/);
  }
  assert.equal(sim.requests.length, 0, "nothing was sent");
  const doctor = await runCommand(doctorMain, ["--format", "json"], { env });
  assert.equal(doctor.code, 1, doctor.stderr);
  const checks = JSON.parse(doctor.stdout) as {
    id: string;
    status: string;
    detail: string;
    fix: string | null;
  }[];
  const cred = checks.find((c) => c.id === "credentials")!;
  assert.equal(cred.status, "fail");
  assert.match(cred.detail, /contains ":"/);
  assert.match(cred.fix!, /API key .* or a password without ":"/);
  assert.doesNotMatch(doctor.stdout, /pa:ss:word/);
});
