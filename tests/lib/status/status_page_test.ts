import assert from "node:assert/strict";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { classifyState } from "../../../lib/states.ts";
import type { PairStatus } from "../../../lib/status/status.ts";
import {
  renderStatusPage,
  type StatusPageInput,
} from "../../../lib/status/status_page.ts";
import { chromium } from "playwright-core";
import { CHROMIUM, CHROMIUM_ARGS, testNeeding } from "../../_needs.ts";

const PLUGINS = [
  "variantCaller",
  "coverageAnalysis",
  "FileExporter",
  "sampleID",
  "ERCC_Analysis",
];
const SERVER = "https://ts.example.org";
const EVIL =
  `R_<script>window.__pwned=1</script>"&'<img src=x onerror="window.__pwned=2">`;
/** A failed cell the browser test looks at. */
const FAILED = { report: 10042, plugin: "coverageAnalysis", id: 910042 };
const FAILED_URL =
  `${SERVER}/output/Home/R_10042/plugin_out/coverageAnalysis_out.910042/drmaa_stdout.txt`;

/** A pair's status from the fields a test cares about. */
function cell(
  c: Partial<PairStatus> & Pick<PairStatus, "report" | "plugin" | "state">,
): PairStatus {
  return {
    reportName: null,
    id: null,
    starttime: null,
    endtime: null,
    durationSeconds: null,
    url: null,
    validationErrors: [],
    ...c,
    stateClass: classifyState(c.state),
  };
}

/** A deterministic pseudo-random number generator (mulberry32). */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** States with weights: mostly completed, some failed, running and never run. */
const MIX: [string | null, number][] = [
  ["Completed", 0.70],
  ["Error", 0.05],
  ["Failed Validation", 0.02],
  ["Timed Out", 0.01],
  ["Cancelled", 0.005],
  ["Exploded", 0.005], // a state this toolkit does not know: failed
  ["Started", 0.04],
  ["Queued", 0.03],
  ["Pending", 0.02],
  [null, 0.12],
];

/** 2,000 reports × 5 plugins, given in shuffled order. */
function bigInput(): StatusPageInput {
  const rand = random(42);
  const cells: PairStatus[] = [];
  let id = 1000;
  for (let i = 0; i < 2000; i++) {
    const report = 10000 + i;
    const reportName = report === 10007 ? EVIL : `R_2024_05_${i}_Chip${i % 4}`;
    for (const plugin of PLUGINS) {
      let x = rand();
      let state: string | null = null;
      for (const [s, w] of MIX) {
        state = s;
        if ((x -= w) < 0) break;
      }
      if (report === FAILED.report && plugin === FAILED.plugin) state = "Error";
      const runId = state === null
        ? null
        : report === FAILED.report && plugin === FAILED.plugin
        ? FAILED.id
        : id++;
      const url = runId === null
        ? null
        : `${SERVER}/output/Home/R_${report}/plugin_out/${plugin}_out.${runId}/`;
      cells.push(cell({
        report,
        reportName,
        plugin,
        state,
        id: runId,
        url,
        logUrl: url && `${url}drmaa_stdout.txt`,
        starttime: state === null ? null : "2024-05-06T01:02:03Z",
        endtime: state === "Completed" ? "2024-05-06T02:03:04Z" : null,
        durationSeconds: state === "Completed" ? 3661 + (i % 60) : null,
        validationErrors: state === "Failed Validation"
          ? [`barcode "IonXpress_0${i % 10}" has no <reference>`]
          : [],
      }));
      // A run started days ago whose node died: stale, not running.
      if (state === "Started" && i % 9 === 0) {
        cells.at(-1)!.stateClass = "stale";
      }
    }
  }
  // Shuffle, so the page has to sort rows and columns itself.
  for (let i = cells.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [cells[i], cells[j]] = [cells[j]!, cells[i]!];
  }
  return {
    server: SERVER,
    generatedAt: new Date("2024-05-06T08:00:00Z"),
    statuses: cells,
  };
}

