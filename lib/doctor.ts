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

import { X509Certificate } from "node:crypto";
import { connect as tlsConnect } from "node:tls";
import { isIP } from "node:net";
import {
  networkError,
  redactUrl,
  serverMessage,
  statusError,
  tlsHint,
} from "./_http.ts";
import { type GetEnv, permittedEnv, proxyFor } from "./_proxy.ts";
import { undiciTransport } from "./_undici.ts";
import { API_PATH } from "./client.ts";
import { type ConnectionConfig, normalizeServerUrl } from "./config.ts";
import { createLogReader } from "./logs.ts";
import type { Transport, TransportResponse } from "./transport.ts";
import { VERSION } from "./version.ts";

/** How a check went: `skip` when an earlier failure makes it meaningless. */
export type CheckStatus = "pass" | "fail" | "skip";

/** One check of {@linkcode runDoctor}. */
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

interface Answer {
  status: number;
  headers: Headers;
  body: string;
}

const SNAKEOIL = "/etc/ssl/certs/ssl-cert-snakeoil.pem";

/**
 * Runs the checks against a server, in order, each with a fix when it
 * fails; checks that need an earlier one are skipped when it failed.
 *
 * @example
 * ```ts ignore
 * import { loadConfig } from "./config.ts";
 * import { runDoctor } from "./doctor.ts";
 * const report = await runDoctor(await loadConfig());
 * for (const c of report.checks) console.log(c.status, c.title, c.detail, c.fix ?? "");
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
  const base = normalizeServerUrl(config.url);
  const url = new URL(`${base}/`);
  const getEnv = options.getEnv ?? permittedEnv;
  const proxy = proxyFor(base, getEnv);
  let caCert = options.caCert;
  if (caCert === undefined && config.caCertFile !== undefined) {
    try {
      caCert = await Deno.readTextFile(config.caCertFile);
    } catch (error) {
      return failAll(
        `cannot read TS_CA_CERT file ${config.caCertFile}: ${
          error instanceof Error ? error.message : error
        }`,
        "point TS_CA_CERT at a readable PEM file",
      );
    }
  }
  const transport = options.transport ??
    undiciTransport({ caCert, proxy });
  const timeoutMs = options.timeoutMs ?? 15_000;
  const now = options.now ?? Date.now;
  const authorization = config.apiKey !== undefined
    ? `ApiKey ${config.user}:${config.apiKey}`
    : config.password !== undefined
    ? `Basic ${
      btoa(String.fromCharCode(
        ...new TextEncoder().encode(`${config.user}:${config.password}`),
      ))
    }`
    : undefined;
  const send = async (
    path: string,
    auth: boolean,
  ): Promise<Answer> => {
    const target = new URL(`${base}${API_PATH}${path}`);
    const headers: Record<string, string> = {
      Accept: "application/json",
      "User-Agent": `ionrun/${VERSION} doctor (Deno ${Deno.version.deno})`,
    };
    if (auth && authorization) headers.Authorization = authorization;
    const signal = AbortSignal.timeout(timeoutMs);
    try {
      const r: TransportResponse = await transport.send({
        method: "GET",
        url: target,
        headers,
        signal,
      });
      return r;
    } catch (error) {
      throw networkError(error, {
        method: "GET",
        url: target,
        timedOut: signal.aborted,
        timeoutMs,
        caCertFile: config.caCertFile ?? null,
      });
    }
  };
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
    if (!reachable) {
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
    if (!options.transport) await transport.close();
  }
  return {
    checks,
    ok: checks.every((c) => c.status === "pass"),
    ...(version ? { version } : {}),
  };
}

function skip(
  id: DoctorCheck["id"],
  title: string,
  needs: string,
): DoctorCheck {
  return { id, title, status: "skip", detail: `not checked: needs ${needs}` };
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

/** Whether the top level of the API lists the resources Torrent Suite has. */
function isTsTopLevel(body: string): boolean {
  try {
    const data = JSON.parse(body);
    return data !== null && typeof data === "object" &&
      "results" in data && "pluginresult" in data && "plugin" in data;
  } catch {
    return false;
  }
}

function serverCheck(
  base: string,
  top: Answer | undefined,
  failure: unknown,
): { check: DoctorCheck } {
  const title = "Server";
  if (!top) {
    const e = failure as { message?: string; hint?: string; kind?: string };
    return {
      check: {
        id: "server",
        title,
        status: "fail",
        detail: `no answer from ${base}: ${e?.message ?? String(failure)}`,
        fix: e?.kind === "tls"
          ? "see TLS below"
          : e?.hint || "check TS_URL and that the server is reachable",
      },
    };
  }
  const api = `${base}${API_PATH}`;
  if (top.status >= 300 && top.status < 400) {
    const location = top.headers.get("location") ?? "";
    const toHttps = base.startsWith("http:") && location.startsWith("https:");
    return {
      check: {
        id: "server",
        title,
        status: "fail",
        detail: `${api} redirects (${top.status}) to ${
          redactUrl(new URL(location, api))
        }`,
        fix: toHttps
          ? `the server wants HTTPS: TS_URL=${base.replace(/^http:/, "https:")}`
          : /\/login\b/.test(location)
          ? "that is a login page, not the API: TS_URL must be the Torrent Suite server's own address"
          : "TS_URL must be the Torrent Suite server's own address (redirects are never followed)",
      },
    };
  }
  if (top.status !== 200 || !isTsTopLevel(top.body)) {
    const what = top.status === 200
      ? `answers, but not with Torrent Suite's API (${
        serverMessage(top.body, top.headers.get("content-type") ?? "") ||
        "an empty page"
      })`
      : statusError({
        method: "GET",
        url: api,
        credentialForm: "none",
        user: undefined,
      }, {
        status: top.status,
        message: serverMessage(
          top.body,
          top.headers.get("content-type") ?? "",
        ),
      }).message;
    return {
      check: {
        id: "server",
        title,
        status: "fail",
        detail: `${base} ${what}`,
        fix:
          "TS_URL must be the Torrent Suite server's address, e.g. https://ts.example.org (the API is at /rundb/api/v1/ under it; no path of a web page)",
      },
    };
  }
  return {
    check: {
      id: "server",
      title,
      status: "pass",
      detail: `${base} answers: a Torrent Suite API`,
    },
  };
}

