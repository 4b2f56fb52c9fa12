// The stress harness's scenarios at the seams between jobs: two folders
// with the same CSV name, one server under two names, kills during launches
// to a slow server, two live jobs on failing runs, dead and stopped claim
// holders, claim files of another shape, a list that never ends, a server
// slower than the client's timeout, the API key in TS_URL. Each adds its row
// to RELIABILITY.md's table.

import { startSimulator } from "../simulator/mod.ts";
import { type Ran, runScript, spawnScript } from "./_scripts.ts";
import {
  kill9,
  newJob,
  record,
  SCALED,
  sleep,
  table,
  untilDone,
  waitUntil,
  writeCsv,
} from "./_stress_kit.ts";

const posts = (sim: { requests: { method: string }[] }) =>
  sim.requests.filter((r) => r.method === "POST").length;

/** A second project folder with the same CSV, sharing the first's registry. */
async function secondFolder(
  job: Awaited<ReturnType<typeof newJob>>,
  plugin: string,
) {
  const cwd = await Deno.makeTempDir({ prefix: "ionrun-stress-b-" });
  await writeCsv(`${cwd}/in.csv`, [...job.reports].reverse(), plugin);
  return { ...job, cwd };
}

const ended = async (child: Deno.ChildProcess): Promise<Ran> => {
  const out = await child.output();
  return {
    code: out.code,
    stdout: new TextDecoder().decode(out.stdout),
    stderr: new TextDecoder().decode(out.stderr),
    seconds: 0,
  };
};

