// Simulator internals: a small HTTP/1.1 server over Deno.listen/listenTls.
// Deno.serve cannot drop a connection without answering, which the "reset"
// fault needs, and it hides the raw request line that Apache's 414 limit
// applies to; so the simulator parses HTTP itself (keep-alive, Content-Length
// and chunked bodies, Expect: 100-continue).

import type { StreamBody } from "./types.ts";
import {
  ByteReader,
  closeQuietly,
  parseHeaders,
  readBody,
  writeAll,
} from "./wire.ts";

/** A parsed request. */
export interface RawRequest {
  /** Method as sent. */
  method: string;
  /** Request target as sent (path and query). */
  target: string;
  /** Length of the request line in bytes (without CRLF). */
  lineLength: number;
  /** Headers. */
  headers: Headers;
  /** Body bytes (empty when none). */
  body: Uint8Array;
  /** Aborted when the client disconnects or the server closes. */
  signal: AbortSignal;
  /** Number of the connection that carried it, from 1 in order of acceptance. */
  connection: number;
}

/**
 * A response to write; `"reset"` to drop the connection after a few non-HTTP
 * bytes, `"bare-reset"` to just close it.
 */
export type RawResponse =
  | {
    status: number;
    headers: Record<string, string>;
    body: string | Uint8Array | StreamBody;
    close?: boolean;
  }
  | "reset"
  | "bare-reset";

/** Options of {@linkcode serveHttp}. */
export interface ServeOptions {
  hostname: string;
  port: number;
  tls?: { cert: string; key: string } | undefined;
  /** Longest request line read in full before answering 414 without reading more. */
  maxLine?: number;
  /** Apache's KeepAliveTimeout: an idle connection is closed after this; default 5,000 ms. */
  keepAliveTimeoutMs?: number;
  /** Apache's MaxKeepAliveRequests: the answer to the last one says close; default 100. */
  maxKeepAliveRequests?: number;
}

/** A running server. */
export interface HttpServer {
  port: number;
  /** Aborted by close(): handlers stop their waits. */
  signal: AbortSignal;
  close(): Promise<void>;
}

const REASONS: Record<number, string> = {
  200: "OK",
  201: "Created",
  202: "Accepted",
  204: "No Content",
  206: "Partial Content",
  301: "Moved Permanently",
  302: "Found",
  304: "Not Modified",
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  408: "Request Timeout",
  410: "Gone",
  413: "Request Entity Too Large",
  414: "Request-URI Too Long",
  416: "Requested Range Not Satisfiable",
  429: "Too Many Requests",
  500: "Internal Server Error",
  501: "Not Implemented",
  502: "Bad Gateway",
  503: "Service Unavailable",
  504: "Gateway Timeout",
};

const enc = new TextEncoder();

/**
 * Serializes an answer. `keepAlive` carries what Apache's keep-alive answer
 * says (`Keep-Alive: timeout=5, max=99`), or nothing: the connection closes.
 */
function serialize(
  res: Exclude<RawResponse, string>,
  head: boolean,
  keepAlive: { timeoutS: number; max: number } | null,
): Uint8Array {
  const stream = isStream(res.body);
  const body = typeof res.body === "string"
    ? enc.encode(res.body)
    : stream
    ? new Uint8Array()
    : res.body as Uint8Array;
  const length = stream ? (res.body as StreamBody).length : body.length;
  let text = `HTTP/1.1 ${res.status} ${REASONS[res.status] ?? "Unknown"}\r\n`;
  text += `Date: ${
    new Date().toUTCString()
  }\r\nServer: Apache/2.4.41 (Ubuntu)\r\n`;
  for (const [k, v] of Object.entries(res.headers)) text += `${k}: ${v}\r\n`;
  text += `Content-Length: ${length}\r\n`;
  text += keepAlive
    ? `Keep-Alive: timeout=${keepAlive.timeoutS}, max=${keepAlive.max}\r\nConnection: Keep-Alive\r\n\r\n`
    : "Connection: close\r\n\r\n";
  const headBytes = enc.encode(text);
  if (head || body.length === 0) return headBytes;
  const out = new Uint8Array(headBytes.length + body.length);
  out.set(headBytes);
  out.set(body, headBytes.length);
  return out;
}

function isStream(body: unknown): body is StreamBody {
  return typeof body === "object" && body !== null &&
    !(body instanceof Uint8Array);
}

/**
 * Writes a streamed body in 64 KiB pieces, paced to `bytesPerSecond`;
 * false when it was cut (`cutAt`) and the connection must close.
 */
