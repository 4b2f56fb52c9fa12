// The stress harness's kit: fresh jobs, counting runs per pair in the
// server's own records, the same command again until it is done, and the
// report (RELIABILITY.md). The scenarios are in stress.ts.

import type { Simulator } from "../simulator/mod.ts";
import { envFor, type Ran, REPO, runScript } from "./_scripts.ts";

export const SETTLE_MS = 3_000;
/** Flags of every invocation: windows scaled down to the harness. */
export const SCALED = [
  "--request-timeout",
  "1",
  "--settle",
  "3s",
  "--max-active",
  "0",
  "--format",
  "csv",
];
export const MAX_INVOCATIONS = 8;
export const started = performance.now();

/** One row of RELIABILITY.md. */
export interface Row {
  scenario: string;
  rows: number;
  duplicates: number;
  lost: number;
  invocations: string;
  requestsPerLaunched: number;
  note: string;
}
/** The rows, in the order the scenarios ran. */
export const table: Row[] = [];

/** One row of RELIABILITY.md's downloads table. */
export interface DownloadRow {
  scenario: string;
  files: number;
  /** Files under their final name that differ from the server's, or are partial. */
  wrong: number;
  /** Files not there after the invocations listed. */
  missing: number;
  invocations: string;
  note: string;
}
/** The downloads table (bench/_stress_downloads.ts). */
export const downloadTable: DownloadRow[] = [];

