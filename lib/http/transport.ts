/**
 * The interface between the client and the HTTP stack, for injecting a
 * transport in tests (or over another stack). The client's own is built on
 * npm undici: it keeps connections alive and never sends a request twice.
 *
 * @module
 */

/** One request, as the client sends it. */
export interface TransportRequest {
  /** HTTP method. */
  method: string;
  /** Absolute URL. */
  url: URL;
  /** Request headers. */
  headers: Record<string, string>;
  /** Body text (JSON), if any. */
  body?: string;
  /** Aborts the request (timeout, Ctrl-C), the body's reading included. */
  signal: AbortSignal;
  /**
   * Leave the body unread and hand it over as
   * {@linkcode TransportResponse.bodyStream} (downloads: `Range` requests,
   * streaming to disk). A transport that cannot may read it in full.
   */
  stream?: boolean;
}

/** One answer: its body read in full, or (`stream`) as a stream. */
export interface TransportResponse {
  /** HTTP status. */
  status: number;
  /** Response headers. */
  headers: Headers;
  /** Body text; empty when the body comes as `bodyStream`. */
  body: string;
  /**
   * The body unread, when the request asked for `stream` and the transport
   * can; read it to its end or cancel it (that frees the connection).
   */
  bodyStream?: ReadableStream<Uint8Array>;
}

/**
 * Sends requests. It must never send a request twice on its own (a launch
 * sent twice is two runs): when the answer is lost it rejects, and the
 * client reports the outcome as unknown.
 */
export interface Transport {
  /** Sends one request and reads its answer. Redirects are returned, not followed. */
  send(request: TransportRequest): Promise<TransportResponse>;
  /** Closes the transport's connections. */
  close(): Promise<void>;
}
