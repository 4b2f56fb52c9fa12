import assert from "node:assert/strict";
import { parse } from "csv-parse/sync";
import {
  assertNoSecrets,
  envFor,
  runScript,
  simulator,
  spawnScript,
} from "../_helpers.ts";

Deno.test("list.ts lists launchable plugins as CSV when piped", async () => {
  await using sim = await simulator();
  const { code, stdout, stderr } = await runScript("list.ts", [], {
    env: envFor(sim),
  });
  assert.equal(code, 0, stderr);
  assert.equal(stderr, "");
  const rows = parse(stdout, { columns: true }) as Record<string, string>[];
  assert.deepEqual(Object.keys(rows[0]!), [
    "name",
    "version",
    "id",
    "enabled",
    "description",
  ]);
  assert.ok(rows.some((r) => r.name === "coverageAnalysis"));
  assert.ok(rows.every((r) => r.enabled === "true"));
  assert.equal(sim.requests.length, 1);
  assertNoSecrets(sim, stdout, stderr);
});

Deno.test("list.ts plugins --all --format json includes disabled plugins", async () => {
  await using sim = await simulator();
  const { code, stdout } = await runScript(
    "list.ts",
    ["plugins", "--all", "--format", "json"],
    { env: envFor(sim) },
  );
  assert.equal(code, 0);
  const plugins = JSON.parse(stdout) as { enabled: boolean }[];
  assert.ok(plugins.some((p) => p.enabled === false));
});

Deno.test("list.ts reports --format csv starts with the report column", async () => {
  await using sim = await simulator({ reports: 50 });
  const { code, stdout, stderr } = await runScript(
    "list.ts",
    ["reports", "--limit", "5", "--format", "csv"],
    { env: envFor(sim) },
  );
  assert.equal(code, 0, stderr);
  const lines = stdout.trim().split("\n");
  assert.match(lines[0]!, /^report,name,status,timestamp,link$/);
  assert.equal(lines.length, 6);
  const newest = Math.max(...sim.reportIds());
  assert.ok(lines[1]!.startsWith(`${newest},`));
});

Deno.test("list.ts reports --format ndjson and table", async () => {
  await using sim = await simulator({ reports: 30 });
  const nd = await runScript(
    "list.ts",
    ["reports", "--status", "Completed", "--format", "ndjson"],
    { env: envFor(sim) },
  );
  assert.equal(nd.code, 0, nd.stderr);
  const objects = nd.stdout.trim().split("\n").map((l) => JSON.parse(l));
  assert.ok(objects.length > 0);
  assert.ok(objects.every((o) => o.status === "Completed"));
  const table = await runScript("list.ts", ["--format", "table"], {
    env: envFor(sim),
  });
  assert.match(table.stdout, /^name +version +id +enabled +description\n/);
});

Deno.test("list.ts reads settings from .env in the working directory", async () => {
  await using sim = await simulator();
  const cwd = await Deno.makeTempDir();
  const user = sim.users[0]!;
  await Deno.writeTextFile(
    `${cwd}/.env`,
    `TS_URL=${sim.url}/rundb/api/v1/\nTS_USER=${user.username}\nTS_API_KEY=${user.apiKey}\n`,
  );
  const { code, stdout, stderr } = await runScript("list.ts", [], { cwd });
  assert.equal(code, 0, stderr);
  assert.match(stdout, /coverageAnalysis/);
  assertNoSecrets(sim, stdout, stderr);
  await Deno.remove(cwd, { recursive: true });
});

Deno.test("list.ts with a wrong key exits 3 without showing the key", async () => {
  await using sim = await simulator();
  const wrong = "0123456789abcdef0123456789abcdef01234567";
  const { code, stdout, stderr } = await runScript("list.ts", [], {
    env: { ...envFor(sim), TS_API_KEY: wrong },
  });
  assert.equal(code, 3);
  assert.equal(stdout, "");
  assert.match(
    stderr,
    /Authentication failed: .* 401 using an API key for user "ionadmin"/,
  );
  assert.ok(!stderr.includes(wrong));
  assert.ok(!/\n\s+at /.test(stderr), "no stack trace");
});

Deno.test("list.ts usage errors exit 2 with a clear message", async (t) => {
  await using sim = await simulator();
  await t.step("no TS_URL", async () => {
    const r = await runScript("list.ts", [], { env: {} });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /No server URL: set TS_URL/);
  });
  await t.step("unknown flag", async () => {
    const r = await runScript("list.ts", ["--bogus"], { env: envFor(sim) });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /unknown option '--bogus'/);
  });
  await t.step("secrets are not flags", async () => {
    const r = await runScript("list.ts", ["--api-key", "x"], {
      env: envFor(sim),
    });
    assert.equal(r.code, 2);
  });
  await t.step("bad date", async () => {
    const r = await runScript("list.ts", ["reports", "--since", "yesterday"], {
      env: envFor(sim),
    });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--since must be a date/);
  });
  assert.equal(sim.requests.length, 0);
});

Deno.test("list.ts --help explains flags and environment", async () => {
  const { code, stdout } = await runScript("list.ts", ["--help"]);
  assert.equal(code, 0);
  for (
    const word of ["TS_URL", "TS_API_KEY", "TS_CA_CERT", "reports", "plugins"]
  ) {
    assert.ok(stdout.includes(word), word);
  }
  const reports = await runScript("list.ts", ["reports", "--help"]);
  for (
    const flag of [
      "--status",
      "--name-contains",
      "--since",
      "--until",
      "--limit",
      "--format",
    ]
  ) {
    assert.ok(reports.stdout.includes(flag), flag);
  }
});

Deno.test("list.ts stops quietly with 141 when its reader closes the pipe (| head)", async () => {
  await using sim = await simulator({ reports: 3000 });
  const child = spawnScript("list.ts", ["reports", "--format", "csv"], {
    env: envFor(sim),
  });
  const reader = child.stdout.getReader();
  const first = await reader.read();
  assert.match(new TextDecoder().decode(first.value), /^report,/);
  await reader.cancel();
  const status = await child.status;
  const stderr = await new Response(child.stderr).text();
  assert.equal(stderr, "");
  assert.equal(status.code, 141);
});

Deno.test("list.ts --help matches the stored help (deno test -u updates it)", async (t) => {
  for (
    const args of [["--help"], ["reports", "--help"], ["plugins", "--help"]]
  ) {
    const r = await runScript("list.ts", args);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, "");
    await t.assertSnapshot(r.stdout, { name: `list.ts ${args.join(" ")}` });
  }
});
