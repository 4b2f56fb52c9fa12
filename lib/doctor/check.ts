/**
 * What a doctor check is: its result, and the answers checks read. Its own
 * file so that the checks (`_access.ts`, `_server.ts`) and `doctor.ts`,
 * which runs them, all import it without importing each other.
 *
 * @module
 */

import type { TransportResponse } from "../http/mod.ts";

/** How a check went: `skip` when an earlier failure makes it meaningless. */
export type CheckStatus = "pass" | "fail" | "skip";

/** One check of {@linkcode runDoctor}. */
export interface DoctorCheck {
  /**
   * Stable id: `server`, `tls`, `credentials`, `read`, `files` (only with a
   * password: the run files downloads read), `proxy`, `clock`.
   */
  id: "server" | "tls" | "credentials" | "read" | "files" | "proxy" | "clock";
  /** Short name for the checklist. */
  title: string;
  /** How it went. */
  status: CheckStatus;
  /** What was found (never a secret). */
  detail: string;
  /** What to do about a failure. */
  fix?: string;
}

/** An answer, as the checks read it (body read in full). */
export type Answer = TransportResponse;
