// Unit tests of the hints, from errors shaped as Node's TLS layer makes them;
// tests/lib/_http_test.ts meets the same failures over real TLS.

import assert from "node:assert/strict";
import { statusHint, tlsHint } from "../../../lib/http/_hints.ts";

const tlsError = (code: string, extra: Record<string, unknown> = {}) =>
  new Error("fetch failed", {
    cause: Object.assign(new Error(code.toLowerCase()), { code }, extra),
  });
const url = new URL("https://10.0.0.5/");

Deno.test("tlsHint(): self-signed says to set TS_CA_CERT only when it is not set", () => {
  const e = tlsError("DEPTH_ZERO_SELF_SIGNED_CERT");
  assert.match(
    tlsHint(e, { url, caCertFile: null }),
    /^the server's certificate is self-signed: copy the server's \/etc\/ssl\/certs\/ssl-cert-snakeoil\.pem .* set TS_CA_CERT to that copy$/,
  );
  const set = tlsHint(e, { url, caCertFile: "/home/me/ts.pem" });
  assert.match(
    set,
    /^TS_CA_CERT \(\/home\/me\/ts\.pem\) is set but is not this server's certificate/,
  );
  assert.doesNotMatch(set, /set TS_CA_CERT to/);
  assert.match(tlsHint(e, { url }), /if TS_CA_CERT is set already/);
});

Deno.test("tlsHint(): unknown CA, another name, expired, plain HTTP on the HTTPS port", () => {
  assert.match(
    tlsHint(tlsError("UNABLE_TO_VERIFY_LEAF_SIGNATURE"), {
      url,
      caCertFile: null,
    }),
    /signed by a CA this machine does not trust: set TS_CA_CERT to that CA's certificate/,
  );
  assert.match(
    tlsHint(tlsError("UNABLE_TO_VERIFY_LEAF_SIGNATURE"), {
      url,
      caCertFile: "/ca.pem",
    }),
    /^TS_CA_CERT \(\/ca\.pem\) is set but did not sign this server's certificate/,
  );
  assert.equal(
    tlsHint(
      tlsError("ERR_TLS_CERT_ALTNAME_INVALID", {
        cert: { subjectaltname: "DNS:ts.lab.local, IP Address:10.0.0.9" },
      }),
      { url: new URL("https://10.0.0.5:8443/") },
    ),
    "the server's certificate is for ts.lab.local, 10.0.0.9, not 10.0.0.5: use that name, TS_URL=https://ts.lab.local:8443 (add it to /etc/hosts if your DNS does not know it)",
  );
  assert.match(
    tlsHint(tlsError("CERT_HAS_EXPIRED"), { url }),
    /has expired: renew it/,
  );
  assert.equal(
    tlsHint(tlsError("ERR_SSL_WRONG_VERSION_NUMBER"), {
      url: new URL("https://ts:8080/"),
    }),
    "the server answers plain HTTP on port 8080, not HTTPS: use TS_URL=http://ts:8080",
  );
});

Deno.test("statusHint(): a web page's 404, Apache's plain-HTTP-to-SSL page, a gateway's 502; nothing otherwise", () => {
  assert.equal(
    statusHint(
      "https://ts.example.org/report/1/rundb/api/v1/results/",
      404,
      "HTML page: 404 Not Found",
    ),
    "https://ts.example.org/report/1 is not a Torrent Suite API (no /rundb/api/v1/ there): TS_URL must be the server's own address, e.g. https://ts.example.org; drop the path /report/1",
  );
  assert.equal(
    statusHint(
      "http://ts:443/rundb/api/v1/",
      400,
      "HTML page: Bad Request: You're speaking plain HTTP to an SSL-enabled server port.",
    ),
    "the server speaks HTTPS on this port: use TS_URL=https://ts:443",
  );
  assert.match(
    statusHint(
      "https://ts/rundb/api/v1/results/",
      502,
      "HTML page: 502 Bad Gateway",
    ),
    /a proxy or gateway answered, not Torrent Suite/,
  );
  assert.equal(
    statusHint("https://ts/rundb/api/v1/results/", 404, "No such report"),
    "",
  );
});
