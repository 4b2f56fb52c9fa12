// Stress scenarios of `download.ts` (deno task stress, section 8): kill -9 at
// 20 moments of a 500-file download then the same command, bodies cut short
// at 30%, files changed on the server mid-download, the server down
// mid-job. After each: no file under its final name differs from the
// server's (hash), no partial file under a final name, none missing after
// the reruns. Rows go to RELIABILITY.md's downloads table.

import { createHash } from "node:crypto";
import { gzipSync } from "node:zlib";
import { type Simulator, startSimulator } from "../simulator/mod.ts";
import { envFor, runScript, spawnScript } from "./_scripts.ts";
import { downloadTable, kill9, sleep } from "./_stress_kit.ts";

const FILES = 500;

/** A simulator with `FILES` VCFs of ~100 KB over variantCaller runs. */
async function world(options: Parameters<typeof startSimulator>[0] = {}) {
  const sim = await startSimulator({ reports: 300, ...options });
  const reports: number[] = [];
  let n = 0;
  for (const report of sim.reportIds()) {
    if (n >= FILES) break;
    const run = sim.addRun({
      report,
      plugin: "variantCaller",
      state: "Completed",
    });
    const vcfs = sim.filesOf(run).filter((f) => f.path.endsWith(".vcf.gz"));
    if (!vcfs.length) continue;
    reports.push(report);
    for (const f of vcfs) {
      sim.setFile(run, f.path, content(n++));
    }
  }
  const cwd = await Deno.makeTempDir({ prefix: "ionrun-stress-dl-" });
  await Deno.writeTextFile(`${cwd}/in.csv`, `report\n${reports.join("\n")}\n`);
  const user = sim.users[0]!;
  const env = { ...envFor(sim, `${cwd}/cache`), TS_PASSWORD: user.password };
  return { sim, cwd, env, reports };
}

/** Runs a scenario in its own world, closed and removed after. */
async function inWorld(
  options: Parameters<typeof startSimulator>[0],
  body: (w: Awaited<ReturnType<typeof world>>) => Promise<void>,
): Promise<void> {
  const w = await world(options);
  try {
    await body(w);
  } finally {
    await w.sim.close();
    await Deno.remove(w.cwd, { recursive: true });
  }
}

/** About 100 KB of gzip, different per file. */
function content(i: number): Uint8Array {
  const raw = new Uint8Array(100_000);
  crypto.getRandomValues(raw.subarray(0, 65536));
  raw.set(raw.subarray(0, 34464), 65536);
  raw[0] = i & 0xff;
  raw[1] = (i >> 8) & 0xff;
  return gzipSync(raw);
}

const ARGS = [
  "in.csv",
  "--plugin",
  "variantCaller",
  "--files",
  "*.vcf.gz",
  "--out",
  "dl",
  "--request-timeout",
  "5",
];

/** Checks the download folder against the server: wrong, partial, missing. */
async function check(sim: Simulator, cwd: string, runs: Map<number, number>) {
  const server = new Map<string, string>();
  for (const run of runs.values()) {
    for (const f of sim.filesOf(run)) {
      if (f.path.endsWith(".vcf.gz")) server.set(`${run}/${f.path}`, f.sha256!);
    }
  }
  // Final names: dl/variantCaller/<report>_<name>/<path in the run>.
  let wrong = 0;
  let partialUnderName = 0;
  const seen = new Set<string>();
  const walk = async (dir: string, rel: string) => {
    for await (const e of Deno.readDir(dir)) {
      const path = `${dir}/${e.name}`;
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory) await walk(path, r);
      else if (
        !/\.part(\.json)?$/.test(e.name) && e.name !== "manifest.jsonl"
      ) {
        const [, folder, ...inRun] = r.split("/");
        const report = Number(folder!.split("_")[0]);
        const run = runs.get(report)!;
        const want = server.get(`${run}/${inRun.join("/")}`);
        const got = createHash("sha256").update(await Deno.readFile(path))
          .digest("hex");
        if (want === undefined) partialUnderName++;
        else if (got !== want) wrong++;
        else seen.add(`${run}/${inRun.join("/")}`);
      }
    }
  };
  await walk(`${cwd}/dl`, "").catch(() => {});
  return {
    wrong: wrong + partialUnderName,
    missing: [...server.keys()].filter((k) => !seen.has(k)).length,
    files: server.size,
  };
}

function runsOf(sim: Simulator, reports: number[]): Map<number, number> {
  const runs = new Map<number, number>();
  for (const report of reports) {
    const prs = sim.pluginResults({ report, plugin: "variantCaller" }) as {
      id: number;
      state: string;
    }[];
    const newest = prs.filter((p) => p.state === "Completed")
      .sort((a, b) => b.id - a.id)[0];
    if (newest) runs.set(report, newest.id);
  }
  return runs;
}

