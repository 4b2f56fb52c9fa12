import assert from "node:assert/strict";
import { join } from "node:path";
import {
  fetchFile,
  sha256File,
  TransferError,
} from "../../../lib/downloads/mod.ts";
import { bgzf } from "../../../simulator/files.ts";
import { downloadWorld } from "./_setup.ts";

/** A VCF of the world's first run, its web path and its local name. */
function firstVcf(w: Awaited<ReturnType<typeof downloadWorld>>) {
  const report = w.reports[0]!;
  const run = w.runs.get(report)!;
  const file = w.sim.filesOf(run).find((f) => f.path.endsWith(".vcf.gz"))!;
  const pr = (w.sim.pluginResults({ report, plugin: "variantCaller" }) as {
    id: number;
    URL: string;
  }[]).find((p) => p.id === run)!;
  return { run, file, url: `${pr.URL}${file.path}` };
}

Deno.test("fetchFile(): a BGZF file whose gzip members are whole but whose end-of-file block is missing is refused, nothing under its name", async () => {
  await using w = await downloadWorld("variantCaller", 1);
  const { run, file, url } = firstVcf(w);
  const whole = bgzf(new TextEncoder().encode("##fileformat=VCFv4.1\n"));
  // Cut exactly before the EOF block: every member left inflates fine, so
  // only the end check (done from the streamed bytes) can tell.
  w.sim.setFile(run, file.path, whole.subarray(0, whole.length - 28));
  const dest = join(w.out, "cut.vcf.gz");
  await assert.rejects(
    () => fetchFile(w.files, url, dest),
    (e) =>
      e instanceof TransferError && e.kind === "corrupt" &&
      /end-of-file block/.test(e.message),
  );
  assert.equal(await Deno.stat(dest).catch(() => null), null);

  w.sim.setFile(run, file.path, whole);
  const got = await fetchFile(w.files, url, dest);
  assert.equal(got.size, whole.length);
  assert.equal(got.sha256, await sha256File(dest));
});

Deno.test("fetchFile(): onReceived is called once the body is in, before the file takes its name", async () => {
  await using w = await downloadWorld("variantCaller", 1);
  const { url } = firstVcf(w);
  const dest = join(w.out, "a.vcf.gz");
  const exists = (path: string) => {
    try {
      return Deno.statSync(path).isFile;
    } catch {
      return false;
    }
  };
  const seen: { part: boolean; final: boolean }[] = [];
  await fetchFile(w.files, url, dest, {
    onReceived: () =>
      seen.push({ part: exists(`${dest}.part`), final: exists(dest) }),
  });
  assert.deepEqual(seen, [{ part: true, final: false }]);
  assert.ok((await Deno.stat(dest)).isFile);
});
