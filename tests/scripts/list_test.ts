import assert from "node:assert/strict";
import { parse } from "csv-parse/sync";
import {
  assertNoSecrets,
  envFor,
  runCommand,
  runScript,
  simulator,
  spawnScript,
} from "../_helpers.ts";
import { main as bulkRunMain } from "../../scripts/bulk_run.ts";
import { main as doctorMain } from "../../scripts/doctor.ts";
import { main as listMain } from "../../scripts/list.ts";
import { testNeeding } from "../_needs.ts";
import { makePki } from "../_pki.ts";

Deno.test("list.ts lists launchable plugins as CSV when piped", async () => {
  await using sim = await simulator();
  const { code, stdout, stderr } = await runCommand(listMain, [], {
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
  const { code, stdout } = await runCommand(
    listMain,
    ["plugins", "--all", "--format", "json"],
    { env: envFor(sim) },
  );
  assert.equal(code, 0);
  const plugins = JSON.parse(stdout) as { enabled: boolean }[];
  assert.ok(plugins.some((p) => p.enabled === false));
});

Deno.test("list.ts reports --format csv starts with the report column", async () => {
  await using sim = await simulator({ reports: 50 });
  const { code, stdout, stderr } = await runCommand(
    listMain,
    ["reports", "--limit", "5", "--format", "csv"],
    { env: envFor(sim) },
  );
  assert.equal(code, 0, stderr);
  const lines = stdout.trim().split("\n");
  assert.match(lines[0]!, /^report,name,status,timestamp,thumbnail,link$/);
  assert.equal(lines.length, 6);
  const newest = Math.max(...sim.reportIds());
  assert.ok(lines[1]!.startsWith(`${newest},`));
  // Times as ISO 8601 UTC with milliseconds, not Tastypie's padded text.
  for (const line of lines.slice(1)) {
    assert.match(
      line.split(",")[3]!,
      /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/,
    );
  }
});

Deno.test("list.ts reports --format ndjson and table", async () => {
  await using sim = await simulator({ reports: 30 });
  const nd = await runCommand(
    listMain,
    ["reports", "--status", "Completed", "--format", "ndjson"],
    { env: envFor(sim) },
  );
  assert.equal(nd.code, 0, nd.stderr);
  const objects = nd.stdout.trim().split("\n").map((l) => JSON.parse(l));
  assert.ok(objects.length > 0);
  assert.ok(objects.every((o) => o.status === "Completed"));
  const table = await runCommand(listMain, ["--format", "table"], {
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
  const { code, stdout, stderr } = await runCommand(listMain, [], {
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
    const r = await runCommand(listMain, [], { env: {} });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /No server URL: set TS_URL/);
  });
  await t.step("unknown flag", async () => {
    const r = await runCommand(listMain, ["--bogus"], { env: envFor(sim) });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /unknown option '--bogus'/);
  });
  await t.step("secrets are not flags", async () => {
    const r = await runCommand(listMain, ["--api-key", "x"], {
      env: envFor(sim),
    });
    assert.equal(r.code, 2);
  });
  await t.step("bad date", async () => {
    const r = await runCommand(listMain, ["reports", "--since", "yesterday"], {
      env: envFor(sim),
    });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--since must be a date/);
  });
  assert.equal(sim.requests.length, 0);
});

Deno.test("list.ts --help explains flags and environment", async () => {
  const { code, stdout } = await runCommand(listMain, ["--help"]);
  assert.equal(code, 0);
  for (
    const word of ["TS_URL", "TS_API_KEY", "TS_CA_CERT", "reports", "plugins"]
  ) {
    assert.ok(stdout.includes(word), word);
  }
  const reports = await runCommand(listMain, ["reports", "--help"]);
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
    const r = await runCommand(listMain, args);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, "");
    await t.assertSnapshot(r.stdout, { name: `list.ts ${args.join(" ")}` });
  }
});

