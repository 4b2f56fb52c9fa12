// Internals of the HTTP client: hints for the set-up mistakes an error
// reveals (TLS: a certificate for another name, self-signed or from an
// unknown CA with or without TS_CA_CERT, expired, the wrong scheme; and
// error statuses that say TS_URL is not a Torrent Suite API).

import { causeChain, codes, findIn } from "./_causes.ts";

/** What a hint needs to know about the request. */
export interface HintContext {
  /** The request's URL. */
  url: URL;
  /**
   * The CA file the client trusts (`TS_CA_CERT`), `null` when none is set;
   * absent when not known (the hint then covers both cases).
   */
  caCertFile?: string | null;
}

/** Where the API would be for a request URL: the part before `/rundb/api/v1/`. */
function baseOf(url: string): string {
  const u = new URL(url);
  const at = u.pathname.indexOf("/rundb/api/v1/");
  return `${u.origin}${at > 0 ? u.pathname.slice(0, at) : ""}`;
}

/** A hint for an error status that says TS_URL is wrong, or `""`. */
export function statusHint(
  url: string,
  status: number,
  message: string,
): string {
  if (
    /plain HTTP to an SSL-enabled server port|use the HTTPS scheme/i.test(
      message,
    )
  ) {
    const u = new URL(url);
    return `the server speaks HTTPS on this port: use TS_URL=https://${u.host}`;
  }
  if (status === 404 && message.startsWith("HTML page")) {
    const base = baseOf(url);
    const hasPrefix = new URL(base).pathname !== "";
    return `${base} is not a Torrent Suite API (no /rundb/api/v1/ there): TS_URL must be the server's own address, e.g. https://ts.example.org${
      hasPrefix ? `; drop the path ${new URL(base).pathname}` : ""
    }`;
  }
  if (
    (status === 502 || status === 503 || status === 504) &&
    message.startsWith("HTML page")
  ) {
    return "a proxy or gateway answered, not Torrent Suite: the server may be down or restarting, or a proxy setting (HTTPS_PROXY, NO_PROXY) sends TS_URL the wrong way";
  }
  return "";
}

const SNAKEOIL = "/etc/ssl/certs/ssl-cert-snakeoil.pem";

/**
 * The hint for a TLS failure, from the error codes Node's TLS layer (under
 * undici) gives: the certificate is for another name, is self-signed, is
 * signed by an unknown CA, has expired, or the port speaks plain HTTP.
 */
export function tlsHint(
  error: unknown,
  request: HintContext,
): string {
  const all = codes(error);
  const chain = causeChain(error);
  const url = request.url;
  const ca = request.caCertFile;
  const has = (...names: string[]) => names.some((n) => all.includes(n));
  if (
    has("ERR_SSL_WRONG_VERSION_NUMBER", "ERR_SSL_HTTP_REQUEST") ||
    /wrong version number|InvalidContentType|http request|packet length too long|unknown protocol/i
      .test(chain)
  ) {
    return `the server answers plain HTTP on port ${
      url.port || "443"
    }, not HTTPS: use TS_URL=http://${url.host}${
      url.port ? "" : " (or the server's HTTPS address)"
    }`;
  }
  if (
    has("ERR_TLS_CERT_ALTNAME_INVALID") ||
    /altnames|does not match certificate/i.test(chain)
  ) {
    const cert = findIn(error, "cert")?.cert as
      | { subjectaltname?: string; subject?: { CN?: string } }
      | undefined;
    const names = (cert?.subjectaltname ?? "").split(/,\s*/)
      .map((n) => n.replace(/^(DNS|IP Address|IP):/, "")).filter(Boolean);
    if (names.length === 0 && cert?.subject?.CN) names.push(cert.subject.CN);
    const port = url.port ? `:${url.port}` : "";
    return names.length > 0
      ? `the server's certificate is for ${
        names.join(", ")
      }, not ${url.hostname}: use that name, TS_URL=https://${
        names[0]
      }${port} (add it to /etc/hosts if your DNS does not know it)`
      : `the server's certificate is not for ${url.hostname}: use the host name it was made for in TS_URL (doctor.ts shows it)`;
  }
  if (has("CERT_HAS_EXPIRED") || /certificate has expired/i.test(chain)) {
    return "the server's certificate has expired: renew it on the server (sudo make-ssl-cert generate-default-snakeoil --force-overwrite, then restart Apache) and copy it again to TS_CA_CERT; or check this machine's clock";
  }
  if (has("CERT_NOT_YET_VALID") || /not yet valid/i.test(chain)) {
    return "the server's certificate is not valid yet: this machine's clock (or the server's) is wrong";
  }
  const selfSigned = has("DEPTH_ZERO_SELF_SIGNED_CERT") ||
    /self[- ]signed certificate$/i.test(chain);
  const unknownCa = has(
    "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
    "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
    "UNABLE_TO_GET_ISSUER_CERT",
    "SELF_SIGNED_CERT_IN_CHAIN",
  ) ||
    /unable to (verify|get)|UnknownIssuer|self[- ]signed certificate in/i.test(
      chain,
    );
  if (selfSigned) {
    if (ca) {
      return `TS_CA_CERT (${ca}) is set but is not this server's certificate: the server presents another self-signed one; copy the server's ${SNAKEOIL} again and point TS_CA_CERT at that copy (doctor.ts shows both fingerprints)`;
    }
    const set =
      `copy the server's ${SNAKEOIL} (Torrent Suite's self-signed certificate) and set TS_CA_CERT to that copy`;
    return ca === null
      ? `the server's certificate is self-signed: ${set}`
      : `the server's certificate is self-signed and not trusted: ${set}; if TS_CA_CERT is set already, it holds another certificate (doctor.ts compares their fingerprints)`;
  }
  if (unknownCa) {
    if (ca) {
      return `TS_CA_CERT (${ca}) is set but did not sign this server's certificate: give the CA that signed it (or the server's own certificate, e.g. a copy of ${SNAKEOIL}); doctor.ts shows who issued it`;
    }
    const set =
      `set TS_CA_CERT to that CA's certificate (PEM), or to a copy of the server's own certificate (${SNAKEOIL} on a Torrent Suite server)`;
    return ca === null
      ? `the server's certificate is signed by a CA this machine does not trust: ${set}`
      : `the server's certificate is signed by a CA this machine does not trust: ${set}; if TS_CA_CERT is set already, it is not that CA (doctor.ts shows who issued it)`;
  }
  return `if the server uses a self-signed or private-CA certificate, set TS_CA_CERT=/path/to/its-cert.pem (e.g. a copy of the server's ${SNAKEOIL}; an old one without subjectAltName is accepted too, for that exact certificate)`;
}