/** Runs every seam scenario, each adding its row. */
export async function seams(): Promise<void> {
  const args = ["in.csv", "--concurrency", "4", ...SCALED];

  // Two project folders, the same CSV name, at once.
  {
    await using sim = await startSimulator({
      reports: 1400,
      launchDelayMs: 10,
    });
    const a = await newJob(sim, "AmpliconRep", 1000);
    const b = await secondFolder(a, "AmpliconRep");
    const outs = await Promise.all([
      ended(spawnScript("bulk_run.ts", args, a)),
      ended(spawnScript("bulk_run.ts", args, b)),
    ]);
    record(
      "two project folders, each with its own in.csv of the same 1,000 pairs (in reverse order), at once",
      sim,
      { reports: a.reports, plugin: "AmpliconRep" },
      {
        invocations: `1 each (exit codes ${
          outs.map((o) => o.code).join(", ")
        })`,
        note:
          "a job is its journal's resolved path and its input's digest, never the path as typed",
      },
    );
  }

  // One server under two names.
  {
    await using sim = await startSimulator({
      reports: 1400,
      launchDelayMs: 10,
    });
    const a = await newJob(sim, "AmpliconRep", 1000);
    const b = await secondFolder(a, "AmpliconRep");
    const local = {
      ...b,
      env: { ...b.env, TS_URL: sim.url.replace("127.0.0.1", "localhost") },
    };
    const outs = await Promise.all([
      ended(spawnScript("bulk_run.ts", args, a)),
      ended(spawnScript("bulk_run.ts", args, local)),
    ]);
    record(
      "one server under two names at once: TS_URL=http://127.0.0.1:PORT and http://localhost:PORT, the same 1,000 pairs",
      sim,
      { reports: a.reports, plugin: "AmpliconRep" },
      {
        invocations: `1 each (exit codes ${
          outs.map((o) => o.code).join(", ")
        })`,
        note:
          "the registry is named by the resolved address and the server's own identity (its oldest report)",
      },
    );
  }

  // kill -9 while launches are out to a server that creates runs 1.5 s late.
  {
    let duplicates = 0;
    let lost = 0;
    let most = 0;
    let requests = 0;
    let launched = 0;
    for (let trial = 0; trial < 20; trial++) {
      await using sim = await startSimulator({
        reports: 200,
        createDelayMs: 1_500,
      });
      const job = await newJob(sim, "AmpliconRep", 50);
      const flags = ["in.csv", "--concurrency", "8", ...SCALED];
      const child = spawnScript("bulk_run.ts", flags, { ...job, quiet: true });
      await waitUntil(() => posts(sim) >= 2 + 2 * trial);
      await kill9(child);
      const { invocations } = await untilDone("bulk_run.ts", flags, job);
      await sleep(1_600); // a launch still being created shows now
      const per = new Map<number, number>(job.reports.map((r) => [r, 0]));
      for (const l of sim.launches) {
        if (per.has(l.report)) per.set(l.report, per.get(l.report)! + 1);
      }
      duplicates += [...per.values()].filter((n) => n > 1).length;
      lost += [...per.values()].filter((n) => n === 0).length;
      launched += [...per.values()].filter((n) => n > 0).length;
      requests += sim.requests.length;
      most = Math.max(most, invocations + 1);
    }
    table.push({
      scenario:
        "kill -9 while launches are out to a server creating each run 1.5 s after the request, then the same command at once (--settle 3s; 20 trials of 50 rows, killed after 2 to 40 sends)",
      rows: 1000,
      duplicates,
      lost,
      invocations: `2 to ${most} (the killed one counts)`,
      requestsPerLaunched: Number((requests / launched).toFixed(3)),
      note:
        "an intent is journaled when its launch is sent: the settle window counts from the send",
    });
    console.error(
      `kill -9, slow server: ${duplicates} duplicates, ${lost} lost`,
    );
  }

  // Two live jobs on runs that all fail, with the default settle window.
  {
    await using sim = await startSimulator({
      reports: 800,
      failureRate: 1,
      launchDelayMs: 5,
    });
    const a = await newJob(sim, "AmpliconRep", 500);
    const b = await secondFolder(a, "AmpliconRep");
    const flags = [
      "in.csv",
      "--concurrency",
      "4",
      "--request-timeout",
      "1",
      "--max-active",
      "0",
    ];
    const outs = await Promise.all([
      ended(spawnScript("bulk_run.ts", flags, a)),
      ended(spawnScript("bulk_run.ts", flags, b)),
    ]);
    record(
      "two live jobs at once on the same 500 pairs, every run ending in Error (default 10-minute settle window)",
      sim,
      { reports: a.reports, plugin: "AmpliconRep" },
      {
        invocations: `1 each (exit codes ${
          outs.map((o) => o.code).join(", ")
        })`,
        note:
          "another live job's launch within the settle window is skipped whatever its state; after the job ends, the rerun pipe relaunches failures",
      },
    );
  }

  // A job killed while it holds claims; another job at once.
  {
    await using sim = await startSimulator({
      reports: 1400,
      createDelayMs: 400,
    });
    const a = await newJob(sim, "AmpliconRep", 1000);
    const b = await secondFolder(a, "AmpliconRep");
    const flags = ["in.csv", "--concurrency", "8", ...SCALED];
    const child = spawnScript("bulk_run.ts", flags, { ...a, quiet: true });
    await waitUntil(() => sim.launches.length >= 300);
    await kill9(child);
    const { invocations } = await untilDone("bulk_run.ts", flags, b);
    await sleep(500);
    record(
      "a job killed -9 at 300 of 1,000 launches (runs created 0.4 s in), another job on the same pairs from another folder at once",
      sim,
      { reports: a.reports, plugin: "AmpliconRep" },
      {
        invocations: `${invocations} of the other job`,
        note:
          "the dead job's claims are taken over: its journal tells sent (settled from the server) from never sent (launched)",
      },
    );
  }

  // A job stopped with Ctrl-Z while it holds claims.
  {
    await using sim = await startSimulator({ reports: 500 });
    sim.addFault({
      method: "POST",
      nth: 1,
      times: 4,
      action: { type: "slow-create", ms: 25_000 },
    });
    const a = await newJob(sim, "AmpliconRep", 200);
    const b = await secondFolder(a, "AmpliconRep");
    const flags = [
      "in.csv",
      "--concurrency",
      "4",
      "--request-timeout",
      "40",
      "--settle",
      "3s",
      "--max-active",
      "0",
      "--format",
      "csv",
    ];
    const child = spawnScript("bulk_run.ts", flags, a);
    await waitUntil(() => posts(sim) >= 4);
    Deno.kill(child.pid, "SIGSTOP");
    let first: Ran;
    try {
      first = await runScript("bulk_run.ts", flags, b);
    } finally {
      Deno.kill(child.pid, "SIGCONT");
    }
    const held =
      first.stdout.split("\n").filter((l) => /which does not answer/.test(l))
        .length;
    await ended(child);
    const { invocations } = await untilDone("bulk_run.ts", flags, b);
    record(
      "a job stopped with Ctrl-Z (SIGSTOP) while 4 of its launches are out; another job on the same 200 pairs, then SIGCONT and that job again",
      sim,
      { reports: a.reports, plugin: "AmpliconRep" },
      {
        invocations: `${
          invocations + 1
        } of the other job (the first exits ${first.code}: ${held} row(s) held by the stopped pid, named with kill -CONT)`,
        note:
          "a holder whose beacon accepts but does not answer is stopped or hung: its pairs are left, said so, never launched",
      },
    );
  }

  // Claim files of another shape in the registry.
  {
    await using sim = await startSimulator({ reports: 1400 });
    const job = await newJob(sim, "AmpliconRep", 1000);
    // A launch on another report makes the registry's folder.
    const other = sim.reportIds().find((id) => !job.reports.includes(id))!;
    await writeCsv(`${job.cwd}/warm.csv`, [other], "igv");
    await runScript("bulk_run.ts", ["warm.csv", ...SCALED], job);
    const claims = `${job.env.XDG_CACHE_HOME}/ionrun/claims`;
    await Deno.mkdir(claims, { recursive: true });
    const folders: string[] = [];
    for await (const f of Deno.readDir(claims)) folders.push(f.name);
    let written = 0;
    for (const folder of folders) {
      for (const [i, report] of job.reports.slice(0, 100).entries()) {
        await Deno.writeTextFile(
          `${claims}/${folder}/${report}.AmpliconRep.json`,
          i % 2 ? "{}" : "42",
        );
        written++;
      }
    }
    const r = await runScript("bulk_run.ts", args, job);
    const notes = (r.stderr.match(/not a claim record of this version/g) ?? [])
      .length;
    record(
      `${written} claim files of another shape ({} and 42) in the registry`,
      sim,
      { reports: job.reports, plugin: "AmpliconRep" },
      {
        invocations:
          `1 (exit ${r.code}; ${notes} one-line notes naming the files)`,
        note: "each is moved aside with a note; never a crash",
      },
    );
  }

  // A list whose total_count keeps growing.
  {
    await using sim = await startSimulator({ reports: 1400 });
    const job = await newJob(sim, "AmpliconRep", 1000);
    sim.addFault({
      method: "GET",
      path: "/pluginresult/",
      action: { type: "next", mode: "growing" },
    });
    const first = await runScript("bulk_run.ts", args, job);
    const said = /total_count grew from/.test(first.stderr);
    const requests = sim.requests.length;
    sim.clearFaults();
    const { invocations } = await untilDone("bulk_run.ts", args, job);
    record(
      "a list whose meta.next advances while total_count keeps growing (the guard's look-up of existing runs)",
      sim,
      { reports: job.reports, plugin: "AmpliconRep" },
      {
        invocations: `${
          invocations + 1
        } (the first exits ${first.code} after ${requests} requests${
          said ? ", naming the growth and the URL" : ""
        })`,
        note:
          "paging stops when total_count more than doubles, when a page repeats objects, or past what an __in look-up can hold",
      },
    );
  }

  // A server slower than the client's timeout.
  {
    await using sim = await startSimulator({
      reports: 400,
      launchDelayMs: 1_500,
    });
    const job = await newJob(sim, "AmpliconRep", 200);
    const flags = ["in.csv", "--concurrency", "8", ...SCALED];
    const { invocations, last } = await untilDone("bulk_run.ts", flags, job);
    record(
      "every launch answered after the 1 s timeout (its run created 1.5 s in), 200 rows",
      sim,
      { reports: job.reports, plugin: "AmpliconRep" },
      {
        invocations: `${invocations} (exit ${last.code})`,
        note:
          "launches whose runs are found count as launched, never as 'server down'; more sends wait while answers are lost",
      },
    );
  }

  // The API key in TS_URL.
  {
    await using sim = await startSimulator({ reports: 400 });
    const job = await newJob(sim, "AmpliconRep", 200);
    const user = sim.users[0]!;
    const env = { ...job.env };
    delete env.TS_API_KEY;
    delete env.TS_USER;
    env.TS_URL = `${sim.url}/?username=${user.username}&api_key=${user.apiKey}`;
    const r = await runScript("bulk_run.ts", args, { ...job, env });
    const leaked = (r.stdout + r.stderr).includes(user.apiKey);
    const inQuery = sim.requests.some((q) => q.path.includes("api_key"));
    record(
      "the API key given in TS_URL (?username=…&api_key=…), 200 rows",
      sim,
      { reports: job.reports, plugin: "AmpliconRep" },
      {
        invocations: `1 (exit ${r.code})`,
        note:
          `the key is taken out of the URL and sent as a header (in a query string: ${inQuery}); printed anywhere: ${leaked}`,
      },
    );
  }
}
