import assert from "node:assert/strict";
import { envFor, runCommand, simulator } from "../_helpers.ts";
import { main as doctorMain } from "../../scripts/doctor.ts";

Deno.test("doctor.ts prints a checklist and exits 0 when every check passes", async () => {
  await using sim = await simulator({ reports: 5 });
  const r = await runCommand(doctorMain, [], { env: envFor(sim) });
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const lines = r.stdout.trim().split("\n");
  assert.match(
    lines[0]!,
    new RegExp(`^Checking ${sim.url.replaceAll(".", "\\.")} as ionadmin:$`),
  );
  assert.deepEqual(
    lines.slice(1, 7).map((l) => l.slice(0, 24).trimEnd()),
    [
      "[ ok ] Server",
      "[ ok ] TLS",
      "[ ok ] Credentials",
      "[ ok ] Reports and runs",
      "[ ok ] Proxy",
      "[ ok ] Clock",
    ],
  );
  assert.equal(lines.at(-1), "All checks passed.");
});

Deno.test("doctor.ts exits 1 with a fix under each failure; --format json gives the checks", async () => {
  await using sim = await simulator({ reports: 5 });
  const env = { ...envFor(sim), TS_API_KEY: "wrong-key-000" };
  const r = await runCommand(doctorMain, [], { env });
  assert.equal(r.code, 1);
  assert.match(
    r.stdout,
    /^\[FAIL\] Credentials +refused \(401\) using an API key for user "ionadmin"/m,
  );
  assert.match(r.stdout, /^ +fix: check TS_USER and TS_API_KEY/m);
  assert.match(
    r.stdout,
    /^\[skip\] Reports and runs +not checked: needs the credentials$/m,
  );
  assert.match(r.stdout, /^2 of 6 checks did not pass\.$/m);
  assert.ok(!r.stdout.includes("wrong-key-000"));
  const json = await runCommand(doctorMain, ["--format", "json"], { env });
  assert.equal(json.code, 1);
  const checks = JSON.parse(json.stdout) as {
    id: string;
    status: string;
    fix: string | null;
  }[];
  assert.deepEqual(checks.map((c) => c.id), [
    "server",
    "tls",
    "credentials",
    "read",
    "proxy",
    "clock",
  ]);
  assert.equal(checks[2]!.status, "fail");
  assert.equal(checks[0]!.fix, null);
});

Deno.test("doctor.ts --help matches the stored help (deno test -u updates it)", async (t) => {
  const r = await runCommand(doctorMain, ["--help"]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, "");
  await t.assertSnapshot(r.stdout, { name: "doctor.ts --help" });
});
