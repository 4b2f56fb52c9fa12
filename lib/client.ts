/**
 * The HTTP client every API call goes through.
 *
 * It always writes the trailing slash, never follows redirects (a followed
 * POST would turn into a GET and launch nothing), never lets the HTTP stack
 * send a write twice, times every request out, sends `Accept:
 * application/json` and a `User-Agent`, and turns failures into typed errors
 * whose messages never contain a secret.
 *
 * @module
 */

import {
  networkError,
  redactUrl,
  redirectError,
  serverMessage,
  statusError,
} from "./_http.ts";
import {
  createKeepAliveFetch,
  type KeepAliveFetch,
} from "./_keepalive_fetch.ts";
import { proxyConfigured } from "./_proxy.ts";
import { type ConnectionConfig, normalizeServerUrl } from "./config.ts";
import { type CredentialForm, UsageError } from "./errors.ts";
import { VERSION } from "./version.ts";

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
   * The fetch implementation; default the global `fetch` for reads and, for
   * writes, a keep-alive HTTP/1.1 client that never resends a request (or,
   * behind a proxy, `fetch` on a new connection each). When given, it is used
   * for every request.
   */
  fetch?: typeof fetch;
  /** Clock in milliseconds; default `Date.now`. */
  now?: () => number;
  /** Sleep used by waits and retries; default a timer honouring the signal. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
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
 * ```ts ignore
 * import { TsClient } from "./client.ts";
 * const client = new TsClient({ url: "https://ts.example.org", user: "ionuser", apiKey: "…" });
 * const page = await client.get("plugin/", { params: { limit: 5 } });
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
  #authorization: string | undefined;
  #fetch: typeof fetch;
  #timeoutMs: number;
  #httpClient: Deno.HttpClient | undefined;
  #writeClient: Deno.HttpClient | undefined;
  #keepAlive: KeepAliveFetch | undefined;

  /**
   * Creates a client; prefer {@linkcode createClient}, which also reads the CA file.
   *
   * @param options Connection settings and injected dependencies.
   */
  constructor(options: ClientOptions) {
    // The same rule as TS_URL: a trailing /rundb/api/v1/ (or slash) is dropped,
    // so "https://ts/rundb/api/v1/" does not become .../rundb/api/v1/rundb/...
    this.baseUrl = normalizeServerUrl(options.url);
    this.user = options.user;
    if (options.apiKey !== undefined) {
      this.credentialForm = "apikey";
      this.#authorization = `ApiKey ${options.user}:${options.apiKey}`;
    } else if (options.password !== undefined) {
      this.credentialForm = "basic";
      this.#authorization = `Basic ${
        btoa(
          String.fromCharCode(
            ...new TextEncoder().encode(`${options.user}:${options.password}`),
          ),
        )
      }`;
    } else {
      this.credentialForm = "none";
    }
    this.#fetch = options.fetch ?? globalThis.fetch;
    this.#timeoutMs = options.timeoutMs ?? 30_000;
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? defaultSleep;
    const caCerts = options.caCert !== undefined ? [options.caCert] : undefined;
    if (caCerts) this.#httpClient = Deno.createHttpClient({ caCerts });
    // Writes are never sent twice. When a kept-alive connection drops after a
    // POST went out, Deno's fetch silently sends the POST again on a new one:
    // a second plugin run. So writes go through our own HTTP/1.1 connections,
    // which are reused but never resend; behind a proxy (which only fetch
    // knows how to use) or with an injected fetch, every write gets a new
    // connection instead.
    if (!options.fetch && !proxyConfigured(this.baseUrl)) {
      this.#keepAlive = createKeepAliveFetch(caCerts ? { caCerts } : {});
    } else {
      this.#writeClient = Deno.createHttpClient({
        poolMaxIdlePerHost: 0,
        ...(caCerts ? { caCerts } : {}),
      });
    }
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
    const response = await this.request<T>("GET", path, undefined, options);
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
    return this.request<T>("POST", path, body, options);
  }

  /**
   * Sends one request. Any status outside 2xx becomes a typed error:
   * `RedirectError`, `AuthError` (401) or `ApiError`; no answer becomes a
   * `NetworkError`.
   *
   * @param method HTTP method.
   * @param path Path under the API or a path-only URL.
   * @param body JSON body, or `undefined` for none.
   * @param options Query parameters, signal, timeout.
   * @returns Status and parsed body.
   */
  async request<T>(
    method: string,
    path: string,
    body: unknown,
    options: RequestOptions = {},
  ): Promise<ApiResponse<T>> {
    const url = this.url(path, options.params);
    const timeoutMs = options.timeoutMs ?? this.#timeoutMs;
    const timeout = new AbortController();
    const timer = setTimeout(
      () => timeout.abort(new DOMException("timed out", "TimeoutError")),
      timeoutMs,
    );
    const signal = options.signal
      ? AbortSignal.any([options.signal, timeout.signal])
      : timeout.signal;
    const headers: Record<string, string> = {
      "Accept": "application/json",
      "User-Agent": `ionrun/${VERSION} (Deno ${Deno.version.deno})`,
    };
    if (this.#authorization) headers["Authorization"] = this.#authorization;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const init: RequestInit & { client?: Deno.HttpClient } = {
      method,
      headers,
      redirect: "manual",
      signal,
    };
    if (body !== undefined) init.body = JSON.stringify(body);
    const write = method !== "GET" && method !== "HEAD";
    const client = write ? this.#writeClient : this.#httpClient;
    if (client) init.client = client;

    let response: Response;
    let text: string;
    try {
      response = write && this.#keepAlive
        ? await this.#keepAlive(url, init)
        : await this.#fetch(url, init);
      text = await response.text();
    } catch (error) {
      if (options.signal?.aborted) throw options.signal.reason;
      throw networkError(method, url, error, timeout.signal.aborted, timeoutMs);
    } finally {
      clearTimeout(timer);
    }
    const status = response.status;
    if (status >= 300 && status < 400) {
      throw redirectError(
        method,
        url,
        status,
        response.headers.get("location") ?? "",
      );
    }
    if (status < 200 || status >= 300) {
      const message = serverMessage(
        text,
        response.headers.get("content-type") ?? "",
      );
      throw statusError(
        method,
        redactUrl(url),
        status,
        message,
        this.credentialForm,
        this.user,
      );
    }
    let data: unknown = undefined;
    if (text.trim() !== "") {
      try {
        data = JSON.parse(text);
      } catch {
        throw statusError(
          method,
          redactUrl(url),
          status,
          `answer is not JSON: ${serverMessage(text, "text/html")}`,
          this.credentialForm,
          this.user,
        );
      }
    }
    return { status, data: data as T };
  }

  /** Closes the client's connections. Safe to call twice. */
  close(): void {
    this.#httpClient?.close();
    this.#writeClient?.close();
    this.#keepAlive?.close();
    this.#httpClient = undefined;
    this.#writeClient = undefined;
    this.#keepAlive = undefined;
  }

  /** Same as {@linkcode TsClient.close}, for `using`. */
  [Symbol.dispose](): void {
    this.close();
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
    let pem: string;
    try {
      pem = await Deno.readTextFile(config.caCertFile);
    } catch (error) {
      throw new UsageError(
        `Cannot read TS_CA_CERT file ${config.caCertFile}: ${
          error instanceof Error ? error.message : error
        }`,
      );
    }
    return new TsClient({ ...config, caCert: pem });
  }
  return new TsClient(config);
}

function defaultSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
