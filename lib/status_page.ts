/**
 * A self-contained HTML status page of plugin runs over many reports: a grid
 * of reports × plugins colored by state, totals, filters and a list of the
 * failed runs. It loads nothing from the network and opens from disk.
 *
 * @module
 */

import { createHash } from "node:crypto";
import { classifyState, type StateClass } from "./states.ts";
import type { PairStatus } from "./status.ts";

/** What {@linkcode renderStatusPage} shows. */
export interface StatusPageInput {
  /** Page title; default `"ionrun status"`. */
  title?: string | undefined;
  /** Server base URL shown in the header (must not contain credentials). */
  server: string;
  /** When the statuses were read; shown as `Generated <ISO time>`. */
  generatedAt: Date;
  /** One cell per (report, plugin) pair: the pair's newest run. */
  statuses: readonly PairStatus[];
}

/** Escapes `& < > " '` for HTML text and attribute values. */
const esc = (s: unknown): string =>
  String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const GROUPS: [StateClass, string, string][] = [
  ["failed", "Failed", "✗"],
  ["stale", "Stale", "⧗"],
  ["running", "Running", "▶"],
  ["cancelled", "Cancelled", "⊘"],
  ["completed", "Completed", "✓"],
  ["missing", "Never run", "○"],
];
const SYMBOL = Object.fromEntries(GROUPS.map(([c, , s]) => [c, s]));
const SHORT: Record<string, string> = {
  Completed: "done",
  "Failed Validation": "Invalid",
  "Timed Out": "Timeout",
  Cancelled: "Cancel",
};

/** The cell's short text: a symbol plus a short form of the state. */
function label(state: string | null, cls: StateClass): string {
  const text = state === null ? "never" : SHORT[state] ?? state;
  return `${SYMBOL[cls]} ${text.length > 12 ? text.slice(0, 11) + "…" : text}`;
}

/** An `http(s)` URL, or `null` for anything else (no `javascript:` links). */
function safeUrl(url: string | null): string | null {
  if (!url) return null;
  try {
    const u = new URL(url);
    return u.protocol === "http:" || u.protocol === "https:" ? u.href : null;
  } catch {
    return null;
  }
}

function tooltip(c: PairStatus): string {
  const lines = [
    `${c.plugin} on report ${c.report}: ${c.state ?? "never run"}`,
    c.id === null ? "" : `id ${c.id}`,
    c.starttime ? `started ${c.starttime}` : "",
    c.endtime ? `ended ${c.endtime}` : "",
    ...(c.validationErrors ?? []).map((e) => `validation: ${e}`),
  ];
  return lines.filter(Boolean).join("\n");
}

function link(url: string | null, text: string): string {
  const href = safeUrl(url);
  return href ? `<a href="${esc(href)}" target="_blank">${text}</a>` : text;
}

const CSS = `
*{box-sizing:border-box}
body{margin:0;font:13px/1.35 system-ui,"DejaVu Sans",sans-serif;color:#1a1a1a;background:#fff}
header{padding:10px 16px;border-bottom:1px solid #ccc;background:#f7f7f9}
h1{font-size:18px;margin:0 0 4px}h2{font-size:15px;margin:18px 16px 6px}
.meta{color:#555}.meta code{color:#1a1a1a}
.totals{display:flex;flex-wrap:wrap;gap:6px;margin:8px 0 4px;padding:0;list-style:none}
.totals li{padding:2px 8px;border-radius:10px;border:1px solid #bbb}
.totals li.g{font-weight:600}.totals .n{font-variant-numeric:tabular-nums}
.filters{display:flex;gap:6px;align-items:center;margin-top:6px}
.filters button{font:inherit;padding:3px 10px;border:1px solid #888;border-radius:4px;background:#fff;cursor:pointer}
.filters button[aria-pressed=true]{background:#1a1a1a;color:#fff;border-color:#1a1a1a}
#shown{margin-left:8px;color:#333}
.wrap{padding:0 16px}
table{border-collapse:separate;border-spacing:0}
#grid th,#grid td{border-right:1px solid #fff;border-bottom:1px solid #fff;padding:1px 6px;white-space:nowrap}
#grid thead th{position:sticky;top:0;z-index:2;background:#33373d;color:#fff;text-align:left;font-weight:600}
#grid tbody th{position:sticky;left:0;z-index:1;background:#f2f2f4;text-align:left;font-weight:normal;max-width:320px;overflow:hidden;text-overflow:ellipsis}
#grid thead th:first-child{left:0;z-index:3}
#grid .k{font-variant-numeric:tabular-nums;font-weight:600;margin-right:2px}
#grid td{min-width:84px}#grid td a{color:inherit;text-decoration:none;display:block}
#grid td a:hover{text-decoration:underline}
.s-completed{background:#d4ecd9;color:#124a1f}
.s-running{background:#fde68a;color:#5a4200}
.s-failed{background:#c0392b;color:#fff;font-weight:600}
.s-stale{background:#8e44ad;color:#fff;font-weight:600}
.s-cancelled{background:#bdc3c7;color:#222}
.s-missing,.s-none{background:#e4e4e4;color:#666}
.f-failed #grid tbody tr:not(.has-failed),.f-running #grid tbody tr:not(.has-running),
.f-stale #grid tbody tr:not(.has-stale),.f-cancelled #grid tbody tr:not(.has-cancelled),
.f-missing #grid tbody tr:not(.has-missing){display:none}
#failed td,#failed th{border-bottom:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:top}
#failed ul{margin:0;padding-left:16px}.none{color:#555;margin:0 16px}
`;

