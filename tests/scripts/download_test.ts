import assert from "node:assert/strict";
import { parse } from "csv-parse/sync";
import { join } from "node:path";
import {
  assertNoSecrets,
  envFor,
  freshReports,
  runCommand,
  simulator,
} from "../_helpers.ts";
import { main } from "../../scripts/download.ts";
import { main as ionrun } from "../../scripts/ionrun.ts";
import { readManifest } from "../../lib/downloads/mod.ts";
import type { Simulator } from "../../simulator/mod.ts";

/** The API key for the API and the password for the files. */
function bothEnv(sim: Simulator): Record<string, string> {
  const user = sim.users[0]!;
  return { ...envFor(sim), TS_USER: user.username, TS_PASSWORD: user.password };
}

async function withWorld(
  n: number,
  body: (
    w: { sim: Simulator; reports: number[]; out: string; dir: string },
  ) => Promise<void>,
) {
  await using sim = await simulator({ reports: 40 });
  const reports = freshReports(sim, "variantCaller", n);
  for (const report of reports) {
    sim.addRun({ report, plugin: "variantCaller", state: "Completed" });
  }
  const dir = await Deno.makeTempDir({ prefix: "ionrun-download-" });
  try {
    await body({ sim, reports, out: join(dir, "vcfs"), dir });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const reportArgs = (reports: number[]) =>
  reports.flatMap((r) => ["--report", String(r)]);

Deno.test("download.ts with only an API key stops before writing anything, naming TS_PASSWORD", async () => {
  await withWorld(2, async ({ sim, reports, out }) => {
    const r = await runCommand(main, [
      ...reportArgs(reports),
      "--plugin",
      "variantCaller",
      "--files",
      "*.vcf.gz",
      "--out",
      out,
    ], {
      env: envFor(sim),
    });
    assert.equal(r.code, 2, r.stderr);
    assert.match(
      r.stderr,
      /downloads need the password: set TS_USER and TS_PASSWORD.*API key only under \/rundb\/api\//,
    );
    assert.equal(r.stderr.trim().split("\n").length, 1);
    assert.equal(sim.requests.length, 0, "not a request");
    assert.equal(
      await Deno.stat(out).catch(() => null),
      null,
      "nothing written",
    );
  });
});

Deno.test("ionrun download: VCFs of 4 reports with their manifest; the same again fetches nothing; --verify finds a changed file", async () => {
  await withWorld(4, async ({ sim, reports, out }) => {
    const args = [
      "download",
      ...reportArgs(reports),
      "--plugin",
      "variantCaller",
      "--files",
      "*.vcf.gz",
      "--out",
      out,
    ];
    const env = bothEnv(sim);
    const first = await runCommand(ionrun, args, { env });
    assert.equal(first.code, 0, first.stderr);
    const manifest = await readManifest(out);
    assert.ok(manifest.size >= 4, `${manifest.size} files`);
    for (const e of manifest.values()) {
      assert.ok(e.path.startsWith(`variantCaller/${e.report}_`), e.path);
      assert.equal(
        e.sha256,
        sim.filesOf(e.run).find((f) => f.path === e.source)!.sha256,
      );
    }
    assert.match(first.stderr, new RegExp(`${manifest.size} downloaded`));
    sim.clearLog();
    const again = await runCommand(ionrun, args, { env });
    assert.equal(again.code, 0, again.stderr);
    assert.match(
      again.stderr,
      new RegExp(`0 downloaded, ${manifest.size} already there`),
    );
    assert.ok(
      sim.requests.filter((r) => r.path.startsWith("/output/")).every((r) =>
        r.method === "HEAD"
      ),
    );
    const one = [...manifest.values()][0]!;
    await Deno.writeTextFile(join(out, one.path), "changed");
    const verify = await runCommand(ionrun, [
      "download",
      "--verify",
      "--out",
      out,
      "--format",
      "csv",
    ], { env });
    assert.equal(verify.code, 1);
    assert.deepEqual(parse(verify.stdout, { columns: true }), [
      { path: one.path, state: "changed", sha256: one.sha256 },
    ]);
    assertNoSecrets(
      sim,
      first.stdout,
      first.stderr,
      again.stderr,
      verify.stdout,
    );
  });
});

Deno.test("download.ts --dry-run prints the plan and writes nothing; --type picks store types", async () => {
  await withWorld(2, async ({ sim, reports, out }) => {
    const r = await runCommand(main, [
      ...reportArgs(reports),
      "--plugin",
      "variantCaller",
      "--type",
      "variants_vcf_gz,variants_vcf_gz_tbi",
      "--out",
      out,
      "--dry-run",
      "--format",
      "csv",
    ], {
      env: bothEnv(sim),
    });
    assert.equal(r.code, 0, r.stderr);
    const rows = parse(r.stdout, { columns: true }) as Record<string, string>[];
    assert.ok(rows.length >= 4);
    assert.ok(rows.every((x) => /\.vcf\.gz(\.tbi)?$/.test(x.dest!)), r.stdout);
    assert.match(r.stderr, /dry run: \d+ file\(s\) from 2 run\(s\)/);
    assert.equal(await Deno.stat(out).catch(() => null), null);
    assert.ok(
      !sim.requests.some((x) =>
        x.path.startsWith("/output/") && x.method === "GET" &&
        (x.bodyBytes ?? 0) > 0
      ),
    );
  });
});

Deno.test("download.ts: bad input gets one line and exit 2; flat name collisions are found before any download", async () => {
  await withWorld(2, async ({ sim, reports, out }) => {
    const env = bothEnv(sim);
    const base = [...reportArgs(reports), "--out", out];
    const cases: [string[], RegExp][] = [
      [[...base, "--files", "*.vcf.gz"], /give --plugin NAME/],
      [
        [...base, "--plugin", "variantCaller"],
        /say which files: --files PATTERN/,
      ],
      [
        [...base, "--plugin", "variantCaller", "--files", "../x"],
        /'\.\.' cannot be in a pattern/,
      ],
      [[
        ...base,
        "--plugin",
        "variantCaller",
        "--files",
        "*",
        "--max-size",
        "lots",
      ], /--max-size must be a size like 500MB/],
      [
        ["--plugin", "variantCaller", "--files", "*"],
        /give a CSV of report keys/,
      ],
    ];
    for (const [args, message] of cases) {
      const r = await runCommand(main, args, { env });
      assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
      assert.match(r.stderr, message);
    }
    for (const report of reports) {
      sim.addRun({ report, plugin: "sampleID", state: "Completed" });
    }
    const flat = await runCommand(main, [
      ...base,
      "--plugin",
      "variantCaller,sampleID",
      "--files",
      "results.json",
      "--layout",
      "flat",
    ], { env });
    assert.equal(flat.code, 2, flat.stderr);
    assert.match(
      flat.stderr,
      /2 local name\(s\) would hold two files \(nothing was downloaded\)/,
    );
    assert.equal(await Deno.stat(out).catch(() => null), null);
  });
});
