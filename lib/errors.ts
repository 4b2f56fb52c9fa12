/**
 * Typed errors thrown by the toolkit. Each carries structured fields so that
 * callers (and the command-line scripts) can react without parsing messages.
 *
 * No error message or field ever contains a password or API key: URLs are
 * redacted before they are stored.
 *
 * @module
 */

/** Options shared by the toolkit's HTTP errors. */
export interface HttpErrorOptions {
  /** HTTP method of the failed request, e.g. `"POST"`. */
  method: string;
  /** Request URL, already redacted (no `api_key` value). */
  url: string;
  /** The underlying error, if any. */
  cause?: unknown;
}

/**
 * The server answered with an HTTP status the caller did not expect.
 *
 * @example Inspect a failed request
 * ```ts
 * import { ApiError } from "./errors.ts";
 * const err = new ApiError("Plugin not launchable", {
 *   method: "POST",
 *   url: "https://ts.example.org/rundb/api/v1/results/7/plugin/",
 *   status: 410,
 * });
 * if (err.status !== 410) throw new Error("unexpected");
 * ```
 */
export class ApiError extends Error {
  /** HTTP method of the failed request. */
  readonly method: string;
  /** Redacted request URL. */
  readonly url: string;
  /** HTTP status code. */
  readonly status: number;
  /** The server's own message (`error` / `error_message`), or a short body excerpt. */
  readonly serverMessage: string;
  /**
   * True for a 500 error page on the client's first contact with the
   * server: Torrent Suite fails every request, so it is not retried.
   */
  readonly firstContact: boolean;

  /**
   * Creates the error.
   *
   * @param message Human-readable summary.
   * @param options Request details and the status.
   */
  constructor(
    message: string,
    options: HttpErrorOptions & {
      status: number;
      serverMessage?: string;
      firstContact?: boolean;
    },
  ) {
    super(message, { cause: options.cause });
    this.name = "ApiError";
    this.method = options.method;
    this.url = options.url;
    this.status = options.status;
    this.serverMessage = options.serverMessage ?? "";
    this.firstContact = options.firstContact ?? false;
  }
}

/**
 * The server refused the credentials (HTTP 401). The message names the
 * credential form that was tried (`ApiKey`, `Basic`, none), never its value.
 */
export class AuthError extends ApiError {
  /** Which credential form was sent: `"apikey"`, `"basic"` or `"none"`. */
  readonly credentialForm: CredentialForm;

  /**
   * Creates the error.
   *
   * @param message Human-readable summary.
   * @param options Request details and the credential form.
   */
  constructor(
    message: string,
    options: HttpErrorOptions & { credentialForm: CredentialForm },
  ) {
    super(message, { ...options, status: 401 });
    this.name = "AuthError";
    this.credentialForm = options.credentialForm;
  }
}

/** The credential form a client sends. */
export type CredentialForm = "apikey" | "basic" | "none";

/**
 * A write request was answered with a redirect. The client never follows
 * redirects on writes: Django's 301 (missing slash) or a force-SSL 302 would
 * turn the POST into a GET that launches nothing.
 */
export class RedirectError extends ApiError {
  /** The `Location` header of the redirect, if any. */
  readonly location: string;

  /**
   * Creates the error.
   *
   * @param message Human-readable summary with the likely reason.
   * @param options Request details, status and target.
   */
  constructor(
    message: string,
    options: HttpErrorOptions & { status: number; location: string },
  ) {
    super(message, options);
    this.name = "RedirectError";
    this.location = options.location;
  }
}

/**
 * A 2xx answer whose body could not be read: an HTML page (a proxy's, a login
 * page) or JSON cut off. For a read it is transient (retried); for a launch
 * the server may have acted on it, so its outcome is unknown.
 */
export class UnreadableAnswerError extends ApiError {
  /** `"html"`, `"truncated"` (cut-off JSON) or `"not-json"`. */
  readonly reason: "html" | "truncated" | "not-json";

  /**
   * Creates the error.
   *
   * @param message What was expected and what came.
   * @param options Request details, status and reason.
   */
  constructor(
    message: string,
    options: HttpErrorOptions & {
      status: number;
      reason: "html" | "truncated" | "not-json";
    },
  ) {
    super(message, options);
    this.name = "UnreadableAnswerError";
    this.reason = options.reason;
  }
}

/**
 * The server's pagination does not make progress: `meta.next` repeats, goes
 * backwards, or runs past `total_count`. Following it would loop forever.
 */
export class PaginationError extends Error {
  /** Redacted URL of the list. */
  readonly url: string;

  /**
   * Creates the error.
   *
   * @param message What the server did.
   * @param options The list's redacted URL.
   */
  constructor(message: string, options: { url: string }) {
    super(message);
    this.name = "PaginationError";
    this.url = options.url;
  }
}

/** What went wrong below HTTP. */
export type NetworkFailure = "timeout" | "connection" | "tls";

