import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { gunzipSync } from "node:zlib";
import { type Simulator, startSimulator } from "../../simulator/mod.ts";
import { bgzf, BGZF_EOF } from "../../simulator/files.ts";
import { API, API_KEY, call, type Json, U } from "./_helpers.ts";

const BASIC = { Authorization: `Basic ${btoa(`${U.username}:${U.password}`)}` };
const T0 = Date.UTC(2024, 4, 1);

function barcodedReport(sim: Simulator): number {
  return sim.reportIds().find((r) => sim.barcodesOf(r).length >= 2)!;
}

async function get(
  sim: Simulator,
  path: string,
  headers: Record<string, string> = {},
  method = "GET",
) {
  const res = await fetch(`${sim.url}${path}`, {
    method,
    redirect: "manual",
    headers: { ...BASIC, ...headers },
  });
  const bytes = new Uint8Array(await res.arrayBuffer());
  return { status: res.status, headers: res.headers, bytes };
}

const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

Deno.test("files: a Completed variantCaller run's tree matches store.files; VCFs are real BGZF; sizes, hashes and ETags agree", async () => {
  await using sim = await startSimulator({
    reports: 30,
    now: () => T0,
    bamBytes: 5000,
  });
  const report = barcodedReport(sim);
  const bcs = sim.barcodesOf(report);
  const id = sim.addRun({
    report,
    plugin: "variantCaller",
    state: "Completed",
  });
  const pr = (await call(sim, `${API}pluginresult/${id}/`)).json();
  const files = sim.filesOf(id);
  const paths = files.map((f) => f.path);
  for (
    const p of ["drmaa_stdout.txt", "startplugin.json", "results.json"]
  ) assert.ok(paths.includes(p), p);
  for (const f of pr.store.files as Json[]) {
    assert.ok(f.download_path.startsWith(pr.URL));
    assert.ok(paths.includes(f.download_path.slice(pr.URL.length)), f.type);
  }
  assert.ok(paths.some((p) => p.endsWith(".vcf.zip")));
  for (const f of files) {
    const r = await get(sim, `/auth${pr.URL}${f.path}`);
    assert.equal(r.status, 200, f.path);
    assert.equal(Number(r.headers.get("content-length")), f.size);
    assert.equal(r.headers.get("etag"), f.etag);
    assert.equal(r.headers.get("accept-ranges"), "bytes");
    assert.equal(
      r.headers.get("last-modified"),
      new Date(f.mtime).toUTCString(),
    );
    assert.equal(sha(r.bytes), f.sha256, f.path);
  }
  const results = await get(sim, `${pr.URL}results.json`);
  assert.deepEqual(
    JSON.parse(new TextDecoder().decode(results.bytes)),
    sim.resultsJsonOf(id),
  );
  const start = await get(sim, `${pr.URL}startplugin.json`);
  assert.ok(new TextDecoder().decode(start.bytes).includes(pr.apikey));
  const bc = bcs[0]!.barcode;
  const vcf = (await get(
    sim,
    `${pr.URL}${bc}/TSVC_variants_${bc}.vcf.gz`,
  )).bytes;
  assert.deepEqual([...vcf.subarray(0, 4)], [0x1f, 0x8b, 8, 4]);
  assert.deepEqual([...vcf.subarray(12, 16)], [0x42, 0x43, 2, 0], "BC field");
  assert.deepEqual([...vcf.subarray(-28)], [...BGZF_EOF]);
  const text = new TextDecoder().decode(gunzipSync(vcf));
  assert.match(text, /^##fileformat=VCFv4\.1\n/);
  const records = text.split("\n").filter((l) => l && !l.startsWith("#"));
  assert.equal(records.length, pr.store.barcodes[bc].variants.variants);
  assert.ok(text.includes(`\t${bcs[0]!.sample}\n`), "sample column");
});

Deno.test("files: bgzf() splits into blocks whose BSIZE matches, and gunzips back", () => {
  const data = new TextEncoder().encode("x".repeat(150_000));
  const z = bgzf(data);
  let off = 0;
  let blocks = 0;
  while (off < z.length) {
    const bsize = z[off + 16]! | (z[off + 17]! << 8);
    off += bsize + 1;
    blocks++;
  }
  assert.equal(off, z.length);
  assert.equal(blocks, 4, "3 data blocks and the EOF block");
  assert.equal(gunzipSync(z).length, data.length);
});

Deno.test("files: Range, 416, If-Range by ETag and by date, If-None-Match; a virtual multi-GB BAM answers ranges", async () => {
  await using sim = await startSimulator({ reports: 30, now: () => T0 });
  const report = barcodedReport(sim);
  const id = sim.addRun({
    report,
    plugin: "coverageAnalysis",
    state: "Completed",
  });
  const url = (await call(sim, `${API}pluginresult/${id}/`)).json().URL;
  const files = sim.filesOf(id);
  const stats = files.find((f) => f.path.endsWith(".stats.cov.txt"))!;
  const full = (await get(sim, `${url}${stats.path}`)).bytes;
  const part = await get(sim, `${url}${stats.path}`, { Range: "bytes=10-19" });
  assert.equal(part.status, 206);
  assert.equal(part.headers.get("content-range"), `bytes 10-19/${stats.size}`);
  assert.deepEqual(part.bytes, full.subarray(10, 20));
  const tail = await get(sim, `${url}${stats.path}`, { Range: "bytes=-5" });
  assert.deepEqual(tail.bytes, full.subarray(-5));
  const open = await get(sim, `${url}${stats.path}`, { Range: "bytes=100-" });
  assert.equal(open.bytes.length, stats.size - 100);
  const bad = await get(sim, `${url}${stats.path}`, {
    Range: `bytes=${stats.size}-`,
  });
  assert.equal(bad.status, 416);
  assert.equal(bad.headers.get("content-range"), `bytes */${stats.size}`);
  const same = await get(sim, `${url}${stats.path}`, {
    Range: "bytes=0-3",
    "If-Range": stats.etag,
  });
  assert.equal(same.status, 206);
  const stale = await get(sim, `${url}${stats.path}`, {
    Range: "bytes=0-3",
    "If-Range": '"1-1"',
  });
  assert.deepEqual([stale.status, stale.bytes.length], [200, stats.size]);
  const byDate = await get(sim, `${url}${stats.path}`, {
    Range: "bytes=0-3",
    "If-Range": new Date(stats.mtime).toUTCString(),
  });
  assert.equal(byDate.status, 206);
  const oldDate = await get(sim, `${url}${stats.path}`, {
    Range: "bytes=0-3",
    "If-Range": new Date(stats.mtime - 60_000).toUTCString(),
  });
  assert.equal(oldDate.status, 200);
  const cached = await get(sim, `${url}${stats.path}`, {
    "If-None-Match": stats.etag,
  });
  assert.equal(cached.status, 304);
  const bam = files.find((f) => f.path.endsWith(".bam"))!;
  assert.ok(bam.size >= 2e9 && bam.size <= 6e9, `${bam.size}`);
  assert.equal(bam.sha256, null, "too large to hash");
  const head = await get(sim, `${url}${bam.path}`, {}, "HEAD");
  assert.equal(Number(head.headers.get("content-length")), bam.size);
  const end = await get(sim, `${url}${bam.path}`, {
    Range: `bytes=${bam.size - 1000}-`,
  });
  assert.deepEqual([end.status, end.bytes.length], [206, 1000]);
  const heads = sim.requests.filter((r) => r.method === "HEAD");
  assert.equal(heads.length, 1);
  assert.equal(heads[0]!.bodyBytes, 0);
  const last = sim.requests.at(-1)!;
  assert.equal(last.bodyBytes, 1000);
});

Deno.test("files: listings in barcode folders, 301 without the slash, the log at the run's root, progressive files while Started, none after an early failure", async () => {
  let t = T0;
  await using sim = await startSimulator({ reports: 30, now: () => t });
  const report = barcodedReport(sim);
  const bcs = sim.barcodesOf(report);
  const id = sim.addRun({
    report,
    plugin: "coverageAnalysis",
    state: "Completed",
  });
  const url = (await call(sim, `${API}pluginresult/${id}/`)).json().URL;
  const bc = bcs[0]!.barcode;
  const moved = await get(sim, `${url}${bc}`);
  assert.deepEqual([moved.status, moved.headers.get("location")], [
    301,
    `${sim.url}${url}${bc}/`,
  ]);
  const list = new TextDecoder().decode((await get(sim, `${url}${bc}/`)).bytes);
  assert.match(list, new RegExp(`Index of ${url}${bc}/`));
  for (const f of sim.filesOf(id).filter((f) => f.path.startsWith(`${bc}/`))) {
    assert.ok(list.includes(`>${f.path.slice(bc.length + 1)}</a>`), f.path);
  }
  assert.match(list, /\d(\.\d)?G<\/td>/, "the BAM's size, rounded");
  const root = new TextDecoder().decode((await get(sim, url)).bytes);
  assert.match(root, /ion-plugin-status --state Completed/);
  assert.equal((await get(sim, `${url}nope/`)).status, 404);

  const running = sim.addRun({
    report,
    plugin: "coverageAnalysis",
    state: "Started",
    startedAt: t - 20 * 60_000,
  });
  const some = sim.filesOf(running).map((f) => f.path);
  const all = sim.filesOf(id).map((f) => f.path);
  assert.ok(some.includes("startplugin.json"));
  assert.ok(!some.includes("results.json"));
  assert.ok(some.length > 3 && some.length < all.length, `${some.length}`);
  t += 10 * 60_000;
  assert.ok(sim.filesOf(running).length > some.length, "more files later");

  const early = sim.addRun({
    report,
    plugin: "variantCaller",
    state: "Error",
    storeFate: "no-results",
  });
  assert.deepEqual(sim.filesOf(early).map((f) => f.path).sort(), [
    "barcodes.json",
    "drmaa_stdout.txt",
    "startplugin.json",
  ]);
  const partial = sim.addRun({
    report,
    plugin: "variantCaller",
    state: "Error",
    storeFate: "ok",
  });
  const p = sim.filesOf(partial).map((f) => f.path);
  assert.ok(p.includes("results.json"));
  assert.ok(
    p.length < sim.filesOf(
      sim.addRun({ report, plugin: "variantCaller", state: "Completed" }),
    ).length,
  );
});

Deno.test("files: who may read them; Basic costs a password check per request, the session cookie does not", async () => {
  await using sim = await startSimulator({
    reports: 10,
    now: () => T0,
    basicAuthCostMs: 30,
  });
  const id = sim.addRun({ report: 2, plugin: "igv", state: "Completed" });
  const url = (await call(sim, `${API}pluginresult/${id}/`)).json().URL;
  const key = await get(sim, `${url}results.json`, {
    ...API_KEY,
    Authorization: API_KEY.Authorization,
  });
  assert.equal(key.status, 302);
  assert.match(key.headers.get("location")!, /\/login\/\?next=/);
  const auth = await fetch(`${sim.url}/auth${url}results.json`, {
    headers: API_KEY,
  });
  await auth.body?.cancel();
  assert.equal(auth.status, 401);
  assert.equal(
    auth.headers.get("www-authenticate"),
    'Basic realm="Torrent Suite (TM)"',
  );
  const before = sim.authCounts();
  const t0 = performance.now();
  const first = await get(sim, `${url}results.json`);
  assert.equal(first.status, 200);
  assert.ok(performance.now() - t0 >= 25, "the hash check takes time");
  const cookie = first.headers.get("set-cookie")!.split(";")[0]!;
  const viaCookie = await fetch(`${sim.url}${url}results.json`, {
    headers: { Cookie: cookie },
  });
  await viaCookie.arrayBuffer();
  assert.equal(viaCookie.status, 200);
  const after = sim.authCounts();
  assert.deepEqual(
    [after.basic - before.basic, after.session - before.session],
    [1, 1],
  );
});

Deno.test("files: setFile and changeOnHeadRate change size and ETag; cut bodies, slow bandwidth, archived output, another storage", async () => {
  await using sim = await startSimulator({
    reports: 10,
    now: () => T0,
    fileFaults: { changeOnHeadRate: 1 },
  });
  const id = sim.addRun({ report: 2, plugin: "igv", state: "Completed" });
  const url = (await call(sim, `${API}pluginresult/${id}/`)).json().URL;
  const before = sim.filesOf(id).find((f) => f.path === "results.json")!;
  const head = await get(sim, `${url}results.json`, {}, "HEAD");
  assert.equal(head.headers.get("etag"), before.etag);
  const body = await get(sim, `${url}results.json`);
  assert.notEqual(body.headers.get("etag"), before.etag, "changed after HEAD");
  assert.equal(body.bytes.length, before.size + 1);
  sim.setFile(id, "results.json", "{}\n");
  const set = sim.filesOf(id).find((f) => f.path === "results.json")!;
  assert.deepEqual([set.size, set.sha256], [
    3,
    sha(new TextEncoder().encode("{}\n")),
  ]);
  sim.setFile(id, "extra.txt", "hello");
  assert.equal((await get(sim, `${url}extra.txt`)).status, 200);
  sim.setFile(id, "extra.txt", null);
  assert.equal((await get(sim, `${url}extra.txt`)).status, 404);

  await using cut = await startSimulator({
    reports: 10,
    now: () => T0,
    fileFaults: { cutRate: 1 },
  });
  const c = cut.addRun({ report: 2, plugin: "igv", state: "Completed" });
  const curl = (await call(cut, `${API}pluginresult/${c}/`)).json().URL;
  await assert.rejects(async () => {
    const res = await fetch(`${cut.url}${curl}results.json`, {
      headers: BASIC,
    });
    await res.arrayBuffer();
  });
  const size = cut.filesOf(c).find((f) => f.path === "results.json")!.size;
  assert.equal(cut.requests.at(-1)!.bodyBytes, Math.floor(size / 2));

  await using slow = await startSimulator({
    reports: 10,
    now: () => T0,
    fileFaults: { bytesPerSecond: 2000 },
  });
  const s = slow.addRun({ report: 2, plugin: "igv", state: "Completed" });
  const surl = (await call(slow, `${API}pluginresult/${s}/`)).json().URL;
  const t0 = performance.now();
  const got = await get(slow, `${surl}drmaa_stdout.txt`);
  const ms = performance.now() - t0;
  assert.ok(ms >= (got.bytes.length / 2000) * 1000 * 0.6, `${ms} ms`);

  await using gone = await startSimulator({
    reports: 10,
    now: () => T0,
    fileFaults: { archivedRate: 1, otherStorageRate: 1 },
  });
  const g = gone.addRun({ report: 2, plugin: "igv", state: "Completed" });
  const gj = (await call(gone, `${API}pluginresult/${g}/`)).json();
  assert.match(gj.URL, /^\/output\/Archive\//);
  assert.match(gj.path, /^\/results\/analysis\/output\/Archive\//);
  assert.equal((await get(gone, `${gj.URL}drmaa_stdout.txt`)).status, 404);
  assert.equal(
    (await get(gone, gj.URL.replace("/Archive/", "/Home/"))).status,
    404,
  );
  const r = (await call(gone, `${API}results/2/`)).json();
  assert.equal(r.reportstorage.name, "Archive");
});

Deno.test("files: seeded runs, legacy <Name>_out folders included, serve a tree whose results.json is their complete store", async () => {
  await using sim = await startSimulator({
    reports: 60,
    now: () => T0,
    bamBytes: 100,
  });
  const runs = sim.pluginResults() as Json[];
  const legacy = runs.find((r) =>
    /_out\/$/.test(r.URL) && r.state === "Completed"
  );
  assert.ok(legacy, "a Completed run in a legacy folder");
  const got = await get(sim, `${legacy.URL}results.json`);
  assert.equal(got.status, 200);
  const done = runs.filter((r) =>
    r.state === "Completed" &&
    ["coverageAnalysis", "variantCaller"].includes(r.pluginName)
  ).slice(0, 6);
  assert.ok(done.length > 0);
  for (const r of done) {
    const body = await get(sim, `${r.URL}results.json`);
    assert.deepEqual(
      JSON.parse(new TextDecoder().decode(body.bytes)),
      sim.resultsJsonOf(r.id),
    );
    assert.deepEqual(r.store, sim.resultsJsonOf(r.id), "PATCH went through");
  }
});

Deno.test("stores: storeCostMs makes large stores cost more", async () => {
  await using sim = await startSimulator({
    reports: 30,
    now: () => T0,
    storeCostMs: 20,
  });
  const report = barcodedReport(sim);
  const id = sim.addRun({
    report,
    plugin: "coverageAnalysis",
    state: "Completed",
  });
  const kb = JSON.stringify(sim.storeOf(id)).length / 1024;
  assert.ok(kb > 1);
  const t0 = performance.now();
  await call(sim, `${API}pluginresult/${id}/`);
  assert.ok(performance.now() - t0 >= 20 * kb * 0.9, "cost per KB of store");
});