/** Report keys having a cell of the class, sorted. */
function reportsWith(cells: readonly PairStatus[], cls: string): number[] {
  return [
    ...new Set(
      cells.filter((c) => c.stateClass === cls).map((c) => c.report),
    ),
  ]
    .sort((a, b) => a - b);
}

Deno.test("renderStatusPage() escapes every input string", () => {
  const bad = `<script>alert(1)</script>"&'`;
  const html = renderStatusPage({
    title: `Monday <b>"runs"</b>`,
    server: `https://ts.example.org/?a=1&b="2"`,
    generatedAt: new Date(0),
    statuses: [
      cell({
        report: 1,
        reportName: bad,
        plugin: `plug<i>n"`,
        state: `<b>Weird</b>`,
        id: 3,
        url: `https://ts.example.org/output/a"b<c>/`,
        starttime: `"><x>`,
        validationErrors: [`bad "param" <x> & 'y'`],
      }),
      cell({
        report: 2,
        plugin: "p",
        state: "Error",
        id: 4,
        url: "javascript:alert(1)",
      }),
    ],
  });
  for (
    const raw of [
      bad,
      "<b>",
      "<i>",
      "<x>",
      `"runs"`,
      `a"b`,
      "&b=",
      "javascript:",
    ]
  ) {
    assert.ok(!html.includes(raw), `raw ${raw} in output`);
  }
  assert.ok(
    html.includes("&#60;script&#62;alert(1)&#60;/script&#62;&#34;&#38;&#39;"),
  );
  assert.ok(
    html.includes(`href="https://ts.example.org/output/a%22b%3Cc%3E/"`),
  );
  assert.equal(html.match(/<script/g)?.length, 1, "only the page's own script");
});

Deno.test("renderStatusPage() shows totals, defaults and unchecked pairs", () => {
  const html = renderStatusPage({
    server: SERVER,
    generatedAt: new Date("2024-05-06T08:00:00Z"),
    statuses: [
      cell({ report: 2, plugin: "b", state: "Completed", id: 1 }),
      cell({ report: 1, plugin: "a", state: null }),
      // An older run of the same pair is ignored.
      cell({ report: 2, plugin: "b", state: "Error", id: 0 }),
    ],
  });
  assert.match(html, /<title>ionrun status<\/title>/);
  assert.match(
    html,
    /Generated <time datetime="2024-05-06T08:00:00.000Z" title="2024-05-06T08:00:00.000Z \(UTC\)">/,
  );
  assert.match(html, /2 reports × 2 plugins/);
  assert.match(html, /2 pair\(s\) not checked/);
  assert.match(html, /Completed: <span class="n">1<\/span>/);
  assert.match(html, /Never run: <span class="n">1<\/span>/);
  assert.doesNotMatch(html, /Error: <span/);
  assert.match(html, /No failed runs/);
  assert.ok(html.indexOf('id="r1"') < html.indexOf('id="r2"'));
});

Deno.test("renderStatusPage() while following says how far, can reload itself, and says when it is final", () => {
  const statuses = [
    cell({ report: 1, plugin: "igv", state: "Started", id: 1 }),
    cell({ report: 2, plugin: "igv", state: "Completed", id: 2 }),
  ];
  const base = {
    server: SERVER,
    generatedAt: new Date("2024-05-06T08:00:00Z"),
    statuses,
  };
  const live = renderStatusPage({
    ...base,
    progress: { done: 1, total: 2, final: false },
    refreshSeconds: 15,
  });
  assert.match(live, /<meta http-equiv="refresh" content="15">/);
  assert.match(live, /Updated <time datetime="2024-05-06T08:00:00.000Z"/);
  assert.match(
    live,
    /Following: 1 of 2 run\(s\) finished<progress max="2" value="1">/,
  );
  assert.match(live, /reloads every 15 s/);
  const final = renderStatusPage({
    ...base,
    progress: { done: 2, total: 2, final: true },
    refreshSeconds: 15,
  });
  assert.doesNotMatch(final, /http-equiv="refresh"/, "a final page stays");
  assert.match(
    final,
    /data-final="true">Final: all 2 followed run\(s\) finished/,
  );
  const timedOut = renderStatusPage({
    ...base,
    progress: {
      done: 1,
      total: 2,
      final: true,
      note: "timed out after 6h: 1 still running",
    },
  });
  assert.match(timedOut, /Final: timed out after 6h: 1 still running/);
  const plain = renderStatusPage(base);
  assert.doesNotMatch(plain, /id="live"|http-equiv="refresh"/);
});

