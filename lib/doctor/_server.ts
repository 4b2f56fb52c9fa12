// Internals of the doctor: the first two checks, the server (does the URL
// answer, is it a Torrent Suite API) and TLS (the certificate the server
// presents, against TS_CA_CERT, with the fix for a self-signed one).

import { X509Certificate } from "node:crypto";
import { isIP } from "node:net";
import { connect as tlsConnect } from "node:tls";
import {
  API_PATH,
  redactUrl,
  serverMessage,
  statusError,
  tlsHint,
} from "../http/mod.ts";
import type { Answer, DoctorCheck } from "./check.ts";

const SNAKEOIL = "/etc/ssl/certs/ssl-cert-snakeoil.pem";

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

/** Check 1: the URL answers, and with Torrent Suite's API. */
export function serverCheck(
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

/** Check 2: TLS, and what the server presents when it fails. */
export async function tlsCheck(
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
