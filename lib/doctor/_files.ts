// Check 4b: reading a run's files, as downloads do. Torrent Suite reads an
// API key only under /rundb/api/: the files need the password, by one of two
// paths (/output/, Django: Basic or its session cookie; /auth/output/,
// Apache: Basic only). Whether the server honours Range (206) and sends an
// ETag decides whether a cut download resumes or starts over.

import { httpFor, type TransportResponse } from "../http/mod.ts";
import type { ConnectionConfig } from "../config.ts";
import type { DoctorCheck } from "./check.ts";

/**
 * Fetches the first bytes of one run's log both ways and says which path
 * works, and whether the session cookie, Range and ETag do.
 *
 * @param config Settings with a user and password.
 * @param base The server's base URL.
 * @param runUrl A run's `URL` (path only), or undefined when none ran yet.
 * @param options CA text, timeout.
 * @returns The check.
 */
export async function filesCheck(
  config: ConnectionConfig,
  base: string,
  runUrl: string | undefined,
  options: { caCert?: string | undefined; timeoutMs: number },
): Promise<DoctorCheck> {
  const title = "Output files";
  if (!runUrl) {
    return {
      id: "files",
      title,
      status: "pass",
      detail: "no plugin run on the server yet: nothing to read",
    };
  }
  const http = httpFor({
    ...config,
    purpose: "files",
    caCert: options.caCert,
    caCertFile: config.caCertFile ?? null,
    timeoutMs: options.timeoutMs,
    agent: "doctor",
  });
  const log = `${runUrl.replace(/\/?$/, "/")}drmaa_stdout.txt`;
  const get = (
    path: string,
    headers: Record<string, string>,
    auth: boolean,
  ): Promise<TransportResponse | null> =>
    http.send({ url: new URL(path, `${base}/`), headers, auth }).catch(
      () => null,
    );
  const range = { Range: "bytes=0-63" };
  const ok = (r: TransportResponse | null) =>
    r !== null && (r.status === 200 || r.status === 206);
  const toLogin = (r: TransportResponse | null) =>
    r !== null && r.status >= 300 && r.status < 400 &&
    /\/login\//.test(r.headers.get("location") ?? "");
  try {
    const output = await get(log, range, true);
    const sid = /sessionid=([^;,\s]+)/.exec(
      output?.headers.get("set-cookie") ?? "",
    )?.[1];
    const cookie = sid
      ? await get(log, { ...range, Cookie: `sessionid=${sid}` }, false)
      : null;
    const auth = await get(`/auth${log}`, range, true);
    const best = ok(output) ? output : ok(auth) ? auth : null;
    if (!best) {
      const refused = toLogin(output) || output?.status === 401 ||
        auth?.status === 401;
      return {
        id: "files",
        title,
        // A log that is not there is the run's data (archived, or the run
        // ended before writing), not the set-up: only a refusal fails.
        status: refused ? "fail" : "pass",
        detail: refused
          ? "the server refused the password for a run's files (/output/ and /auth/output/)"
          : `not checked: the newest run's log did not answer (/output/: ${
            output?.status ?? "no answer"
          }, /auth/output/: ${
            auth?.status ?? "no answer"
          }; archived by Data Management?)`,
        ...(refused
          ? { fix: "check TS_USER and TS_PASSWORD (the web login's password)" }
          : {}),
      };
    }
    const paths = [
      ok(output)
        ? `/output/ with the password${
          ok(cookie) ? ", then its session cookie" : " (no session cookie)"
        }`
        : "",
      ok(auth) ? "/auth/output/ with Basic" : "",
    ].filter(Boolean);
    const resumes = best.status === 206 && best.headers.has("etag");
    return {
      id: "files",
      title,
      status: "pass",
      detail: `a run's files read by ${paths.join(" and ")}; ${
        resumes
          ? "Range and ETag honoured: cut downloads resume"
          : `${best.status === 206 ? "Range honoured" : "no Range (200)"}, ${
            best.headers.has("etag") ? "ETag sent" : "no ETag"
          }: a cut download starts over`
      }`,
    };
  } finally {
    await http.close();
  }
}
