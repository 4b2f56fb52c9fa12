// Internals of the run logs: where a run's log is, which of its lines carry
// an error, and what a login page looks like (never taken for a log).

/** The log's file name in a run's output folder. */
export const LOG_FILE = "drmaa_stdout.txt";

/** Lines shown by default. */
export const DEFAULT_LOG_LINES = 40;

/**
 * The URL of a run's log from the URL of its output folder (the run's
 * `URL` field, made absolute).
 *
 * @example
 * ```ts
 * import { runLogUrl } from "./logs.ts";
 * const url = runLogUrl("https://ts/output/Home/R_1_001/plugin_out/igv_out.7/");
 * if (!url.endsWith("/igv_out.7/drmaa_stdout.txt")) throw new Error(url);
 * ```
 *
 * @param runUrl The run's output folder URL.
 * @returns The log's URL.
 */
export function runLogUrl(runUrl: string): string {
  return `${runUrl.replace(/\/?$/, "/")}${LOG_FILE}`;
}

const ERROR_LINE =
  /\b(error|errors|fatal|failed|failure|traceback|exception|killed|exceeded|denied|cannot|could not|no such file|not found|aborted|segmentation fault|oom|out of memory)\b|exit(ed)? (with )?(status|code) [1-9]|^\s*[\w.]*(Error|Exception|Exit)\b:?/i;

/**
 * Whether a log line carries an error (to highlight it): `ERROR: …`,
 * `Traceback …`, `…Error: …`, `exited with status 1`, `killed`, `Timed out`,
 * and the like.
 *
 * @example
 * ```ts
 * import { isErrorLine } from "./logs.ts";
 * if (!isErrorLine("ERROR: tvc exited with status 1")) throw new Error();
 * if (isErrorLine("Merging and annotating VCF files")) throw new Error();
 * ```
 *
 * @param line One line of a log.
 * @returns True when it looks like an error.
 */
export function isErrorLine(line: string): boolean {
  return ERROR_LINE.test(line) &&
    !/ion-plugin-status --state/.test(line);
}

/** Whether an answer is Torrent Suite's (or any) login page. */
function looksLikeLoginPage(body: string, type: string): boolean {
  return /html/i.test(type) &&
    /<form[^>]*(login|signin|sign_in)|name=["']?password|type=["']?password/i
      .test(body);
}

/** An answer to a log request, as far as telling a log from a problem needs. */
interface LogAnswer {
  status: number;
  headers: { get(name: string): string | null };
  body: string;
}

/**
 * Why an answer is not a log, or `null` when it is one: a redirect to the
 * login page or a login form (the password was not accepted: never passed
 * on as a log), no file (404/410), the 500 of a password with a `:`
 * (BasicAuthMiddleware splits on every `:`), another status, or an HTML page
 * (an Apache folder listing: no log in the folder yet).
 */
export function answerProblem(
  answer: LogAnswer,
  who: {
    user: string | undefined;
    password: string | undefined;
    state: string | null;
  },
): { status: "refused" | "no-log" | "failed"; message: string } | null {
  const type = answer.headers.get("content-type") ?? "";
  const location = answer.headers.get("location") ?? "";
  const { status, body } = answer;
  if (
    (status >= 300 && status < 400 && /\/login\b/.test(location)) ||
    (status === 200 && looksLikeLoginPage(body, type))
  ) {
    return {
      status: "refused",
      message:
        `the server sent its login page: the password of user "${who.user}" was not accepted (check TS_USER and TS_PASSWORD)`,
    };
  }
  if (status === 404 || status === 410) {
    return {
      status: "no-log",
      message: who.state === "Failed Validation"
        ? "no log: the run failed validation and never started"
        : "no log on the server (the run never started, or its files were removed)",
    };
  }
  if (status === 500 && who.password?.includes(":")) {
    return {
      status: "failed",
      message:
        "the server answered 500: Torrent Suite's web login fails on a password containing ':' (BasicAuthMiddleware); change the password",
    };
  }
  if (status !== 200 && status !== 206) {
    return { status: "failed", message: `the server answered ${status}` };
  }
  if (/html/i.test(type) || /^\s*<(!doctype|html)/i.test(body)) {
    return {
      status: "no-log",
      message:
        "the server answered an HTML page, not the log (no log in the run's folder yet)",
    };
  }
  return null;
}
