/**
 * A self-contained HTML status page of plugin runs over many reports: a grid
 * of reports × plugins colored by state, each plugin's column header with
 * its totals, a stacked bar and its run times, filters, and a list of the
 * failed runs with links to their logs. While runs are followed it says how
 * far they are and when it was last updated (and can reload itself); the
 * last one says it is final. It loads nothing from the network and opens
 * from disk.
 *
 * @module
 */

import { CSS, JS, SCRIPT_HASH } from "./_page_assets.ts";
import { classifyState, type StateClass } from "../states.ts";
import { type PairStatus, type PluginTotals, pluginTotals } from "./status.ts";

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
  /**
   * While runs are followed: how far they are (`final: false`), or that the
   * follow ended (`final: true`). Absent: a one-off page.
   */
  progress?: PageProgress | undefined;
  /**
   * Seconds after which a page that is not final reloads itself in the
   * browser (the file is rewritten meanwhile); none by default.
   */
  refreshSeconds?: number | undefined;
  /**
   * What an absent (report, plugin) cell means: `"unchecked"` (default: it
   * was not asked for) or `"never"` (every plugin was asked for, so that
   * plugin never ran on that report).
   */
  holes?: "unchecked" | "never" | undefined;
  /**
   * Why each failed run failed, by run id (the error line of its log, as
   * the closing block says it); else its validation errors, else its state.
   */
  reasons?: ReadonlyMap<number, string> | undefined;
}

/** How far a followed set of runs is, for the page's header. */
export interface PageProgress {
  /** Runs followed that have finished. */
  done: number;
  /** Runs followed. */
  total: number;
  /** The follow ended: this is the last page. */
  final: boolean;
  /** Why it ended, shown on the final page (e.g. "timed out: 3 still running"). */
  note?: string | undefined;
  /**
   * The bulk job whose journal is followed is still launching: how many of
   * its pairs it has sent (`launched`) of the pairs it launches (`total`).
   */
  launching?: { launched: number; total: number } | undefined;
}

/** Escapes `& < > " '` for HTML text and attribute values. */
const esc = (s: unknown): string =>
  String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** Seconds as `42s`, `12m05s`, `3h02m`, `2d03h`. */
export function formatDuration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return "";
  const s = Math.round(seconds);
  const p = (n: number) => String(n).padStart(2, "0");
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${p(s % 60)}s`;
  if (s < 48 * 3600) {
    return `${Math.floor(s / 3600)}h${p(Math.floor(s / 60) % 60)}m`;
  }
  return `${Math.floor(s / 86400)}d${p(Math.floor(s / 3600) % 24)}h`;
}

/** A cell's group: its state's, or `waiting` (a job has yet to launch it). */
type Group = StateClass | "waiting";

// Symbols every common font has (Dingbats, Geometric Shapes, Mathematical
// Operators): U+29D7 (hourglass) showed as an empty box for Stale.
const GROUPS: [Group, string, string][] = [
  ["failed", "Failed", "✗"],
  ["stale", "Stale", "◔"],
  ["running", "Running", "▶"],
  ["waiting", "Waiting to launch", "…"],
  ["cancelled", "Cancelled", "⊘"],
  ["completed", "Completed", "✓"],
  ["missing", "Never run", "○"],
];
const SYMBOL = Object.fromEntries(GROUPS.map(([c, , s]) => [c, s]));
const SHORT: Record<string, string> = {
  Completed: "done",
  "Failed Validation": "Invalid",
  "Timed Out": "Timeout",
};

/** The cell's short text: a symbol plus a short form of the state. */
function label(state: string | null, cls: Group): string {
  const text = cls === "waiting"
    ? "waiting"
    : state === null
    ? "never"
    : SHORT[state] ?? state;
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

/** A cell's group: a pair a job has yet to launch is `waiting`. */
function groupOf(c: PairStatus): Group {
  return c.launch ? "waiting" : c.stateClass;
}

/**
 * An ISO time as the local time of this machine (`2026-12-07 04:08:04
 * +01:00`); the page's script shows it in the browser's own zone.
 */
function localTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const p = (n: number) => String(n).padStart(2, "0");
  const off = -d.getTimezoneOffset();
  const zone = `${off < 0 ? "-" : "+"}${p(Math.floor(Math.abs(off) / 60))}:${
    p(Math.abs(off) % 60)
  }`;
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${
    p(d.getHours())
  }:${p(d.getMinutes())}:${p(d.getSeconds())} ${zone}`;
}

