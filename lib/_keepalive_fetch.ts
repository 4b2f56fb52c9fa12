// A fetch for writes that keeps connections alive but never sends a request
// twice.
//
// Deno's fetch (and node:http, built on the same stack) silently sends a
// request again when a reused keep-alive connection closes after the request
// went out: for a launch POST that is a second plugin run. Opening a new
// connection for every POST avoids it but costs a connection (and, over
// HTTPS, a TLS handshake) per launch. This client speaks HTTP/1.1 itself over
// Deno.connect/connectTls: it reuses idle connections and, when one fails,
// reports the failure and leaves the decision to resend to the caller, which
// first checks on the server whether the launch happened.

import {
  ByteReader,
  closeQuietly,
  parseHeaders,
  readBody,
  writeAll,
} from "./_http1.ts";

/** A fetch limited to HTTP/1.1 over http: and https:, with a pool to close. */
export interface KeepAliveFetch {
  /** Sends one request; never resends it. Redirects are returned, not followed. */
  (input: URL | string, init?: RequestInit): Promise<Response>;
  /** Closes every connection. */
  close(): void;
}

/** Options of {@linkcode createKeepAliveFetch}. */
export interface KeepAliveOptions {
  /** PEM CA certificates to trust for https. */
  caCerts?: string[];
  /**
   * A connection idle longer than this is closed rather than reused, to stay
   * clear of the server's keep-alive timeout (Apache's default is 5 s).
   * Default 2,000 ms.
   */
  idleMs?: number;
  /** Idle connections kept per origin; default 32. */
  maxIdle?: number;
}

interface Pooled {
  conn: Deno.Conn;
  reader: ByteReader;
  idleSince: number;
}

const enc = new TextEncoder();
const MAX_HEAD = 65_536;
const NULL_BODY = new Set([101, 103, 204, 205, 304]);

/** Creates a keep-alive fetch for writes (see the module comment). */
export function createKeepAliveFetch(
  options: KeepAliveOptions = {},
): KeepAliveFetch {
  const idleMs = options.idleMs ?? 2_000;
  const maxIdle = options.maxIdle ?? 32;
  const idle = new Map<string, Pooled[]>();
  const open = new Set<Deno.Conn>();

  const discard = (c: Pooled) => {
    open.delete(c.conn);
    closeQuietly(c.conn);
  };

  const checkout = async (
    url: URL,
    signal: AbortSignal | undefined,
  ): Promise<Pooled> => {
    const list = idle.get(url.origin) ?? [];
    for (let c = list.pop(); c; c = list.pop()) {
      // A closed connection (or one sending unasked bytes) shows as a finished
      // background read; an old one may be closed by the server any moment.
      if (c.reader.eof || c.reader.buffered > 0 || idleFor(c) > idleMs) {
        discard(c);
        continue;
      }
      c.conn.ref();
      return c;
    }
    const hostname = url.hostname.replace(/^\[|\]$/g, "");
    const connecting: Promise<Deno.Conn> = url.protocol === "https:"
      ? Deno.connectTls({
        hostname,
        port: Number(url.port || 443),
        alpnProtocols: ["http/1.1"],
        ...(options.caCerts ? { caCerts: options.caCerts } : {}),
      })
      : Deno.connect({ hostname, port: Number(url.port || 80) });
    const conn = await abortable(connecting, signal, (late) => late.close());
    if ("setNoDelay" in conn) (conn as Deno.TcpConn).setNoDelay(true);
    open.add(conn);
    return { conn, reader: new ByteReader(conn), idleSince: 0 };
  };

  const checkin = (url: URL, c: Pooled) => {
    const list = idle.get(url.origin) ?? [];
    if (list.length >= maxIdle) return discard(c);
    c.idleSince = performance.now();
    idle.set(url.origin, list);
    list.push(c);
    // Watch for the server closing it; the watch must not keep Deno running.
    c.reader.fill();
    c.conn.unref();
  };

  const keepAliveFetch = async (
    input: URL | string,
    init: RequestInit = {},
  ): Promise<Response> => {
    const url = new URL(input);
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      throw new TypeError(`unsupported URL scheme: ${url.protocol}`);
    }
    const signal = init.signal ?? undefined;
    signal?.throwIfAborted();
    const method = (init.method ?? "GET").toUpperCase();
    const request = encodeRequest(url, method, init);
    const c = await checkout(url, signal);
    // Aborting (timeout, Ctrl-C) closes the connection: whatever is pending
    // on it fails, and the caller learns the outcome is unknown.
    const onAbort = () => discard(c);
    signal?.addEventListener("abort", onAbort, { once: true });
    if (signal?.aborted) onAbort();
    try {
      await writeAll(c.conn, request);
      const answer = await readResponse(c.reader, method);
      signal?.throwIfAborted();
      if (answer.keepAlive) checkin(url, c);
      else discard(c);
      return answer.response;
    } catch (error) {
      discard(c);
      signal?.throwIfAborted();
      throw error;
    } finally {
      signal?.removeEventListener("abort", onAbort);
    }
  };

  return Object.assign(keepAliveFetch, {
    close() {
      for (const conn of open) closeQuietly(conn);
      open.clear();
      idle.clear();
    },
  });
}

