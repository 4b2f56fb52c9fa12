// Tests of the status page's assets: the script's CSP hash, the style rules
// each state and filter needs, and the filter script itself, run against a
// small stand-in for the page's DOM.

import assert from "node:assert/strict";
import { CSS, JS, SCRIPT_HASH } from "../../../lib/status/_page_assets.ts";
import type { StateClass } from "../../../lib/states.ts";
import { renderStatusPage } from "../../../lib/status/status_page.ts";

const CLASSES: StateClass[] = [
  "running",
  "completed",
  "failed",
  "cancelled",
  "stale",
  "missing",
];

Deno.test("SCRIPT_HASH is the base64 SHA-256 of the script exactly as the page embeds it", async () => {
  const digest = await crypto.subtle.digest(
    "SHA-256",
    new TextEncoder().encode(JS),
  );
  const expected = btoa(String.fromCharCode(...new Uint8Array(digest)));
  assert.equal(SCRIPT_HASH, expected);
  assert.match(SCRIPT_HASH, /^[A-Za-z0-9+/]{43}=$/);
  // The hash only holds for the exact bytes between <script> and </script>.
  const page = renderStatusPage({
    title: "t",
    server: "https://ts.lab",
    generatedAt: new Date(Date.UTC(2024, 4, 1)),
    statuses: [],
  });
  const inline = /<script>([^]*?)<\/script>/.exec(page)![1];
  assert.equal(inline, JS);
  assert.ok(page.includes(`script-src 'sha256-${SCRIPT_HASH}'`));
  assert.ok(page.includes(`<style>${CSS}</style>`));
});

Deno.test("the CSS styles every state class (cells and bars) and hides rows for every filter but completed", () => {
  for (const c of CLASSES) {
    assert.match(CSS, new RegExp(`(^|[\\s,}])\\.s-${c}[,{]`, "m"), `.s-${c}`);
    assert.ok(CSS.includes(`.bar .s-${c}{`), `bar segment of ${c}`);
    const filter = `.f-${c} #grid tbody tr:not(.has-${c})`;
    assert.equal(CSS.includes(filter), c !== "completed", filter);
  }
  assert.ok(CSS.includes(".s-none"), "unchecked cells");
  const hide = CSS.indexOf("{display:none}");
  assert.ok(hide > CSS.indexOf(".f-missing #grid"), "the filters hide rows");
  // Self-contained: the page loads nothing (CSP default-src 'none').
  assert.doesNotMatch(CSS, /url\(|@import/);
  let depth = 0;
  for (const ch of CSS) {
    if (ch === "{") depth++;
    if (ch === "}") depth--;
    assert.ok(depth >= 0 && depth <= 1, "no nesting, no stray brace");
  }
  assert.equal(depth, 0);
});

interface FakeButton {
  dataset: { f: string; n: string };
  attrs: Record<string, string>;
  setAttribute(name: string, value: string): void;
  closest(selector: string): FakeButton | null;
}

/** Runs the script against a stand-in of the page: buttons, #shown, body, hash, history. */
function runScript(hash: string) {
  const button = (f: string, n: number): FakeButton => {
    const b: FakeButton = {
      dataset: { f, n: String(n) },
      attrs: { "aria-pressed": String(f === "all") },
      setAttribute(name, value) {
        b.attrs[name] = value;
      },
      closest: (selector) => (selector === "[data-f]" ? b : null),
    };
    return b;
  };
  const buttons = [
    button("all", 10),
    button("failed", 3),
    button("running", 2),
    button("stale", 1),
    button("cancelled", 0),
    button("missing", 4),
  ];
  const body = { className: "", dataset: { reports: "10" } };
  const shown = { textContent: "10 of 10 reports shown" };
  let onClick: ((e: { target: unknown }) => void) | null = null;
  const replaced: string[] = [];
  const document = {
    body,
    getElementById: (id: string) => (id === "shown" ? shown : null),
    querySelectorAll: (s: string) => (s === "[data-f]" ? buttons : []),
    querySelector: (s: string) => {
      if (s === ".filters") {
        return {
          addEventListener: (type: string, fn: typeof onClick) => {
            if (type === "click") onClick = fn;
          },
        };
      }
      const m = /^\[data-f="(.*)"\]$/.exec(s);
      return m ? buttons.find((b) => b.dataset.f === m[1]) ?? null : null;
    },
  };
  const history = {
    replaceState: (_s: unknown, _t: string, url: string) => {
      replaced.push(url);
    },
  };
  new Function("document", "location", "history", JS)(
    document,
    { hash },
    history,
  );
  const click = (f: string) =>
    onClick!({ target: buttons.find((b) => b.dataset.f === f)! });
  const clickElsewhere = () => onClick!({ target: { closest: () => null } });
  const pressed = () =>
    buttons.filter((b) => b.attrs["aria-pressed"] === "true").map((b) =>
      b.dataset.f
    );
  return { body, shown, click, clickElsewhere, pressed, replaced };
}

Deno.test("the filter script shows one group's reports on a click, says how many, and keeps it in the URL hash", () => {
  const page = runScript("");
  assert.deepEqual(
    [page.body.className, page.pressed(), page.replaced],
    ["", ["all"], []],
    "nothing changes before a click",
  );
  page.click("failed");
  assert.equal(page.body.className, "f-failed");
  assert.deepEqual(page.pressed(), ["failed"]);
  assert.equal(page.shown.textContent, "3 of 10 reports shown");
  assert.deepEqual(page.replaced, ["#failed"]);
  page.click("all");
  assert.equal(page.body.className, "", "All: no filter class");
  assert.equal(page.shown.textContent, "10 of 10 reports shown");
  assert.deepEqual(page.pressed(), ["all"]);
  assert.deepEqual(page.replaced, ["#failed", "#all"]);
});

Deno.test("the filter script applies a #filter hash on load, and ignores an unknown one", () => {
  const linked = runScript("#stale");
  assert.equal(linked.body.className, "f-stale");
  assert.equal(linked.shown.textContent, "1 of 10 reports shown");
  assert.deepEqual(linked.pressed(), ["stale"]);
  assert.deepEqual(linked.replaced, [], "loading does not rewrite the URL");
  const unknown = runScript("#nosuch");
  assert.deepEqual([unknown.body.className, unknown.pressed()], ["", ["all"]]);
  // A click in the filter bar beside the buttons changes nothing.
  const page = runScript("#failed");
  page.clickElsewhere();
  assert.deepEqual(
    [page.body.className, page.pressed(), page.replaced],
    ["f-failed", ["failed"], []],
  );
});
