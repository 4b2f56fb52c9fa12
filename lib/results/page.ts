/**
 * The results table as one self-contained HTML page: sortable columns
 * (click a header; numbers sort as numbers, empty cells last), cells a
 * `--flag` rule holds for in colour, each run's id linking to its report
 * folder, and a footer of the reports without a usable run. Nothing is
 * loaded from elsewhere; the one script is pinned by its hash in the page's
 * Content-Security-Policy.
 *
 * @module
 */

import { createHash } from "node:crypto";
import { fires, type FlagRule } from "./flags.ts";
import type { ResultRow } from "./rows.ts";
import type { Cell } from "./values.ts";

const CSS = `
body{font:13px/1.4 system-ui,sans-serif;margin:1.2em;color:#222}
h1{font-size:1.3em;margin:0 0 .3em}
p.meta{color:#555;margin:.2em 0 .8em}
table{border-collapse:collapse}
th,td{border:1px solid #ddd;padding:2px 6px;white-space:nowrap}
th{background:#f3f3f3;position:sticky;top:0;cursor:pointer;user-select:none}
th[aria-sort=ascending]::after{content:" \\25B2"}
th[aria-sort=descending]::after{content:" \\25BC"}
td.n{text-align:right;font-variant-numeric:tabular-nums}
td.flag{background:#fbd5d5;color:#7a0000;font-weight:600}
td.note{color:#8a5a00}
tr:nth-child(even) td{background-color:#fafafa}
tr:nth-child(even) td.flag{background:#f7c4c4}
footer{margin-top:1em;color:#555}
`;

// The sort empties the body before putting the rows back: moving each row
// out of a full tbody costs Chromium time per row still in it (10 s for
// 16,000 rows in reverse order), an empty one costs nothing.
const JS = `
(function(){var t=document.getElementById("results");if(!t)return;
var hs=t.tHead.rows[0].cells,body=t.tBodies[0];
function key(td){var v=td.getAttribute("data-v");if(v===null||v==="")return null;return td.classList.contains("n")?Number(v):v.toLowerCase();}
function sort(i){var h=hs[i],dir=h.getAttribute("aria-sort")==="ascending"?-1:1;
for(var j=0;j<hs.length;j++)hs[j].removeAttribute("aria-sort");
h.setAttribute("aria-sort",dir===1?"ascending":"descending");
var rows=body.rows,keyed=new Array(rows.length);
for(var k=0;k<rows.length;k++)keyed[k]=[key(rows[k].cells[i]),rows[k]];
keyed.sort(function(a,b){var x=a[0],y=b[0];
if(x===null)return y===null?0:1;if(y===null)return -1;
return (x<y?-1:x>y?1:0)*dir;});
body.textContent="";
var f=document.createDocumentFragment();for(var m=0;m<keyed.length;m++)f.appendChild(keyed[m][1]);body.appendChild(f);}
for(var i=0;i<hs.length;i++)(function(i){hs[i].addEventListener("click",function(){sort(i);});})(i);
})();
`;

const SCRIPT_HASH = createHash("sha256").update(JS).digest("base64");

/** What the page shows. */
export interface ResultsPageInput {
  /** Column names, in order. */
  header: readonly string[];
  /** The rows. */
  rows: readonly ResultRow[];
  /** Threshold rules whose cells are coloured. */
  rules?: readonly FlagRule[];
  /** The server's address, to make the runs' path-only URLs links. */
  serverUrl?: string;
  /** Reports without a usable run, with the reason: `"1234 sampleID: no run"`. */
  unusable?: readonly string[];
  /** Page title. */
  title?: string;
  /** When the table was made (ISO 8601). */
  generatedAt?: string;
}

const escape = (t: string) =>
  t.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function show(cell: Cell): string {
  if (cell === null) return "";
  if (typeof cell === "number") {
    return Number.isInteger(cell) ? cell.toLocaleString("en-US") : String(cell);
  }
  return String(cell);
}

/** An `http(s)` link to a path on the server, or `null`. */
function linkTo(serverUrl: string | undefined, path: Cell): string | null {
  if (!serverUrl || typeof path !== "string" || !path.startsWith("/")) {
    return null;
  }
  try {
    const u = new URL(path, serverUrl);
    return u.protocol === "http:" || u.protocol === "https:" ? u.href : null;
  } catch {
    return null;
  }
}

/**
 * Renders the page.
 *
 * @example
 * ```ts
 * import { renderResultsPage } from "./page.ts";
 * const html = renderResultsPage({
 *   header: ["report", "uniformity_pct"],
 *   rows: [{ report: 1, uniformity_pct: 85.2 }],
 *   rules: [{ text: "uniformity_pct<90", column: "uniformity_pct", op: "<", value: 90 }],
 * });
 * if (!html.includes('class="n flag"')) throw new Error();
 * ```
 *
 * @param input Header, rows, rules, server address, footer.
 * @returns The HTML text.
 */
export function renderResultsPage(input: ResultsPageInput): string {
  const title = input.title ?? "ionrun results";
  const rules = input.rules ?? [];
  const urlColumns = new Set(input.header.filter((h) => h.endsWith(".url")));
  const runColumns = new Map(
    input.header.filter((h) => h.endsWith(".run")).map((h) => [
      h,
      `${h.slice(0, -4)}.url`,
    ]),
  );
  const shown = input.header.filter((h) => !urlColumns.has(h));
  const head = shown.map((h) => `<th scope="col">${escape(h)}</th>`).join("");
  const body = input.rows.map((row) => {
    const cells = shown.map((h) => {
      const cell = row[h] ?? null;
      const classes = [
        typeof cell === "number" ? "n" : "",
        rules.some((r) => r.column === h && fires(r, cell)) ? "flag" : "",
        h.endsWith(".note") && cell !== null ? "note" : "",
      ].filter(Boolean).join(" ");
      const value = cell === null ? "" : String(cell);
      let text = escape(show(cell));
      const runUrl = runColumns.get(h);
      const href = runUrl ? linkTo(input.serverUrl, row[runUrl] ?? null) : null;
      if (href && text) text = `<a href="${escape(href)}">${text}</a>`;
      return `<td${classes ? ` class="${classes}"` : ""} data-v="${
        escape(value)
      }">${text}</td>`;
    });
    return `<tr>${cells.join("")}</tr>`;
  }).join("\n");
  const unusable = input.unusable ?? [];
  const footer = unusable.length
    ? `<footer><h2>${unusable.length} without a usable run</h2><ul>${
      unusable.map((u) => `<li>${escape(u)}</li>`).join("")
    }</ul></footer>`
    : "";
  const flagged = rules.length
    ? ` · flagged: ${rules.map((r) => escape(r.text)).join(", ")}`
    : "";
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-${SCRIPT_HASH}'">
<title>${escape(title)}</title>
<style>${CSS}</style>
</head>
<body>
<h1>${escape(title)}</h1>
<p class="meta">${input.rows.length} row(s)${flagged}${
    input.generatedAt ? ` · made ${escape(input.generatedAt)}` : ""
  } · click a column to sort</p>
<table id="results">
<thead><tr>${head}</tr></thead>
<tbody>
${body}
</tbody>
</table>
${footer}
<script>${JS}</script>
</body>
</html>
`;
}
