// Simulator internals: the web pages outside the API that clients meet:
// the login page, and the files of the report folders (a plugin run's
// `drmaa_stdout.txt`), behind the web login.
//
// What the TS source says (iontorrent/TS):
// - dbReports/apacheconfig/torrent-server-config.conf.in: `/output.*` goes to
//   Django (`WSGIScriptAliasMatch "^/output.*"`); Django answers with an
//   internal redirect to `/private/output…` that Apache serves from
//   /var/www/output (`AliasMatch ^/private/output…`, direct access to
//   /private/ is forbidden). `DirectoryIndex … log.html drmaa_stdout.txt`:
//   a plugin folder with none of the earlier index files shows its log.
//   `/auth/` is the same tree behind Apache's own Basic auth ("Used by IGV
//   and external tools"; `Require valid-user`, realm "Torrent Suite (TM)",
//   torrent-suite-outputs.md Part 3).
// - dbReports/iondb/urls.py: `^(?P<urlpath>output.*)$` → `serve_wsgi_location`
//   (dbReports/iondb/servelocation.py), decorated `@login_required`: no
//   logged-in user → 302 to `settings.LOGIN_URL` = "/login/" with
//   `?next=<full path>` (Django 1.6 `redirect_to_login`, quoted with
//   safe="/", made absolute by Django's `fix_location_header`). A missing
//   file raises Http404: Django's 404 page ("gives us a django 404 page
//   instead of Apache /private/ error"); a folder without its slash → 301.
// - Who is logged in: dbReports/iondb/settings.py MIDDLEWARE_CLASSES has
//   SessionMiddleware, AuthenticationMiddleware (the `sessionid` cookie),
//   `iondb.rundb.login.middleware.BasicAuthMiddleware` (a valid
//   `Authorization: Basic` header logs in and starts a session) and
//   `iondb.rundb.middleware.LocalhostAuthMiddleware` (127.0.0.1, 127.0.1.1
//   and ::1 are logged in as ionadmin). The API keys (`ApiKey` header,
//   `?username=&api_key=`) are checked only by the API's Tastypie
//   authentication (dbReports/iondb/rundb/authn.py), so on these pages they
//   count for nothing: redirected to the login page like no credentials.
// - Where a run's log is: dbReports/iondb/bin/ionPlugin.py writes
//   `drmaa_stdout.txt` into the run's `results_dir`, which
//   `PluginResult.path(create=True, fallback=False)` makes
//   `<report>/plugin_out/<Name>_out.<pk>` ("Never fallback to old *_out
//   format"); runs from before 4.4 live in `<Name>_out` (plugin_json.py of
//   those versions: `plugin['name'] + "_out"`), which `path()` still finds.
//   The web path is the run's `URL`, `<reportLink>plugin_out/<folder>/`.

import type { Reply, Req, RouteContext } from "./types.ts";
import { archived } from "./files.ts";
import { folderFiles, serveFile } from "./static.ts";
import { apachePage, empty, HTML, notFound } from "./replies.ts";
import { prFolder, type PrRow, reportDir } from "./store.ts";