Deno.test("list.ts reports filters by project, sample, chip type, plan and thumbnails; its CSV feeds bulk_run.ts", async () => {
  await using sim = await simulator({ reports: 80, thumbnails: true });
  const user = sim.users[0]!;
  const get = async (path: string) =>
    (await (await fetch(`${sim.url}/rundb/api/v1/${path}`, {
      headers: { Authorization: `ApiKey ${user.username}:${user.apiKey}` },
    })).json()).objects;
  const [exp] = await get("experiment/?limit=1");
  const run = async (args: string[]) => {
    const r = await runCommand(listMain, [
      "reports",
      ...args,
      "--format",
      "csv",
    ], {
      env: envFor(sim),
    });
    assert.equal(r.code, 0, r.stderr);
    return parse(r.stdout, { columns: true }) as Record<string, string>[];
  };
  const chip = await run(["--chip-type", exp.chipType]);
  const all = await run([]);
  assert.ok(chip.length > 0 && chip.length < all.length);
  const inChip = new Set(
    (await get(`results/?experiment__chipType=${exp.chipType}&limit=1000`))
      .map((r: { id: number }) => String(r.id)),
  );
  assert.deepEqual(chip.map((r) => r.report).sort(), [...inChip].sort());
  const [project] = await get("project/?id=3");
  const inProject = await run(["--project", project.name.toLowerCase()]);
  assert.equal(inProject.length, project.resultsCount);
  const [plan] = await get(
    `plannedexperiment/?id=${/(\d+)\/$/.exec(exp.plan)![1]}`,
  );
  const [sample] = await get(
    `sample/?id=${/(\d+)\/$/.exec(exp.samples[0])![1]}`,
  );
  const both = await run([
    "--plan",
    plan.planName,
    "--sample",
    sample.name,
    "--no-thumbnails",
  ]);
  assert.ok(both.length >= 1);
  assert.ok(both.every((r) => r.thumbnail === "false"));
  const thumbs = await run(["--thumbnails"]);
  assert.ok(thumbs.length > 0 && thumbs.every((r) => r.thumbnail === "true"));
  assert.equal(
    thumbs.length + (await run(["--no-thumbnails"])).length,
    all.length,
  );
  // The CSV is bulk_run.ts input as it is.
  const dry = await runCommand(bulkRunMain, [
    "-",
    "--plugin",
    "igv",
    "--dry-run",
    "--format",
    "csv",
  ], {
    env: envFor(sim),
    stdin: `report,name\n${
      both.map((r) => `${r.report},${r.name}`).join("\n")
    }\n`,
  });
  assert.equal(dry.code, 0, dry.stderr);
});

Deno.test("list.ts reports --status matches any case, and an unknown status is answered with the server's statuses", async () => {
  await using sim = await simulator({ reports: 60 });
  const exact = await runCommand(listMain, [
    "reports",
    "--status",
    "Completed",
    "--format",
    "csv",
  ], {
    env: envFor(sim),
  });
  const lower = await runCommand(listMain, [
    "reports",
    "--status",
    "completed",
    "--format",
    "csv",
  ], {
    env: envFor(sim),
  });
  assert.equal(lower.code, 0, lower.stderr);
  assert.equal(lower.stdout, exact.stdout);
  assert.ok(lower.stdout.trim().split("\n").length > 40);
  const none = await runCommand(listMain, [
    "reports",
    "--status",
    "Done",
    "--format",
    "json",
  ], {
    env: envFor(sim),
  });
  assert.equal(none.code, 0, none.stderr);
  assert.equal(none.stdout, "[]\n");
  assert.match(
    none.stderr,
    /no recent report has status "Done"; the newest 60 reports have: "Completed" \(\d+\), /,
  );
});

Deno.test("list.ts with an unknown command names the nearest one", async () => {
  for (
    const [args, message] of [
      [
        ["plugin"],
        /^list\.ts: error: unknown command "plugin": did you mean "plugins"\? \(commands: plugins, reports\)$/m,
      ],
      [
        ["--url", "http://x", "report", "--limit", "1"],
        /unknown command "report": did you mean "reports"\?/,
      ],
      [
        ["frobnicate"],
        /unknown command "frobnicate" \(commands: plugins, reports\)$/m,
      ],
    ] as const
  ) {
    const r = await runCommand(listMain, [...args], {
      env: { TS_URL: "http://127.0.0.1:1" },
    });
    assert.equal(r.code, 2);
    assert.match(r.stderr, message);
    assert.doesNotMatch(r.stderr, /too many arguments/);
  }
});

testNeeding(
  "openssl",
  "openssl",
  "list.ts against a self-signed server: the hint says whether TS_CA_CERT is set, and to what",
  async () => {
    const pki = await makePki();
    await using sim = await simulator({ reports: 3, tls: pki.old });
    const cwd = await Deno.makeTempDir();
    try {
      const unset = await runScript("list.ts", [], { env: envFor(sim), cwd });
      assert.equal(unset.code, 1);
      assert.match(
        unset.stderr,
        /^hint: the server's certificate is self-signed: copy the server's \/etc\/ssl\/certs\/ssl-cert-snakeoil\.pem/m,
      );
      await Deno.writeTextFile(`${cwd}/other.pem`, pki.impostor.cert);
      const wrong = await runScript("list.ts", [], {
        env: { ...envFor(sim), TS_CA_CERT: "other.pem" },
        cwd,
      });
      assert.equal(wrong.code, 1);
      assert.match(
        wrong.stderr,
        /^hint: TS_CA_CERT \(other\.pem\) is set but is not this server's certificate/m,
      );
      assert.doesNotMatch(wrong.stderr, /set TS_CA_CERT to/);
      await Deno.writeTextFile(`${cwd}/ts.pem`, pki.old.cert);
      const right = await runScript("list.ts", [], {
        env: { ...envFor(sim), TS_CA_CERT: "ts.pem" },
        cwd,
      });
      assert.equal(right.code, 0, right.stderr);
      await Deno.writeTextFile(`${cwd}/ts.key`, pki.old.key);
      const key = await runScript("list.ts", [], {
        env: { ...envFor(sim), TS_CA_CERT: "ts.key" },
        cwd,
      });
      assert.equal(key.code, 2);
      assert.match(
        key.stderr,
        /TS_CA_CERT \(ts\.key\) is a private key, not a certificate/,
      );
      assert.ok(!key.stderr.includes("PRIVATE KEY"));
    } finally {
      await Deno.remove(cwd, { recursive: true });
    }
  },
);