interface PeerCertificate {
  subject: string;
  issuer: string;
  names: string[];
  fingerprint: string;
  validTo: string;
  selfSigned: boolean;
}

/** The certificate the server presents, read with checks off (only to describe it). */
function peerCertificate(
  url: URL,
  timeoutMs: number,
): Promise<PeerCertificate | undefined> {
  return new Promise((resolve) => {
    const host = url.hostname.replace(/^\[|\]$/g, "");
    const socket = tlsConnect({
      host,
      port: Number(url.port || 443),
      ...(isIP(host) ? {} : { servername: host }),
      rejectUnauthorized: false,
    }, () => {
      const c = socket.getPeerCertificate();
      const dn = (o: Record<string, unknown> | undefined) =>
        Object.entries(o ?? {}).map(([k, v]) => `${k}=${v}`).join(", ");
      resolve(
        c && c.fingerprint256
          ? {
            subject: dn(c.subject as unknown as Record<string, unknown>),
            issuer: dn(c.issuer as unknown as Record<string, unknown>),
            names: (c.subjectaltname ?? "").split(/,\s*/).map((n) =>
              n.replace(/^(DNS|IP Address|IP):/, "")
            ).filter(Boolean),
            fingerprint: c.fingerprint256,
            validTo: c.valid_to,
            selfSigned: dn(c.subject as unknown as Record<string, unknown>) ===
              dn(c.issuer as unknown as Record<string, unknown>),
          }
          : undefined,
      );
      socket.end();
    });
    socket.setTimeout(timeoutMs, () => {
      socket.destroy();
      resolve(undefined);
    });
    socket.on("error", () => resolve(undefined));
  });
}

/** SHA-256 fingerprints of the certificates in a PEM text. */
function fingerprints(pem: string): string[] {
  return (pem.match(
    /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g,
  ) ?? []).flatMap((block) => {
    try {
      return [new X509Certificate(block).fingerprint256];
    } catch {
      return [];
    }
  });
}

async function tlsCheck(
  url: URL,
  o: {
    failure: unknown;
    caCert: string | undefined;
    caCertFile: string | undefined;
    inspect: boolean;
    timeoutMs: number;
  },
): Promise<DoctorCheck> {
  const title = "TLS";
  if (url.protocol === "http:") {
    const spokeTls = (o.failure as { hint?: string })?.hint?.includes(
      "speaks HTTPS",
    );
    return spokeTls
      ? {
        id: "tls",
        title,
        status: "fail",
        detail: "TS_URL says http://, but the server speaks HTTPS there",
        fix: `use TS_URL=https://${url.host}`,
      }
      : {
        id: "tls",
        title,
        status: "pass",
        detail:
          "not used (http://): the API key or password travels unencrypted; Torrent Suite also serves https://",
      };
  }
  const failure = o.failure as {
    kind?: string;
    message?: string;
    cause?: unknown;
  } | undefined;
  const tlsFailed = failure?.kind === "tls";
  const cert = o.inspect ? await peerCertificate(url, o.timeoutMs) : undefined;
  const trusted = o.caCertFile
    ? `TS_CA_CERT (${o.caCertFile})`
    : o.caCert
    ? "the CA certificate given"
    : "this machine's certificate authorities";
  const described = cert
    ? `the server presents ${cert.subject || "a certificate"}${
      cert.names.length
        ? ` for ${cert.names.join(", ")}`
        : " (no subjectAltName)"
    }, ${
      cert.selfSigned ? "self-signed" : `issued by ${cert.issuer}`
    }, valid until ${cert.validTo}, SHA-256 ${cert.fingerprint}`
    : "";
  if (!tlsFailed) {
    if (failure) {
      return {
        id: "tls",
        title,
        status: "skip",
        detail: "not checked: the server did not answer",
      };
    }
    return {
      id: "tls",
      title,
      status: "pass",
      detail: `verified against ${trusted}${described ? `; ${described}` : ""}`,
    };
  }
  const held = o.caCert ? fingerprints(o.caCert) : [];
  const facts = [
    described,
    o.caCertFile
      ? `TS_CA_CERT holds ${
        held.length
          ? held.map((f) => `SHA-256 ${f}`).join(", ")
          : "no certificate"
      }${
        cert && held.includes(cert.fingerprint) ? " (the same certificate)" : ""
      }`
      : "TS_CA_CERT is not set",
  ].filter(Boolean).join("; ");
  return {
    id: "tls",
    title,
    status: "fail",
    detail: `${failure?.message ?? "TLS failed"}${facts ? `; ${facts}` : ""}`,
    fix: tlsHint(failure?.cause, {
      url,
      caCertFile: o.caCertFile ?? null,
    }) + (cert?.selfSigned && !o.caCertFile
      ? ` (check that the copy's fingerprint is ${cert.fingerprint}: openssl x509 -noout -fingerprint -sha256 -in ${
        SNAKEOIL.split("/").pop()
      })`
      : ""),
  };
}

function credentialCheck(
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

async function readCheck(
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

function proxyCheck(
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
