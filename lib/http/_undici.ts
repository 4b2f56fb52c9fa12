// The client's HTTP transport, on npm undici: kept-alive connections for
// reads and writes, and never a request sent twice.
//
// Why not Deno's fetch: when a kept-alive connection is closed after a POST
// went out, fetch (and node:http in Deno) silently sends the POST again on a
// new connection, and for a launch that is a second plugin run. undici's
// request() fails instead ("other side closed") and leaves the decision to
// the caller, which looks on the server before it sends anything again
// (tests/lib/client_test.ts keeps a canary of both behaviours).
//
// undici costs about 150 ms and 28 MB to import, so it is loaded on the first
// request: --help, usage and input errors never pay for it.

import type {
  Transport,
  TransportRequest,
  TransportResponse,
} from "./transport.ts";

/** Options of {@linkcode undiciTransport}. */
export interface UndiciOptions {
  /** PEM text of the CA certificates to trust (replaces the default roots). */
  caCert?: string | undefined;
  /** Proxy URL for every request, or undefined for direct connections. */
  proxy?: string | undefined;
}

type Undici = typeof import("undici");
let loading: Promise<Undici> | undefined;

/** Imports undici once, on first use. */
function load(): Promise<Undici> {
  return loading ??= import("undici");
}

/**
 * Creates the transport. Connections are kept alive for reuse and closed
 * before the server's own keep-alive timeout: with Apache's
 * `Keep-Alive: timeout=5` hint an idle connection is dropped after 3 s (the
 * hint less `keepAliveTimeoutThreshold`), without a hint after 4 s; HTTP/1.1
 * only.
 *
 * A request sent just as the server closes an idle connection can still be
 * reset (a process stalled past the server's timeout, a server closing
 * early). A read is then retried by the client; a write is not, here or
 * anywhere below: the server may have read it, so its outcome is unknown.
 */
export function undiciTransport(options: UndiciOptions = {}): Transport {
  let dispatcher: Promise<import("undici").Dispatcher> | undefined;
  const connect = async () => {
    const undici = await load();
    const tls = await tlsOptions(options.caCert);
    const common = {
      keepAliveTimeout: 4_000,
      keepAliveTimeoutThreshold: 2_000, // undici's default, made explicit
      allowH2: false,
      pipelining: 1,
    };
    return options.proxy
      ? new undici.ProxyAgent({
        ...common,
        uri: options.proxy,
        requestTls: tls,
        proxyTls: tls,
      })
      : new undici.Agent({ ...common, connect: tls });
  };
  return {
    async send(req: TransportRequest): Promise<TransportResponse> {
      const undici = await load();
      dispatcher ??= connect();
      const response = await undici.request(req.url, {
        method: req.method as "GET",
        headers: req.headers,
        body: req.body ?? null,
        signal: req.signal,
        dispatcher: await dispatcher,
      });
      const headers = new Headers();
      for (const [name, value] of Object.entries(response.headers)) {
        if (value === undefined) continue;
        for (const v of Array.isArray(value) ? value : [value]) {
          headers.append(name, v);
        }
      }
      const status = response.statusCode;
      if (req.stream) {
        return {
          status,
          headers,
          body: "",
          bodyStream: webStream(response.body),
        };
      }
      return { status, headers, body: await response.body.text() };
    },
    async close(): Promise<void> {
      const d = dispatcher;
      dispatcher = undefined;
      if (d) await (await d).close();
    },
  };
}

/**
 * The body as a web stream. Cancelling it destroys the body, which aborts
 * the request and frees the connection (without that, `close()` would wait
 * for a body nobody reads).
 */
function webStream(
  body: import("undici").Dispatcher.ResponseData["body"],
): ReadableStream<Uint8Array> {
  const chunks = body[Symbol.asyncIterator]();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const next = await chunks.next();
      if (next.done) controller.close();
      else controller.enqueue(next.value as Uint8Array);
    },
    cancel() {
      body.destroy();
    },
  });
}

/**
 * TLS settings: trust the given CA certificates, and pin the self-signed
 * ones that carry no subjectAltName. Such a certificate (an old Torrent
 * Suite "snakeoil") fails the host-name check whatever it is trusted for; for
 * exactly that certificate, and only after its chain verified, the host name
 * check is skipped. Any other certificate is checked in full.
 */
async function tlsOptions(caCert: string | undefined) {
  if (caCert === undefined) return {};
  const { X509Certificate } = await import("node:crypto");
  const { checkServerIdentity } = await import("node:tls");
  const pinned = new Set<string>();
  for (const pem of caCert.match(PEM_CERT) ?? []) {
    let cert: InstanceType<typeof X509Certificate>;
    try {
      cert = new X509Certificate(pem);
    } catch {
      continue; // reported by the TLS layer as an unusable CA
    }
    if (cert.subject === cert.issuer && !cert.subjectAltName) {
      pinned.add(cert.fingerprint256);
    }
  }
  return {
    ca: caCert,
    checkServerIdentity: (
      host: string,
      cert: { fingerprint256: string; subjectaltname?: string },
    ): Error | undefined => {
      // deno-lint-ignore no-explicit-any -- node's PeerCertificate type
      const error = checkServerIdentity(host, cert as any);
      if (error && !cert.subjectaltname && pinned.has(cert.fingerprint256)) {
        return undefined;
      }
      return error;
    },
  };
}

const PEM_CERT =
  /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;
