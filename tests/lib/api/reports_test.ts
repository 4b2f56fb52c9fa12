import assert from "node:assert/strict";
import { createClient } from "../../../lib/http/client.ts";
import { FilterNotAppliedError, UsageError } from "../../../lib/errors.ts";
import {
  findReportsByName,
  getReport,
  getReports,
  listReports,
  resolveNamedRows,
} from "../../../lib/api/reports.ts";
import { parseRunRows } from "../../../lib/run_rows.ts";
import type { Report } from "../../../lib/types.ts";
import { clientFor, fakeTransport, simulator } from "../../_helpers.ts";

const listRequests = (paths: string[], resource: string) =>
  paths.filter((p) => p.startsWith(`/rundb/api/v1/${resource}/?`)).length;

Deno.test("listReports() walks 2,500 reports in 3 requests, each once, newest first", async () => {
  await using sim = await simulator({ reports: 2500 });
  using client = await clientFor(sim);
  const seen: number[] = [];
  for await (const r of listReports(client)) seen.push(r.id);
  const expected = [...sim.reportIds()].sort((a, b) => b - a);
  assert.equal(seen.length, 2500);
  assert.deepEqual(seen, expected);
  const paths = sim.requests.map((r) => r.path);
  assert.equal(listRequests(paths, "results"), 3);
  // Pages of 1000 asked for, never limit=0; then meta.next as given.
  assert.match(paths[0]!, /limit=1000/);
  assert.ok(paths.every((p) => !/[?&]limit=0(&|$)/.test(p)));
});

Deno.test("listReports() filters by status, name and dates, verified", async () => {
  await using sim = await simulator({ reports: 300 });
  using client = await clientFor(sim);
  const all: Report[] = [];
  for await (const r of listReports(client)) all.push(r);
  const some = all[10]!;
  const byStatus: Report[] = [];
  for await (const r of listReports(client, { status: some.status })) {
    byStatus.push(r);
  }
  assert.deepEqual(
    byStatus.map((r) => r.id),
    all.filter((r) => r.status === some.status).map((r) => r.id),
  );
  const needle = some.resultsName.slice(2, 9).toUpperCase();
  const named: number[] = [];
  for await (const r of listReports(client, { nameContains: needle })) {
    named.push(r.id);
  }
  assert.deepEqual(
    named,
    all.filter((r) => r.resultsName.toUpperCase().includes(needle)).map((r) =>
      r.id
    ),
  );
  assert.ok(named.includes(some.id));
  const since = new Date(some.timeStamp);
  const recent: number[] = [];
  for await (const r of listReports(client, { since })) recent.push(r.id);
  assert.deepEqual(
    recent,
    all.filter((r) => Date.parse(r.timeStamp) >= since.getTime()).map((r) =>
      r.id
    ),
  );
  const limited: number[] = [];
  for await (const r of listReports(client, { limit: 7 })) limited.push(r.id);
  assert.deepEqual(limited, all.slice(0, 7).map((r) => r.id));
});

Deno.test("getReports() batches id__in look-ups and keeps URLs short", async () => {
  await using sim = await simulator({ reports: 2500 });
  using client = await clientFor(sim);
  const ids = sim.reportIds();
  const found = await getReports(client, [...ids, 999_999]);
  assert.equal(found.size, ids.length);
  assert.ok(!found.has(999_999));
  const requests = sim.requests.filter((r) => r.path.includes("id__in="));
  // 1,000 / 800 / 701 ids: the page size or the URL budget, one page each.
  assert.equal(requests.length, 3, `${requests.length} requests`);
  assert.ok(requests.every((r) => r.path.includes("offset=0")));
  assert.ok(requests.every((r) => r.path.length < 6000));
});

Deno.test("listReports() matches the status in any case", async () => {
  await using sim = await simulator({ reports: 100 });
  using client = await clientFor(sim);
  const exact: number[] = [];
  for await (const r of listReports(client, { status: "Completed" })) {
    exact.push(r.id);
  }
  const lower: number[] = [];
  for await (const r of listReports(client, { status: "completed" })) {
    lower.push(r.id);
  }
  assert.ok(exact.length > 50);
  assert.deepEqual(lower, exact);
});

