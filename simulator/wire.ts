// HTTP/1.1 wire helpers of the simulator's server: a buffered reader over a
// connection, message heads and bodies (Content-Length, chunked, or up to
// the end of the connection).

const latin1 = new TextDecoder("latin1");

/** A buffered reader over a connection; one read is in flight at a time. */
export class ByteReader {
  /** Buffer; bytes `start..end` are unread. */
  buf: Uint8Array = new Uint8Array(16_384);
  /** First unread byte. */
  start = 0;
  /** End of the bytes read. */
  end = 0;
  /** The connection ended (or failed). */
  eof = false;
  #pending: Promise<boolean> | null = null;

  /** @param conn The connection to read. */
  constructor(readonly conn: Deno.Conn) {}

  /** Unread bytes in the buffer. */
  get buffered(): number {
    return this.end - this.start;
  }

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

  /**
   * Reads a message head (up to CRLF CRLF) and returns its lines, or `null`
   * when the connection ends first or the head exceeds `maxBytes`.
   */
  async readHead(maxBytes: number): Promise<string[] | null> {
    let scanned = 0; // bytes after `start` known not to begin CRLF CRLF
    for (;;) {
      const b = this.buf;
      for (let i = this.start + scanned; i + 3 < this.end; i++) {
        if (
          b[i] === 13 && b[i + 1] === 10 && b[i + 2] === 13 && b[i + 3] === 10
        ) {
          const lines = latin1.decode(b.subarray(this.start, i)).split("\r\n");
          this.start = i + 4;
          return lines;
        }
      }
      scanned = Math.max(0, this.buffered - 3);
      if (this.buffered > maxBytes || !(await this.fill())) return null;
    }
  }

  /** Reads one line (LF or CRLF), or `null` at EOF. */
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

  /** Reads exactly `n` bytes, or `null` if the connection ends first. */
  async readExact(n: number): Promise<Uint8Array | null> {
    while (this.end - this.start < n) if (!(await this.fill())) return null;
    const out = this.buf.slice(this.start, this.start + n);
    this.start += n;
    return out;
  }

  /** Reads everything up to the end of the connection. */
  async readToEnd(): Promise<Uint8Array> {
    while (await this.fill());
    const out = this.buf.slice(this.start, this.end);
    this.start = this.end;
    return out;
  }
}

/** Closes a connection, ignoring that it may be closed already. */
export function closeQuietly(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch {
    // already closed
  }
}

/** Writes every byte of `data`. */
export async function writeAll(
  conn: Deno.Conn,
  data: Uint8Array,
): Promise<void> {
  let off = 0;
  while (off < data.length) off += await conn.write(data.subarray(off));
}

/**
 * Reads a message body as its headers describe it: chunked, `Content-Length`,
 * or (`untilEnd`, for responses without either) up to the end of the
 * connection. Returns `null` when the body is malformed or cut short.
 */
export async function readBody(
  reader: ByteReader,
  headers: Headers,
  untilEnd = false,
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
          if (t === null) return null;
          if (t === "") break;
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
  const declared = headers.get("content-length");
  if (declared === null && untilEnd) return await reader.readToEnd();
  const length = Number(declared ?? "0");
  if (!Number.isSafeInteger(length) || length < 0) return null;
  return length ? await reader.readExact(length) : new Uint8Array();
}

/** Parses header lines into `Headers`; throws on a malformed line. */
export function parseHeaders(lines: string[], maxLine: number): Headers {
  const headers = new Headers();
  for (const h of lines) {
    const i = h.indexOf(":");
    if (i <= 0 || h.length > maxLine) throw new Error("malformed header line");
    headers.append(h.slice(0, i).trim(), h.slice(i + 1).trim());
  }
  return headers;
}
