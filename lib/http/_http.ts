// Internal helpers of the HTTP client: redaction, error classification and
// server-message extraction. Not part of the public API.

import {
  ApiError,
  AuthError,
  type CredentialForm,
  NetworkError,
  RedirectError,
  UnreadableAnswerError,
} from "../errors.ts";
import { causeChain, codes } from "./_causes.ts";
import { statusHint, tlsHint } from "./_hints.ts";
import { REDACTED, redactQuery } from "../redact.ts";

export { causeChain, tlsHint };

/** An HTTP Basic `Authorization` value (UTF-8, as Django decodes it). */
export function basicAuth(user: string | undefined, password: string): string {
  const bytes = new TextEncoder().encode(`${user}:${password}`);
  return `Basic ${btoa(String.fromCharCode(...bytes))}`;
}

/**
 * The `Authorization` header of a connection's credentials: the API key
 * when there is one (`ApiKey user:key`), else the password (Basic), else
 * none.
 */
export function authorizationFor(
  c: {
    user?: string | undefined;
    apiKey?: string | undefined;
    password?: string | undefined;
  },
): { form: CredentialForm; header: string | undefined } {
  if (c.apiKey !== undefined) {
    return { form: "apikey", header: `ApiKey ${c.user}:${c.apiKey}` };
  }
  if (c.password !== undefined) {
    return { form: "basic", header: basicAuth(c.user, c.password) };
  }
  return { form: "none", header: undefined };
}

/**
 * A URL with its secrets replaced by `[redacted]` (lib/redact.ts's one
 * rule): the values of the query's and the fragment's secret parameters
 * (`isSecretParam`: `api_key`, `password`, `access_token`, `key`, any name
 * with a secret word in it), and the password of its userinfo
 * (`https://user:…@host`, `https://:…@host`). The rest is kept as written.
 */
export function redactUrl(url: string | URL): string {
  const u = new URL(url);
  let head = u.href.slice(0, u.href.length - u.search.length - u.hash.length);
  if (u.password !== "") {
    head = head.replace(`:${u.password}@`, `:${REDACTED}@`);
  }
  const search = u.search && `?${redactQuery(u.search.slice(1))}`;
  const hash = u.hash && `#${redactQuery(u.hash.slice(1))}`;
  return `${head}${search}${hash}`;
}

/**
 * Shortens long comma-separated query values (`id__in=` lists) for messages:
 * `1,2,3,…,79 (72 values)`.
 */
export function shortUrl(url: string): string {
  return url.replace(/=(?:[^&=,]*,){8,}[^&]*/g, (match) => {
    const values = match.slice(1).split(",");
    return `=${values.slice(0, 3).join(",")},…,${
      values.at(-1)
    } (${values.length} values)`;
  });
}

/** Drops the noise Deno's fetch wraps around the cause of a failure. */
function plainCause(chain: string): string {
  const plain = chain
    .replace(/error sending request for url \([^)]*\): /g, "")
    .replace(/client error \(\w+\): /g, "");
  return plain.replace(/^fetch failed: (?=.)/, "");
}

/** Extracts the server's message from an error body. */
export function serverMessage(body: string, contentType: string): string {
  const text = body.trim();
  if (text === "") return "";
  if (contentType.includes("json") || text.startsWith("{")) {
    try {
      const data = JSON.parse(text);
      if (data && typeof data === "object") {
        const msg = (data as Record<string, unknown>).error ??
          (data as Record<string, unknown>).error_message;
        if (typeof msg === "string") return msg;
        if (msg !== undefined) return JSON.stringify(msg);
      }
    } catch {
      // not JSON after all: fall through to the excerpt
    }
  }
  if (contentType.includes("html") || /^<(!doctype|html)/i.test(text)) {
    const title = /<title[^>]*>([^<]*)<\/title>/i.exec(text)?.[1]?.trim();
    const stripped = text.replace(/<(script|style)[\s\S]*?<\/\1>/gi, " ")
      .replace(/<[^>]+>/g, " ").replace(/\s+/g, " ").trim();
    const excerpt = title && !stripped.startsWith(title)
      ? `${title}: ${stripped}`
      : stripped;
    return `HTML page: ${truncate(excerpt, 160)}`;
  }
  return truncate(text.replace(/\s+/g, " "), 200);
}

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** What {@linkcode statusError} needs to know about the request. */
export interface StatusContext {
  /** HTTP method. */
  method: string;
  /** Redacted URL. */
  url: string;
  /** Which credentials were sent. */
  credentialForm: CredentialForm;
  /** The user they were for. */
  user: string | undefined;
  /**
   * True when this is the client's first contact: no request of it has been
   * answered below 500 yet (a 500 page then means the server fails every
   * request, not a passing hiccup).
   */
  firstContact?: boolean;
}

