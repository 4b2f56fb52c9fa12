/**
 * Checks a connection to a Torrent Suite server step by step, the way one
 * would by hand, and says for each failure what to change: the URL answers
 * and is a Torrent Suite API (which version), TLS (the certificate the
 * server presents, against `TS_CA_CERT`), the credentials and their form,
 * reading reports and plugin results (and run logs), the proxy in effect,
 * and the clock against the server's.
 *
 * @module
 */

import {
  API_PATH,
  httpFor,
  permittedEnv,
  readCaCert,
  type Transport,
} from "../http/mod.ts";
import { credentialCheck, proxyCheck, readCheck } from "./_access.ts";
import { basicPasswordProblem } from "../config.ts";
import { serverCheck, tlsCheck } from "./_server.ts";
import { filesCheck } from "./_files.ts";
import type { ConnectionConfig } from "../config.ts";
import type { Answer, DoctorCheck } from "./check.ts";

export type { Answer, CheckStatus, DoctorCheck } from "./check.ts";

/**
 * A check that was not made because an earlier one failed.
 *
 * @param id The check.
 * @param title Its name.
 * @param needs What it needs that failed.
 * @returns The skipped check.
 */
export function skip(
  id: DoctorCheck["id"],
  title: string,
  needs: string,
): DoctorCheck {
  return { id, title, status: "skip", detail: `not checked: needs ${needs}` };
}

/** What {@linkcode runDoctor} found. */
export interface DoctorReport {
  /** The checks, in order. */
  checks: DoctorCheck[];
  /** True when every check passed. */
  ok: boolean;
  /** The server's version (`meta_version`), when it said. */
  version?: string;
}

/** Options of {@linkcode runDoctor}. */
export interface DoctorOptions {
  /** PEM text of `caCertFile`, when already read. */
  caCert?: string;
  /** The HTTP transport; default undici with the CA and the environment's proxy. */
  transport?: Transport;
  /** Local clock in ms, compared with the server's `Date`; default `Date.now`. */
  now?: () => number;
  /** Reads the proxy variables; default the environment (as the client does). */
  getEnv?: (name: string) => string | undefined;
  /** Per-request timeout in ms; default 15 000. */
  timeoutMs?: number;
  /** Largest clock difference that passes, in ms; default 5 minutes. */
  maxSkewMs?: number;
  /** Skip looking at the certificate with a direct TLS connection (tests). */
  inspectCertificate?: boolean;
}

/**
 * Runs the checks against a server, in order, each with a fix when it
 * fails; checks that need an earlier one are skipped when it failed.
 *
 * @example
 * ```ts
 * import { runDoctor } from "./doctor.ts";
 * import { startSimulator } from "../../simulator/mod.ts";
 * await using server = await startSimulator({ reports: 3 });
 * const [user] = server.users;
 * // loadConfig() gives these from TS_URL, TS_USER and TS_API_KEY.
 * const config = { url: server.url, user: user!.username, apiKey: user!.apiKey };
 * const report = await runDoctor(config, { getEnv: () => undefined });
 * for (const c of report.checks) console.log(c.status, c.title, c.detail, c.fix ?? "");
 * if (!report.ok || report.checks.length !== 6) throw new Error();
 * ```
 *
 * @param config Connection settings (those of `loadConfig`).
 * @param options Injections and limits.
 * @returns The checks and whether all passed.
 */
