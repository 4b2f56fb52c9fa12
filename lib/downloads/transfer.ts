/**
 * One file from the server to disk, never a wrong file under its final
 * name: the bytes go to `<name>.part`, their length is checked against
 * `Content-Length`, their SHA-256 computed while they stream, a `.gz`
 * checked whole (and a BGZF file's end-of-file block), and only then the
 * file is renamed. A partial file resumes with `Range` + `If-Range`; a file
 * that changed on the server meanwhile starts over.
 *
 * The files live outside the API: Torrent Suite reads an API key only under
 * `/rundb/api/`, so they need the password. {@linkcode FileSession} sends
 * HTTP Basic once and then the `sessionid` cookie Django answers with,
 * sparing the server a password hash and a session write per file.
 *
 * @module
 */

import { createHash, type Hash } from "node:crypto";
import { createGunzip } from "node:zlib";
import type { Http, HttpRequest, TransportResponse } from "../http/mod.ts";

/** Why a file could not be fetched. */
export type TransferFailure =
  | "gone"
  | "too-big"
  | "refused"
  | "cut-short"
  | "corrupt"
  | "server"
  | "network";

/** A file that could not be fetched, and whether trying again may help. */
export class TransferError extends Error {
  /** What went wrong. */
  readonly kind: TransferFailure;
  /** Whether the same request may succeed later (5xx, cut bodies, resets). */
  readonly transient: boolean;
  /** HTTP status, when there was an answer. */
  readonly status: number | undefined;

  /**
   * Creates the error.
   *
   * @param message What happened, naming the file.
   * @param options Kind, whether transient, status, cause.
   */
  constructor(
    message: string,
    options: {
      kind: TransferFailure;
      transient?: boolean;
      status?: number;
      cause?: unknown;
    },
  ) {
    super(message, { cause: options.cause });
    this.name = "TransferError";
    this.kind = options.kind;
    this.transient = options.transient ?? false;
    this.status = options.status;
  }
}

const LOGIN_PAGE = /id="login_form"|<title>[^<]*Sign In/i;

/**
 * Requests to the server's file tree with the password: Basic on the first
 * request, then the `sessionid` cookie (Basic again if the session ends).
 * Redirects to `/login/` and login pages mean the credentials were refused.
 */
export class FileSession {
  #http: Http;
  #cookie: string | undefined;
  #useCookie: boolean;
  /** Requests that carried the password (the rest carried the cookie). */
  basicRequests = 0;

  /**
   * Wraps a files-purpose {@linkcode Http} (see `httpFor`).
   *
   * @param http Requests with the password (`purpose: "files"`).
   * @param options `cookie: false` sends Basic on every request.
   */
  constructor(http: Http, options: { cookie?: boolean } = {}) {
    this.#http = http;
    this.#useCookie = options.cookie ?? true;
  }

  /** The server's base URL. */
  get baseUrl(): string {
    return this.#http.baseUrl;
  }

  /**
   * Sends one request; the answer's body is left unread when `stream`.
   *
   * @param request The request (a path on the server, or an absolute URL).
   * @returns The answer.
   * @throws {TransferError} `refused` for a login redirect, page or 401.
   */
  async send(request: HttpRequest): Promise<TransportResponse> {
    const withCookie = this.#useCookie && this.#cookie !== undefined;
    const res = await this.#http.send({
      ...request,
      auth: !withCookie,
      headers: {
        ...request.headers,
        ...(withCookie ? { Cookie: `sessionid=${this.#cookie}` } : {}),
      },
    });
    if (!withCookie) this.basicRequests++;
    const setCookie = res.headers.get("set-cookie") ?? "";
    const sid = /(?:^|[,;\s])sessionid=([^;,\s]+)/.exec(setCookie)?.[1];
    if (sid) this.#cookie = sid;
    const location = res.headers.get("location") ?? "";
    const toLogin = res.status >= 300 && res.status < 400 &&
      /\/login\/?(\?|$)/.test(new URL(location, this.baseUrl).pathname + "?");
    if (toLogin || res.status === 401) {
      await res.bodyStream?.cancel().catch(() => {});
      if (withCookie) {
        // The session ended (the server restarted, or it was purged): log in
        // again once with the password.
        this.#cookie = undefined;
        return await this.send(request);
      }
      throw new TransferError(
        `${request.url.pathname}: the server refused the user name and password (${
          res.status === 401 ? "401" : "redirected to its login page"
        })`,
        { kind: "refused", status: res.status },
      );
    }
    return res;
  }

  /** Closes the connections. */
  close(): Promise<void> {
    return this.#http.close();
  }
}