/** Waits for `promise` unless `signal` aborts first; a late value is cleaned up. */
function abortable<T>(
  promise: Promise<T>,
  signal: AbortSignal | undefined,
  cleanUp: (late: T) => void,
): Promise<T> {
  if (!signal) return promise;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => {
      promise.then(cleanUp, () => {});
      reject(signal.reason);
    };
    if (signal.aborted) return onAbort();
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        if (signal.aborted) cleanUp(value);
        else resolve(value);
      },
      (error) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}

function idleFor(c: Pooled): number {
  return performance.now() - c.idleSince;
}

function encodeRequest(
  url: URL,
  method: string,
  init: RequestInit,
): Uint8Array {
  const body = init.body ?? null;
  let bytes: Uint8Array;
  if (body === null) bytes = new Uint8Array();
  else if (typeof body === "string") bytes = enc.encode(body);
  else if (body instanceof Uint8Array) bytes = body;
  else throw new TypeError("only string and Uint8Array bodies are supported");
  const headers = new Headers(init.headers);
  headers.delete("connection");
  headers.delete("transfer-encoding");
  headers.delete("content-length");
  let head = `${method} ${url.pathname}${url.search} HTTP/1.1\r\n` +
    `Host: ${url.host}\r\n`;
  for (const [name, value] of headers) head += `${name}: ${value}\r\n`;
  if (body !== null || !["GET", "HEAD", "DELETE"].includes(method)) {
    head += `Content-Length: ${bytes.length}\r\n`;
  }
  head += "\r\n";
  const headBytes = enc.encode(head);
  const out = new Uint8Array(headBytes.length + bytes.length);
  out.set(headBytes);
  out.set(bytes, headBytes.length);
  return out;
}

async function readResponse(
  reader: ByteReader,
  method: string,
): Promise<{ response: Response; keepAlive: boolean }> {
  for (;;) {
    const lines = await reader.readHead(MAX_HEAD);
    if (lines === null) {
      throw new Error(
        reader.eof
          ? "connection closed before the answer was complete"
          : "answer head too large",
      );
    }
    const m = /^HTTP\/1\.([01]) (\d{3})(?: (.*))?$/.exec(lines[0]!);
    if (!m) throw new Error(`not an HTTP answer: ${lines[0]!.slice(0, 80)}`);
    const status = Number(m[2]);
    const headers = parseHeaders(lines.slice(1), MAX_HEAD);
    if (status >= 100 && status < 200) continue; // 100 Continue and the like
    const connection = (headers.get("connection") ?? "").toLowerCase();
    const delimited = headers.has("content-length") ||
      (headers.get("transfer-encoding") ?? "").toLowerCase().includes(
        "chunked",
      );
    const noBody = method === "HEAD" || NULL_BODY.has(status);
    const body = noBody ? new Uint8Array() : await readBody(
      reader,
      headers,
      true,
    );
    if (body === null) {
      throw new Error("connection closed before the answer was complete");
    }
    const keepAlive = (noBody || delimited) &&
      (m[1] === "1"
        ? !connection.includes("close")
        : connection.includes("keep-alive"));
    const response = new Response(
      noBody ? null : body as Uint8Array<ArrayBuffer>,
      {
        status,
        statusText: m[3] ?? "",
        headers,
      },
    );
    return { response, keepAlive };
  }
}
