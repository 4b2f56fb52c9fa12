// Simulator internals: reply helpers (JSON, empty, canned error, JSONP) and
// the look-ups every handler starts with.

import type { Reply, Req, RouteContext } from "./types.ts";
import { CANNED, pyJson, SimHttpError } from "./tastypie.ts";

export const HTML = { "Content-Type": "text/html; charset=utf-8" };
export const empty = (
  status: number,
  headers: Record<string, string> = {},
): Reply => ({
  status,
  headers: { ...HTML, ...headers },
  body: "",
});
export const json = (status: number, data: unknown): Reply => ({
  status,
  headers: { "Content-Type": "application/json; charset=utf-8" },
  body: pyJson(data),
});
export const canned = (status: number) => json(status, CANNED);

/** Success bodies honour JSONP (`format=jsonp` or `callback=`); errors stay JSON. */
export function ok(req: Req, data: unknown): Reply {
  const format = req.params.get("format");
  const accept = req.headers.get("accept") ?? "";
  if (
    format === "jsonp" || req.params.has("callback") ||
    (!format && accept.startsWith("text/javascript"))
  ) {
    const cb = req.params.get("callback") ?? "callback";
    if (!/^[_a-zA-Z][_a-zA-Z0-9.]*$/.test(cb)) {
      return json(400, { error: "JSONP callback name is invalid." });
    }
    return {
      status: 200,
      headers: { "Content-Type": "text/javascript; charset=utf-8" },
      body: `${cb}(${pyJson(data)})`,
    };
  }
  return json(200, data);
}

/** A numeric pk, or 404 with the canned body (non-numeric pk). */
export function numericPk(pk: string): number {
  if (!/^\d+$/.test(pk)) throw new SimHttpError(404, CANNED);
  return Number(pk);
}

/** The report of a pk, or `status` (with `payload`) when there is none. */
export function reportOr(
  ctx: RouteContext,
  pk: string,
  status: number,
  payload: unknown = null,
) {
  const report = ctx.store.reportById.get(numericPk(pk));
  if (!report) throw new SimHttpError(status, payload);
  return report;
}

/** The TS/Django "page not found" page (Django's 404 with DEBUG=False). */
export function notFound(path: string): Reply & { body: string } {
  const safe = path.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  return {
    status: 404,
    headers: HTML,
    body:
      `<!DOCTYPE html>\n<html lang="en">\n<head><meta charset="utf-8"><title>Page Not Found - Torrent Suite</title></head>\n` +
      `<body>\n<div class="container"><h1>Page Not Found</h1>\n<p>The requested URL ${safe} was not found on this server.</p></div>\n</body>\n</html>\n`,
  };
}

/** An Apache-style HTML error page. */
export function apachePage(
  status: number,
  title: string,
  text: string,
): string {
  return `<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">\n<html><head>\n<title>${status} ${title}</title>\n` +
    `</head><body>\n<h1>${title}</h1>\n<p>${text}</p>\n<hr>\n<address>Apache/2.4.41 (Ubuntu) Server</address>\n</body></html>\n`;
}
