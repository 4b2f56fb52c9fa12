/**
 * The HTTP door: the API client (auth, retries of reads, no redirects on
 * writes, typed errors with hints), the one place a transport is built
 * ({@linkcode httpFor}: CA, proxy, `User-Agent`, the credential of a
 * purpose; npm undici underneath: kept-alive connections that never resend
 * a request), and the failure rules every product shares (which failures
 * are transient, which may have launched anyway).
 *
 * @module
 */

export {
  API_PATH,
  type ApiResponse,
  type ClientOptions,
  createClient,
  type QueryParams,
  type ReadRetry,
  type RequestOptions,
  TsClient,
} from "./client.ts";
export {
  type Http,
  httpFor,
  type HttpOptions,
  type HttpPurpose,
  type HttpRequest,
  readCaCert,
} from "./http.ts";
export type {
  Transport,
  TransportRequest,
  TransportResponse,
} from "./transport.ts";
export {
  causeChain,
  redactUrl,
  serverMessage,
  shortUrl,
  type StatusContext,
  statusError,
  tlsHint,
} from "./_http.ts";
export type { HintContext } from "./_hints.ts";
export type { CredentialForm } from "../errors.ts";
export { type GetEnv, permittedEnv, proxyFor } from "./_proxy.ts";
export {
  backoffMs,
  isPermanent,
  mayHaveLaunched,
  type RetryPolicy,
} from "./_retry.ts";
export { type UndiciOptions, undiciTransport } from "./_undici.ts";