/**
 * Whether an error is a 500 HTML page on the first contact: Django failed
 * before the API answered (a database down, a half-done upgrade, Basic
 * credentials it cannot decode). Retrying with backoff only delays the
 * explanation.
 */
export function isFirstContactPage(error: unknown): boolean {
  return error instanceof ApiError && error.firstContact;
}

/** Builds the typed error for a non-2xx, non-3xx answer. */
export function statusError(
  request: StatusContext,
  answer: { status: number; message: string },
): ApiError {
  const { method, url, credentialForm, user } = request;
  const { status, message } = answer;
  if (status === 401) {
    const tried = credentialForm === "apikey"
      ? `an API key for user "${user}" (check TS_USER and TS_API_KEY)`
      : credentialForm === "basic"
      ? `a password for user "${user}" (check TS_USER and TS_PASSWORD)`
      : "no credentials (set TS_USER and TS_API_KEY, or TS_PASSWORD)";
    return new AuthError(
      `Authentication failed: ${method} ${
        shortUrl(url)
      } answered 401 using ${tried}`,
      { method, url, credentialForm },
    );
  }
  const reason = STATUS_TEXT[status] ?? "error";
  const detail = message === "" ? "" : `: ${message}`;
  const first = request.firstContact === true && status === 500 &&
    message.startsWith("HTML page");
  const hint = first
    ? firstContactHint(credentialForm)
    : statusHint(url, status, message);
  return new ApiError(
    `${method} ${shortUrl(url)} failed with ${status} ${reason}${detail}${
      hint ? ` (hint: ${hint})` : ""
    }`,
    { method, url, status, serverMessage: message, firstContact: first },
  );
}

/** What a Django error page on the very first request means. */
function firstContactHint(form: CredentialForm): string {
  const basic = form === "basic"
    ? "with TS_PASSWORD, a password Django cannot decode over Basic breaks every request (use TS_API_KEY instead); otherwise "
    : "";
  return `the very first request got Django's error page, so Torrent Suite itself is failing, not the network, and retrying will not help: ${basic}the server is broken (its database, a half-finished upgrade); its admin finds the cause in the server's Apache and Django logs, and \`ionrun doctor\` shows what still answers`;
}

const STATUS_TEXT: Record<number, string> = {
  400: "Bad Request",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  410: "Gone",
  414: "Request-URI Too Long",
  500: "Internal Server Error",
  501: "Not Implemented",
  502: "Bad Gateway",
  503: "Service Unavailable",
  504: "Gateway Timeout",
};

/**
 * Builds the error for a 2xx answer whose body is not JSON: an HTML page (a
 * proxy's, the login page) or JSON cut off in the middle. The request may
 * well have been handled: a launch so answered is in doubt, not failed.
 */