Deno.test("list.ts with a TS_URL of a web page says which address to use", async () => {
  const r = await runCommand(listMain, [], {
    env: { TS_URL: "https://ts.example.org/report/1234/" },
  });
  assert.equal(r.code, 2);
  assert.match(
    r.stderr,
    /is a page of the Torrent Suite web site \(\/report\/1234\/\), not the server: use TS_URL=https:\/\/ts\.example\.org$/m,
  );
});

Deno.test("list.ts and doctor.ts switch between two servers by name (--server, TS_SERVER) and say which profile is in use", async () => {
  await using a = await simulator({ reports: 30 });
  await using b = await simulator({ reports: 45 });
  const config = await Deno.makeTempDir();
  await Deno.mkdir(`${config}/ionrun`);
  await Deno.writeTextFile(
    `${config}/ionrun/servers.json`,
    JSON.stringify({
      servers: {
        tower: {
          url: a.url,
          user: a.users[0]!.username,
          apiKeyEnv: "TS_TOWER_API_KEY",
        },
        s5: {
          url: b.url,
          user: b.users[0]!.username,
          apiKeyEnv: "TS_S5_API_KEY",
        },
      },
    }),
  );
  const env = {
    XDG_CONFIG_HOME: config,
    TS_TOWER_API_KEY: a.users[0]!.apiKey,
    TS_S5_API_KEY: b.users[0]!.apiKey,
  };
  const count = (stdout: string) => (JSON.parse(stdout) as unknown[]).length;
  const one = await runCommand(listMain, [
    "reports",
    "--server",
    "tower",
    "--format",
    "json",
  ], { env });
  assert.equal(one.code, 0, one.stderr);
  assert.equal(count(one.stdout), a.reportIds().length);
  assert.match(
    one.stderr,
    /^server: tower \(http:\/\/127\.0\.0\.1:\d+, from .*servers\.json; secret from TS_TOWER_API_KEY\)$/m,
  );
  const two = await runCommand(listMain, ["reports", "--format", "json"], {
    env: { ...env, TS_SERVER: "s5" },
  });
  assert.equal(two.code, 0, two.stderr);
  assert.equal(count(two.stdout), b.reportIds().length);
  assert.match(two.stderr, /^server: s5 /m);
  const doctor = await runCommand(doctorMain, ["--server", "s5"], { env });
  assert.match(
    doctor.stdout,
    /\(server profile "s5" of .*servers\.json, secret from TS_S5_API_KEY\)/,
  );
  assertNoSecrets(a, one.stdout, one.stderr, doctor.stdout, doctor.stderr);
  assertNoSecrets(b, two.stdout, two.stderr);
  // An unknown name says which there are.
  const none = await runCommand(listMain, ["--server", "proton"], { env });
  assert.equal(none.code, 2);
  assert.match(
    none.stderr,
    /no server profile "proton" in .*\(it has: tower, s5\)/,
  );
  await Deno.remove(config, { recursive: true });
});

Deno.test("list.ts refuses a servers.json holding a secret that others can read, naming the chmod", async () => {
  await using sim = await simulator();
  const config = await Deno.makeTempDir();
  await Deno.mkdir(`${config}/ionrun`);
  const file = `${config}/ionrun/servers.json`;
  await Deno.writeTextFile(
    file,
    JSON.stringify({
      default: "lab",
      servers: {
        lab: {
          url: sim.url,
          user: sim.users[0]!.username,
          apiKey: sim.users[0]!.apiKey,
        },
      },
    }),
  );
  await Deno.chmod(file, 0o644);
  const refused = await runCommand(listMain, [], {
    env: { XDG_CONFIG_HOME: config },
  });
  assert.equal(refused.code, 2, refused.stderr);
  assert.match(refused.stderr, new RegExp(`run \`chmod 600 ${file}\``));
  assertNoSecrets(sim, refused.stdout, refused.stderr);
  await Deno.chmod(file, 0o600);
  const ok = await runCommand(listMain, [], {
    env: { XDG_CONFIG_HOME: config },
  });
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stderr, /^server: lab /m);
  await Deno.remove(config, { recursive: true });
});