/** A `<time>`: local time shown, the UTC time in its tooltip. */
function timeTag(iso: string | null): string {
  if (!iso) return "";
  return `<time datetime="${esc(iso)}" title="${esc(`${iso} (UTC)`)}">${
    esc(localTime(iso))
  }</time>`;
}

function tooltip(c: PairStatus): string {
  const when = (iso: string) => `${localTime(iso)} (${iso} UTC)`;
  const lines = [
    `${c.plugin} on report ${c.report}: ${
      c.launch === "waiting"
        ? "waiting to launch"
        : c.launch === "stopped"
        ? "not launched (job stopped)"
        : c.state ?? "never run"
    }`,
    c.id === null ? "" : `id ${c.id}`,
    c.starttime ? `started ${when(c.starttime)}` : "",
    c.endtime ? `ended ${when(c.endtime)}` : "",
    ...(c.validationErrors ?? []).map((e) => `validation: ${e}`),
  ];
  return lines.filter(Boolean).join("\n");
}

function link(url: string | null, text: string): string {
  const href = safeUrl(url);
  return href ? `<a href="${esc(href)}" target="_blank">${text}</a>` : text;
}

/** The segments of a column's bar, in order. */
const BAR: [Group, string][] = [
  ["completed", "completed"],
  ["failed", "failed"],
  ["running", "running"],
  ["waiting", "waiting to launch"],
  ["stale", "stale"],
  ["cancelled", "cancelled"],
  ["missing", "never run"],
];

/** A plugin's column header: name, stacked bar, totals and run times. */
function columnHead(t: PluginTotals, waiting: number): string {
  // Pairs a job has yet to launch are their own segment, not "never run".
  const counts: Record<Group, number> = {
    ...t.counts,
    missing: t.counts.missing - waiting,
    waiting,
  };
  const parts = BAR.filter(([c]) => counts[c] > 0);
  const segments = parts.map(([c, text]) =>
    `<i class="s-${c}" style="width:${
      (100 * counts[c] / Math.max(1, t.total)).toFixed(2)
    }%" title="${counts[c]} ${text}"></i>`
  ).join("");
  const summary = parts.map(([c, text]) => `${counts[c]} ${text}`).join(
    ", ",
  );
  const times = [
    t.medianSeconds !== null ? `median ${formatDuration(t.medianSeconds)}` : "",
    t.longestSeconds !== null
      ? `longest ${formatDuration(t.longestSeconds)}`
      : "",
  ].filter(Boolean).join(" · ");
  const short = [
    `${t.counts.completed} ${SYMBOL.completed}`,
    t.counts.failed ? `${t.counts.failed} ${SYMBOL.failed}` : "",
    t.counts.running ? `${t.counts.running} ${SYMBOL.running}` : "",
    t.counts.stale ? `${t.counts.stale} ${SYMBOL.stale}` : "",
  ].filter(Boolean).join(" ");
  return `<th data-plugin="${esc(t.plugin)}" title="${
    esc(`${t.plugin}: ${summary}${times ? `; ${times}` : ""}`)
  }"><div class="pn">${
    esc(t.plugin)
  }</div><div class="bar" role="img" aria-label="${
    esc(summary)
  }">${segments}</div><div class="pt">${esc(short)}${
    times ? `<br>${esc(times)}` : ""
  }</div></th>`;
}

/** The line under the title saying how far the followed runs are. */
function liveLine(p: PageProgress, refresh: number | undefined): string {
  if (p.final) {
    return `<div id="live" class="final" data-final="true">Final: ${
      esc(p.note ?? `all ${p.total} followed run(s) finished`)
    }</div>`;
  }
  const launching = p.launching
    ? `job still launching: ${p.launching.launched} of ${p.launching.total} launched · `
    : "";
  return `<div id="live" class="following" data-final="false">Following: ${launching}${p.done} of ${p.total} run(s) finished<progress max="${
    Math.max(1, p.total)
  }" value="${p.done}"></progress>${
    refresh ? ` · this page reloads every ${refresh} s` : ""
  }</div>`;
}

