// Retry policy of the bulk launcher: which failures are transient, which may
// have launched anyway, and how long to wait before the next attempt.

import { ApiError, NetworkError, UnreadableAnswerError } from "../errors.ts";

/**
 * Failures that retrying cannot fix: 4xx answers, redirects, TLS, bugs. An
 * unreadable 2xx answer, a 5xx, 408, 429 and network errors are transient.
 */
export function isPermanent(error: unknown): boolean {
  if (error instanceof UnreadableAnswerError) return false;
  if (error instanceof ApiError) {
    return error.status < 500 && error.status !== 408 && error.status !== 429;
  }
  if (error instanceof NetworkError) return error.kind === "tls";
  return true; // anything else is a bug (or an abort): do not loop
}

/**
 * Failures after which the server may have acted on the request: a timeout or
 * dropped connection after sending, a 5xx (a proxy may answer 502/504 after
 * the server started the launch), or an unreadable 2xx answer. A launch so
 * failed is in doubt: never sent again blindly, settled from the server.
 */
export function mayHaveLaunched(error: unknown): boolean {
  if (error instanceof UnreadableAnswerError) return true;
  if (error instanceof NetworkError) return error.outcomeUnknown;
  if (error instanceof ApiError) return error.status >= 500;
  return true;
}

/** Exponential backoff with full jitter: a delay in [base·2ⁿ/2, base·2ⁿ]. */
export function backoffMs(
  attempt: number,
  baseMs: number,
  random: () => number,
): number {
  const cap = Math.min(baseMs * 2 ** attempt, 60_000);
  return Math.round(cap / 2 + random() * cap / 2);
}

/** How transient failures are retried. */
export interface RetryPolicy {
  /** Retries after the first attempt. */
  retries: number;
  /** First delay in ms; it doubles each time, with jitter. */
  baseDelayMs: number;
  /** Random source for the jitter. */
  random: () => number;
}

/** Waits `ms`; an abort of `signal` rejects with its reason at once. */
export function abortableSleep(
  ms: number,
  signal?: AbortSignal,
): Promise<void> {
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
