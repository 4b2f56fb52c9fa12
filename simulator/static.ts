// Simulator internals: Apache's static file answers for the files of a run
// folder (files.ts): HEAD, Content-Length, ETag, Last-Modified, a single
// byte Range (206 / 416), If-Range, If-None-Match (304), and the file
// faults (bodies cut short, slow bandwidth, a file changed after a HEAD),
// plus the changes tests make to a file (`Simulator.setFile`).

import type { Reply, Req, RouteContext, StreamBody } from "./types.ts";
import { BGZF_EOF, etagOf, logFile, runFiles, type SimFile } from "./files.ts";
import { apachePage } from "./replies.ts";
import type { PrRow } from "./store.ts";
import type { FileOverride, FileState } from "./files.ts";

export type { FileOverride, FileState };
import { rngFor } from "./stores.ts";

const SALT = { cut: 0xc07, change: 0xc4a6 };

/** A file with an override applied (null: deleted). */
function applied(f: SimFile, o: FileOverride | undefined): SimFile | null {
  if (!o) return f;
  if (o.content === null) return null;
  if (o.content) {
    const bytes = o.content;
    return {
      path: f.path,
      size: bytes.length,
      mtime: o.mtime,
      read: (a, b) => bytes.subarray(a, b),
    };
  }
  const extra = o.append ?? new Uint8Array();
  const base = f.size;
  return {
    path: f.path,
    size: base + extra.length,
    mtime: o.mtime,
    virtual: f.virtual === true,
    read(a, b) {
      const out = new Uint8Array(
        Math.max(0, Math.min(b, base + extra.length) - a),
      );
      if (a < base) out.set(f.read(a, Math.min(b, base)));
      if (b > base) {
        out.set(
          extra.subarray(Math.max(0, a - base), b - base),
          Math.max(0, base - a),
        );
      }
      return out;
    },
  };
}

/** Every file of a run folder now, the log included (when `logs`), changes applied. */
export function folderFiles(
  ctx: RouteContext,
  pr: PrRow,
  now: number,
): SimFile[] {
  const files = runFiles(ctx.store.world, ctx.files.settings, pr, now);
  const log = ctx.settings.logs ? logFile(pr, now) : null;
  if (log) files.unshift(log);
  const out: SimFile[] = [];
  const seen = new Set<string>();
  for (const f of files) {
    seen.add(f.path);
    const g = applied(f, ctx.files.overrides.get(`${pr.id}/${f.path}`));
    if (g) out.push(g);
  }
  // Files a test added.
  for (const [key, o] of ctx.files.overrides) {
    const [id, ...rest] = key.split("/");
    const path = rest.join("/");
    if (Number(id) !== pr.id || seen.has(path) || !o.content) continue;
    const bytes = o.content;
    out.push({
      path,
      size: bytes.length,
      mtime: o.mtime,
      read: (a, b) => bytes.subarray(a, b),
    });
  }
  return out;
}

const TYPES: [RegExp, string][] = [
  [/\.txt$/, "text/plain"],
  [/\.json$/, "application/json"],
  [/\.html?$/, "text/html"],
  [/\.xls$/, "application/vnd.ms-excel"],
  [/\.gz$/, "application/x-gzip"],
  [/\.zip$/, "application/zip"],
];

/** Apache's Content-Type by extension (mime.types), octet-stream otherwise. */
function typeOf(path: string): string {
  return TYPES.find(([re]) => re.test(path))?.[1] ?? "application/octet-stream";
}