/** Bytes per second shared by every transfer of a job (`--limit-rate`). */
export class RateLimit {
  #rate: number;
  #next = 0;
  #now: () => number;
  #sleep: (ms: number, signal?: AbortSignal) => Promise<void>;

  /**
   * Creates the limit.
   *
   * @param bytesPerSecond The total rate.
   * @param options Clock and sleep (tests).
   */
  constructor(
    bytesPerSecond: number,
    options: {
      now?: () => number;
      sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
    } = {},
  ) {
    this.#rate = bytesPerSecond;
    this.#now = options.now ?? (() => performance.now());
    this.#sleep = options.sleep ?? defaultSleep;
  }

  /**
   * Waits until `bytes` more may pass.
   *
   * @param bytes Bytes just received.
   * @param signal Aborts the wait.
   */
  async take(bytes: number, signal?: AbortSignal): Promise<void> {
    const now = this.#now();
    const start = Math.max(now, this.#next);
    this.#next = start + (bytes / this.#rate) * 1000;
    const wait = this.#next - now;
    // Short waits are batched: a sleep per 16 KB chunk would cost more than
    // it limits.
    if (wait > 20) await this.#sleep(wait, signal);
  }
}

function defaultSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => {
      clearTimeout(timer);
      reject(signal.reason);
    }, { once: true });
  });
}

/** What the server said about a file (from a HEAD or a GET). */
export interface RemoteFile {
  /** Bytes, when the server said. */
  size: number | null;
  /** ETag, or `null`. */
  etag: string | null;
  /** Last-Modified, or `null`. */
  lastModified: string | null;
}

/** A file written under its final name. */
export interface Fetched extends RemoteFile {
  /** Bytes written. */
  size: number;
  /** SHA-256, hex. */
  sha256: string;
  /** Bytes that came from an earlier partial file. */
  resumedBytes: number;
  /** Body requests made (a resume of a cut body is one more). */
  requests: number;
}

/** Options for {@linkcode fetchFile}. */
export interface FetchFileOptions {
  /** Skip a file bigger than this (its Content-Length). */
  maxBytes?: number;
  /** The total rate of the job. */
  rate?: RateLimit;
  /** Bytes just written, for progress. */
  onBytes?: (bytes: number) => void;
  /** Aborts the transfer; the partial file stays for a resume. */
  signal?: AbortSignal;
  /** Quiet time on a body before it counts as cut (default 60 s). */
  idleMs?: number;
  /**
   * Called once the whole body is received, before the file's sync, checks
   * and rename: the connection is free, and a job can start its next
   * transfer while this one is made durable.
   */
  onReceived?: () => void;
}

interface PartMeta {
  url: string;
  etag: string | null;
  lastModified: string | null;
  size: number | null;
}

/**
 * Reads what the server says about a file with a HEAD (no body).
 *
 * @param session The file session.
 * @param path The file's web path.
 * @param signal Aborts the request.
 * @returns Size, ETag and Last-Modified.
 * @throws {TransferError} `gone` on 404/410, `server` on 5xx.
 */
export async function headFile(
  session: FileSession,
  path: string,
  signal?: AbortSignal,
): Promise<RemoteFile> {
  const url = new URL(path, session.baseUrl);
  const res = await session.send({ method: "HEAD", url, signal });
  checkStatus(res, url.pathname);
  return remoteOf(res);
}

function remoteOf(res: TransportResponse): RemoteFile {
  const length = res.headers.get("content-length");
  return {
    size: length !== null && /^\d+$/.test(length) ? Number(length) : null,
    etag: res.headers.get("etag"),
    lastModified: res.headers.get("last-modified"),
  };
}