Deno.test("listReports() filters by project, sample, chip type and plan through the related resources, verified", async () => {
  await using sim = await simulator({ reports: 300 });
  using client = await clientFor(sim);
  const get = async (path: string) => {
    const user = sim.users[0]!;
    const res = await fetch(`${sim.url}/rundb/api/v1/${path}`, {
      headers: { Authorization: `ApiKey ${user.username}:${user.apiKey}` },
    });
    return await res.json();
  };
  const { objects: exps } = await get("experiment/?limit=1000");
  const byExp = new Map<string, Record<string, unknown>>(
    exps.map((e: Record<string, unknown>) => [e.resource_uri, e]),
  );
  const { objects: all } = await get("results/?limit=1000");
  const expOf = (r: { experiment: string }) => byExp.get(r.experiment)!;
  const collect = async (o: Parameters<typeof listReports>[1]) => {
    const ids: number[] = [];
    for await (const r of listReports(client, o)) ids.push(r.id);
    return ids;
  };
  // Chip type: compare with the experiments' chipType.
  const chip = (expOf(all[5]) as { chipType: string }).chipType;
  sim.clearLog();
  const chipIds = await collect({ chipType: chip.toLowerCase() });
  assert.deepEqual(
    chipIds,
    all.filter((r: { experiment: string }) =>
      (expOf(r) as { chipType: string }).chipType === chip
    ).map((r: { id: number }) => r.id),
  );
  assert.ok(chipIds.length > 10 && chipIds.length < all.length);
  // One request for the reports, one per 500 for their experiments.
  assert.deepEqual(
    sim.requests.map((r) => r.path.split("?")[0]),
    ["/rundb/api/v1/results/", "/rundb/api/v1/experiment/"],
  );
  // Project: the URIs on the reports.
  const { objects: projects } = await get("project/");
  const project = projects[3] as { name: string; resource_uri: string };
  const projectIds = await collect({ project: project.name.toUpperCase() });
  assert.deepEqual(
    projectIds,
    all.filter((r: { projects: string[] }) =>
      r.projects.includes(project.resource_uri)
    ).map((r: { id: number }) => r.id),
  );
  // Sample: through the experiment's samples.
  const sampleUri = (expOf(all[7]) as { samples: string[] }).samples[0]!;
  const { name: sampleName } = await get(
    sampleUri.replace("/rundb/api/v1/", "").replace(
      /sample\/(\d+)\//,
      "sample/?id=$1",
    ),
  ).then((x) => x.objects[0]);
  const sampleIds = await collect({ sample: sampleName });
  assert.ok(sampleIds.includes(all[7].id));
  for (const id of sampleIds) {
    const r = all.find((x: { id: number }) => x.id === id);
    assert.ok((expOf(r) as { samples: string[] }).samples.includes(sampleUri));
  }
  // Plan: through the experiment's plan.
  const planUri = (expOf(all[2]) as { plan: string }).plan;
  const { objects: [plan] } = await get(
    `plannedexperiment/?id=${/(\d+)\/$/.exec(planUri)![1]}`,
  );
  const planIds = await collect({ planName: plan.planName });
  assert.ok(planIds.includes(all[2].id));
  assert.ok(planIds.length < all.length);
  // No such name: nothing, and no report listing at all.
  sim.clearLog();
  assert.deepEqual(await collect({ project: "no-such-project" }), []);
  assert.deepEqual(await collect({ sample: "no-such-sample" }), []);
  assert.ok(
    !sim.requests.some((r) => r.path.startsWith("/rundb/api/v1/results/")),
  );
});

