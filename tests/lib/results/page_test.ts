import assert from "node:assert/strict";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { chromium } from "playwright-core";
import { CHROMIUM, CHROMIUM_ARGS, testNeeding } from "../../_needs.ts";
import {
  parseFlagRule,
  renderResultsPage,
  type ResultRow,
} from "../../../lib/results/mod.ts";

const EVIL =
  `R_<script>window.__pwned=1</script>"&'<img src=x onerror="window.__pwned=2">`;
const HEADER = [
  "report",
  "report_name",
  "barcode",
  "sample",
  "coverageAnalysis.run",
  "coverageAnalysis.url",
  "uniformity_pct",
  "mean_depth",
];

/** 16,000 rows (2,000 reports × 8 barcodes), some values missing. */
function bigRows(): ResultRow[] {
  const rows: ResultRow[] = [];
  for (let r = 0; r < 2000; r++) {
    for (let b = 1; b <= 8; b++) {
      const i = r * 8 + b;
      rows.push({
        report: 1000 + r,
        report_name: r === 7 ? EVIL : `R_2026_${r}`,
        barcode: `IonXpress_00${b}`,
        sample: `S${i}`,
        "coverageAnalysis.run": 50_000 + r,
        "coverageAnalysis.url":
          `/output/Home/R_${r}/plugin_out/coverageAnalysis_out.${50_000 + r}/`,
        uniformity_pct: i % 97 === 0 ? null : 80 + ((i * 7919) % 200) / 10,
        mean_depth: (i * 31) % 5000,
      });
    }
  }
  return rows;
}

Deno.test("renderResultsPage() escapes every text, links only http(s), loads nothing", () => {
  const html = renderResultsPage({
    header: HEADER,
    rows: [{
      ...bigRows()[56]!,
      "coverageAnalysis.url": "javascript:alert(1)",
    }],
    serverUrl: "https://ts.example.org",
    unusable: [`12 ${EVIL} sampleID: no run`],
  });
  assert.ok(!html.includes("<script>window"), "names are escaped");
  assert.ok(!html.includes("javascript:"), "no javascript: link");
  assert.doesNotMatch(html, /<(link|img|iframe)\b|<script[^>]*src=/i);
  assert.match(html, /1 without a usable run/);
});

testNeeding(
  "chromium",
  CHROMIUM,
  "renderResultsPage(): 16,000 rows sort by number in headless Chromium, flagged cells coloured, runs linked",
  async () => {
    const rows = bigRows();
    const rule = parseFlagRule("uniformity_pct<85");
    const dir = await Deno.makeTempDir({ prefix: "ionrun-results-page-" });
    try {
      const file = join(dir, "qc.html");
      await Deno.writeTextFile(
        file,
        renderResultsPage({
          header: HEADER,
          rows,
          rules: [rule],
          serverUrl: "https://ts.example.org",
        }),
      );
      const browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: [...CHROMIUM_ARGS],
      });
      await using _closing = { [Symbol.asyncDispose]: () => browser.close() };
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on("pageerror", (e) => errors.push(String(e)));
      page.on("console", (m) => {
        if (m.type() === "error") errors.push(m.text());
      });
      const t0 = performance.now();
      await page.goto(pathToFileURL(file).href);
      assert.equal(await page.evaluate("window.__pwned"), undefined);
      const count = await page.evaluate<number>(
        `document.querySelectorAll("#results tbody tr").length`,
      );
      assert.equal(count, 16_000);
      const flagged = await page.evaluate<number>(
        `document.querySelectorAll("#results td.flag").length`,
      );
      const expected = rows.filter((r) =>
        typeof r.uniformity_pct === "number" && r.uniformity_pct < 85
      ).length;
      assert.equal(flagged, expected);
      const colour = await page.evaluate<string>(
        `getComputedStyle(document.querySelector("#results td.flag")).backgroundColor`,
      );
      assert.notEqual(colour, "rgba(0, 0, 0, 0)");
      const column = (name: string) =>
        page.evaluate<string[]>(
          `(() => { const i = [...document.querySelectorAll("#results thead th")].findIndex((th) => th.textContent === ${
            JSON.stringify(name)
          }); return [...document.querySelectorAll("#results tbody tr")].map((tr) => tr.cells[i].getAttribute("data-v")); })()`,
        );
      const started = performance.now();
      const header = page.locator("#results thead th", {
        hasText: /^uniformity_pct/,
      });
      console.log(`loaded in ${(performance.now() - t0).toFixed(0)} ms`);
      await header.click();
      const sortMs = performance.now() - started;
      const sorted = await column("uniformity_pct");
      const numbers = sorted.filter((v) =>
        v !== ""
      ).map(Number);
      assert.deepEqual(
        numbers,
        [...numbers].sort((a, b) => a - b),
        "numeric order",
      );
      assert.equal(sorted.at(-1), "", "empty cells last");
      await header.click();
      const desc = (await column("uniformity_pct")).filter((v) => v !== "").map(
        Number,
      );
      assert.deepEqual(desc, [...numbers].reverse());
      const href = await page.evaluate<string>(
        `document.querySelector("#results tbody td a").href`,
      );
      assert.match(
        href,
        /^https:\/\/ts\.example\.org\/output\/Home\/R_\d+\/plugin_out\/coverageAnalysis_out\.\d+\/$/,
      );
      assert.deepEqual(
        errors,
        [],
        "no script error, nothing refused by the CSP",
      );
      console.log(
        `results page, 16,000 rows: sorted in ${sortMs.toFixed(0)} ms`,
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);
