// Internals of the doctor: what a check is, and the answer it looks at.

/** How a check went: `skip` when an earlier failure makes it meaningless. */
export type CheckStatus = "pass" | "fail" | "skip";

/** One check of `runDoctor`. */
export interface DoctorCheck {
  /** Stable id: `server`, `tls`, `credentials`, `read`, `proxy`, `clock`. */
  id: "server" | "tls" | "credentials" | "read" | "proxy" | "clock";
  /** Short name for the checklist. */
  title: string;
  /** How it went. */
  status: CheckStatus;
  /** What was found (never a secret). */
  detail: string;
  /** What to do about a failure. */
  fix?: string;
}

/** An answer, as the checks read it. */
export interface Answer {
  status: number;
  headers: Headers;
  body: string;
}

/** A check that was not made because an earlier one failed. */
export function skip(
  id: DoctorCheck["id"],
  title: string,
  needs: string,
): DoctorCheck {
  return { id, title, status: "skip", detail: `not checked: needs ${needs}` };
}
