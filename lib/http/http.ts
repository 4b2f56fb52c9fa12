/**
 * The one place a transport is built: the trusted CA (read from
 * `TS_CA_CERT`), the proxy of the environment (`NO_PROXY` honoured), the
 * `User-Agent`, and the `Authorization` header for what the requests are
 * for. The API client, the log reader and the doctor all send through
 * {@linkcode httpFor}.
 *
 * Purposes: `"api"` sends the API key (`ApiKey user:key`) or else the
 * password (Basic); `"files"` (run logs, report files under `/output/`)
 * sends only Basic, because an API key is checked by the API alone (under
 * `/rundb/api/`) and a file request with one is redirected to the login
 * page.
 *
 * @module
 */

import {
  authorizationFor,
  basicAuth,
  type NetworkContext,
  networkError,
} from "./_http.ts";
import { type GetEnv, permittedEnv, proxyFor } from "./_proxy.ts";
import { undiciTransport } from "./_undici.ts";
import { normalizeServerUrl } from "../config.ts";
import { type CredentialForm, UsageError } from "../errors.ts";
import type { Transport, TransportResponse } from "./transport.ts";
import { VERSION } from "../version.ts";

/** What the requests are for, which decides the credential sent. */
export type HttpPurpose = "api" | "files";

/** Options of {@linkcode httpFor}. */
export interface HttpOptions {
  /** Server base URL. */
  url: string;
  /** `"api"`: API key or Basic; `"files"`: Basic only. */
  purpose: HttpPurpose;
  /** User name. */
  user?: string | undefined;
  /** API key (used for `"api"` only). */
  apiKey?: string | undefined;
  /** Password (Basic). */
  password?: string | undefined;
  /** PEM text of the CA to trust (see {@linkcode readCaCert}). */
  caCert?: string | undefined;
  /**
   * The CA file, only to word hints of TLS failures (`null`: none set);
   * leave it out when not known.
   */
  caCertFile?: string | null | undefined;
  /** The transport; default npm undici with `caCert` and the proxy. */
  transport?: Transport | undefined;
  /** Reads the proxy variables; default the environment. */
  getEnv?: GetEnv | undefined;
  /** Per-request timeout in ms; default 30 000. */
  timeoutMs?: number | undefined;
  /** A word added to the `User-Agent` after the version (`doctor`). */
  agent?: string | undefined;
}

/** One request through {@linkcode Http.send}. */
export interface HttpRequest {
  /** HTTP method; default `GET`. */
  method?: string;
  /** Absolute URL. */
  url: URL;
  /** Headers besides `User-Agent` and `Authorization`. */
  headers?: Record<string, string>;
  /** Body text, if any. */
  body?: string;
  /** Aborts the request; its reason is thrown as it is. */
  signal?: AbortSignal | undefined;
  /** Overrides the timeout for this request. */
  timeoutMs?: number | undefined;
  /** Send the credential (default true). */
  auth?: boolean;
  /**
   * Leave the body unread: it comes as `bodyStream` (downloads: `Range`,
   * to disk); read it to its end or cancel it. The timeout then covers the
   * answer's head only; `signal` aborts the reading of the body too.
   */
  stream?: boolean;
}

/** Requests to one server for one purpose; from {@linkcode httpFor}. */
export interface Http {
  /** Server base URL, normalized. */
  readonly baseUrl: string;
  /** The credential form sent (`"files"`: `basic` or `none`). */
  readonly credentialForm: CredentialForm;
  /** The proxy the requests go through, or undefined (direct). */
  readonly proxy: string | undefined;
  /** The per-request timeout, in ms. */
  readonly timeoutMs: number;
  /**
   * Sends one request once, with `User-Agent` and `Authorization`, timed
   * out. A redirect is returned, not followed. A failure without an answer
   * is a `NetworkError` (a write's outcome unknown unless it surely was not
   * sent); an abort by the caller's signal throws its reason.
   */
  send(request: HttpRequest): Promise<TransportResponse>;
  /** Closes the transport's connections. Safe to call twice. */
  close(): Promise<void>;
}