Deno.test("renderStatusPage() with every plugin asked for counts absent cells as never run", () => {
  const html = renderStatusPage({
    server: SERVER,
    generatedAt: new Date(0),
    holes: "never",
    statuses: [
      cell({ report: 1, plugin: "igv", state: "Completed", id: 1 }),
      cell({ report: 2, plugin: "sampleID", state: "Error", id: 2 }),
      cell({ report: 3, plugin: "", state: null }),
    ],
  });
  assert.match(html, /3 reports × 2 plugins/);
  assert.doesNotMatch(html, /not checked/);
  assert.match(html, /○ Never run: <span class="n">4<\/span>/);
  assert.match(html, /id="r3"/);
  assert.doesNotMatch(html, /data-plugin=""/);
});

// How fast is a benchmark's question (timing goals are not asserted in
// tests); the time is printed here so that a slow-down shows in the log.
Deno.test("renderStatusPage() renders 2,000 reports × 5 plugins in one self-contained file", () => {
  const input = bigInput();
  renderStatusPage(input); // warm up
  const started = performance.now();
  const html = renderStatusPage(input);
  const ms = performance.now() - started;
  console.log(
    `status page, 2000 × 5: rendered in ${ms.toFixed(0)} ms, ${
      (html.length / 1e6).toFixed(2)
    } MB`,
  );
  assert.ok(html.length < 6e6, `${html.length} bytes`);
  assert.doesNotMatch(
    html,
    /<(link|img|iframe)\b|<script[^>]*src=/i,
    "nothing to load",
  );
});

