// A small forward proxy for the proxy tests: absolute-form HTTP requests
// (forwarded on one upstream connection per client connection, kept alive)
// and CONNECT tunnels (for https). It counts what it carried.

import {
  ByteReader,
  closeQuietly,
  readBody,
  writeAll,
} from "../simulator/wire.ts";

/** A running test proxy. */
export interface TestProxy extends AsyncDisposable {
  /** `http://127.0.0.1:PORT`. */
  url: string;
  /** Client connections accepted. */
  connections: number;
  /** CONNECT tunnels opened (`host:port`). */
  tunnels: string[];
  /** Absolute-form request targets forwarded. */
  forwarded: string[];
}

const enc = new TextEncoder();

/** Starts the proxy on a free loopback port. */
export function startProxy(): TestProxy {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const open = new Set<Deno.Conn>();
  const tasks = new Set<Promise<void>>();
  const proxy: TestProxy = {
    url: `http://127.0.0.1:${(listener.addr as Deno.NetAddr).port}`,
    connections: 0,
    tunnels: [],
    forwarded: [],
    async [Symbol.asyncDispose]() {
      listener.close();
      for (const c of open) closeQuietly(c);
      await Promise.allSettled([...tasks]);
    },
  };

  const track = (conn: Deno.Conn) => {
    open.add(conn);
    return conn;
  };

  /** Copies bytes from one connection to another until either ends. */
  const pipe = async (from: ByteReader, to: Deno.Conn) => {
    try {
      if (from.buffered > 0) {
        await writeAll(to, from.buf.slice(from.start, from.end));
        from.start = from.end;
      }
      const buf = new Uint8Array(16_384);
      for (;;) {
        const n = await from.conn.read(buf);
        if (n === null) break;
        await writeAll(to, buf.subarray(0, n));
      }
    } catch {
      // either side went away
    } finally {
      closeQuietly(to);
      closeQuietly(from.conn);
    }
  };

  const serve = async (client: Deno.Conn) => {
    const reader = new ByteReader(client);
    let upstream: Deno.Conn | undefined;
    let relaying: Promise<void> | undefined;
    try {
      for (;;) {
        const lines = await reader.readHead(65_536);
        if (lines === null) return;
        const [method, target] = lines[0]!.split(" ");
        if (method === "CONNECT") {
          const [hostname, port] = target!.split(":");
          proxy.tunnels.push(target!);
          const up = track(
            await Deno.connect({ hostname: hostname!, port: Number(port) }),
          );
          await writeAll(
            client,
            enc.encode("HTTP/1.1 200 Connection Established\r\n\r\n"),
          );
          await Promise.all([
            pipe(reader, up),
            pipe(new ByteReader(up), client),
          ]);
          return;
        }
        const url = new URL(target!);
        proxy.forwarded.push(target!);
        const headers = new Headers();
        for (const h of lines.slice(1)) {
          const i = h.indexOf(":");
          headers.append(h.slice(0, i).trim(), h.slice(i + 1).trim());
        }
        const body = await readBody(reader, headers) ?? new Uint8Array();
        if (!upstream) {
          upstream = track(
            await Deno.connect({
              hostname: url.hostname,
              port: Number(url.port),
            }),
          );
          // Answers go back as they come; when the server closes, so do we.
          relaying = pipe(new ByteReader(upstream), client);
        }
        const head = [
          `${method} ${url.pathname}${url.search} HTTP/1.1`,
          ...lines.slice(1).filter((h) => !/^proxy-/i.test(h)),
        ].join("\r\n");
        await writeAll(upstream, enc.encode(`${head}\r\n\r\n`));
        if (body.length) await writeAll(upstream, body);
      }
    } catch {
      // a side went away
    } finally {
      if (upstream) closeQuietly(upstream);
      closeQuietly(client);
      await relaying;
    }
  };

  (async () => {
    for (;;) {
      let conn: Deno.Conn;
      try {
        conn = await listener.accept();
      } catch {
        return;
      }
      proxy.connections++;
      const task = serve(track(conn)).finally(() => tasks.delete(task));
      tasks.add(task);
    }
  })();
  return proxy;
}