export function unreadableAnswer(
  request: StatusContext,
  answer: { status: number; text: string; contentType: string; error: unknown },
): UnreadableAnswerError {
  const { method, url } = request;
  const text = answer.text.trim();
  const html = answer.contentType.includes("html") || text.startsWith("<");
  const cutOff = !html && /^[{[]/.test(text) &&
    /end of (JSON )?(data|input)|unterminated|unexpected end/i.test(
      String((answer.error as Error)?.message ?? answer.error),
    );
  const reason = html ? "html" : cutOff ? "truncated" : "not-json";
  const what = html
    ? `the server answered an HTML page (${
      serverMessage(text, "text/html")
    }), not the API's JSON: is TS_URL the Torrent Suite server itself? (a login page of a proxy or single sign-on answers like this)`
    : cutOff
    ? "the answer was cut off (incomplete JSON)"
    : `the answer is not JSON (${serverMessage(text, "text/plain")})`;
  return new UnreadableAnswerError(
    `${method} ${shortUrl(url)} answered ${answer.status}, but ${what}`,
    { method, url, status: answer.status, reason },
  );
}

/** Builds the error for a redirect, naming the likely cause. */
export function redirectError(
  request: { method: string; url: URL },
  answer: { status: number; location: string },
): RedirectError {
  const { method, url } = request;
  const { status, location } = answer;
  const redacted = redactUrl(url);
  let why = "the toolkit never follows redirects on API calls";
  let target: URL | undefined;
  try {
    target = new URL(location, url);
  } catch {
    target = undefined;
  }
  if (target && target.pathname === `${url.pathname}/`) {
    why =
      "the URL lacks its trailing slash (a followed POST would become a GET and launch nothing)";
  } else if (url.protocol === "http:" && target?.protocol === "https:") {
    why = `the server redirects http to https: set TS_URL=https://${url.host}`;
  } else if (target && /\/login\b/.test(target.pathname)) {
    why = "the server sent the login page: check TS_URL and the credentials";
  }
  return new RedirectError(
    `${method} ${shortUrl(redacted)} was redirected (${status}) to ${
      target ? shortUrl(redactUrl(target)) : location
    }: ${why}`,
    { method, url: redacted, status, location },
  );
}

// Failures before a byte of the request went out: nothing reached the
// server, so even a launch is safe to send again.
const NOT_SENT =
  /^(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|EAI_NONAME|EHOSTUNREACH|ENETUNREACH|EADDRNOTAVAIL|UND_ERR_CONNECT_TIMEOUT)$/;
const TLS_CODE =
  /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|ERR_TLS|ERR_SSL|DEPTH_ZERO/;

/** What {@linkcode networkError} needs to know about the request. */
export interface NetworkContext {
  /** HTTP method. */
  method: string;
  /** The URL requested. */
  url: URL;
  /** The client's timer fired. */
  timedOut: boolean;
  /** The request timeout, in ms. */
  timeoutMs: number;
  /**
   * The CA file the client trusts (`TS_CA_CERT`), `null` when none is set;
   * absent when not known (the hint then covers both cases).
   */
  caCertFile?: string | null;
}

/**
 * Converts a transport's rejection into a NetworkError with a useful hint.
 * For a write, `outcomeUnknown` is true unless the failure certainly came
 * before the request was sent (refused, unknown host, TLS).
 */
export function networkError(
  error: unknown,
  request: NetworkContext,
): NetworkError {
  const { method, url, timedOut, timeoutMs } = request;
  const redacted = redactUrl(url);
  const short = shortUrl(redacted);
  const isWrite = method !== "GET" && method !== "HEAD";
  if (timedOut) {
    return new NetworkError(
      `${method} ${short} timed out after ${timeoutMs / 1000} s`,
      {
        method,
        url: redacted,
        kind: "timeout",
        outcomeUnknown: isWrite,
        cause: error,
        hint:
          "the server did not answer in time: it may be busy (raise --request-timeout), or TS_URL points at a machine that accepts connections but is not Torrent Suite",
      },
    );
  }
  const chain = plainCause(causeChain(error));
  const errorCodes = codes(error);
  if (
    errorCodes.some((c) => TLS_CODE.test(c)) ||
    /certificate|tls|ssl|handshake|wrong version number/i.test(chain)
  ) {
    return new NetworkError(
      `${method} ${short}: TLS failed: ${chain}`,
      {
        method,
        url: redacted,
        kind: "tls",
        cause: error,
        hint: tlsHint(error, request),
      },
    );
  }
  const refused = errorCodes.some((c) => NOT_SENT.test(c)) ||
    /refused|os error 111|dns|lookup|resolve/i.test(chain);
  const https = url.protocol === "https:";
  const port = url.port || (https ? "443" : "80");
  const hint =
    /does not match the HTTP\/1\.1 protocol|invalid HTTP version|HPE_INVALID_CONSTANT|Parse Error/i
        .test(chain) && !https
      ? `the server speaks HTTPS (TLS) on port ${port}, not plain HTTP: use TS_URL=https://${url.host}`
      : errorCodes.includes("ECONNREFUSED") ||
          /refused|os error 111/i.test(chain)
      ? `nothing listens on ${url.hostname} port ${port}: check TS_URL (Torrent Suite answers on 443 for https://, 80 for http://) and that the server is up`
      : errorCodes.some((c) => /ENOTFOUND|EAI_AGAIN|EAI_NONAME/.test(c)) ||
          /dns|lookup|resolve|getaddrinfo/i.test(chain)
      ? `the host name ${url.hostname} is unknown here: check TS_URL (or use the server's IP address)`
      : errorCodes.includes("UND_ERR_CONNECT_TIMEOUT") ||
          /connect timeout/i.test(chain)
      ? `no connection to ${url.hostname} port ${port}: a firewall, a wrong address or a wrong port in TS_URL${
        https ? " (or the port serves plain HTTP: try http://)" : ""
      }`
      : refused
      ? "check TS_URL and that the server is reachable"
      : "";
  return new NetworkError(
    `${method} ${short}: ${
      refused ? "cannot connect" : "connection failed"
    }: ${chain}`,
    {
      method,
      url: redacted,
      kind: "connection",
      outcomeUnknown: isWrite && !refused,
      cause: error,
      hint,
    },
  );
}