testNeeding(
  "chromium",
  CHROMIUM,
  "renderStatusPage() page works in headless Chromium",
  async (t) => {
    const input = bigInput();
    const cells = input.statuses;
    const keep = Deno.env.get("IONRUN_SCREENSHOT_DIR");
    const dir = await Deno.makeTempDir({ prefix: "ionrun-status-page-" });
    try {
      const file = join(dir, "status.html");
      await Deno.writeTextFile(file, renderStatusPage(input));
      const browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: [...CHROMIUM_ARGS],
      });
      await using _closing = { [Symbol.asyncDispose]: () => browser.close() };
      const page = await browser.newPage({
        viewport: { width: 1280, height: 900 },
      });
      const started = performance.now();
      await page.goto(pathToFileURL(file).href);
      const loadMs = performance.now() - started;
      const inPage = await page.evaluate<number>(
        "performance.getEntriesByType('navigation')[0].loadEventStart",
      );
      console.log(
        `status page, 2000 reports × 5 plugins (${cells.length} cells): ` +
          `load event after ${loadMs.toFixed(0)} ms (navigation timing ${
            inPage.toFixed(0)
          } ms)`,
      );
      const visibleRows = () =>
        page.evaluate<number[]>(
          `[...document.querySelectorAll("#grid tbody tr")]
        .filter((tr) => tr.offsetParent !== null)
        .map((tr) => Number(tr.querySelector("th .k").textContent))`,
        );
      const shownText = () =>
        page.evaluate<string>(`document.getElementById("shown").innerText`);

      await t.step("header shows totals equal to the input", async () => {
        const perState = new Map<string, number>();
        const groups = new Map<string, number>(
          ["Cancelled", "Completed", "Failed", "Never run", "Running", "Stale"]
            .map((g) => [g, 0]),
        );
        const groupLabel = {
          failed: "Failed",
          stale: "Stale",
          running: "Running",
          cancelled: "Cancelled",
          completed: "Completed",
          missing: "Never run",
        };
        // Every group is listed, zero or not.
        for (const g of Object.values(groupLabel)) groups.set(g, 0);
        for (const c of cells) {
          const s = c.state ?? "never run";
          perState.set(s, (perState.get(s) ?? 0) + 1);
          const g = groupLabel[c.stateClass];
          groups.set(g, (groups.get(g) ?? 0) + 1);
        }
        const read = async (selector: string) =>
          new Map(
            (await page.evaluate<string[]>(
              `[...document.querySelectorAll(${
                JSON.stringify(selector)
              })].map((e) => e.innerText)`,
            )).map((text) => {
              const m = /^(?:\S )?(.+): (\d+)$/.exec(text.trim());
              assert.ok(m, `total ${text}`);
              return [m[1]!, Number(m[2])] as const;
            }),
          );
        // The states that say more than their group's name (Error under
        // Failed), and the groups' pair counts on the filter buttons.
        for (const g of Object.values(groupLabel)) perState.delete(g);
        perState.delete("never run");
        assert.deepEqual(await read("#states li"), perState);
        assert.deepEqual(
          await read(".filters button[data-group]:not([data-f=all])"),
          groups,
        );
        assert.ok(perState.get("Exploded")! > 0);
        const meta = await page.evaluate<string>(
          `document.querySelector("header .meta").innerText`,
        );
        assert.match(meta, /2000 reports × 5 plugins/);
        assert.match(meta, /Server https:\/\/ts\.example\.org/);
        assert.match(meta, /Generated \S/);
        assert.equal(
          await page.evaluate<string>(
            `document.querySelector("header .meta time").title`,
          ),
          "2024-05-06T08:00:00.000Z (UTC)",
        );
        assert.equal(await shownText(), "2000 of 2000 reports shown");
        assert.equal((await visibleRows()).length, 2000);
      });

      await t.step(
        "each plugin's header has its totals, bar and run times",
        async () => {
          const heads = await page.evaluate<
            { plugin: string; text: string; title: string; bar: number[] }[]
          >(`[...document.querySelectorAll("#grid thead th[data-plugin]")].map((th) => ({
          plugin: th.dataset.plugin, text: th.innerText, title: th.title,
          bar: [...th.querySelectorAll(".bar i")].map((i) => i.getBoundingClientRect().width),
        }))`);
          assert.equal(heads.length, PLUGINS.length);
          for (const h of heads) {
            const mine = cells.filter((c) => c.plugin === h.plugin);
            const n = (cls: string) =>
              mine.filter((c) => c.stateClass === cls).length;
            assert.ok(h.text.includes(`${n("completed")} ✓`), h.text);
            assert.ok(h.text.includes(`${n("failed")} ✗`), h.text);
            assert.ok(h.title.includes(`${n("missing")} never run`), h.title);
            assert.match(h.text, /median 1h0\dm · longest 1h02m/);
            const width = h.bar.reduce((a, b) => a + b, 0);
            assert.ok(Math.abs(width - 120) < 1.5, `bar ${width}px`);
          }
        },
      );

      await t.step(
        "rows and columns are sorted; a failed cell shows its state and link",
        async () => {
          const heads = await page.evaluate<string[]>(
            `[...document.querySelectorAll("#grid thead th")].map((th) => th.dataset.plugin ?? th.innerText)`,
          );
          assert.deepEqual(heads, [
            "Report",
            "coverageAnalysis",
            "ERCC_Analysis",
            "FileExporter",
            "sampleID",
            "variantCaller",
          ]);
          const rows = await visibleRows();
          assert.deepEqual(rows, [...rows].sort((a, b) => a - b));
          const col = heads.indexOf(FAILED.plugin);
          const cell = await page.evaluate<Record<string, string>>(`(() => {
        const row = [...document.querySelectorAll("#grid tbody tr")]
          .find((tr) => tr.querySelector("th").innerText.startsWith("${FAILED.report} "));
        const td = row.children[${col}];
        const a = td.querySelector("a");
        return { text: td.innerText, title: td.title, href: a.href, target: a.target,
          background: getComputedStyle(td).backgroundColor };
      })()`);
          assert.match(cell.text!, /Error/);
          assert.match(cell.text!, /✗/);
          assert.equal(cell.href, FAILED_URL);
          assert.equal(cell.target, "_blank");
          assert.match(cell.title!, /Error/);
          assert.match(cell.title!, new RegExp(`id ${FAILED.id}`));
          assert.equal(cell.background, "rgb(192, 57, 43)");
          const listed = await page.evaluate<string>(
            `[...document.querySelectorAll("#failed tbody tr")]
        .map((tr) => tr.innerText).find((t) => t.includes("${FAILED.id}"))`,
          );
          assert.match(listed, /coverageAnalysis\s+Error\s+910042/);
          const validation = cells.find((c) =>
            c.state === "Failed Validation"
          )!;
          const errors = await page.evaluate<string>(
            `document.getElementById("failed").innerText`,
          );
          assert.ok(errors.includes(validation.validationErrors![0]!));
        },
      );

      for (
        const [button, cls, label] of [
          ["failed", "failed", "Failed"],
          ["running", "running", "Running"],
          ["stale", "stale", "Stale"],
          ["missing", "missing", "Never run"],
        ] as const
      ) {
        await t.step(
          `clicking "${label}" shows only rows with a ${cls} cell`,
          async () => {
            await page.click(`[data-f="${button}"]`);
            const want = reportsWith(cells, cls);
            assert.ok(want.length > 0 && want.length < 2000);
            assert.deepEqual(await visibleRows(), want);
            assert.equal(
              await shownText(),
              `${want.length} of 2000 reports shown`,
            );
            assert.equal(
              await page.evaluate(
                `document.querySelector('[data-f="${button}"]').getAttribute("aria-pressed")`,
              ),
              "true",
            );
          },
        );
        if (button === "failed") {
          const shot = join(keep ?? dir, "status_page_failed.png");
          await page.screenshot({ path: shot });
          console.log(`screenshot (Failed filter): ${shot}`);
        }
      }

      await t.step(`clicking "All" shows every row again`, async () => {
        await page.click(`[data-f="all"]`);
        assert.equal((await visibleRows()).length, 2000);
        assert.equal(await shownText(), "2000 of 2000 reports shown");
      });

      await t.step("the header row stays visible when scrolling", async () => {
        const top = await page.evaluate<number>(`(() => {
        window.scrollTo(0, 20000);
        return document.querySelector("#grid thead th").getBoundingClientRect().top;
      })()`);
        assert.equal(top, 0);
        const shot = join(keep ?? dir, "status_page_scrolled.png");
        await page.screenshot({ path: shot });
        console.log(`screenshot (scrolled): ${shot}`);
      });

      await t.step("a report name with HTML renders as text", async () => {
        const seen = await page.evaluate<Record<string, unknown>>(`({
        name: [...document.querySelectorAll("#grid tbody th")]
          .find((th) => th.innerText.startsWith("10007 ")).innerText,
        scripts: document.scripts.length,
        images: document.images.length,
        pwned: window.__pwned ?? null,
      })`);
        assert.deepEqual(seen, {
          name: `10007 ${EVIL}`,
          scripts: 1,
          images: 0,
          pwned: null,
        });
      });

      await t.step("a #failed link opens the page filtered", async () => {
        await page.goto("about:blank");
        await page.goto(`${pathToFileURL(file).href}#failed`);
        const want = reportsWith(cells, "failed");
        assert.deepEqual(await visibleRows(), want);
        assert.equal(await shownText(), `${want.length} of 2000 reports shown`);
      });

      await t.step("the page makes no network requests", async () => {
        assert.equal(
          await page.evaluate(
            `performance.getEntriesByType("resource").length`,
          ),
          0,
        );
        assert.ok(
          (await page.evaluate<string>("location.href")).startsWith(
            pathToFileURL(dir).href,
          ),
        );
      });
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);

