/**
 * Benchmarks of the two products that bring results back (`deno task
 * bench-outputs`), written into their sections of BENCHMARKS.md:
 *
 * - **Results table:** `results.ts` over 2,000 reports × 2 plugins with a
 *   per-object and per-KB-of-store cost on the simulator: requests, wall
 *   time, peak memory (csv for 500 and 2,000 reports: streamed, memory must
 *   not grow with the reports), and the HTML page of every row.
 * - **Downloads:** 1,000 files of 1 MB from the simulator on loopback,
 *   `download.ts` (2 transfers) against `curl` fetching the same list with
 *   the session cookie into files, one at a time and 2 in parallel (and 2
 *   in parallel to `/dev/null`, the network alone), the disk's own durable
 *   write speed; requests per file on a first run and body requests on a
 *   second.
 *
 * Needs `/usr/bin/time` (peak memory), `curl`, `sync` and `dd`.
 *
 * @module
 */

import { gzipSync } from "node:zlib";
import { startSimulator } from "../simulator/mod.ts";
import { envFor, REPO, shebangFlags } from "./_scripts.ts";

const OUT = `${REPO}bench/out`;
const median = (xs: number[]) =>
  [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Runs a script under /usr/bin/time: wall seconds and peak RSS in MiB. */
async function timed(
  script: string,
  args: string[],
  env: Record<string, string>,
  cwd: string,
  denoFlags: string[] = [],
): Promise<
  {
    seconds: number;
    mib: number;
    cpu: number;
    code: number;
    stdout: string;
    stderr: string;
  }
> {
  const out = await new Deno.Command("/usr/bin/time", {
    args: [
      "-f",
      "TIME %e %M %U %S",
      Deno.execPath(),
      ...shebangFlags(script),
      ...denoFlags,
      `${REPO}scripts/${script}`,
      ...args,
    ],
    env,
    clearEnv: true,
    cwd,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  const m = /TIME ([\d.]+) (\d+) ([\d.]+) ([\d.]+)\s*$/.exec(stderr);
  if (!m) throw new Error(`no timing: ${stderr.slice(-500)}`);
  return {
    seconds: Number(m[1]),
    mib: Math.round(Number(m[2]) / 1024),
    cpu: +(Number(m[3]) + Number(m[4])).toFixed(2),
    code: out.code,
    stdout: new TextDecoder().decode(out.stdout),
    stderr,
  };
}

async function resultsBench(dir: string) {
  await using sim = await startSimulator({
    reports: 2100,
    objectCostMs: 0.05,
    storeCostMs: 0.01,
  });
  const reports = sim.reportIds().slice(0, 2000);
  for (const report of reports) {
    for (const plugin of ["coverageAnalysis", "variantCaller"]) {
      sim.addRun({ report, plugin, state: "Completed" });
    }
  }
  const env = envFor(sim, `${dir}/cache`);
  const figures: Record<string, unknown> = {};
  for (const n of [500, 2000]) {
    await Deno.writeTextFile(
      `${dir}/r${n}.csv`,
      `report\n${reports.slice(0, n).join("\n")}\n`,
    );
    sim.clearLog();
    const r = await timed(
      "results.ts",
      [
        `r${n}.csv`,
        "--plugin",
        "coverageAnalysis,variantCaller",
        "--format",
        "csv",
      ],
      env,
      dir,
    );
    if (r.code !== 0) {
      throw new Error(`results.ts exit ${r.code}: ${r.stderr.slice(-400)}`);
    }
    const rows = r.stdout.trim().split("\n").length - 1;
    const lookUps = sim.requests.filter((q) =>
      q.path.includes("pluginresult")
    ).length;
    figures[`csv${n}`] = {
      seconds: r.seconds,
      cpu: r.cpu,
      mib: r.mib,
      rows,
      requests: sim.requests.length,
      lookUps,
    };
  }
  // The live data stays small: the same table with a 48 MB V8 heap.
  const capped = await timed(
    "results.ts",
    [
      "r2000.csv",
      "--plugin",
      "coverageAnalysis,variantCaller",
      "--format",
      "csv",
    ],
    env,
    dir,
    ["--v8-flags=--max-old-space-size=48"],
  );
  figures.capped = {
    code: capped.code,
    seconds: capped.seconds,
    mib: capped.mib,
  };
  sim.clearLog();
  const html = await timed(
    "results.ts",
    [
      "r2000.csv",
      "--plugin",
      "coverageAnalysis,variantCaller",
      "--out",
      "qc.html",
    ],
    env,
    dir,
  );
  if (html.code !== 0) {
    throw new Error(
      `results.ts html exit ${html.code}: ${html.stderr.slice(-400)}`,
    );
  }
  const pageRows =
    ((await Deno.readTextFile(`${dir}/qc.html`)).match(/<tr>/g) ?? []).length -
    1;
  figures.html = {
    seconds: html.seconds,
    cpu: html.cpu,
    mib: html.mib,
    rows: pageRows,
  };
  return figures;
}

async function downloadsBench(dir: string) {
  await using sim = await startSimulator({ reports: 400 });
  // 1 MB of gzip (random bytes compress to themselves), one content for all.
  const raw = new Uint8Array(1_000_000 - 200);
  for (let i = 0; i < raw.length; i += 65536) {
    crypto.getRandomValues(raw.subarray(i, Math.min(raw.length, i + 65536)));
  }
  const content = gzipSync(raw);
  const reports: number[] = [];
  const urls: string[] = [];
  for (const report of sim.reportIds()) {
    if (urls.length >= 1000) break;
    const run = sim.addRun({
      report,
      plugin: "variantCaller",
      state: "Completed",
    });
    const vcfs = sim.filesOf(run).filter((f) => f.path.endsWith(".vcf.gz"));
    if (vcfs.length === 0) continue;
    reports.push(report);
    const pr = (sim.pluginResults({ report, plugin: "variantCaller" }) as {
      id: number;
      URL: string;
    }[]).find((p) => p.id === run);
    for (const f of vcfs) {
      if (urls.length >= 1000) break;
      sim.setFile(run, f.path, content);
      urls.push(`${sim.url}${pr!.URL}${f.path}`);
    }
  }
  const files = urls.length;
  const user = sim.users[0]!;
  const env = { ...envFor(sim, `${dir}/cache`), TS_PASSWORD: user.password };
  await Deno.writeTextFile(
    `${dir}/reports.csv`,
    `report\n${reports.join("\n")}\n`,
  );
  const args = [
    "reports.csv",
    "--plugin",
    "variantCaller",
    "--files",
    "*.vcf.gz",
    "--out",
    "dl",
  ];
  // curl with the session cookie Django gives for one Basic request.
  const login = await fetch(`${sim.url}${new URL(urls[0]!).pathname}`, {
    method: "HEAD",
    headers: {
      Authorization: `Basic ${btoa(`${user.username}:${user.password}`)}`,
    },
  });
  const cookie = /sessionid=([^;]+)/.exec(login.headers.get("set-cookie") ?? "")
    ?.[1];
  if (!cookie) throw new Error("no session cookie");
  const curlConfig = (toFiles: boolean) =>
    urls.map((u, i) =>
      `url = "${u}"\noutput = "${
        toFiles ? `${dir}/curl-out/${i}.vcf.gz` : "/dev/null"
      }"\n`
    ).join("");
  await Deno.writeTextFile(`${dir}/curl-null.cfg`, curlConfig(false));
  await Deno.writeTextFile(`${dir}/curl-files.cfg`, curlConfig(true));
  // Every timed run starts from the same state: the previous run's files
  // removed and the disk's pending writes flushed (`sync`), else a run pays
  // for the writeback of the one before it.
  const fresh = async () => {
    await Deno.remove(`${dir}/dl`, { recursive: true }).catch(() => {});
    await Deno.remove(`${dir}/curl-out`, { recursive: true }).catch(() => {});
    await Deno.mkdir(`${dir}/curl-out`);
    await new Deno.Command("sync").output();
  };
  const curl = async (options: { parallel: boolean; toFiles: boolean }) => {
    await fresh();
    const t0 = performance.now();
    const out = await new Deno.Command("curl", {
      args: [
        "-s",
        "-f",
        "-b",
        `sessionid=${cookie}`,
        "-K",
        `${dir}/curl-${options.toFiles ? "files" : "null"}.cfg`,
        ...(options.parallel ? ["--parallel", "--parallel-max", "2"] : []),
      ],
      stdout: "null",
      stderr: "piped",
    }).output();
    if (out.code !== 0) throw new Error(`curl exit ${out.code}`);
    return (performance.now() - t0) / 1000;
  };
  const ionrun = async () => {
    await fresh();
    sim.clearLog();
    const run = await timed("download.ts", args, env, dir);
    if (run.code !== 0) {
      throw new Error(
        `download.ts exit ${run.code}: ${run.stderr.slice(-600)}`,
      );
    }
    return {
      ...run,
      bodies: sim.requests.filter((r) => r.path.startsWith("/output/")).length,
      api: sim.requests.filter((r) => r.path.startsWith("/rundb/")).length,
    };
  };
  // Interleaved, three of each: the machine's drift is shared alike.
  const firsts = [];
  const curlFiles: number[] = [], curlNull: number[] = [];
  const curlSequential: number[] = [];
  for (let i = 0; i < 3; i++) {
    curlFiles.push(await curl({ parallel: true, toFiles: true }));
    curlNull.push(await curl({ parallel: true, toFiles: false }));
    curlSequential.push(await curl({ parallel: false, toFiles: true }));
    // Last: its folder is what the second run below finds.
    firsts.push(await ionrun());
  }
  const first = [...firsts].sort((x, y) => x.seconds - y.seconds)[1]!;
  const fetched =
    (await Deno.readTextFile(`${dir}/dl/manifest.jsonl`)).trim().split("\n")
      .length;
  sim.clearLog();
  const second = await timed("download.ts", args, env, dir);
  const secondBodies =
    sim.requests.filter((r) =>
      r.path.startsWith("/output/") && r.method === "GET"
    ).length;
  // The disk's own speed for durable writes: what a download that syncs
  // each file before its final name cannot beat.
  await fresh();
  const t0 = performance.now();
  const dd = await new Deno.Command("dd", {
    args: [
      "if=/dev/zero",
      `of=${dir}/curl-out/dd`,
      "bs=1M",
      `count=${Math.round(files * content.length / 2 ** 20)}`,
      "conv=fdatasync",
    ],
    stderr: "null",
  }).output();
  if (dd.code !== 0) throw new Error(`dd exit ${dd.code}`);
  const ddSeconds = (performance.now() - t0) / 1000;
  const mb = (files * content.length) / 1e6;
  const curlParallel = median(curlFiles);
  return {
    files,
    fileBytes: content.length,
    fetched,
    ionrunSeconds: first.seconds,
    ionrunRuns: firsts.map((r) => r.seconds),
    ionrunCpu: first.cpu,
    ionrunMiB: first.mib,
    ionrunMBps: +(mb / first.seconds).toFixed(1),
    requestsPerFile: +(first.bodies / files).toFixed(3),
    apiRequests: first.api,
    secondSeconds: second.seconds,
    secondBodies,
    curlSequential: +median(curlSequential).toFixed(2),
    curlParallel: +curlParallel.toFixed(2),
    curlParallelMBps: +(mb / curlParallel).toFixed(1),
    curlNull: +median(curlNull).toFixed(2),
    curlNullMBps: +(mb / median(curlNull)).toFixed(1),
    diskSeconds: +ddSeconds.toFixed(2),
    diskMBps: +(mb / ddSeconds).toFixed(0),
    ratio: +(curlParallel / first.seconds).toFixed(2),
    ratioNull: +(median(curlNull) / first.seconds).toFixed(2),
  };
}

// deno-lint-ignore no-explicit-any
type Figures = Record<string, any>;

function resultsLines(r: Figures): string[] {
  const c5 = r.csv500, c2 = r.csv2000, h = r.html;
  const perHundred = +(c2.lookUps / 20 / 2).toFixed(2);
  return [
    "## Results table",
    "",
    "`results.ts --plugin coverageAnalysis,variantCaller` over reports with a",
    "Completed run of both plugins (stores as the simulator makes them: per",
    "barcode, floats as text), the simulator costing 0.05 ms per object and",
    "0.01 ms per KB of store serialized, the script a new process each time",
    "(wall time and peak RSS from `/usr/bin/time`):",
    "",
    "| reports | rows | wall | peak RSS | requests | `pluginresult/` look-ups |",
    "| ------: | ---: | ---: | -------: | -------: | -----------------------: |",
    `| 500 (csv) | ${c5.rows} | ${c5.seconds} s | ${c5.mib} MiB | ${c5.requests} | ${c5.lookUps} |`,
    `| 2,000 (csv) | ${c2.rows} | ${c2.seconds} s | ${c2.mib} MiB | ${c2.requests} | ${c2.lookUps} |`,
    `| 2,000 (html page) | ${h.rows} | ${h.seconds} s | ${h.mib} MiB | | |`,
    "",
    `Look-ups: ${perHundred} per 100 reports per plugin (goal ≤ 2: ${
      perHundred <= 2 ? "met" : "**not met**"
    }).`,
    `Memory of the streamed CSV: ${c5.mib} MiB for 500 reports, ${c2.mib} MiB for 2,000`,
    `(goal: not growing with the reports: ${
      c2.mib <= c5.mib * 1.25 ? "met" : "**not met**"
    }).`,
    `The page of ${h.rows} rows in ${h.seconds} s (goal < 5 s: ${
      h.seconds < 5 ? "met" : "**not met**"
    }).`,
    "",
  ];
}

function downloadsLines(d: Figures): string[] {
  return [
    "## Downloads",
    "",
    `${d.files} files of ${
      (d.fileBytes / 1e6).toFixed(2)
    } MB (gzip, checked whole) from the`,
    "simulator on loopback, listed by variantCaller's results (no folder",
    "listing needed):",
    "",
    "Each run starts with the previous one's files removed and the disk's",
    "pending writes flushed (`sync`); the runs are interleaved, three of each,",
    "medians shown:",
    "",
    "| client | wall | throughput |",
    "| --- | ---: | ---: |",
    `| \`download.ts\`, 2 transfers, from process start (plan, SHA-256, gzip check, each file synced before its name, manifest) | ${d.ionrunSeconds} s | ${d.ionrunMBps} MB/s |`,
    `| \`curl --parallel-max 2\` with the session cookie, writing the files | ${d.curlParallel} s | ${d.curlParallelMBps} MB/s |`,
    `| \`curl\` with the session cookie, one at a time, writing the files | ${d.curlSequential} s | |`,
    `| \`curl --parallel-max 2\` to \`/dev/null\` (the network alone) | ${d.curlNull} s | ${d.curlNullMBps} MB/s |`,
    `| the disk: \`dd conv=fdatasync\` of the same bytes | ${d.diskSeconds} s | ${d.diskMBps} MB/s |`,
    "",
    `download.ts / curl writing the same files at the same concurrency: **${d.ratio}×**`,
    `curl's throughput (goal ≥ 0.9: ${
      d.ratio >= 0.9 ? "met" : "**not met**"
    }; the three runs of download.ts: ${
      d.ionrunRuns.join(", ")
    } s, ${d.ionrunCpu} s of CPU). Against curl discarding the bytes: ${d.ratioNull}×.`,
    `Requests per file on the first run: ${d.requestsPerFile} (goal ≤ 1.1: ${
      d.requestsPerFile <= 1.1 ? "met" : "**not met**"
    }), plus ${d.apiRequests} API requests for the plan.`,
    `The same command again: ${d.secondSeconds} s, ${d.secondBodies} body requests (one HEAD per file; goal 0: ${
      d.secondBodies === 0 ? "met" : "**not met**"
    }).`,
    `Peak RSS of download.ts: ${d.ionrunMiB} MiB.`,
    "",
  ];
}

/** Replaces (or appends) a `## ` section of BENCHMARKS.md. */
async function writeSection(lines: string[]) {
  const path = `${REPO}BENCHMARKS.md`;
  const text = (await Deno.readTextFile(path)).split("\n");
  const start = text.indexOf(lines[0]!);
  if (start < 0) {
    text.push("", ...lines);
  } else {
    let end = text.findIndex((l, i) => i > start && l.startsWith("## "));
    if (end < 0) end = text.length;
    text.splice(start, end - start, ...lines);
  }
  await Deno.writeTextFile(path, text.join("\n").replace(/\n{3,}/g, "\n\n"));
}

if (import.meta.main) {
  await Deno.mkdir(OUT, { recursive: true });
  const dir = await Deno.makeTempDir({ prefix: "ionrun-bench-outputs-" });
  try {
    const only = Deno.args.includes("--downloads")
      ? "downloads"
      : Deno.args.includes("--results")
      ? "results"
      : "both";
    if (only !== "downloads") {
      const r = await resultsBench(dir);
      console.error(JSON.stringify(r));
      await writeSection(resultsLines(r));
    }
    if (only !== "results") {
      const d = await downloadsBench(dir);
      console.error(JSON.stringify(d));
      await writeSection(downloadsLines(d));
    }
    await new Deno.Command(Deno.execPath(), {
      args: ["fmt", "--quiet", `${REPO}BENCHMARKS.md`],
    }).output();
    console.error("BENCHMARKS.md: results and downloads sections written");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
