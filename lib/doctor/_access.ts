// Internals of the doctor: the credentials and their form, reading reports,
// plugin results and run logs, and the proxy in effect.

import { API_PATH, type GetEnv, redactUrl } from "../http/mod.ts";
import type { Answer, DoctorCheck } from "./check.ts";
import { basicPasswordProblem, type ConnectionConfig } from "../config.ts";
import { createLogReader } from "../status/mod.ts";

/** Check 3: the credentials are accepted, and in which form they went. */
export function credentialCheck(
  config: ConnectionConfig,
  answer: Answer | undefined,
  base: string,
): DoctorCheck {
  const title = "Credentials";
  const form = config.apiKey !== undefined
    ? `an API key for user "${config.user}" (ApiKey header, TS_API_KEY)`
    : config.password !== undefined
    ? `a password for user "${config.user}" (HTTP Basic, TS_PASSWORD)`
    : "none";
  const colon = basicPasswordProblem(config);
  if (colon) {
    return {
      id: "credentials",
      title,
      status: "fail",
      detail: `${form}: ${colon.replace(/: use an API key.*$/, "")}`,
      fix:
        'use an API key (TS_API_KEY, shown on the server at /configure/account/), or a password without ":"',
    };
  }
  if (!answer) {
    return {
      id: "credentials",
      title,
      status: "fail",
      detail: `GET ${base}${API_PATH}results/ got no answer`,
      fix: "see Server above",
    };
  }
  if (answer.status === 401) {
    return {
      id: "credentials",
      title,
      status: "fail",
      detail: `refused (401) using ${form}`,
      fix: config.apiKey !== undefined
        ? `check TS_USER and TS_API_KEY: the key is on the server at ${base}/configure/account/ (log in as ${config.user})`
        : config.password !== undefined
        ? "check TS_USER and TS_PASSWORD (a password with ':' fails on Torrent Suite's Basic login); an API key (TS_API_KEY, from /configure/account/) is preferred"
        : "set TS_USER and TS_API_KEY (the key is on the server at /configure/account/)",
    };
  }
  if (answer.status !== 200) {
    return {
      id: "credentials",
      title,
      status: "fail",
      detail: `GET results/ answered ${answer.status} using ${form}`,
      fix:
        "see the server's answer; TS_URL must be the Torrent Suite server itself",
    };
  }
  return {
    id: "credentials",
    title,
    status: "pass",
    detail: form === "none"
      ? "none sent, and the server let the request in (Torrent Suite logs in requests from the server itself)"
      : `accepted: ${form}${
        config.apiKey !== undefined && config.password !== undefined
          ? "; the password is used only for run logs"
          : ""
      }`,
  };
}

/** Check 4: reports and plugin results can be read (and run logs, with a password). */
export async function readCheck(
  config: ConnectionConfig,
  reports: Answer,
  send: (path: string, auth: boolean) => Promise<Answer>,
  base: string,
  caCert: string | undefined,
): Promise<DoctorCheck> {
  const title = "Reports and runs";
  const count = (a: Answer): number | undefined => {
    try {
      const n = JSON.parse(a.body)?.meta?.total_count;
      return typeof n === "number" ? n : undefined;
    } catch {
      return undefined;
    }
  };
  const nReports = count(reports);
  let runs: Answer | undefined;
  try {
    runs = await send("pluginresult/?limit=1&order_by=-id", true);
  } catch {
    runs = undefined;
  }
  const nRuns = runs && runs.status === 200 ? count(runs) : undefined;
  if (nReports === undefined || nRuns === undefined) {
    return {
      id: "read",
      title,
      status: "fail",
      detail: nReports === undefined
        ? "results/ did not answer a Tastypie list"
        : `pluginresult/ answered ${runs?.status ?? "nothing"}`,
      fix:
        "the user needs read access to reports and plugin results; TS_URL must be the Torrent Suite server",
    };
  }
  let logs = "";
  const newest = JSON.parse(runs!.body).objects?.[0] as
    | { URL?: string; id?: number; pluginName?: string; result?: string }
    | undefined;
  if (config.password === undefined) {
    logs =
      "; run logs need TS_PASSWORD (they are behind the web login, which takes no API key)";
  } else if (newest?.URL) {
    await using reader = await createLogReader({
      url: base,
      user: config.user,
      password: config.password,
      ...(caCert ? { caCert } : {}),
    });
    const log = await reader.tail({
      report: 0,
      plugin: newest.pluginName ?? "",
      id: newest.id ?? null,
      url: new URL(newest.URL, `${base}/`).href,
    }, { lines: 1 });
    if (log.status === "refused") {
      return {
        id: "read",
        title,
        status: "fail",
        detail:
          `can read ${nReports} reports and ${nRuns} plugin results, but run logs: ${log.message}`,
        fix:
          "check TS_USER and TS_PASSWORD (the web login's password, which opens run logs)",
      };
    }
    logs = log.status === "ok" || log.status === "no-log"
      ? "; run logs readable with the password"
      : `; run logs: ${log.message}`;
  }
  return {
    id: "read",
    title,
    status: "pass",
    detail: `can read ${nReports} reports and ${nRuns} plugin results${logs}`,
  };
}

/** Check 5: the proxy in effect (its password hidden). */
export function proxyCheck(
  base: string,
  proxy: string | undefined,
  getEnv: GetEnv,
  failure: unknown,
): DoctorCheck {
  const title = "Proxy";
  const https = base.startsWith("https:");
  const names = [
    https ? "HTTPS_PROXY" : "HTTP_PROXY",
    "ALL_PROXY",
    "NO_PROXY",
  ].flatMap((n) => [n, n.toLowerCase()]).filter((n) => getEnv(n)?.trim());
  if (proxy === undefined) {
    return {
      id: "proxy",
      title,
      status: "pass",
      detail: names.some((n) => /no_proxy/i.test(n)) && names.length > 1
        ? `direct: NO_PROXY (${
          getEnv("NO_PROXY") ?? getEnv("no_proxy")
        }) matches ${new URL(base).hostname}`
        : names.length
        ? `direct (${names.join(", ")} set, none applies to ${
          new URL(base).protocol
        }//)`
        : "direct (no proxy variable set)",
    };
  }
  let shown: string;
  try {
    shown = redactUrl(new URL(proxy)).replace(
      /\/\/([^:@/]+):[^@/]*@/,
      "//$1:***@",
    );
  } catch {
    return {
      id: "proxy",
      title,
      status: "fail",
      detail: `the proxy variable is not a URL`,
      fix: "set it like HTTPS_PROXY=http://proxy.example.org:3128",
    };
  }
  const unreachable = (failure as { kind?: string })?.kind === "connection";
  return unreachable
    ? {
      id: "proxy",
      title,
      status: "fail",
      detail: `through ${shown} (${
        names.filter((n) => !/no_proxy/i.test(n)).join(", ")
      }), and the server did not answer`,
      fix: `check the proxy, or add ${
        new URL(base).hostname
      } to NO_PROXY if the server is on your network`,
    }
    : {
      id: "proxy",
      title,
      status: "pass",
      detail: `through ${shown} (${
        names.filter((n) => !/no_proxy/i.test(n)).join(", ")
      })`,
    };
}