const JS = `
(function(){var b=document.body,s=document.getElementById("shown"),m=b.dataset.reports;
function set(f){var btns=document.querySelectorAll("[data-f]");for(var i=0;i<btns.length;i++){
var x=btns[i],on=x.dataset.f===f;x.setAttribute("aria-pressed",on?"true":"false");
if(on)s.textContent=x.dataset.n+" of "+m+" reports shown";}
b.className=f==="all"?"":"f-"+f;}
document.querySelector(".filters").addEventListener("click",function(e){
var t=e.target.closest("[data-f]");if(t){set(t.dataset.f);try{history.replaceState(null,"","#"+t.dataset.f);}catch(_){}}});
var h=location.hash.slice(1);if(document.querySelector('[data-f="'+h+'"]'))set(h);})();
`;
const SCRIPT_HASH = createHash("sha256").update(JS).digest("base64");

/**
 * Renders the status of plugin runs as one self-contained HTML page: header
 * with totals, a grid of reports (rows) × plugins (columns) colored by state
 * with links to each run's output, filters (All / Failed / Running / Never
 * run) and a list of failed runs. Every input string is HTML-escaped, and a
 * Content-Security-Policy blocks network access and any other script.
 *
 * @example Rendering two cells
 * ```ts
 * import { renderStatusPage } from "./status_page.ts";
 * import type { PairStatus } from "./status.ts";
 * const never: PairStatus = {
 *   report: 7, reportName: null, plugin: "", state: null, stateClass: "missing",
 *   id: null, starttime: null, endtime: null, durationSeconds: null, url: null,
 *   validationErrors: [],
 * };
 * const html = renderStatusPage({
 *   server: "https://ts.example.org",
 *   generatedAt: new Date("2024-05-06T08:00:00Z"),
 *   statuses: [
 *     { ...never, reportName: "R_<b>", plugin: "variantCaller", state: "Error", stateClass: "failed", id: 5 },
 *     { ...never, plugin: "coverageAnalysis" },
 *   ],
 * });
 * if (html.includes("R_<b>")) throw new Error("name not escaped");
 * if (!html.includes(">2024-05-06T08:00:00.000Z<")) throw new Error("no time");
 * ```
 *
 * @param input Title, server, time and cells.
 * @returns The HTML document.
 */