Deno.test("listReports() keeps or drops thumbnails, verified", async () => {
  await using sim = await simulator({ reports: 60, thumbnails: true });
  using client = await clientFor(sim);
  const thumbs: Report[] = [];
  for await (const r of listReports(client, { thumbnails: true })) {
    thumbs.push(r);
  }
  const full: Report[] = [];
  for await (const r of listReports(client, { thumbnails: false })) {
    full.push(r);
  }
  assert.ok(thumbs.length > 0 && full.length > 0);
  assert.ok(thumbs.every((r) => r.resultsName.endsWith("_tn")));
  assert.ok(full.every((r) => !r.resultsName.endsWith("_tn")));
  assert.equal(thumbs.length + full.length, sim.reportIds().length);
});

Deno.test("listReports() refuses a list where the server ignored a relation filter", async () => {
  // A server that does not know the relation answers every report.
  const page = (objects: unknown[]) => ({
    meta: {
      limit: 1000,
      offset: 0,
      total_count: objects.length,
      next: null,
      previous: null,
    },
    objects,
  });
  const report = (id: number, project: number) => ({
    id,
    resultsName: `R_${id}`,
    status: "Completed",
    timeStamp: "2026-03-01T00:00:00+00:00",
    reportLink: "",
    resource_uri: `/rundb/api/v1/results/${id}/`,
    projects: [`/rundb/api/v1/project/${project}/`],
    experiment: `/rundb/api/v1/experiment/${id}/`,
  });
  const transport = fakeTransport((req) =>
    req.url.pathname.endsWith("/project/")
      ? { status: 200, body: page([{ id: 4, name: "BRCA_Research" }]) }
      : req.url.pathname.endsWith("/experiment/")
      ? {
        status: 200,
        body: page([{ id: 1, chipType: "540" }, { id: 2, chipType: "530" }]),
      }
      : { status: 200, body: page([report(1, 4), report(2, 5)]) }
  );
  using client = await createClient({ url: "http://ts.invalid", transport });
  const drain = async (o: Parameters<typeof listReports>[1]) => {
    for await (const _ of listReports(client, o)) { /* consume */ }
  };
  await assert.rejects(
    drain({ project: "BRCA_Research" }),
    (e) =>
      e instanceof FilterNotAppliedError &&
      e.filter === "projects__name__iexact",
  );
  await assert.rejects(
    drain({ chipType: "540" }),
    (e) =>
      e instanceof FilterNotAppliedError &&
      e.filter === "experiment__chipType__iexact",
  );
  assert.ok(
    transport.requests.some((r) =>
      r.url.search.includes("experiment__chipType__iexact=540")
    ),
  );
});

Deno.test("listReports({ project }) on a server without project/: a UsageError saying so and what to use instead, no TS_URL hint", async () => {
  const transport = fakeTransport((req) =>
    req.url.pathname.endsWith("/project/")
      ? {
        status: 404,
        body: "<html><body>Not Found</body></html>",
        headers: { "content-type": "text/html" },
      }
      : { status: 200, body: { meta: { next: null }, objects: [] } }
  );
  using client = await createClient({ url: "http://ts.invalid", transport });
  await assert.rejects(
    async () => {
      for await (const _ of listReports(client, { project: "BRCA" })) {
        // consume
      }
    },
    (e) =>
      e instanceof UsageError &&
      /--project: this server has no project list \(project\/ answered 404\)/
        .test(e.message) &&
      !/TS_URL|drop the path/.test(e.message),
  );
});

Deno.test("getReport() of an id not on the server: 'report 99999 is not on this server'", async () => {
  await using sim = await simulator({ reports: 3 });
  using client = await clientFor(sim);
  await assert.rejects(
    () => getReport(client, 99999),
    (e) =>
      e instanceof Error &&
      /^report 99999 is not on this server/.test(e.message),
  );
});

/** Every report of the simulator, by name (names repeat: reanalyses). */
async function reportsByName(
  client: Awaited<ReturnType<typeof clientFor>>,
): Promise<Map<string, number[]>> {
  const byName = new Map<string, number[]>();
  for await (const r of listReports(client)) {
    byName.set(r.resultsName, [...byName.get(r.resultsName) ?? [], r.id]);
  }
  return byName;
}