/**
 * The request did not get an HTTP answer: timeout, refused or reset
 * connection, TLS failure. For a write, `outcomeUnknown` says whether the
 * server may have acted on it anyway (it must then be reconciled, not
 * blindly retried).
 */
export class NetworkError extends Error {
  /** HTTP method of the failed request. */
  readonly method: string;
  /** Redacted request URL. */
  readonly url: string;
  /** Kind of failure. */
  readonly kind: NetworkFailure;
  /** A hint for the user (e.g. how to trust a private CA), or `""`. */
  readonly hint: string;
  /** True when the server may have received and acted on the request. */
  readonly outcomeUnknown: boolean;

  /**
   * Creates the error.
   *
   * @param message Human-readable summary including the cause.
   * @param options Request details and the failure kind.
   */
  constructor(
    message: string,
    options: HttpErrorOptions & {
      kind: NetworkFailure;
      hint?: string;
      outcomeUnknown?: boolean;
    },
  ) {
    super(message, { cause: options.cause });
    this.name = "NetworkError";
    this.method = options.method;
    this.url = options.url;
    this.kind = options.kind;
    this.hint = options.hint ?? "";
    this.outcomeUnknown = options.outcomeUnknown ?? false;
  }
}

/**
 * The server returned objects that do not match a filter that was sent:
 * Tastypie silently ignores unknown filter names, so the filter was not
 * applied and acting on the list would be wrong.
 */
export class FilterNotAppliedError extends Error {
  /** Name of the query parameter that the server ignored. */
  readonly filter: string;
  /** Redacted URL of the list request. */
  readonly url: string;

  /**
   * Creates the error.
   *
   * @param filter The ignored query parameter.
   * @param url Redacted URL of the list request.
   * @param detail What was seen instead.
   */
  constructor(filter: string, url: string, detail: string) {
    super(
      `Server ignored the filter "${filter}" (${detail}); refusing to use an unfiltered list`,
    );
    this.name = "FilterNotAppliedError";
    this.filter = filter;
    this.url = url;
  }
}

/**
 * A job's journal is in use by another live process: two launchers on one
 * job would launch its pairs twice.
 */
export class JobLockedError extends Error {
  /** Process id of the holder. */
  readonly pid: number;
  /** Its host. */
  readonly host: string;
  /** Since when it holds the lock (ISO). */
  readonly since: string;

  /**
   * Creates the error.
   *
   * @param message What holds it and what to do.
   * @param options The holder.
   */
  constructor(
    message: string,
    options: { pid: number; host: string; since: string },
  ) {
    super(message);
    this.name = "JobLockedError";
    this.pid = options.pid;
    this.host = options.host;
    this.since = options.since;
  }
}

/** The journal could not be written; the message names the file and the flag that moves it. */
export class JournalWriteError extends Error {
  /** The journal's path. */
  readonly path: string;

  /**
   * Creates the error.
   *
   * @param path The journal's path.
   * @param cause The write error.
   */
  constructor(path: string, cause: unknown) {
    const why = cause instanceof Deno.errors.PermissionDenied ||
        cause instanceof Deno.errors.NotCapable
      ? "permission denied"
      : /no space|ENOSPC|os error 28/i.test(String(cause))
      ? "the disk is full"
      : cause instanceof Error
      ? cause.message
      : String(cause);
    super(
      `cannot write the journal ${path}: ${why}; free space or move it with --journal PATH`,
      { cause },
    );
    this.name = "JournalWriteError";
    this.path = path;
  }
}

/** Bad command-line usage or configuration: the scripts exit with code 2. */
export class UsageError extends Error {
  /** Exit code the scripts use for this error. */
  readonly exitCode = 2;

  /**
   * Creates the error.
   *
   * @param message What is wrong and how to fix it.
   */
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** One problem in an input file, reported as `file:line: message`. */
export interface RowProblem {
  /** Input file name as given (`-` for stdin). */
  file: string;
  /** 1-based line number in the file. */
  line: number;
  /** What is wrong. */
  message: string;
}

/**
 * An input file has invalid rows. `problems` lists every one of them, not
 * just the first; the message has one `file:line: message` per line.
 */
export class InputError extends Error {
  /** Exit code the scripts use for this error. */
  readonly exitCode = 2;
  /** Every problem found. */
  readonly problems: readonly RowProblem[];

  /**
   * Creates the error.
   *
   * @param problems Every problem found (at least one).
   */
  constructor(problems: readonly RowProblem[]) {
    super(problems.map(formatProblem).join("\n"));
    this.name = "InputError";
    this.problems = problems;
  }
}

/**
 * Formats a row problem as `file:line: message`.
 *
 * @param problem The problem to format.
 * @returns The formatted line.
 */
export function formatProblem(problem: RowProblem): string {
  return `${problem.file}:${problem.line}: ${problem.message}`;
}
