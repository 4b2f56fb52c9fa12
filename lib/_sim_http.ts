// Simulator internals: a small HTTP/1.1 server over Deno.listen/listenTls.
// Deno.serve cannot drop a connection without answering, which the "reset"
// fault needs, and it hides the raw request line that Apache's 414 limit
// applies to; so the simulator parses HTTP itself (keep-alive, Content-Length
// and chunked bodies, Expect: 100-continue).

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
}

/**
 * A response to write; `"reset"` to drop the connection after a few non-HTTP
 * bytes, `"bare-reset"` to just close it.
 */
export type RawResponse =
  | {
    status: number;
    headers: Record<string, string>;
    body: string;
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
  301: "Moved Permanently",
  302: "Found",
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  408: "Request Timeout",
  410: "Gone",
  413: "Request Entity Too Large",
  414: "Request-URI Too Long",
  429: "Too Many Requests",
  500: "Internal Server Error",
  501: "Not Implemented",
  502: "Bad Gateway",
  503: "Service Unavailable",
  504: "Gateway Timeout",
};

const enc = new TextEncoder();
const latin1 = new TextDecoder("latin1");

class Reader {
  buf = new Uint8Array(16_384);
  start = 0;
  end = 0;
  eof = false;
  #pending: Promise<boolean> | null = null;
  constructor(readonly conn: Deno.Conn) {}

  /** Reads more bytes; false at EOF or on a connection error. Shared by concurrent callers. */
  fill(): Promise<boolean> {
    if (this.eof) return Promise.resolve(false);
    this.#pending ??= (async () => {
      if (this.start === this.end) this.start = this.end = 0;
      if (this.end === this.buf.length) {
        const live = this.end - this.start;
        const next = live * 2 > this.buf.length
          ? new Uint8Array(this.buf.length * 2)
          : this.buf;
        next.set(this.buf.subarray(this.start, this.end), 0);
        this.buf = next;
        this.start = 0;
        this.end = live;
      }
      let n: number | null = null;
      try {
        n = await this.conn.read(this.buf.subarray(this.end));
      } catch {
        n = null;
      }
      this.#pending = null;
      if (n === null) {
        this.eof = true;
        return false;
      }
      this.end += n;
      return true;
    })();
    return this.#pending;
  }

  /** The read in progress, if any (awaited before a connection is done). */
  settled(): Promise<unknown> {
    return this.#pending ?? Promise.resolve();
  }

  /** Index of CRLF CRLF (end of head) from start, or -1. */
  headEnd(): number {
    const b = this.buf;
    for (let i = this.start; i + 3 < this.end; i++) {
      if (
        b[i] === 13 && b[i + 1] === 10 && b[i + 2] === 13 && b[i + 3] === 10
      ) return i;
    }
    return -1;
  }

  async readLine(): Promise<string | null> {
    for (;;) {
      const i = this.buf.subarray(this.start, this.end).indexOf(10);
      if (i >= 0) {
        const line = latin1.decode(
          this.buf.subarray(this.start, this.start + i),
        ).replace(/\r$/, "");
        this.start += i + 1;
        return line;
      }
      if (!(await this.fill())) return null;
    }
  }

  async readExact(n: number): Promise<Uint8Array | null> {
    while (this.end - this.start < n) if (!(await this.fill())) return null;
    const out = this.buf.slice(this.start, this.start + n);
    this.start += n;
    return out;
  }
}

async function writeAll(conn: Deno.Conn, data: Uint8Array): Promise<void> {
  let off = 0;
  while (off < data.length) off += await conn.write(data.subarray(off));
}

async function readBody(
  reader: Reader,
  headers: Headers,
): Promise<Uint8Array | null> {
  if (
    (headers.get("transfer-encoding") ?? "").toLowerCase().includes("chunked")
  ) {
    const parts: Uint8Array[] = [];
    for (;;) {
      const line = await reader.readLine();
      if (line === null) return null;
      const size = parseInt(line.split(";")[0]!.trim(), 16);
      if (Number.isNaN(size)) return null;
      if (size === 0) {
        for (;;) {
          const t = await reader.readLine();
          if (t === null || t === "") break;
        }
        break;
      }
      const chunk = await reader.readExact(size);
      if (chunk === null || (await reader.readLine()) === null) return null;
      parts.push(chunk);
    }
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let off = 0;
    for (const p of parts) (out.set(p, off), off += p.length);
    return out;
  }
  const length = Number(headers.get("content-length") ?? "0");
  if (!Number.isSafeInteger(length) || length < 0) return null;
  return length ? await reader.readExact(length) : new Uint8Array();
}

function serialize(
  res: Exclude<RawResponse, string>,
  head: boolean,
  keepAlive: boolean,
): Uint8Array {
  const body = enc.encode(res.body);
  let text = `HTTP/1.1 ${res.status} ${REASONS[res.status] ?? "Unknown"}\r\n`;
  text += `Date: ${
    new Date().toUTCString()
  }\r\nServer: Apache/2.4.41 (Ubuntu)\r\n`;
  for (const [k, v] of Object.entries(res.headers)) text += `${k}: ${v}\r\n`;
  text += `Content-Length: ${body.length}\r\nConnection: ${
    keepAlive ? "keep-alive" : "close"
  }\r\n\r\n`;
  const headBytes = enc.encode(text);
  if (head || body.length === 0) return headBytes;
  const out = new Uint8Array(headBytes.length + body.length);
  out.set(headBytes);
  out.set(body, headBytes.length);
  return out;
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

  async function serveConn(conn: Deno.Conn): Promise<void> {
    const reader = new Reader(conn);
    try {
      while (!closing.signal.aborted) {
        let end = reader.headEnd();
        while (end < 0) {
          if (reader.end - reader.start > 1_048_576 || !(await reader.fill())) {
            return;
          }
          end = reader.headEnd();
        }
        const lines = latin1.decode(reader.buf.subarray(reader.start, end))
          .split("\r\n");
        reader.start = end + 4;
        const line = lines[0]!;
        const [method, target, version] = line.split(" ");
        if (!method || !target || !version?.startsWith("HTTP/1.")) {
          await writeAll(conn, serialize(BAD_REQUEST, false, false));
          return;
        }
        if (line.length > maxLine) {
          await writeAll(conn, serialize(onTooLong(line), false, false));
          return;
        }
        const headers = new Headers();
        try {
          for (const h of lines.slice(1)) {
            const i = h.indexOf(":");
            if (i <= 0 || h.length > maxLine) throw new Error("bad header");
            headers.append(h.slice(0, i).trim(), h.slice(i + 1).trim());
          }
        } catch {
          await writeAll(conn, serialize(BAD_REQUEST, false, false));
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
          (version === "HTTP/1.1"
            ? connHeader !== "close"
            : connHeader === "keep-alive");
        await writeAll(conn, serialize(res, method === "HEAD", keepAlive));
        if (!keepAlive) return;
      }
    } catch {
      // Broken pipe, reset by peer, TLS handshake failure: drop the connection.
    } finally {
      conns.delete(conn);
      try {
        conn.close();
      } catch {
        // already closed
      }
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
      const task = serveConn(conn).finally(() => tasks.delete(task));
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
        for (const conn of conns) {
          try {
            conn.close();
          } catch {
            // closed meanwhile
          }
        }
        await Promise.allSettled([...tasks]);
      })();
      return closed;
    },
  };
}
