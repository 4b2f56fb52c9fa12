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
  /** Aborts the request (timeout, Ctrl-C). */
  signal: AbortSignal;
}

/** One answer, body read in full. */
export interface TransportResponse {
  /** HTTP status. */
  status: number;
  /** Response headers. */
  headers: Headers;
  /** Body text. */
  body: string;
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
