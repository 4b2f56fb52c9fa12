import assert from "node:assert/strict";
import {
  isSecretKey,
  REDACTED,
  redactObject,
  redactText,
} from "../../lib/redact.ts";

Deno.test("isSecretKey() knows the secret names in their usual spellings", () => {
  for (
    const k of [
      "password",
      "user_password",
      "PASSWD",
      "client_secret",
      "access_token",
      "api_key",
      "api-key",
      "apiKey",
      "APIKEY",
      "credentials",
      "db.password",
    ]
  ) assert.ok(isSecretKey(k), k);
  for (const k of ["server_ip", "user_name", "upload_path", "barcode", "id"]) {
    assert.ok(!isSecretKey(k), k);
  }
  assert.ok(!isSecretKey("pin"));
  assert.ok(isSecretKey("ir_pin", { extraKeys: ["pin"] }));
});

Deno.test("redactObject() redacts secret keys at any depth and keeps the shape", () => {
  const config = {
    "server_ip": "10.20.0.14",
    "user_name": "ionadmin",
    "user_password": "hunter22",
    accounts: [{ name: "ir", token: "tok-999", port: 443 }],
    nested: { deeper: { apiKey: 12345, credential: { any: "thing" } } },
    args: "tool --password pw-in-args --verbose",
    empty: { password: "" },
    none: { password: null },
  };
  const safe = redactObject(config);
  const text = JSON.stringify(safe);
  for (const s of ["hunter22", "tok-999", "12345", "thing", "pw-in-args"]) {
    assert.ok(!text.includes(s), `${s} leaked: ${text}`);
  }
  assert.equal(safe["server_ip"], "10.20.0.14");
  assert.equal(safe.accounts[0]!.port, 443);
  assert.equal(safe.accounts[0]!.token, REDACTED);
  assert.equal(safe.args, "tool --password *** --verbose");
  assert.deepEqual(safe.empty, { password: "" }, "nothing to hide");
  assert.deepEqual(safe.none, { password: null });
  assert.equal(config["user_password"], "hunter22", "the input is untouched");
  assert.deepEqual(redactObject({ pin: 1234 }, { extraKeys: ["pin"] }), {
    pin: REDACTED,
  });
  assert.equal(redactObject("plain"), "plain");
  assert.equal(redactObject(null), null);
});

Deno.test("redactText() redacts values in settings lines, JSON, Python dicts, flags, headers and URLs", () => {
  const cases: [string, string][] = [
    ["  user_password=ionadmin", "  user_password=***"],
    ["password: s3cret", "password: ***"],
    ["DB_PASSWORD: 'two words'", "DB_PASSWORD: '***'"],
    ['export SECRET_TOKEN="x y"', 'export SECRET_TOKEN="***"'],
    [
      '{"token": "ab\\"c", "server": "ts1", "api_key": 42, "x": null}',
      '{"token": "***", "server": "ts1", "api_key": ***, "x": null}',
    ],
    [
      "{'user_password': 'pw', 'user_name': 'ionadmin'}",
      "{'user_password': '***', 'user_name': 'ionadmin'}",
    ],
    [
      "rsync --password pw /data --api-key=k3y -token t",
      "rsync --password *** /data --api-key=*** -token ***",
    ],
    ["Authorization: Basic aW9uOmlvbg==", "Authorization: Basic ***"],
    ["authorization: ApiKey ionuser:abc", "authorization: ApiKey ***"],
    [
      "GET https://ion:pa55@ts/x?api_key=deadbeef&limit=1",
      "GET https://ion:***@ts/x?api_key=***&limit=1",
    ],
    ["client_secret = abc", "client_secret = ***"],
    ["a,b password=1;c", "a,b password=***;c"],
  ];
  for (const [input, expected] of cases) {
    assert.equal(redactText(input), expected, input);
  }
  // Idempotent, and plain text is untouched.
  for (const [, expected] of cases) {
    assert.equal(redactText(expected), expected);
  }
  for (
    const plain of [
      "Please enter a correct username and password.",
      "Authentication failed using a password for user ionuser",
      "tokens counted: 12, reads: 40",
      "[2026-03-01 12:00:00] Running tvc: generating candidate variants",
    ]
  ) assert.equal(redactText(plain), plain);
  assert.equal(redactText("pin=1234", { extraKeys: ["pin"] }), "pin=***");
});