/** The same command until it exits 0 (at most 8 times). */
async function untilComplete(env: Record<string, string>, cwd: string) {
  let invocations = 0;
  for (;;) {
    invocations++;
    const r = await runScript("download.ts", ARGS, { env, cwd });
    if (r.code === 0 || invocations >= 8) return { invocations, last: r };
  }
}

/** Runs the download scenarios and adds their rows. */
export async function downloads(): Promise<void> {
  {
    // 1. kill -9 at 20 moments, then the same command.
    await inWorld({ fileFaults: { bytesPerSecond: 6_000_000 } }, async (w) => {
      const runs = runsOf(w.sim, w.reports);
      let wrongSeen = 0;
      for (let i = 0; i < 20; i++) {
        const child = spawnScript("download.ts", ARGS, { ...w, quiet: true });
        await sleep(300 + ((i * 397) % 2500));
        await kill9(child);
        wrongSeen += (await check(w.sim, w.cwd, runs)).wrong;
      }
      const { invocations } = await untilComplete(w.env, w.cwd);
      const c = await check(w.sim, w.cwd, runs);
      downloadTable.push({
        scenario:
          `kill -9 at 20 moments of a ${c.files}-file download (6 MB/s), then the same command`,
        files: c.files,
        wrong: c.wrong + wrongSeen,
        missing: c.missing,
        invocations: `${invocations} after the 20 killed`,
        note:
          "checked after every kill: no file under its name differs from the server's",
      });
    });
  }
  {
    // 2. Bodies cut short (30% of answers).
    await inWorld({ fileFaults: { cutRate: 0.3 } }, async (w) => {
      const runs = runsOf(w.sim, w.reports);
      const { invocations, last } = await untilComplete(w.env, w.cwd);
      const c = await check(w.sim, w.cwd, runs);
      const resumed = /(\d+) resumed/.exec(last.stderr)?.[1] ?? "0";
      downloadTable.push({
        scenario:
          "30% of bodies cut short (Content-Length promised, connection closed)",
        files: c.files,
        wrong: c.wrong,
        missing: c.missing,
        invocations: String(invocations),
        note:
          `retried with Range from the partial file (${resumed} resumed in the last run)`,
      });
    });
  }
  {
    // 3. Files changed on the server mid-download.
    await inWorld({ fileFaults: { bytesPerSecond: 6_000_000 } }, async (w) => {
      const runs = runsOf(w.sim, w.reports);
      const child = spawnScript("download.ts", ARGS, { ...w, quiet: true });
      await sleep(2500);
      // Every file gets new content (a new size and ETag) while the job runs.
      let k = 10_000;
      for (const run of runs.values()) {
        for (const f of w.sim.filesOf(run)) {
          if (f.path.endsWith(".vcf.gz")) {
            w.sim.setFile(run, f.path, content(k++));
          }
        }
      }
      await sleep(1500);
      await kill9(child);
      const { invocations } = await untilComplete(w.env, w.cwd);
      const c = await check(w.sim, w.cwd, runs);
      downloadTable.push({
        scenario:
          "every file changed on the server mid-download, then kill -9 and the same command",
        files: c.files,
        wrong: c.wrong,
        missing: c.missing,
        invocations: `${invocations + 1} (the killed one counts)`,
        note:
          "a partial file of the old version is not resumed (If-Range): fetched whole; files already there re-fetched (HEAD: new ETag)",
      });
    });
  }
  {
    // 4. The server down mid-job.
    await inWorld({ fileFaults: { bytesPerSecond: 6_000_000 } }, async (w) => {
      const runs = runsOf(w.sim, w.reports);
      const child = spawnScript("download.ts", ARGS, { ...w, quiet: false });
      await sleep(2000);
      w.sim.addFault({ action: { type: "status", status: 503 } });
      const out = await child.output();
      const stopped = /server unreachable/.test(
        new TextDecoder().decode(out.stderr),
      );
      w.sim.clearFaults();
      const { invocations } = await untilComplete(w.env, w.cwd);
      const c = await check(w.sim, w.cwd, runs);
      downloadTable.push({
        scenario:
          "the server answers 503 to everything mid-job, then comes back",
        files: c.files,
        wrong: c.wrong,
        missing: c.missing,
        invocations: `${invocations + 1} (the stopped one counts)`,
        note: stopped
          ? `the first stopped with "server unreachable" (exit ${out.code}) and the command to resume`
          : `first exit ${out.code}`,
      });
    });
  }
}
