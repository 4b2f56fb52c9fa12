/**
 * The HTTP client every API call goes through.
 *
 * It always writes the trailing slash, never follows redirects (a followed
 * POST would turn into a GET and launch nothing), never lets the HTTP stack
 * send a request twice (its transport, on npm undici, reuses connections but
 * fails a request whose answer was lost instead of resending it), times every
 * request out, sends `Accept: application/json` and a `User-Agent`, and turns
 * failures into typed errors whose messages never contain a secret.
 *
 * @module
 */

import {
  isFirstContactPage,
  redactUrl,
  redirectError,
  serverMessage,
  statusError,
  unreadableAnswer,
} from "./_http.ts";
import {
  abortableSleep,
  backoffMs,
  isPermanent,
  type RetryPolicy,
} from "./_retry.ts";
import { type Http, httpFor, readCaCert } from "./http.ts";
import type { GetEnv } from "./_proxy.ts";
import type { ConnectionConfig } from "../config.ts";
import type { CredentialForm } from "../errors.ts";
import type { Transport, TransportResponse } from "./transport.ts";

/**
 * Query parameters of a request. `undefined` values are left out; arrays
 * are joined with commas (for `__in` filters).
 */
export type QueryParams = Record<
  string,
  string | number | boolean | readonly (string | number)[] | undefined
>;

/** Options for {@linkcode TsClient}. */
export interface ClientOptions extends ConnectionConfig {
  /** PEM text of the CA to trust (read from `caCertFile` by {@linkcode createClient}). */
  caCert?: string;
  /** Per-request timeout in milliseconds; default 30 000. */
  timeoutMs?: number;
  /**
   * The HTTP transport; default one on npm undici (kept-alive connections,
   * `caCert` trusted, the proxy of the environment). When given, `caCert`
   * and the proxy variables are its business.
   */
  transport?: Transport;
  /**
   * Reads the proxy variables (`HTTPS_PROXY`, `NO_PROXY`, ...); default the
   * process environment, as far as permitted.
   */
  getEnv?: GetEnv;
  /**
   * Retries of reads (GET) that failed transiently: network errors, 5xx,
   * 408, 429, an HTML or cut-off answer. Default 3 retries from 1 s,
   * doubling with jitter. Writes are never retried here (a lost launch
   * answer is settled by the caller, from the server).
   */
  readRetries?: { retries?: number; baseDelayMs?: number };
  /** Called before each retry of a read; for progress displays. */
  onRetry?: (retry: ReadRetry) => void;
  /** Random source for the retry jitter; default `Math.random`. */
  random?: () => number;
  /** Clock in milliseconds; default `Date.now`. */
  now?: () => number;
  /** Sleep used by waits and retries; default a timer honouring the signal. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/** A read about to be retried, as {@linkcode ClientOptions.onRetry} sees it. */
export interface ReadRetry {
  /** HTTP method (`GET`). */
  method: string;
  /** Redacted URL. */
  url: string;
  /** The retry about to be made, from 1. */
  attempt: number;
  /** Why the last attempt failed. */
  error: string;
  /** How long until it, in ms. */
  delayMs: number;
}

/** Per-request options. */
export interface RequestOptions {
  /** Query parameters. */
  params?: QueryParams;
  /** Aborts the request. */
  signal?: AbortSignal;
  /** Overrides the client's timeout for this request. */
  timeoutMs?: number;
}

/** The answer to a successful request. */
export interface ApiResponse<T> {
  /** HTTP status (2xx). */
  status: number;
  /** Parsed JSON body, or `undefined` when the body is empty. */
  data: T;
}

/** Path of the API under the server's base URL. */
export const API_PATH = "/rundb/api/v1/";

/**
 * A Torrent Suite REST API client.
 *
 * @example List plugins of a server
 * ```ts
 * import { TsClient } from "./client.ts";
 * import { startSimulator } from "../../simulator/mod.ts";
 * await using server = await startSimulator({ reports: 3 });
 * const [user] = server.users;
 * await using client = new TsClient({ url: server.url, user: user!.username, apiKey: user!.apiKey });
 * const page = await client.get<{ objects: { name: string }[] }>("plugin/", { params: { limit: 5 } });
 * if (page.objects.length === 0 || page.objects.length > 5) throw new Error();
 * if (client.credentialForm !== "apikey") throw new Error();
 * ```
 */
export class TsClient {
  /** Server base URL, e.g. `https://ts.example.org`. */
  readonly baseUrl: string;
  /** Credential form sent with each request. */
  readonly credentialForm: CredentialForm;
  /** User name, if any (not secret). */
  readonly user: string | undefined;
  /** Clock in milliseconds. */
  readonly now: () => number;
  /** Sleep that honours an abort signal. */
  readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  #http: Http;
  #readRetry: RetryPolicy;
  #onRetry: ((retry: ReadRetry) => void) | undefined;
  // Whether any request was answered below 500: until then a Django error
  // page means the server fails every request (see isFirstContactPage).
  #answered = false;