/**
 * Renders the status of plugin runs as one self-contained HTML page: header
 * with totals (and, while runs are followed, how far they are), a grid of
 * reports (rows) × plugins (columns) colored by state, each column headed by
 * its plugin's totals, a stacked bar and its median and longest run times,
 * failed cells linking to their run's log, filters (All / Failed / Stale /
 * Running / Cancelled / Never run) and a list of failed runs. Every input
 * string is HTML-escaped, and a Content-Security-Policy blocks network
 * access and any other script.
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
 * if (!html.includes('datetime="2024-05-06T08:00:00.000Z"')) throw new Error("no time");
 * ```
 *
 * @param input Title, server, time, cells, progress and refresh.
 * @returns The HTML document.
 */
export function renderStatusPage(input: StatusPageInput): string {
  const title = input.title ?? "ionrun status";
  const byReport = new Map<number, Map<string, PairStatus>>();
  const names = new Map<number, string>();
  const newest = new Map<string, PairStatus>();
  const reportUrls = new Map<number, string>();
  for (const c of input.statuses) {
    if (c.reportName) names.set(c.report, c.reportName);
    if (c.reportUrl) reportUrls.set(c.report, c.reportUrl);
    let row = byReport.get(c.report);
    if (!row) byReport.set(c.report, row = new Map());
    if (c.plugin === "") continue; // a report without any run: a row, no cell
    const seen = row.get(c.plugin);
    if (!seen || (c.id ?? -1) >= (seen.id ?? -1)) {
      row.set(c.plugin, c);
      newest.set(`${c.report}/${c.plugin}`, c);
    }
  }
  const holesAreNever = input.holes === "never";
  const reports = [...byReport.keys()].sort((a, b) => a - b);
  const totals = pluginTotals([...newest.values()]);
  const waitingBy = new Map<string, number>();
  for (const c of newest.values()) {
    if (c.launch) waitingBy.set(c.plugin, (waitingBy.get(c.plugin) ?? 0) + 1);
  }
  const cols = totals.map((t) => t.plugin).sort((a, b) =>
    a.localeCompare(b, "en") || (a < b ? -1 : 1)
  );
  const totalsBy = new Map(totals.map((t) => [t.plugin, t]));
  const group: Record<Group, number> = {
    failed: 0,
    stale: 0,
    running: 0,
    waiting: 0,
    cancelled: 0,
    completed: 0,
    missing: 0,
  };
  const rowsWith: Record<Group | "all", number> = {
    ...group,
    all: reports.length,
  };
  const perState = new Map<string | null, number>();
  const failed: PairStatus[] = [];
  let holes = 0;
  const body: string[] = [];
  const hole = holesAreNever
    ? `<td class="s-missing" title="never run">${SYMBOL.missing} never</td>`
    : `<td class="s-none" title="not checked"></td>`;
  for (const report of reports) {
    const row = byReport.get(report)!;
    const has = new Set<Group>();
    const tds: string[] = [];
    for (const plugin of cols) {
      const c = row.get(plugin);
      if (!c) {
        holes++;
        if (holesAreNever) {
          has.add("missing");
          group.missing++;
          totalsBy.get(plugin)!.counts.missing++;
          totalsBy.get(plugin)!.total++;
          perState.set(null, (perState.get(null) ?? 0) + 1);
        }
        tds.push(hole);
        continue;
      }
      const cls = groupOf(c);
      has.add(cls);
      group[cls]++;
      if (cls !== "waiting") {
        perState.set(c.state, (perState.get(c.state) ?? 0) + 1);
      }
      if (cls === "failed") failed.push(c);
      const target = cls === "failed" && c.logUrl ? c.logUrl : c.url;
      tds.push(
        `<td class="s-${cls}" title="${esc(tooltip(c))}">${
          link(target, esc(label(c.state, cls)))
        }</td>`,
      );
    }
    for (const cls of has) rowsWith[cls]++;
    const name = names.get(report);
    body.push(
      `<tr id="r${report}" class="${
        [...has].map((h) => `has-${h}`).join(" ")
      }"><th${name ? ` title="${esc(name)}"` : ""}><span class="k">${
        link(reportUrls.get(report) ?? null, String(report))
      }</span> ${name ? esc(name) : ""}</th>${tds.join("")}</tr>`,
    );
  }
  const rank = (s: string | null) =>
    GROUPS.findIndex(([c]) => c === classifyState(s));
  // The states behind the groups, where they say more than the group's name
  // (Error, Timed Out under Failed): the groups' counts are on the buttons.
  const groupName = new Map(GROUPS.map(([c, text]) => [c, text]));
  const stateItems = [...perState].filter(([s]) =>
    s !== null && s !== groupName.get(classifyState(s))
  ).sort((a, b) => rank(a[0]) - rank(b[0]) || b[1] - a[1])
    .map(([s, n]) =>
      `<li class="s-${classifyState(s)}" data-state="${esc(s ?? "")}">${
        esc(s ?? "never run")
      }: <span class="n">${n}</span></li>`
    );
  // One place for the counts, all of pairs: the filter buttons (each shows
  // the reports with such a pair; its tooltip says how many).
  const pairs = Object.values(group).reduce((a, b) => a + b, 0);
  const filters: [Group | "all", string, string][] = [
    ["all", "All", ""],
    ...GROUPS.filter(([c]) =>
      c === "completed" || group[c] > 0 || c === "failed"
    ),
  ];
  const buttons = filters.map(([f, text, sym]) => {
    const n = f === "all" ? pairs : group[f];
    return `<button type="button" class="g${
      f === "all" ? "" : ` s-${f}`
    }" data-f="${f}" data-group="${f}" data-n="${
      rowsWith[f]
    }" title="${n} pair(s) in ${rowsWith[f]} report(s)" aria-pressed="${
      f === "all"
    }">${sym ? `${sym} ` : ""}${text}: <span class="n">${n}</span></button>`;
  });
  const failedRows = failed.map((c) => {
    const errs = c.validationErrors ?? [];
    const name = names.get(c.report);
    const links = [
      safeUrl(c.logUrl ?? null) ? link(c.logUrl ?? null, "log") : "",
      safeUrl(c.url) ? link(c.url, "output") : "",
    ].filter(Boolean).join(" · ");
    const reason = (c.id !== null ? input.reasons?.get(c.id) : undefined) ??
      (errs.length ? undefined : c.state ?? "");
    return `<tr><td>${
      link(reportUrls.get(c.report) ?? null, String(c.report))
    } <a href="#r${c.report}" title="its row above">↑</a>${
      name ? " " + esc(name) : ""
    }</td><td>${esc(c.plugin)}</td><td>${esc(c.state)}</td><td>${
      c.id ?? ""
    }</td><td>${timeTag(c.endtime)}</td><td class="why">${
      reason !== undefined
        ? esc(reason)
        : `<ul>${errs.map((e) => `<li>${esc(e)}</li>`).join("")}</ul>`
    }</td><td>${links}</td></tr>`;
  });
  const csp =
    `default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-${SCRIPT_HASH}'`;
  const refresh = input.progress?.final ? undefined : input.refreshSeconds;
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">${
    refresh
      ? `\n<meta http-equiv="refresh" content="${Math.round(refresh)}">`
      : ""
  }