async function writeStream(
  conn: Deno.Conn,
  body: StreamBody,
  signal: AbortSignal,
): Promise<boolean> {
  const limit = Math.min(body.length, body.cutAt ?? Infinity);
  let sent = 0;
  try {
    while (sent < limit && !signal.aborted) {
      const piece = Math.min(
        65_536,
        limit - sent,
        body.bytesPerSecond
          ? Math.max(1, Math.ceil(body.bytesPerSecond / 10))
          : Infinity,
      );
      await writeAll(conn, body.read(sent, sent + piece));
      sent += piece;
      if (body.bytesPerSecond && sent < limit) {
        await pause(piece / body.bytesPerSecond * 1000, signal);
      }
    }
  } finally {
    body.onSent?.(sent);
  }
  return sent === body.length;
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => (clearTimeout(t), resolve());
    const t = setTimeout(() => {
      signal.removeEventListener("abort", done);
      resolve();
    }, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}

const RESET_BYTES = enc.encode(
  "-- connection reset by the simulator --\r\n\r\n",
);

const BAD_REQUEST: Exclude<RawResponse, string> = {
  status: 400,
  headers: { "Content-Type": "text/html; charset=iso-8859-1" },
  body:
    '<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">\n<html><head>\n<title>400 Bad Request</title>\n' +
    "</head><body>\n<h1>Bad Request</h1>\n<p>Your browser sent a request that this server could not understand.<br />\n</p>\n</body></html>\n",
};

/** Starts the server; `handler` answers each request (requests on one connection in turn). */
export function serveHttp(
  options: ServeOptions,
  handler: (req: RawRequest) => Promise<RawResponse>,
  onTooLong: (line: string) => Exclude<RawResponse, string>,
): HttpServer {
  const listener = options.tls
    ? Deno.listenTls({
      hostname: options.hostname,
      port: options.port,
      cert: options.tls.cert,
      key: options.tls.key,
    })
    : Deno.listen({ hostname: options.hostname, port: options.port });
  const closing = new AbortController();
  const conns = new Set<Deno.Conn>();
  const tasks = new Set<Promise<void>>();
  const maxLine = options.maxLine ?? 8190;
  const idleMs = options.keepAliveTimeoutMs ?? 5_000;
  const maxRequests = options.maxKeepAliveRequests ?? 100;

  let accepted = 0;

  async function serveConn(conn: Deno.Conn, id: number): Promise<void> {
    const reader = new ByteReader(conn);
    let idleTimer: ReturnType<typeof setTimeout> | undefined;
    let idleCheck: ReturnType<typeof setTimeout> | undefined;
    try {
      for (let served = 0; !closing.signal.aborted; served++) {
        if (served > 0 && reader.buffered === 0) {
          // Between requests Apache waits KeepAliveTimeout, then closes.
          idleTimer = setTimeout(() => {
            // Apache closes a connection on which no request arrived in
            // time. A request that did arrive while this process was busy
            // (the client's tests share it) is read first: the timer and
            // the socket may be handled in either order after a stall.
            idleCheck = setTimeout(() => {
              if (reader.buffered === 0) closeQuietly(conn);
            }, 25);
          }, idleMs);
        }
        const lines = await reader.readHead(1_048_576);
        clearTimeout(idleTimer);
        clearTimeout(idleCheck);
        if (lines === null) return;
        const line = lines[0]!;
        const [method, target, version] = line.split(" ");
        if (!method || !target || !version?.startsWith("HTTP/1.")) {
          await writeAll(conn, serialize(BAD_REQUEST, false, null));
          return;
        }
        if (line.length > maxLine) {
          await writeAll(conn, serialize(onTooLong(line), false, null));
          return;
        }
        let headers: Headers;
        try {
          headers = parseHeaders(lines.slice(1), maxLine);
        } catch {
          await writeAll(conn, serialize(BAD_REQUEST, false, null));
          return;
        }
        if ((headers.get("expect") ?? "").toLowerCase() === "100-continue") {
          await writeAll(conn, enc.encode("HTTP/1.1 100 Continue\r\n\r\n"));
        }
        const body = await readBody(reader, headers);
        if (body === null) return;
        const gone = new AbortController();
        const watch = () => {
          // A read in the background notices a disconnect while the handler waits.
          if (!reader.eof) {
            reader.fill().then((more) => more ? undefined : gone.abort());
          }
        };
        watch();
        const signal = AbortSignal.any([gone.signal, closing.signal]);
        const res = await handler({
          method,
          target,
          lineLength: line.length,
          headers,
          body,
          signal,
          connection: id,
        });
        if (closing.signal.aborted) return;
        if (res === "bare-reset") return;
        if (res === "reset") {
          // A bare close on a reused keep-alive connection makes Deno's fetch
          // (hyper) silently resend the request, even a POST; a few bytes that
          // are not HTTP before the close make it fail instead.
          await writeAll(conn, RESET_BYTES);
          return;
        }
        const connHeader = (headers.get("connection") ?? "").toLowerCase();
        const keepAlive = !res.close && !reader.eof &&
          served + 1 < maxRequests &&
          (version === "HTTP/1.1"
            ? connHeader !== "close"
            : connHeader === "keep-alive");
        await writeAll(
          conn,
          serialize(
            res,
            method === "HEAD",
            keepAlive
              ? {
                timeoutS: Math.max(1, Math.round(idleMs / 1000)),
                max: maxRequests - served - 1,
              }
              : null,
          ),
        );
        if (isStream(res.body) && method !== "HEAD") {
          if (!await writeStream(conn, res.body, signal)) return;
        } else if (isStream(res.body)) {
          res.body.onSent?.(0);
        }
        if (!keepAlive) return;
      }
    } catch {
      // Broken pipe, reset by peer, TLS handshake failure: drop the connection.
    } finally {
      clearTimeout(idleTimer);
      clearTimeout(idleCheck);
      conns.delete(conn);
      closeQuietly(conn);
      await reader.settled();
    }
  }

  const accepting = (async () => {
    for (;;) {
      let conn: Deno.Conn;
      try {
        conn = await listener.accept();
      } catch {
        return;
      }
      if (closing.signal.aborted) {
        conn.close();
        return;
      }
      if ("setNoDelay" in conn) (conn as Deno.TcpConn).setNoDelay(true);
      conns.add(conn);
      const task = serveConn(conn, ++accepted).finally(() =>
        tasks.delete(task)
      );
      tasks.add(task);
    }
  })();

  let closed: Promise<void> | null = null;
  return {
    port: (listener.addr as Deno.NetAddr).port,
    signal: closing.signal,
    close() {
      closed ??= (async () => {
        closing.abort();
        listener.close();
        await accepting;
        for (const conn of conns) closeQuietly(conn);
        await Promise.allSettled([...tasks]);
      })();
      return closed;
    },
  };
}