Deno.test("findReportsByName() finds 600 names exactly in batched resultsName__in look-ups, shared names with every report", async () => {
  await using sim = await simulator({ reports: 800 });
  using client = await clientFor(sim);
  const byName = await reportsByName(client);
  const names = [...byName.keys()].slice(0, 600);
  const shared = [...byName].find(([, ids]) => ids.length > 1);
  assert.ok(shared, "the simulator reuses a name (a reanalysis)");
  if (!names.includes(shared[0])) names.push(shared[0]);
  sim.clearLog();
  const found = await findReportsByName(client, [
    ...names,
    "Auto_user_nobody_1",
    // A prefix of a real name: exact names only, never a substring.
    names[0]!.slice(0, -1),
  ]);
  for (const name of names) {
    assert.deepEqual(
      found.get(name)!.map((r) => r.id),
      [...byName.get(name)!].sort((a, b) => b - a),
      name,
    );
  }
  assert.deepEqual(found.get("Auto_user_nobody_1"), []);
  assert.deepEqual(found.get(names[0]!.slice(0, -1)), []);
  const paths = sim.requests.map((r) => r.path);
  assert.ok(paths.every((p) => p.includes("resultsName__in=")), paths[0]);
  // 600 names of ~40 characters: a few URLs of at most 4,000 characters.
  assert.ok(paths.length >= 6 && paths.length <= 10, `${paths.length}`);
  assert.ok(paths.every((p) => p.length < 4600), "URLs stay short");
});

Deno.test("findReportsByName() looks a name with a comma up on its own (an __in list would split it)", async () => {
  await using sim = await simulator({ reports: 5 });
  using client = await clientFor(sim);
  const found = await findReportsByName(client, ["run 7, rerun"]);
  assert.deepEqual(found.get("run 7, rerun"), []);
  assert.equal(sim.requests.length, 1);
  const query = new URL(sim.requests[0]!.path, sim.url).searchParams;
  assert.equal(query.get("resultsName"), "run 7, rerun");
  assert.equal(query.get("resultsName__in"), null);
});

Deno.test("resolveNamedRows() gives named rows their key in line order; unknown and shared names are file:line problems listing the keys", async () => {
  await using sim = await simulator({ reports: 400 });
  using client = await clientFor(sim);
  const byName = await reportsByName(client);
  const [one, two] = [...byName].filter(([, ids]) => ids.length === 1);
  const [sharedName, sharedIds] = [...byName].find(([, ids]) =>
    ids.length > 1
  )!;
  const text = [
    "report_name,plugin",
    `${one![0]},igv`,
    `Auto_user_nobody_1,igv`,
    `${sharedName},igv`,
    `${two![0]},coverageAnalysis`,
  ].join("\n");
  const parsed = parseRunRows(text, { file: "names.csv", names: true });
  assert.equal(parsed.named?.length, 4);
  assert.deepEqual(parsed.problems, []);
  const resolved = await resolveNamedRows(client, parsed, {
    file: "names.csv",
  });
  assert.deepEqual(resolved.rows.map((r) => [r.line, r.report, r.plugin]), [
    [2, one![1][0], "igv"],
    [5, two![1][0], "coverageAnalysis"],
  ]);
  assert.deepEqual(resolved.problems.map((p) => [p.file, p.line]), [
    ["names.csv", 3],
    ["names.csv", 4],
  ]);
  assert.equal(
    resolved.problems[0]!.message,
    'no report named "Auto_user_nobody_1" on this server',
  );
  const listed = [...sharedIds].sort((a, b) => b - a);
  assert.match(
    resolved.problems[1]!.message,
    new RegExp(
      `^report name "${sharedName}" is shared by ${sharedIds.length} reports: ${
        listed[0]
      } \\(\\d{4}-\\d\\d-\\d\\d\\), .*give the key instead$`,
    ),
  );
});