/** A fresh folder with a CSV of reports for `plugin`, and its own registry. */
export async function newJob(sim: Simulator, plugin: string, count: number) {
  const used = new Set(
    (sim.pluginResults({ plugin }) as { result: string }[]).map((r) =>
      Number(/\/results\/(\d+)\//.exec(r.result)![1])
    ),
  );
  // Completed analyses only: launches on the others are refused before they go out.
  const reports = sim.reportIds({ group: "Completed" }).filter((id) =>
    !used.has(id)
  ).slice(0, count);
  if (reports.length < count) throw new Error("not enough fresh reports");
  const cwd = await Deno.makeTempDir({ prefix: "ionrun-stress-" });
  await writeCsv(`${cwd}/in.csv`, reports, plugin);
  return { cwd, reports, env: envFor(sim, `${cwd}/cache`) };
}

/** Writes a `report,plugin` CSV. */
export function writeCsv(path: string, reports: number[], plugin: string) {
  return Deno.writeTextFile(
    path,
    `report,plugin\n${reports.map((r) => `${r},${plugin}`).join("\n")}\n`,
  );
}

/** Runs per pair, from the server's own records (they survive a restart). */
export function runsPerPair(sim: Simulator, reports: number[], plugin: string) {
  const counts = new Map<number, number>(reports.map((r) => [r, 0]));
  for (const run of sim.pluginResults({ plugin }) as { result: string }[]) {
    const report = Number(/\/results\/(\d+)\//.exec(run.result)![1]);
    if (counts.has(report)) counts.set(report, counts.get(report)! + 1);
  }
  return counts;
}

/** Whether a run left nothing to do: exit 0, or only rows a rerun cannot change. */
function settled(r: Ran): boolean {
  return r.code === 0;
}

/** The same command again until it has nothing left to do. */
export async function untilDone(
  name: string,
  args: string[],
  options: { env: Record<string, string>; cwd: string },
  first?: Ran,
): Promise<{ invocations: number; last: Ran }> {
  let last = first ?? await runScript(name, args, options);
  let invocations = 1;
  while (!settled(last) && invocations < MAX_INVOCATIONS) {
    // In doubt: the next invocation decides once the settle window passed.
    if (/in-doubt|in doubt/.test(last.stderr)) await sleep(SETTLE_MS + 200);
    last = await runScript(name, args, options);
    invocations++;
  }
  return { invocations, last };
}

/** Counts the pairs' runs in the server's records and adds the row. */
export function record(
  scenario: string,
  sim: Simulator,
  pairs: { reports: number[]; plugin: string },
  result: { invocations: string; note: string; requests?: number },
) {
  const counts = runsPerPair(sim, pairs.reports, pairs.plugin);
  const launched = [...counts.values()].filter((n) => n > 0).length;
  const row: Row = {
    scenario,
    rows: pairs.reports.length,
    duplicates: [...counts.values()].filter((n) => n > 1).length,
    lost: [...counts.values()].filter((n) => n === 0).length,
    invocations: result.invocations,
    requestsPerLaunched: Number(
      ((result.requests ?? sim.requests.length) / Math.max(1, launched))
        .toFixed(3),
    ),
    note: result.note,
  };
  table.push(row);
  console.error(
    `${scenario}: ${row.duplicates} duplicates, ${row.lost} lost, ${row.invocations} invocation(s), ${row.requestsPerLaunched} req/launched row (${
      ((performance.now() - started) / 1000).toFixed(0)
    } s)`,
  );
}

/** Resolves after `ms`. */
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `check` until it holds (or throws after `ms`). */
export async function waitUntil(check: () => boolean, ms = 60_000) {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error("timed out waiting");
    await sleep(5);
  }
}

/** Kills a child with SIGKILL and collects it. */
export async function kill9(child: Deno.ChildProcess) {
  try {
    child.kill("SIGKILL");
  } catch {
    // it had finished
  }
  await child.status;
}

/** Writes RELIABILITY.md from the table; exit code 1 when a pair was doubled or lost. */
export async function writeReliability(): Promise<void> {
  const seconds = (performance.now() - started) / 1000;
  const fmt = (n: number) => Number.isNaN(n) ? "–" : String(n);
  const md = `# Reliability

Written by \`deno task stress\` (\`bench/stress.ts\`) on ${
    new Date().toISOString().slice(0, 10)
  }, in ${
    seconds.toFixed(0)
  } s on a 2-core machine. Each scenario runs \`bulk_run.ts\` (and \`run.ts\`) as a user does,
as separate processes, against the simulator on loopback; launches are counted per
(report, plugin) pair in the server's own records. Timeouts and windows are scaled down:
\`--request-timeout 1 --settle 3s\` (defaults: 30 s and 10 minutes). "Lost" counts pairs
that should have been launched and were not after the invocations listed; "duplicates"
counts pairs with more than one run. "Invocations" is how many times the same command
ran until it had nothing left to do (exit 0); the harness waits out the settle window
between invocations that reported pairs in doubt.

Every invocation is \`bulk_run.ts in.csv --concurrency 8 --request-timeout 1 --settle 3s
--max-active 0 --format csv\` (\`--max-active 0\`: no pacing, every launch sent as soon as
a launch slot frees, the hardest case for exactly-once; \`--concurrency 4\` for the launchers running at once, beside
\`run.ts AmpliconRep <40 report keys>\` with the same flags); faults are
injected into the simulator (\`Simulator.addFault\`: a status, a reset, a delay, an
HTML page, a cut-off body, a run created late, a broken \`meta.next\`), or it is paused,
restarted from its state file, or the journal's disk is a 24 KiB tmpfs in a private mount
namespace (\`unshare -m\`). The code of each scenario is in \`bench/stress.ts\`.

| scenario | rows | duplicates | lost | invocations | requests per launched row | note |
| --- | ---: | ---: | ---: | --- | ---: | --- |
${
    table.map((r) =>
      `| ${r.scenario} | ${r.rows} | ${fmt(r.duplicates)} | ${
        fmt(r.lost)
      } | ${r.invocations} | ${fmt(r.requestsPerLaunched)} | ${r.note} |`
    ).join("\n")
  }

What is guaranteed, and what is not:

- **One machine** (and machines sharing the user's home folder): each (server, report,
  plugin) pair is launched once. A server is known by its resolved address and its own
  identity (its oldest report), so \`127.0.0.1\` and \`localhost\`, an IP and a host
  name, or http and https of one server share one registry; a job is its journal's
  resolved path and its input's digest, so two folders with an \`in.csv\` each are two
  jobs. The journal allows one process per job; every launch claims its pair in the
  user's registry (\`~/.cache/ionrun\`) and syncs its intent to the journal at the
  moment it is sent. A pair another live job is sending is tried again once that
  launch has ended; one another live job launched within the settle window is skipped,
  whatever its run's state; a dead job's claims are taken over (its journal tells a
  launch it sent, settled from the server, from one it never sent, launched); a
  stopped (Ctrl-Z) or hung holder is named, with the command that lets it go on. A
  launch whose answer was lost is not sent again until the settle window since its
  send has passed with no run on the server. If a pair nevertheless shows two new
  runs, the summary says so ("launched twice, runs A and B") and the exit code is 1,
  also on the run that finds the job finished.
- **Several machines with separate home folders**: their claims are not shared. Each
  launcher looks at the pairs again right before launching them when its view is older
  than 5 s, which narrows the window to seconds but cannot close it: two labs' laptops
  launching the same pairs in the same seconds can still launch one twice. Run bulk jobs
  from one machine (a shared server or a home folder on NFS).
- **The settle window** is the assumption: a launch whose answer was lost creates its run
  within \`--settle\` (default 10 minutes) of being sent, or never. A server that takes
  longer than that to create a run could see it launched again; the next run of the
  same command then reports the pair launched twice.
${
    downloadTable.length
      ? `
## Downloads

\`download.ts in.csv --plugin variantCaller --files '*.vcf.gz' --out dl\` over 500 VCFs of
~100 KB (gzip) on variantCaller runs of the simulator, as a user runs it; after each
scenario every file under its final name is hashed and compared with the server's.
"Wrong" counts files under a final name that differ from the server's or are partial
(checked after every kill too); "missing" counts files not there after the invocations
listed (the same command again until it exits 0).

| scenario | files | wrong | missing | invocations | note |
| --- | ---: | ---: | ---: | --- | --- |
${
        downloadTable.map((r) =>
          `| ${r.scenario} | ${r.files} | ${r.wrong} | ${r.missing} | ${r.invocations} | ${r.note} |`
        ).join("\n")
      }
`
      : ""
  }`;
  await Deno.writeTextFile(`${REPO}RELIABILITY.md`, md);
  // As `deno fmt --check` (part of the test task) wants it.
  await new Deno.Command(Deno.execPath(), {
    args: ["fmt", "--quiet", `${REPO}RELIABILITY.md`],
  }).output();
  console.error(`RELIABILITY.md written (${seconds.toFixed(0)} s)`);
  const bad = [
    ...table.filter((r) => r.duplicates > 0 || r.lost > 0),
    ...downloadTable.filter((r) => r.wrong > 0 || r.missing > 0),
  ];
  if (bad.length) {
    console.error(`FAILED: ${bad.map((r) => r.scenario).join("; ")}`);
    Deno.exitCode = 1;
  }
}