function checkStatus(res: TransportResponse, path: string): void {
  if (res.status === 200 || res.status === 206) {
    const type = res.headers.get("content-type") ?? "";
    if (type.startsWith("text/html") && LOGIN_PAGE.test(res.body)) {
      throw new TransferError(`${path}: the server answered its login page`, {
        kind: "refused",
        status: res.status,
      });
    }
    return;
  }
  if (res.status === 404 || res.status === 410) {
    throw new TransferError(
      `${path}: not on the server (${res.status}; archived or deleted by Data Management?)`,
      { kind: "gone", status: res.status },
    );
  }
  throw new TransferError(`${path}: the server answered ${res.status}`, {
    kind: "server",
    transient: res.status >= 500 || res.status === 429,
    status: res.status,
  });
}

/**
 * Fetches one file to `dest`, resuming `dest.part` when it is there and the
 * server's file is unchanged (`If-Range`).
 *
 * @param session The file session.
 * @param path The file's web path on the server.
 * @param dest The final local path (its folder exists).
 * @param options Size cap, rate, progress, signal.
 * @returns What was written.
 * @throws {TransferError} With `transient` for what a later try may fix.
 */
export async function fetchFile(
  session: FileSession,
  path: string,
  dest: string,
  options: FetchFileOptions = {},
): Promise<Fetched> {
  const url = new URL(path, session.baseUrl);
  const part = `${dest}.part`;
  const metaPath = `${dest}.part.json`;
  // Most files have no partial copy: one stat, not a failed read per file.
  const partial = await sizeOf(part);
  const meta = partial > 0 ? await readMeta(metaPath, url.pathname) : null;
  let have = meta ? partial : 0;
  const hash = createHash("sha256");
  if (have > 0) await hashFile(part, hash, have);
  const headers: Record<string, string> = {};
  const validator = meta?.etag ?? meta?.lastModified;
  if (have > 0 && validator) {
    headers["Range"] = `bytes=${have}-`;
    headers["If-Range"] = validator;
  }
  const res = await session.send({
    url,
    headers,
    stream: true,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  try {
    if (res.status === 416 && have > 0) {
      // The partial file is as long as (or longer than) the server's: start
      // over rather than trust it.
      await res.bodyStream?.cancel().catch(() => {});
      await removeQuietly(part, metaPath);
      return await fetchFile(session, path, dest, options);
    }
    checkStatus(res, url.pathname);
    const type = res.headers.get("content-type") ?? "";
    if (
      type.startsWith("text/html") && !/\.html?$/i.test(dest) && res.bodyStream
    ) {
      // A page where a data file was asked for: a login page served with
      // 200 by a proxy or an older server is never saved as the file.
      const text = await new Response(res.bodyStream).text();
      if (LOGIN_PAGE.test(text)) {
        throw new TransferError(
          `${url.pathname}: the server answered its login page`,
          {
            kind: "refused",
            status: res.status,
          },
        );
      }
      delete res.bodyStream;
      res.body = text;
    }
  } catch (error) {
    await res.bodyStream?.cancel().catch(() => {});
    throw error;
  }
  const remote = remoteOf(res);
  let total: number | null;
  if (res.status === 206) {
    const range = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(
      res.headers.get("content-range") ?? "",
    );
    if (!range || Number(range[1]) !== have) {
      await res.bodyStream?.cancel().catch(() => {});
      await removeQuietly(part, metaPath);
      throw new TransferError(
        `${url.pathname}: the server answered another range`,
        {
          kind: "cut-short",
          transient: true,
          status: 206,
        },
      );
    }
    total = range[3] === "*" ? null : Number(range[3]);
  } else {
    // A full answer: the file changed (If-Range failed) or was never begun.
    have = 0;
    total = remote.size;
  }
  const sha = res.status === 206 ? hash : createHash("sha256");
  if (
    total !== null && options.maxBytes !== undefined && total > options.maxBytes
  ) {
    await res.bodyStream?.cancel().catch(() => {});
    throw new TransferError(
      `${url.pathname}: ${formatBytes(total)}, more than --max-size ${
        formatBytes(options.maxBytes)
      }`,
      { kind: "too-big" },
    );
  }
  const validators: PartMeta = {
    url: url.pathname,
    etag: remote.etag,
    lastModified: remote.lastModified,
    size: total,
  };
  // The validators a resume needs are written only when they may be needed:
  // the transfer failed, or it is long enough that a kill would waste much.
  // A partial file without them is fetched again from its start.
  const saveMeta = () =>
    Deno.writeTextFile(metaPath, JSON.stringify(validators)).catch(() => {});
  if (have > 0) await saveMeta();
  const gz = /\.gz$/i.test(dest);
  const inflate = gz && res.status !== 206 ? new GzipCheck() : null;
  // A whole body's first and last bytes, for the BGZF check without reading
  // the file again.
  const ends = inflate ? new Ends() : null;
  const file = await Deno.open(part, {
    write: true,
    create: true,
    truncate: res.status !== 206,
    append: res.status === 206,
  });
  let written = have;
  try {
    written = await streamTo(res, file, sha, written, {
      ...options,
      onChunk: (chunk, total) => {
        inflate?.write(chunk);
        ends?.add(chunk);
        if (
          total - have >= META_AFTER && total - chunk.length - have < META_AFTER
        ) {
          void saveMeta();
        }
      },
    });
    options.onReceived?.();
    // The data is on disk before the file takes its final name (a power
    // cut must not leave an empty file there); fdatasync also writes the
    // size a read needs.
    await file.syncData();
  } catch (error) {
    await saveMeta();
    inflate?.abort();
    throw error;
  } finally {
    file.close();
  }
  if (total !== null && written !== total) {
    inflate?.abort();
    await saveMeta();
    throw new TransferError(
      `${url.pathname}: the body stopped at ${written} of ${total} bytes`,
      { kind: "cut-short", transient: true },
    );
  }
  if (gz) {
    // Checked as it streamed (a resumed file: read again whole).
    const inflated = inflate ? await inflate.end() : null;
    await checkGzip(part, url.pathname, {
      ...(inflated !== null ? { inflated } : {}),
      ...(ends ? { head: ends.head, tail: ends.tail() } : {}),
    });
  }
  await Deno.rename(part, dest);
  await removeQuietly(metaPath);
  return {
    size: written,
    etag: remote.etag,
    lastModified: remote.lastModified,
    sha256: sha.digest("hex"),
    resumedBytes: res.status === 206 ? have : 0,
    requests: 1,
  };
}

async function streamTo(
  res: TransportResponse,
  file: Deno.FsFile,
  hash: Hash,
  start: number,
  options: FetchFileOptions & {
    onChunk?: (chunk: Uint8Array, total: number) => void;
  },
): Promise<number> {
  let written = start;
  if (!res.bodyStream) {
    const bytes = new TextEncoder().encode(res.body);
    await writeAll(file, bytes);
    hash.update(bytes);
    options.onChunk?.(bytes, written + bytes.length);
    options.onBytes?.(bytes.length);
    return written + bytes.length;
  }
  const reader = res.bodyStream.getReader();
  const idleMs = options.idleMs ?? 60_000;
  // One watchdog per transfer, not a timer per chunk: a body quiet for
  // idleMs is cancelled, which ends the pending read.
  let lastData = performance.now();
  let idle: Error | undefined;
  const watchdog = setInterval(() => {
    if (performance.now() - lastData < idleMs) return;
    idle = new Error(`no data for ${idleMs / 1000} s`);
    reader.cancel(idle).catch(() => {});
  }, Math.max(10, Math.min(1000, idleMs / 4)));
  // Chunks of 16-64 KB are gathered into one reused buffer: fewer, larger
  // writes, and no new buffer per write for the collector.
  const buffer = new Uint8Array(WRITE_BYTES);
  let pendingBytes = 0;
  const flush = async () => {
    if (pendingBytes === 0) return;
    const bytes = buffer.subarray(0, pendingBytes);
    pendingBytes = 0;
    await writeAll(file, bytes);
  };
  const gather = async (chunk: Uint8Array) => {
    if (pendingBytes + chunk.length > buffer.length) await flush();
    if (chunk.length >= buffer.length) return await writeAll(file, chunk);
    buffer.set(chunk, pendingBytes);
    pendingBytes += chunk.length;
  };
  try {
    for (;;) {
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await reader.read();
        if (idle) throw idle;
      } catch (error) {
        // What arrived is kept for the resume.
        await flush().catch(() => {});
        if (options.signal?.aborted) throw options.signal.reason;
        throw new TransferError(
          `the body stopped at ${written} bytes: ${
            error instanceof Error ? error.message : error
          }`,
          { kind: "cut-short", transient: true, cause: error },
        );
      }
      if (chunk.done) {
        await flush();
        return written;
      }
      lastData = performance.now();
      await gather(chunk.value);
      hash.update(chunk.value);
      written += chunk.value.length;
      options.onChunk?.(chunk.value, written);
      options.onBytes?.(chunk.value.length);
      await options.rate?.take(chunk.value.length, options.signal);
    }
  } finally {
    clearInterval(watchdog);
    await reader.cancel().catch(() => {});
  }
}

async function writeAll(file: Deno.FsFile, bytes: Uint8Array): Promise<void> {
  let off = 0;
  while (off < bytes.length) off += await file.write(bytes.subarray(off));
}

/** Bytes gathered before a write to the partial file. */
const WRITE_BYTES = 256 * 1024;

/** Bytes of a transfer after which its resume validators are saved. */
const META_AFTER = 8_000_000;

/**
 * Inflates a gzip body as it streams (every member, CRCs checked), so that a
 * whole file is not read again to check it.
 */
class GzipCheck {
  #gunzip = createGunzip();
  #result: Promise<Error | true>;

  constructor() {
    this.#result = new Promise((resolve) => {
      this.#gunzip.on("data", () => {});
      this.#gunzip.on("end", () => resolve(true));
      this.#gunzip.on("error", (e: Error) => resolve(e));
    });
  }

  write(chunk: Uint8Array): void {
    // Not copied: a chunk read from a ReadableStream belongs to its reader,
    // and the writer above copies it into its own buffer.
    this.#gunzip.write(chunk);
  }

  abort(): void {
    this.#gunzip.destroy();
  }

  /** Ends the input; `true` when it was whole gzip, else the error. */
  end(): Promise<Error | true> {
    this.#gunzip.end();
    return this.#result;
  }
}

