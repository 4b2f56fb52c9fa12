/**
 * `deno task demo`: starts the built-in Torrent Suite simulator on a free
 * loopback port and runs the scripts against it, as a user would, printing
 * each command and what it shows. Files go to `demo-out/`.
 *
 * @module
 */

import { startSimulator } from "../simulator/mod.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const OUT = "demo-out";

const sim = await startSimulator({
  reports: 2500,
  queuedMs: 400,
  runMs: 1600,
  failureRate: 0.15,
});
const user = sim.users[0]!;
const env = {
  TS_URL: sim.url,
  TS_USER: user.username,
  TS_API_KEY: user.apiKey,
  NO_COLOR: Deno.noColor ? "1" : "",
  HOME: Deno.env.get("HOME") ?? "",
  DENO_DIR: Deno.env.get("DENO_DIR") ?? "",
  PATH: Deno.env.get("PATH") ?? "",
};

async function capture(script: string, args: string[]): Promise<string> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-net=127.0.0.1",
      "--allow-read",
      "--allow-env",
      `${ROOT}scripts/${script}`,
      ...args,
    ],
    env,
    stdout: "piped",
    stderr: "inherit",
  }).output();
  return new TextDecoder().decode(out.stdout);
}

async function step(
  title: string,
  script: string,
  args: string[],
  stdin?: string,
) {
  if (title) console.log(`\n\x1b[1m# ${title}\x1b[0m`);
  if (title) console.log(`$ ${script} ${args.map(quote).join(" ")}`);
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-net=127.0.0.1",
      "--allow-read",
      "--allow-write",
      "--allow-env",
      `${ROOT}scripts/${script}`,
      ...args,
    ],
    env,
    stdin: stdin === undefined ? "null" : "piped",
    stdout: "inherit",
    stderr: "inherit",
  }).spawn();
  if (stdin !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(stdin));
    await w.close();
  }
  const { code } = await child.status;
  console.log(`(exit code ${code})`);
}

function quote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg)
    ? arg
    : `'${arg.replaceAll("'", "'\\''")}'`;
}

try {
  await Deno.mkdir(OUT, { recursive: true });
  const csv = `${OUT}/reports.csv`;
  for (const f of [`${csv}.journal.ndjson`, `${OUT}/rerun.journal.ndjson`]) {
    await Deno.remove(f).catch(() => {});
  }
  console.log(
    `Torrent Suite simulator on ${sim.url} (${sim.reportIds().length} reports, 15% of runs fail); ` +
      "TS_URL, TS_USER and TS_API_KEY point the scripts at it.",
  );
  await step("Launchable plugins", "list.ts", ["--format", "table"]);
  await step("The newest completed reports", "list.ts", [
    "reports",
    "--status",
    "Completed",
    "--limit",
    "5",
    "--format",
    "table",
  ]);
  console.log(
    `\n\x1b[1m# Twenty of them as a CSV for the bulk launcher\x1b[0m`,
  );
  console.log(
    `$ list.ts reports --status Completed --limit 20 --format csv > ${csv}`,
  );
  const listed = await capture("list.ts", [
    "reports",
    "--status",
    "Completed",
    "--limit",
    "20",
    "--format",
    "csv",
  ]);
  await Deno.writeTextFile(csv, listed);
  console.log(listed.split("\n").slice(0, 4).join("\n") + "\n...");

  const [a, b] = listed.split("\n").slice(1, 3).map((l) => l.split(",")[0]!);
  await step(
    "Launch one plugin on two reports, with a config, and wait",
    "run.ts",
    [
      "AmpliconRep",
      a!,
      b!,
      "--config",
      '{"min_reads": 50}',
      "--wait",
      "--poll",
      "0.5",
      "--format",
      "table",
    ],
  );
  await step(
    "Plan a bulk launch of sampleID (nothing is launched)",
    "bulk_run.ts",
    [
      csv,
      "--plugin",
      "sampleID",
      "--dry-run",
      "--format",
      "table",
    ],
  );
  await step("Launch it, following the runs to the end", "bulk_run.ts", [
    csv,
    "--plugin",
    "sampleID",
    "--concurrency",
    "8",
    "--wait",
    "--poll",
    "0.5",
    "--summary",
    `${OUT}/summary.csv`,
    "--format",
    "table",
  ]);
  await step("Status of those runs, and an HTML status page", "status.ts", [
    csv,
    "--plugin",
    "sampleID",
    "--html",
    `${OUT}/status.html`,
    "--format",
    "table",
  ]);
  console.log(`\n\x1b[1m# Rerun what failed, in one pipe\x1b[0m`);
  console.log(
    `$ status.ts ${csv} --plugin sampleID --failed --format csv | bulk_run.ts - --wait`,
  );
  const failed = await capture("status.ts", [
    csv,
    "--plugin",
    "sampleID",
    "--failed",
    "--format",
    "csv",
  ]);
  await step("", "bulk_run.ts", [
    "-",
    "--journal",
    `${OUT}/rerun.journal.ndjson`,
    "--wait",
    "--poll",
    "0.5",
    "--format",
    "table",
  ], failed);
  await step(
    "The first command again: completed pairs are skipped, failed ones rerun",
    "bulk_run.ts",
    [
      csv,
      "--plugin",
      "sampleID",
      "--format",
      "table",
    ],
  );
  console.log(
    `\nThe simulator received ${sim.requests.length} requests and ${sim.launches.length} launches. ` +
      `Open ${OUT}/status.html in a browser; the per-row summary is ${OUT}/summary.csv.`,
  );
} finally {
  await sim.close();
}