export function renderStatusPage(input: StatusPageInput): string {
  const title = input.title ?? "ionrun status";
  const byReport = new Map<number, Map<string, PairStatus>>();
  const names = new Map<number, string>();
  const plugins = new Set<string>();
  for (const c of input.statuses) {
    plugins.add(c.plugin);
    if (c.reportName) names.set(c.report, c.reportName);
    let row = byReport.get(c.report);
    if (!row) byReport.set(c.report, row = new Map());
    const seen = row.get(c.plugin);
    if (!seen || (c.id ?? -1) >= (seen.id ?? -1)) row.set(c.plugin, c);
  }
  const reports = [...byReport.keys()].sort((a, b) => a - b);
  const cols = [...plugins].sort((a, b) =>
    a.localeCompare(b, "en") || (a < b ? -1 : 1)
  );
  const group: Record<StateClass, number> = {
    failed: 0,
    stale: 0,
    running: 0,
    cancelled: 0,
    completed: 0,
    missing: 0,
  };
  const rowsWith = { ...group, all: reports.length };
  const perState = new Map<string | null, number>();
  const failed: PairStatus[] = [];
  let holes = 0;
  const body: string[] = [];
  for (const report of reports) {
    const row = byReport.get(report)!;
    const has = new Set<StateClass>();
    const tds: string[] = [];
    for (const plugin of cols) {
      const c = row.get(plugin);
      if (!c) {
        holes++;
        tds.push(`<td class="s-none" title="not checked"></td>`);
        continue;
      }
      const cls = c.stateClass;
      has.add(cls);
      group[cls]++;
      perState.set(c.state, (perState.get(c.state) ?? 0) + 1);
      if (cls === "failed") failed.push(c);
      tds.push(
        `<td class="s-${cls}" title="${esc(tooltip(c))}">${
          link(c.url, esc(label(c.state, cls)))
        }</td>`,
      );
    }
    for (const cls of has) rowsWith[cls]++;
    const name = names.get(report);
    body.push(
      `<tr id="r${report}" class="${
        [...has].map((h) => `has-${h}`).join(" ")
      }"><th${
        name ? ` title="${esc(name)}"` : ""
      }><span class="k">${report}</span> ${name ? esc(name) : ""}</th>${
        tds.join("")
      }</tr>`,
    );
  }
  const rank = (s: string | null) =>
    GROUPS.findIndex(([c]) => c === classifyState(s));
  const stateItems = [...perState].sort((a, b) =>
    rank(a[0]) - rank(b[0]) || b[1] - a[1]
  )
    .map(([s, n]) =>
      `<li class="s-${classifyState(s)}" data-state="${esc(s ?? "")}">${
        esc(s ?? "never run")
      }: <span class="n">${n}</span></li>`
    );
  const groupItems = GROUPS.map(([c, text, sym]) =>
    `<li class="g s-${c}" data-group="${c}">${sym} ${text}: <span class="n">${
      group[c]
    }</span></li>`
  );
  const filters = [
    ["all", "All"],
    ...GROUPS.filter(([c]) => c !== "completed"),
  ];
  const buttons = (filters as [StateClass | "all", string][]).map(([f, text]) =>
    `<button type="button" data-f="${f}" data-n="${rowsWith[f]}" title="${
      rowsWith[f]
    } reports" aria-pressed="${f === "all"}">${text} (${rowsWith[f]})</button>`
  );
  const failedRows = failed.map((c) => {
    const errs = c.validationErrors ?? [];
    const name = names.get(c.report);
    return `<tr><td><a href="#r${c.report}">${c.report}</a>${
      name ? " " + esc(name) : ""
    }</td><td>${esc(c.plugin)}</td><td>${esc(c.state)}</td><td>${
      c.id ?? ""
    }</td><td>${
      errs.length
        ? `<ul>${errs.map((e) => `<li>${esc(e)}</li>`).join("")}</ul>`
        : ""
    }</td><td>${safeUrl(c.url) ? link(c.url, "output") : ""}</td></tr>`;
  });
  const csp =
    `default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-${SCRIPT_HASH}'`;
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title><style>${CSS}</style></head>
<body data-reports="${reports.length}">
<header><h1>${esc(title)}</h1>
<div class="meta">Server <code>${esc(input.server)}</code> · Generated <time>${
    esc(input.generatedAt.toISOString())
  }</time> · <span id="size">${reports.length} reports × ${cols.length} plugins</span>${
    holes ? ` · ${holes} pair(s) not checked` : ""
  }</div>
<ul class="totals" id="groups">${groupItems.join("")}</ul>
<ul class="totals" id="states">${stateItems.join("")}</ul>
<div class="filters" role="group" aria-label="Show reports">${
    buttons.join("")
  }<span id="shown">${reports.length} of ${reports.length} reports shown</span></div>
</header>
<div class="wrap"><table id="grid"><thead><tr><th>Report</th>${
    cols.map((p) => `<th>${esc(p)}</th>`).join("")
  }</tr></thead>
<tbody>${body.join("\n")}</tbody></table></div>
<h2>Failed runs (${failed.length})</h2>
${
    failed.length
      ? `<div class="wrap"><table id="failed"><thead><tr><th>Report</th><th>Plugin</th><th>State</th><th>Id</th><th>Validation errors</th><th>Output</th></tr></thead><tbody>${
        failedRows.join("\n")
      }</tbody></table></div>`
      : `<p class="none">No failed runs.</p>`
  }
<script>${JS}</script>
</body></html>
`;
}