/** The first 16 and the last 28 bytes of a body, kept as it streams. */
class Ends {
  head: Uint8Array = new Uint8Array(0);
  #tail: Uint8Array = new Uint8Array(0);

  add(chunk: Uint8Array): void {
    if (this.head.length < 16) this.head = join2(this.head, chunk, 16);
    this.#tail = chunk.length >= 28
      ? chunk.slice(chunk.length - 28)
      : join2(this.#tail, chunk).slice(-28);
  }

  tail(): Uint8Array {
    return this.#tail;
  }
}

function join2(a: Uint8Array, b: Uint8Array, max = Infinity): Uint8Array {
  const out = new Uint8Array(Math.min(max, a.length + b.length));
  out.set(a.subarray(0, out.length));
  if (out.length > a.length) {
    out.set(b.subarray(0, out.length - a.length), a.length);
  }
  return out;
}

/** BGZF's end-of-file marker: an empty block (SAM/BAM spec, 4.1.2). */
const BGZF_EOF = Uint8Array.from([
  0x1f,
  0x8b,
  0x08,
  0x04,
  0,
  0,
  0,
  0,
  0,
  0xff,
  0x06,
  0,
  0x42,
  0x43,
  0x02,
  0,
  0x1b,
  0,
  0x03,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
]);

/**
 * Checks a gzip file whole (every member decompresses, the CRCs hold), and
 * for BGZF (its first member carries the `BC` field) the end-of-file block
 * a cut file lacks.
 *
 * @param path The local file.
 * @param name The name to report.
 * @param options `inflated`: the result of inflating it as it streamed
 *   (then it is not read again); `head`/`tail`: its first 16 and last 28
 *   bytes, kept as it streamed (then it is not opened at all).
 * @throws {TransferError} `corrupt` (transient: fetched again).
 */
export async function checkGzip(
  path: string,
  name: string,
  options: {
    inflated?: Error | true;
    head?: Uint8Array;
    tail?: Uint8Array;
  } = {},
): Promise<void> {
  if (options.inflated instanceof Error) {
    throw new TransferError(
      `${name}: not a whole gzip file (${options.inflated.message})`,
      { kind: "corrupt", transient: true, cause: options.inflated },
    );
  }
  if (options.inflated === true && options.head && options.tail) {
    // Inflated whole as it streamed, its ends kept: nothing to read again.
    checkBgzfEnd(options.head, options.tail, name);
    return;
  }
  const file = await Deno.open(path, { read: true });
  try {
    const { size } = await file.stat();
    const head = new Uint8Array(16);
    const got = (await file.read(head)) ?? 0;
    const tail = new Uint8Array(Math.min(28, size));
    await file.seek(size - tail.length, Deno.SeekMode.Start);
    let off = 0;
    while (off < tail.length) {
      const n = await file.read(tail.subarray(off));
      if (n === null) break;
      off += n;
    }
    checkBgzfEnd(head.subarray(0, got), tail.subarray(0, off), name);
  } catch (error) {
    file.close();
    throw error;
  }
  if (options.inflated === true) {
    file.close();
    return;
  }
  await file.seek(0, Deno.SeekMode.Start);
  try {
    await new Promise<void>((resolve, reject) => {
      const gunzip = createGunzip();
      gunzip.on("data", () => {});
      gunzip.on("end", () => resolve());
      gunzip.on("error", reject);
      (async () => {
        for await (const chunk of file.readable) {
          if (!gunzip.write(chunk)) {
            await new Promise((r) => gunzip.once("drain", r));
          }
        }
        gunzip.end();
      })().catch(reject);
    });
  } catch (error) {
    throw new TransferError(
      `${name}: not a whole gzip file (${
        error instanceof Error ? error.message : error
      })`,
      { kind: "corrupt", transient: true, cause: error },
    );
  }
}

/** A BGZF file (its first member carries `BC`) must end with the EOF block. */
function checkBgzfEnd(head: Uint8Array, tail: Uint8Array, name: string): void {
  const bgzf = head.length >= 14 && head[3]! & 0x04 && head[12] === 0x42 &&
    head[13] === 0x43;
  if (!bgzf) return;
  if (tail.length < 28 || !tail.every((b, i) => b === BGZF_EOF[i])) {
    throw new TransferError(
      `${name}: BGZF file without its end-of-file block (cut short)`,
      { kind: "corrupt", transient: true },
    );
  }
}

async function readMeta(path: string, url: string): Promise<PartMeta | null> {
  try {
    const meta = JSON.parse(await Deno.readTextFile(path)) as PartMeta;
    return meta.url === url ? meta : null;
  } catch {
    return null;
  }
}

async function sizeOf(path: string): Promise<number> {
  try {
    return (await Deno.stat(path)).size;
  } catch {
    return 0;
  }
}

async function hashFile(
  path: string,
  hash: Hash,
  bytes: number,
): Promise<void> {
  const file = await Deno.open(path, { read: true });
  let left = bytes;
  const buf = new Uint8Array(1 << 16);
  try {
    while (left > 0) {
      const n = await file.read(buf.subarray(0, Math.min(buf.length, left)));
      if (n === null) break;
      hash.update(buf.subarray(0, n));
      left -= n;
    }
  } finally {
    file.close();
  }
}

/**
 * SHA-256 of a local file, hex (`--verify`).
 *
 * @param path The file.
 * @returns The hash.
 */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash("sha256");
  const { size } = await Deno.stat(path);
  await hashFile(path, hash, size);
  return hash.digest("hex");
}

async function removeQuietly(...paths: string[]): Promise<void> {
  for (const p of paths) await Deno.remove(p).catch(() => {});
}

/**
 * Bytes in a few characters: `1.5 GB`, `12 KB`.
 *
 * @param n Bytes.
 * @returns The text (base 1000, as disks are sold).
 */
export function formatBytes(n: number): string {
  const units = ["B", "KB", "MB", "GB", "TB"];
  let i = 0;
  let v = n;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}