/** A single byte range of `size`, "unsatisfiable", or null (ignored: whole file). */
function parseRange(
  header: string,
  size: number,
): { start: number; end: number } | "unsatisfiable" | null {
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === "" && m[2] === "")) return null;
  if (m[1] === "") {
    const n = Number(m[2]);
    if (n === 0 || size === 0) return "unsatisfiable";
    return { start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === "" ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (m[2] !== "" && Number(m[2]) < start) return null;
  if (start >= size) return "unsatisfiable";
  return { start, end };
}

/** Whether If-Range allows the range: the same strong ETag, or the same date. */
function rangeStillValid(
  ifRange: string,
  etag: string,
  mtime: number,
): boolean {
  const v = ifRange.trim();
  if (v.startsWith('"') || v.startsWith("W/")) return v === etag;
  const t = Date.parse(v);
  return Number.isFinite(t) && t === Math.floor(mtime / 1000) * 1000;
}

/** Appends to a file so that its size and ETag change (still valid BGZF for `.gz`). */
export function changeFile(
  ctx: RouteContext,
  pr: PrRow,
  f: SimFile,
  now: number,
): void {
  const key = `${pr.id}/${f.path}`;
  const old = ctx.files.overrides.get(key);
  const piece = f.path.endsWith(".gz")
    ? BGZF_EOF
    : new TextEncoder().encode("\n");
  const append = new Uint8Array((old?.append?.length ?? 0) + piece.length);
  if (old?.append) append.set(old.append);
  append.set(piece, append.length - piece.length);
  // A new mtime, at least a second later (Last-Modified has seconds).
  const mtime = Math.max(now, f.mtime + 1000);
  if (old?.content) {
    const c = new Uint8Array(old.content.length + piece.length);
    c.set(old.content);
    c.set(piece, old.content.length);
    ctx.files.overrides.set(key, { content: c, mtime });
  } else ctx.files.overrides.set(key, { append, mtime });
}

/** The static answer for a file (GET or HEAD). */
export function serveFile(
  ctx: RouteContext,
  req: Req,
  pr: PrRow,
  f: SimFile,
): Reply {
  const fs = ctx.files.settings;
  const n = ++ctx.files.served;
  const etag = etagOf(f);
  const headers: Record<string, string> = {
    "Last-Modified": new Date(f.mtime).toUTCString(),
    ETag: etag,
    "Accept-Ranges": "bytes",
    "Content-Type": typeOf(f.path),
  };
  if (f.path.endsWith("drmaa_stdout.txt")) {
    headers["Cache-Control"] = "max-age=0";
  }
  if (req.method === "HEAD" && fs.changeOnHeadRate > 0) {
    if (rngFor(ctx.store.world.seed, SALT.change, n)() < fs.changeOnHeadRate) {
      changeFile(ctx, pr, f, req.now);
    }
  }
  if (req.headers.get("if-none-match")?.split(/\s*,\s*/).includes(etag)) {
    return { status: 304, headers, body: "" };
  }
  let range = req.headers.get("range");
  const ifRange = req.headers.get("if-range");
  if (range && ifRange && !rangeStillValid(ifRange, etag, f.mtime)) {
    range = null;
  }
  const r = range ? parseRange(range, f.size) : null;
  if (r === "unsatisfiable") {
    return {
      status: 416,
      headers: {
        "Content-Type": "text/html; charset=iso-8859-1",
        "Content-Range": `bytes */${f.size}`,
      },
      body: apachePage(
        416,
        "Requested Range Not Satisfiable",
        "None of the range-specifier values in the Range request-header field overlap the current extent of the selected resource.",
      ),
    };
  }
  const start = r?.start ?? 0;
  const length = r ? r.end - r.start + 1 : f.size;
  if (r) headers["Content-Range"] = `bytes ${r.start}-${r.end}/${f.size}`;
  const body: StreamBody = {
    length,
    read: (a, b) => f.read(start + a, start + b),
  };
  if (fs.bytesPerSecond > 0) body.bytesPerSecond = fs.bytesPerSecond;
  if (
    req.method === "GET" && fs.cutRate > 0 && length > 1 &&
    rngFor(ctx.store.world.seed, SALT.cut, n)() < fs.cutRate
  ) {
    body.cutAt = Math.floor(length / 2);
  }
  return { status: r ? 206 : 200, headers, body };
}