/** Python 2 `urllib.quote(s, safe="/")`: all but letters, digits, `_.-/`. */
export function pyQuote(s: string): string {
  let out = "";
  for (const b of new TextEncoder().encode(s)) {
    const c = String.fromCharCode(b);
    out += /[A-Za-z0-9_.\-/]/.test(c)
      ? c
      : `%${b.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

/** The login page (`/login/`), with an error line after a failed attempt. */
export function loginPage(next: string, error = ""): string {
  const safe = (t: string) =>
    t.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  return `<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n` +
    `<title>Torrent Suite - Sign In</title>\n</head>\n<body class="login">\n` +
    `<div class="container"><h1>Torrent Suite</h1>\n` +
    (error ? `<p class="alert alert-error">${safe(error)}</p>\n` : "") +
    `<form method="post" action="/login/" id="login_form">\n` +
    `<input type="hidden" name="next" value="${safe(next)}">\n` +
    `<label for="id_username">Username</label><input type="text" name="username" id="id_username">\n` +
    `<label for="id_password">Password</label><input type="password" name="password" id="id_password">\n` +
    `<button type="submit" class="btn btn-primary">Sign In</button>\n</form></div>\n</body>\n</html>\n`;
}

/** Apache's size column (mod_autoindex): bytes, then K, M, G rounded. */
function humanSize(n: number): string {
  if (n < 1024) return String(n);
  const units = ["K", "M", "G", "T"];
  let v = n;
  let u = -1;
  while (v >= 1024 && u < units.length - 1) v /= 1024, u++;
  return `${v < 10 ? v.toFixed(1) : Math.round(v)}${units[u]}`;
}

const esc = (t: string) =>
  t.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** Apache's autoindex listing of a folder: its subfolders and files. */
function listing(
  path: string,
  entries: { name: string; size: number; mtime: number; dir: boolean }[],
): string {
  const stamp = (ms: number) =>
    new Date(ms).toISOString().slice(0, 16).replace("T", " ");
  const rows = entries.map((e) =>
    `<tr><td valign="top"><img src="/icons/${
      e.dir ? "folder" : "unknown"
    }.gif" alt="[${e.dir ? "DIR" : "   "}]"></td><td><a href="${
      pyQuote(e.name)
    }${e.dir ? "/" : ""}">${esc(e.name)}${
      e.dir ? "/" : ""
    }</a></td><td align="right">${stamp(e.mtime)}  </td><td align="right">${
      e.dir ? "  - " : humanSize(e.size)
    }</td><td>&nbsp;</td></tr>\n`
  ).join("");
  return `<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 3.2 Final//EN">\n<html>\n <head>\n  <title>Index of ${
    esc(path)
  }</title>\n </head>\n <body>\n<h1>Index of ${esc(path)}</h1>\n` +
    `  <table>\n   <tr><th valign="top"><img src="/icons/blank.gif" alt="[ICO]"></th><th><a href="?C=N;O=D">Name</a></th><th><a href="?C=M;O=A">Last modified</a></th><th><a href="?C=S;O=A">Size</a></th><th><a href="?C=D;O=A">Description</a></th></tr>\n` +
    `   <tr><th colspan="5"><hr></th></tr>\n<tr><td valign="top"><img src="/icons/back.gif" alt="[PARENTDIR]"></td><td><a href="../">Parent Directory</a></td><td>&nbsp;</td><td align="right">  - </td><td>&nbsp;</td></tr>\n` +
    rows + `   <tr><th colspan="5"><hr></th></tr>\n</table>\n` +
    `<address>Apache/2.4.41 (Ubuntu) Server</address>\n</body></html>\n`;
}

/** The run whose folder a report-relative path names, if any. */
function runAt(
  ctx: RouteContext,
  storage: string,
  report: string,
  folder: string,
): PrRow | null {
  const id = Number(/_(\d+)$/.exec(report)?.[1] ?? NaN);
  const r = ctx.store.reportById.get(id);
  if (!r || reportDir(r) !== report || (r.storage ?? "Home") !== storage) {
    return null;
  }
  const pk = Number(/_out\.(\d+)$/.exec(folder)?.[1] ?? NaN);
  const candidates = Number.isNaN(pk)
    ? ctx.store.prsByReport.get(r.id) ?? []
    : [ctx.store.prById.get(pk)].filter((p): p is PrRow => !!p);
  return candidates.find((p) => p.report === r && prFolder(p) === folder) ??
    null;
}

/** A file, folder listing, 301 or 404 under a report's `plugin_out`. */
function reportFile(ctx: RouteContext, req: Req, path: string): Reply {
  const m = /^\/output\/([^/]+)\/([^/]+)\/plugin_out\/([^/]+)(\/.*)?$/.exec(
    path,
  );
  const pr = m ? runAt(ctx, m[1]!, m[2]!, m[3]!) : null;
  const rest = m?.[4];
  if (!pr) return notFound(path);
  if (rest === undefined) {
    return empty(301, { Location: `${req.origin}${path}/${req.search}` });
  }
  if (archived(ctx.store.world, ctx.files.settings, pr.report.id)) {
    return notFound(path);
  }
  const files = folderFiles(ctx, pr, req.now);
  const rel = rest.slice(1);
  if (rel === "" || rel.endsWith("/")) {
    // DirectoryIndex: a folder with the log shows the log.
    const index = files.find((f) => f.path === `${rel}drmaa_stdout.txt`);
    if (index) return serveFile(ctx, req, pr, index);
    const inside = files.filter((f) => f.path.startsWith(rel));
    if (rel !== "" && !inside.length) return notFound(path);
    const entries = new Map<
      string,
      { name: string; size: number; mtime: number; dir: boolean }
    >();
    for (const f of inside) {
      const [name, ...more] = f.path.slice(rel.length).split("/");
      const cur = entries.get(name!);
      const mtime = Math.max(cur?.mtime ?? 0, f.mtime);
      entries.set(name!, {
        name: name!,
        size: f.size,
        mtime,
        dir: !!more.length,
      });
    }
    const sorted = [...entries.values()].sort((a, b) =>
      a.name < b.name ? -1 : 1
    );
    return { status: 200, headers: HTML, body: listing(path, sorted) };
  }
  const file = files.find((f) => f.path === rel);
  if (file) return serveFile(ctx, req, pr, file);
  if (files.some((f) => f.path.startsWith(`${rel}/`))) {
    return empty(301, { Location: `${req.origin}${path}/${req.search}` });
  }
  return notFound(path);
}
/** POST /login/: the login form; a valid one starts a session. */
function login(ctx: RouteContext, req: Req): Reply {
  const form = new URLSearchParams(req.bodyText);
  const next = form.get("next") || req.params.get("next") || "/data/";
  if (req.method !== "POST") {
    return { status: 200, headers: HTML, body: loginPage(next) };
  }
  const user = ctx.users.find((u) => u.username === form.get("username"));
  if (!user || user.password !== form.get("password")) {
    const error = "Please enter a correct username and password.";
    return { status: 200, headers: HTML, body: loginPage(next, error) };
  }
  let sid = "";
  while (sid.length < 32) sid += Math.floor(ctx.keyRng() * 16).toString(16);
  ctx.sessions.set(sid, user.username);
  return empty(302, {
    Location: `${req.origin}${next}`,
    "Set-Cookie": `sessionid=${sid}; httponly; Path=/`,
  });
}

/** The web routes outside `/rundb/api/`; null when none applies. */
export function webRoute(ctx: RouteContext, req: Req): Reply | null {
  const path = req.pathname;
  if (path === "/login/") return login(ctx, req);
  if (path.startsWith("/auth/output/")) {
    // Apache's own Basic auth: the session or an API key count for nothing.
    if (req.auth.kind !== "basic" && !ctx.settings.localhostAutoLogin) {
      return {
        status: 401,
        headers: {
          "Content-Type": "text/html; charset=iso-8859-1",
          "WWW-Authenticate": 'Basic realm="Torrent Suite (TM)"',
        },
        body: apachePage(
          401,
          "Unauthorized",
          "This server could not verify that you are authorized to access the document requested.",
        ),
      };
    }
    return reportFile(ctx, req, path.slice("/auth".length));
  }
  if (!path.startsWith("/output/")) return null;
  const loggedIn = req.auth.kind === "basic" || req.auth.kind === "session" ||
    ctx.settings.localhostAutoLogin;
  if (!loggedIn) {
    const next = pyQuote(`${path}${req.search}`);
    return empty(302, { Location: `${req.origin}/login/?next=${next}` });
  }
  return reportFile(ctx, req, path);
}