<title>${esc(title)}</title><style>${CSS}</style></head>
<body data-reports="${reports.length}">
<header><h1>${esc(title)}</h1>
<div class="meta">Server <code>${esc(input.server)}</code> · ${
    input.progress && !input.progress.final ? "Updated" : "Generated"
  } ${
    timeTag(input.generatedAt.toISOString())
  } · <span id="size">${reports.length} reports × ${cols.length} plugins</span>${
    holes && !holesAreNever ? ` · ${holes} pair(s) not checked` : ""
  }</div>${input.progress ? `\n${liveLine(input.progress, refresh)}` : ""}
${
    stateItems.length
      ? `<ul class="totals" id="states">${stateItems.join("")}</ul>
`
      : ""
  }<div class="filters" role="group" aria-label="Show reports">${
    buttons.join("")
  }<span id="shown">${reports.length} of ${reports.length} reports shown</span></div>
</header>
<div class="wrap"><table id="grid"><thead><tr><th>Report</th>${
    cols.map((p) => columnHead(totalsBy.get(p)!, waitingBy.get(p) ?? 0)).join(
      "",
    )
  }</tr></thead>
<tbody>${body.join("\n")}</tbody></table></div>
<h2>Failed runs (${failed.length})</h2>
${
    failed.length
      ? `<div class="wrap"><table id="failed"><thead><tr><th>Report</th><th>Plugin</th><th>State</th><th>Id</th><th>Ended</th><th>Reason</th><th>Log</th></tr></thead><tbody>${
        failedRows.join("\n")
      }</tbody></table></div>`
      : `<p class="none">No failed runs.</p>`
  }
<script>${JS}</script>
</body></html>
`;
}
