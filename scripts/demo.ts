/**
 * `deno task demo`: starts the built-in Torrent Suite simulator on a free
 * loopback port and runs the scripts against it, as a user would, printing
 * each command and what it shows: the connection checked, reports chosen,
 * a bulk launch followed to its end, the status with its closing summary,
 * the logs of the failed runs, and their rerun. Files go to `demo-out/`.
 * Colors only on a terminal, never with `NO_COLOR`; `--quick` for a smaller,
 * faster run (the test's).
 *
 * @module
 */

import { startSimulator } from "../simulator/mod.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const OUT = "demo-out";
const QUICK = Deno.args.includes("--quick");
const COLOR = Deno.stdout.isTerminal() && !Deno.noColor;
const bold = (s: string) => COLOR ? `\x1b[1m${s}\x1b[0m` : s;

// A loaded tower (the realistic profile: 2 slots shared with the lab's
// production runs, the grid's 4 s scheduler, auth and per-object costs),
// its clock sped up so that a 10-minute plugin run takes about 1.5 s.
const sim = await startSimulator({
  profile: "realistic",
  timeScale: QUICK ? 0.0003 : 0.0025,
  reports: QUICK ? 300 : 2500,
  failureRate: 0.15, // enough failed runs to show their logs and the rerun
  ...(QUICK ? { slots: 0 } : {}),
});
const user = sim.users[0]!;
const env: Record<string, string> = {
  TS_URL: sim.url,
  TS_USER: user.username,
  TS_API_KEY: user.apiKey,
  HOME: Deno.env.get("HOME") ?? "",
  PATH: Deno.env.get("PATH") ?? "",
};
for (const name of ["NO_COLOR", "DENO_DIR", "XDG_CACHE_HOME"]) {
  const value = Deno.env.get(name);
  if (value !== undefined) env[name] = value;
}
/** The same, with the password: run logs are behind the web login. */
const withPassword = { ...env, TS_PASSWORD: user.password };

/** The Deno flags of a script's shebang line: what it gets when run directly. */
function shebang(script: string): string[] {
  const first = Deno.readTextFileSync(`${ROOT}scripts/${script}`).split(
    "\n",
  )[0]!;
  const m = /^#!\/usr\/bin\/env -S deno (run .*)$/.exec(first);
  if (!m) throw new Error(`scripts/${script} has no deno shebang line`);
  return m[1]!.split(/\s+/);
}

async function capture(script: string, args: string[]): Promise<string> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [...shebang(script), `${ROOT}scripts/${script}`, ...args],
    env,
    stdout: "piped",
    stderr: "null",
  }).output();
  return new TextDecoder().decode(out.stdout);
}

async function step(
  title: string,
  script: string,
  args: string[],
  options: { stdin?: string; env?: Record<string, string> } = {},
) {
  const { stdin } = options;
  if (title) console.log(`\n${bold(`# ${title}`)}`);
  if (title) console.log(`$ ${script} ${args.map(quote).join(" ")}`);
  const child = new Deno.Command(Deno.execPath(), {
    args: [...shebang(script), `${ROOT}scripts/${script}`, ...args],
    env: options.env ?? env,
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
  await step("Check the connection first", "doctor.ts", []);
  await step("Launchable plugins", "list.ts", ["--format", "table"]);
  await step(
    "The newest completed reports on 540 chips, thumbnails left out",
    "list.ts",
    [
      "reports",
      "--status",
      "completed",
      "--chip-type",
      "540",
      "--no-thumbnails",
      "--limit",
      "5",
      "--format",
      "table",
    ],
  );
  console.log(
    `\n${bold("# Twenty completed reports as a CSV for the bulk launcher")}`,
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
    [csv, "--plugin", "sampleID", "--dry-run", "--format", "table"],
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
  await step(
    "Status of every plugin on those reports, an HTML page, and the summary with the rerun command (on stderr)",
    "status.ts",
    [csv, "--html", `${OUT}/status.html`, "--format", "table"],
  );
  await step(
    "Why did they fail? The last lines of each failed run's log (needs TS_PASSWORD)",
    "status.ts",
    [
      csv,
      "--plugin",
      "sampleID",
      "--failed",
      "--log",
      "--log-lines",
      "10",
      "--format",
      "table",
    ],
    { env: withPassword },
  );
  console.log(`\n${bold("# Rerun what failed, in one pipe")}`);
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
  ], { stdin: failed });
  await step(
    "The first command again: the job is finished, so nothing is launched twice",
    "bulk_run.ts",
    [csv, "--plugin", "sampleID", "--format", "table"],
  );
  console.log(
    `\nThe simulator received ${sim.requests.length} requests and ${sim.launches.length} launches. ` +
      `Open ${OUT}/status.html in a browser; the per-row summary is ${OUT}/summary.csv.`,
  );
} finally {
  await sim.close();
}