  /**
   * Creates a client; prefer {@linkcode createClient}, which also reads the CA file.
   *
   * @param options Connection settings and injected dependencies.
   */
  constructor(options: ClientOptions) {
    // The same rule as TS_URL: a trailing /rundb/api/v1/ (or slash) is dropped,
    // so "https://ts/rundb/api/v1/" does not become .../rundb/api/v1/rundb/...
    this.#http = httpFor({
      ...options,
      purpose: "api",
      caCertFile: undefined, // hints cover both cases, as before
    });
    this.baseUrl = this.#http.baseUrl;
    this.user = options.user;
    this.credentialForm = this.#http.credentialForm;
    this.#readRetry = {
      retries: options.readRetries?.retries ?? 3,
      baseDelayMs: options.readRetries?.baseDelayMs ?? 1000,
      random: options.random ?? Math.random,
    };
    this.#onRetry = options.onRetry;
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? abortableSleep;
  }

  /**
   * Builds the full URL of an API path, adding the trailing slash.
   *
   * @param path Path under `/rundb/api/v1/` (`"results/7/plugin/"`), or a
   *   path-only URL as found in `meta.next` (`"/rundb/api/v1/…"`).
   * @param params Query parameters to set.
   * @returns The absolute URL.
   */
  url(path: string, params: QueryParams = {}): URL {
    const base = new URL(`${this.baseUrl}/`);
    const full = path.startsWith("/")
      ? new URL(`${base.origin}${path}`)
      : new URL(`${this.baseUrl}${API_PATH}${path.replace(/^\/+/, "")}`);
    if (!full.pathname.endsWith("/")) full.pathname += "/";
    for (const [name, value] of Object.entries(params)) {
      if (value === undefined) continue;
      full.searchParams.set(
        name,
        Array.isArray(value) ? value.join(",") : String(value),
      );
    }
    // Keep `__in` commas literal: three times shorter URLs, same meaning.
    full.search = full.search.replaceAll("%2C", ",");
    return full;
  }

  /**
   * GETs an API path and parses the JSON answer.
   *
   * @param path Path under the API or a path-only `meta.next` URL.
   * @param options Query parameters, signal, timeout.
   * @returns The parsed body.
   */
  async get<T>(path: string, options: RequestOptions = {}): Promise<T> {
    const response = await this.request<T>("GET", path, options);
    return response.data;
  }

  /**
   * POSTs a JSON body. Redirects are errors, never followed.
   *
   * @param path Path under the API.
   * @param body Value to send as JSON.
   * @param options Query parameters, signal, timeout.
   * @returns Status and parsed body (if any).
   */
  post<T = unknown>(
    path: string,
    body: unknown,
    options: RequestOptions = {},
  ): Promise<ApiResponse<T>> {
    return this.request<T>("POST", path, { ...options, body });
  }

  /**
   * Sends a request; a read (GET, HEAD) that fails transiently is retried
   * with backoff (see {@linkcode ClientOptions.readRetries}). Any status
   * outside 2xx becomes a typed error: `RedirectError`, `AuthError` (401) or
   * `ApiError`; a 2xx answer that is not JSON an `UnreadableAnswerError`; no
   * answer a `NetworkError`.
   *
   * @param method HTTP method.
   * @param path Path under the API or a path-only URL.
   * @param options Query parameters, signal, timeout, and the JSON body
   *   (none when `undefined`).
   * @returns Status and parsed body.
   */
  async request<T>(
    method: string,
    path: string,
    options: RequestOptions & { body?: unknown } = {},
  ): Promise<ApiResponse<T>> {
    if (method !== "GET" && method !== "HEAD") {
      return await this.#send<T>(method, path, options);
    }
    const { retries, baseDelayMs, random } = this.#readRetry;
    for (let attempt = 0;; attempt++) {
      try {
        return await this.#send<T>(method, path, options);
      } catch (error) {
        // One retry for a Django page on first contact (a passing hiccup
        // is rare twice running), then its explanation, not minutes of
        // backoff ending in "server down".
        if (
          attempt >= retries || isPermanent(error) ||
          (attempt >= 1 && isFirstContactPage(error)) ||
          options.signal?.aborted
        ) throw error;
        const delayMs = backoffMs(attempt, baseDelayMs, random);
        this.#onRetry?.({
          method,
          url: redactUrl(this.url(path, options.params)),
          attempt: attempt + 1,
          error: error instanceof Error ? error.message : String(error),
          delayMs,
        });
        await this.sleep(delayMs, options.signal);
      }
    }
  }

  /** Sends one request, once. */
  async #send<T>(
    method: string,
    path: string,
    options: RequestOptions & { body?: unknown },
  ): Promise<ApiResponse<T>> {
    const { body } = options;
    const url = this.url(path, options.params);
    const headers: Record<string, string> = { "Accept": "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const response: TransportResponse = await this.#http.send({
      method,
      url,
      headers,
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      signal: options.signal,
      timeoutMs: options.timeoutMs,
    });
    const text = response.body;
    const status = response.status;
    const context = {
      method,
      url: redactUrl(url),
      credentialForm: this.credentialForm,
      user: this.user,
      firstContact: !this.#answered,
    };
    if (status < 500) this.#answered = true;
    if (status >= 300 && status < 400) {
      throw redirectError({ method, url }, {
        status,
        location: response.headers.get("location") ?? "",
      });
    }
    if (status < 200 || status >= 300) {
      const message = serverMessage(
        text,
        response.headers.get("content-type") ?? "",
      );
      throw statusError(context, { status, message });
    }
    let data: unknown = undefined;
    if (text.trim() !== "") {
      try {
        data = JSON.parse(text);
      } catch (error) {
        throw unreadableAnswer(context, {
          status,
          text,
          contentType: response.headers.get("content-type") ?? "",
          error,
        });
      }
    }
    return { status, data: data as T };
  }

  /**
   * Closes the client's connections (they also close by themselves when
   * idle). Safe to call twice.
   *
   * @returns Resolves when they are closed.
   */
  close(): Promise<void> {
    return this.#http.close();
  }

  /** Same as {@linkcode TsClient.close}, not awaited, for `using`. */
  [Symbol.dispose](): void {
    this.close().catch(() => {});
  }

  /** Same as {@linkcode TsClient.close}, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/**
 * Creates a client from resolved settings, reading the CA file if one is set.
 *
 * @example
 * ```ts
 * import { createClient } from "./client.ts";
 * using client = await createClient({ url: "http://127.0.0.1:1" });
 * if (client.credentialForm !== "none") throw new Error("no credentials expected");
 * ```
 *
 * @param config Settings from {@linkcode loadConfig} plus optional injections.
 * @returns A ready client; call `close()` when done.
 */
export async function createClient(config: ClientOptions): Promise<TsClient> {
  if (config.caCertFile !== undefined && config.caCert === undefined) {
    const caCert = (await readCaCert(config.caCertFile))!;
    return new TsClient({ ...config, caCert });
  }
  return new TsClient(config);
}