Deno.test("renderStatusPage(): a reason per failed run, report ids linked to the report, a Stale symbol common fonts have, counts in one place (pairs), Cancelled spelled out, local times with the UTC in a tooltip", () => {
  const report = `${SERVER}/output/Home/R_5_001/`;
  const html = renderStatusPage({
    server: SERVER,
    generatedAt: new Date("2026-12-07T03:08:04.597Z"),
    holes: "never",
    statuses: [
      cell({
        report: 5,
        plugin: "igv",
        state: "Error",
        id: 50,
        url: `${report}plugin_out/igv_out.50/`,
        reportUrl: report,
        endtime: "2026-12-07T03:08:04.597Z",
      }),
      cell({ report: 5, plugin: "sampleID", state: "Cancelled", id: 51 }),
      cell({ report: 5, plugin: "x", state: "Completed", id: 54 }),
      cell({ report: 6, plugin: "igv", state: "Started", id: 52 }),
      {
        ...cell({ report: 7, plugin: "igv", state: "Started", id: 53 }),
        stateClass: "stale",
      },
    ],
    reasons: new Map([[50, "Error: samtools: no such file"]]),
  });
  const failed = html.slice(html.indexOf('id="failed"'));
  assert.match(failed, /<th>Reason<\/th>/);
  assert.match(failed, /Error: samtools: no such file/);
  assert.match(
    failed,
    /<time datetime="2026-12-07T03:08:04.597Z" title="2026-12-07T03:08:04.597Z \(UTC\)">/,
  );
  // The report id opens the report's page, in the grid and in the list.
  const linked = html.split(`<a href="${report}" target="_blank">5</a>`);
  assert.equal(linked.length - 1, 2, "report 5 linked twice");
  // ⧗ (U+29D7) is an empty box in common fonts.
  assert.ok(!html.includes("\u29d7"), "no U+29D7");
  assert.match(html, /◔ Stale/);
  assert.match(html, /⊘ Cancelled</);
  assert.doesNotMatch(html, /⊘ Cancel</);
  // Counts once, of pairs: Never run counts the 4 pairs (sampleID and x on
  // reports 6 and 7), not the 2 reports.
  assert.equal(html.match(/id="groups"/g), null, "no second list of counts");
  assert.match(html, /○ Never run: <span class="n">4<\/span>/);
  assert.match(html, /title="4 pair\(s\) in 2 report\(s\)"/);
  assert.match(html, /✗ Failed: <span class="n">1<\/span>/);
});

Deno.test("renderStatusPage() while a bulk job is still launching: its pairs not sent are 'waiting', apart from never run, and the page says how far the job is", () => {
  const html = renderStatusPage({
    server: SERVER,
    generatedAt: new Date("2026-12-07T03:08:04.597Z"),
    statuses: [
      cell({ report: 1, plugin: "igv", state: "Started", id: 1 }),
      { ...cell({ report: 2, plugin: "igv", state: null }), launch: "waiting" },
      { ...cell({ report: 3, plugin: "igv", state: null }), launch: "waiting" },
      cell({ report: 4, plugin: "igv", state: null }),
    ],
    progress: {
      done: 0,
      total: 1,
      final: false,
      launching: { launched: 1, total: 3 },
    },
  });
  assert.match(html, /job still launching: 1 of 3 launched/);
  assert.match(html, /… Waiting to launch: <span class="n">2<\/span>/);
  assert.match(html, /○ Never run: <span class="n">1<\/span>/);
  assert.match(html, /title="2 waiting to launch"/);
  assert.match(html, /title="1 never run"/);
  assert.equal(
    html.match(
      /class="s-waiting" title="igv on report \d: waiting to launch">… waiting</g,
    )?.length,
    2,
  );
});
