// Retry policy of the bulk launcher: which failures are transient, which may
// have launched anyway, and how long to wait before the next attempt.

import { ApiError, NetworkError } from "./errors.ts";

/** Failures that retrying cannot fix: 4xx answers and redirects. */
export function isPermanent(error: unknown): boolean {
  if (error instanceof ApiError) {
    return error.status < 500 && error.status !== 408 && error.status !== 429;
  }
  if (error instanceof NetworkError) return error.kind === "tls";
  return !(error instanceof TypeError); // unknown errors are bugs: do not loop
}

/**
 * Failures after which the server may have acted on the request: a timeout or
 * dropped connection after sending, or a 5xx (a proxy may answer 502/504 after
 * the server started the launch). These are reconciled before any retry.
 */
export function mayHaveLaunched(error: unknown): boolean {
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