/** The `User-Agent` ionrun sends (`agent`: a word after the version). */
export function userAgent(agent?: string): string {
  return `ionrun/${VERSION}${
    agent ? ` ${agent}` : ""
  } (Deno ${Deno.version.deno})`;
}

/**
 * Reads the CA file to trust (`TS_CA_CERT`).
 *
 * @param file Path of a PEM file, or undefined.
 * @returns Its text, or undefined when no file is given.
 * @throws {UsageError} When it cannot be read.
 */
export async function readCaCert(
  file: string | undefined,
): Promise<string | undefined> {
  if (file === undefined) return undefined;
  try {
    return await Deno.readTextFile(file);
  } catch (error) {
    throw new UsageError(
      `Cannot read TS_CA_CERT file ${file}: ${
        error instanceof Error ? error.message : error
      }`,
    );
  }
}

/**
 * Builds the requests of one purpose to one server.
 *
 * @example Read the API's top level, then a file with the password
 * ```ts
 * import { httpFor } from "./http.ts";
 * import { startSimulator } from "../../simulator/mod.ts";
 * await using server = await startSimulator({ reports: 1 });
 * const [user] = server.users;
 * const api = httpFor({ url: server.url, purpose: "api", user: user!.username, apiKey: user!.apiKey });
 * const top = await api.send({ url: new URL(`${server.url}/rundb/api/v1/`) });
 * if (top.status !== 200 || api.credentialForm !== "apikey") throw new Error();
 * await api.close();
 * const files = httpFor({ url: server.url, purpose: "files", user: user!.username, apiKey: user!.apiKey });
 * if (files.credentialForm !== "none") throw new Error("an API key is no file credential");
 * await files.close();
 * ```
 *
 * @param options Server, purpose, credentials, CA, injections.
 * @returns The requests' sender; close it when done.
 */
export function httpFor(options: HttpOptions): Http {
  const baseUrl = normalizeServerUrl(options.url);
  const auth = options.purpose === "api"
    ? authorizationFor(options)
    : options.password !== undefined && options.user !== undefined
    ? {
      form: "basic" as const,
      header: basicAuth(options.user, options.password),
    }
    : { form: "none" as const, header: undefined };
  const proxy = proxyFor(baseUrl, options.getEnv ?? permittedEnv);
  const transport = options.transport ??
    undiciTransport({ caCert: options.caCert, proxy });
  const timeoutMs = options.timeoutMs ?? 30_000;
  const agent = userAgent(options.agent);
  return {
    baseUrl,
    credentialForm: auth.form,
    proxy,
    timeoutMs,
    async send(request: HttpRequest): Promise<TransportResponse> {
      const method = request.method ?? "GET";
      const { url } = request;
      const ms = request.timeoutMs ?? timeoutMs;
      const timeout = new AbortController();
      const timer = setTimeout(
        () => timeout.abort(new DOMException("timed out", "TimeoutError")),
        ms,
      );
      const signal = request.signal
        ? AbortSignal.any([request.signal, timeout.signal])
        : timeout.signal;
      const headers: Record<string, string> = {
        ...request.headers,
        "User-Agent": agent,
      };
      if (request.auth !== false && auth.header) {
        headers["Authorization"] = auth.header;
      }
      try {
        return await transport.send({
          method,
          url,
          headers,
          ...(request.body !== undefined ? { body: request.body } : {}),
          ...(request.stream ? { stream: true } : {}),
          signal,
        });
      } catch (error) {
        if (request.signal?.aborted) throw request.signal.reason;
        const context: NetworkContext = {
          method,
          url,
          timedOut: timeout.signal.aborted,
          timeoutMs: ms,
        };
        if (options.caCertFile !== undefined) {
          context.caCertFile = options.caCertFile;
        }
        throw networkError(error, context);
      } finally {
        clearTimeout(timer);
      }
    },
    close: () => transport.close(),
  };
}