export async function runDoctor(
  config: ConnectionConfig,
  options: DoctorOptions = {},
): Promise<DoctorReport> {
  const getEnv = options.getEnv ?? permittedEnv;
  let caCert = options.caCert;
  if (caCert === undefined) {
    try {
      caCert = await readCaCert(config.caCertFile);
    } catch (error) {
      return failAll(
        (error as Error).message.replace(/^C/, "c"),
        "point TS_CA_CERT at a readable PEM file",
      );
    }
  }
  const http = httpFor({
    ...config,
    purpose: "api",
    caCert,
    caCertFile: config.caCertFile ?? null,
    transport: options.transport,
    getEnv,
    timeoutMs: options.timeoutMs ?? 15_000,
    agent: "doctor",
  });
  const base = http.baseUrl;
  const url = new URL(`${base}/`);
  const proxy = http.proxy;
  const timeoutMs = http.timeoutMs;
  const now = options.now ?? Date.now;
  const send = (path: string, auth: boolean): Promise<Answer> =>
    http.send({
      url: new URL(`${base}${API_PATH}${path}`),
      headers: { Accept: "application/json" },
      auth,
    });
  const checks: DoctorCheck[] = [];
  let version: string | undefined;
  try {
    // 1. The URL answers, and is a Torrent Suite API.
    let top: Answer | undefined;
    let failure: unknown;
    try {
      top = await send("", false);
    } catch (error) {
      failure = error;
    }
    const server = serverCheck(base, top, failure);
    checks.push(server.check);
    if (server.check.status === "pass") {
      try {
        const v = await send("torrentsuite/version/", false);
        const data = v.status === 200 ? JSON.parse(v.body) : undefined;
        version = typeof data?.meta_version === "string"
          ? data.meta_version
          : undefined;
      } catch {
        version = undefined;
      }
      server.check.detail += version
        ? `, version ${version}`
        : " (no torrentsuite/version/: older than 5.4)";
    }
    // 2. TLS.
    checks.push(
      await tlsCheck(url, {
        failure,
        caCert,
        caCertFile: config.caCertFile,
        inspect: options.inspectCertificate ?? proxy === undefined,
        timeoutMs,
      }),
    );
    const reachable = server.check.status === "pass";
    // 3. Credentials.
    let reports: Answer | undefined;
    if (!reachable && basicPasswordProblem(config)) {
      // Why the server answered 500: the password, said as such.
      checks.push(credentialCheck(config, undefined, base));
    } else if (!reachable) {
      checks.push(skip("credentials", "Credentials", "the server"));
    } else {
      reports = await send("results/?limit=1", true).catch(() => undefined);
      checks.push(credentialCheck(config, reports, base));
    }
    // 4. Reading reports and plugin results (and run logs).
    if (checks.at(-1)!.status !== "pass" || !reports) {
      checks.push(skip("read", "Reports and runs", "the credentials"));
    } else {
      checks.push(await readCheck(config, reports, send, base, caCert));
    }
    // 4b. A run's files (downloads), when there is a password to read them.
    if (config.password !== undefined && config.user !== undefined) {
      if (checks.at(-1)!.status !== "pass") {
        checks.push(skip("files", "Output files", "reading runs"));
      } else {
        // The newest run that ran (a queued one has no folder yet).
        const newest = await send("pluginresult/?limit=20&order_by=-id", true)
          .then((a) =>
            (JSON.parse(a.body)?.objects as
              | { URL?: string; state?: string }[]
              | undefined)
              ?.find((r) =>
                r.URL && r.state !== "Queued" && r.state !== "Pending"
              )?.URL
          )
          .catch(() => undefined);
        checks.push(
          await filesCheck(config, base, newest, { caCert, timeoutMs }),
        );
      }
    }
    // 5. Proxy.
    checks.push(proxyCheck(base, proxy, getEnv, failure));
    // 6. Clock.
    const date = top?.headers.get("date");
    if (!top || !date) {
      checks.push(
        top
          ? {
            id: "clock",
            title: "Clock",
            status: "skip",
            detail: "the server sent no Date header to compare with",
          }
          : skip("clock", "Clock", "the server"),
      );
    } else {
      const skew = now() - Date.parse(date);
      const maxSkew = options.maxSkewMs ?? 5 * 60_000;
      const words = `${Math.abs(Math.round(skew / 1000))} s ${
        skew >= 0 ? "ahead of" : "behind"
      } the server`;
      checks.push(
        Math.abs(skew) <= maxSkew
          ? {
            id: "clock",
            title: "Clock",
            status: "pass",
            detail: `this machine's clock is ${words}`,
          }
          : {
            id: "clock",
            title: "Clock",
            status: "fail",
            detail: `this machine's clock is ${words}`,
            fix:
              "set the clock of this machine (or of the server) right, e.g. with NTP (timedatectl set-ntp true): run times, ages and stale runs are reckoned against the server's times",
          },
      );
    }
  } finally {
    if (!options.transport) await http.close();
  }
  return {
    checks,
    ok: checks.every((c) => c.status === "pass"),
    ...(version ? { version } : {}),
  };
}

function failAll(detail: string, fix: string): DoctorReport {
  return {
    ok: false,
    checks: [
      { id: "server", title: "Server", status: "fail", detail, fix },
      skip("tls", "TLS", "TS_CA_CERT"),
      skip("credentials", "Credentials", "the server"),
      skip("read", "Reports and runs", "the credentials"),
      skip("proxy", "Proxy", "the server"),
      skip("clock", "Clock", "the server"),
    ],
  };
}
