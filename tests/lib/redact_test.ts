import assert from "node:assert/strict";
import {
  isSecretKey,
  isSecretParam,
  redactConfig,
  REDACTED,
  redactObject,
  redactQuery,
  redactText,
  SECRET_KEY_PATTERN,
} from "../../lib/redact.ts";

const R = REDACTED;

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

Deno.test("redactConfig() redacts secret keys at any depth and keeps the shape", () => {
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
  const safe = redactConfig(config);
  const text = JSON.stringify(safe);
  for (const s of ["hunter22", "tok-999", "12345", "thing", "pw-in-args"]) {
    assert.ok(!text.includes(s), `${s} leaked: ${text}`);
  }
  assert.equal(safe["server_ip"], "10.20.0.14");
  assert.equal(safe.accounts[0]!.port, 443);
  assert.equal(safe.accounts[0]!.token, REDACTED);
  assert.equal(safe.args, `tool --password ${R} --verbose`);
  assert.deepEqual(safe.empty, { password: "" }, "nothing to hide");
  assert.deepEqual(safe.none, { password: null });
  assert.equal(config["user_password"], "hunter22", "the input is untouched");
  assert.deepEqual(redactConfig({ pin: 1234 }, { extraKeys: ["pin"] }), {
    pin: REDACTED,
  });
  assert.equal(redactConfig("plain"), "plain");
  assert.equal(redactConfig(null), null);
  assert.deepEqual(redactObject(config), safe, "the old name does the same");
});

Deno.test("redactText() redacts values in settings lines, JSON, Python dicts, flags, headers and URLs", () => {
  const cases: [string, string][] = [
    ["  user_password=ionadmin", `  user_password=${R}`],
    ["password: s3cret", `password: ${R}`],
    ["DB_PASSWORD: 'two words'", `DB_PASSWORD: '${R}'`],
    ['export SECRET_TOKEN="x y"', `export SECRET_TOKEN="${R}"`],
    [
      '{"token": "ab\\"c", "server": "ts1", "api_key": 42, "x": null}',
      `{"token": "${R}", "server": "ts1", "api_key": ${R}, "x": null}`,
    ],
    [
      "{'user_password': 'pw', 'user_name': 'ionadmin'}",
      `{'user_password': '${R}', 'user_name': 'ionadmin'}`,
    ],
    [
      "rsync --password pw /data --api-key=k3y -token t",
      `rsync --password ${R} /data --api-key=${R} -token ${R}`,
    ],
    ["Authorization: Basic aW9uOmlvbg==", `Authorization: Basic ${R}`],
    ["authorization: ApiKey ionuser:abc", `authorization: ApiKey ${R}`],
    [
      "GET https://ion:pa55@ts/x?api_key=deadbeef&limit=1",
      `GET https://ion:${R}@ts/x?api_key=${R}&limit=1`,
    ],
    ["client_secret = abc", `client_secret = ${R}`],
    ["a,b password=1;c", `a,b password=${R};c`],
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
  assert.equal(redactText("pin=1234", { extraKeys: ["pin"] }), `pin=${R}`);
});

Deno.test("SECRET_KEY_PATTERN is the default rule: the secret words anywhere in a name, any case", () => {
  for (
    const k of [
      "user_password",
      "PASSWD",
      "clientSecret",
      "x_token_y",
      "api_key",
      "api-key",
      "ApiKey",
      "Credentials",
    ]
  ) {
    assert.ok(SECRET_KEY_PATTERN.test(k), k);
    assert.ok(isSecretKey(k), `${k}: isSecretKey follows the same rule`);
  }
  for (const k of ["server_ip", "user_name", "key", "api", "pass"]) {
    assert.ok(!SECRET_KEY_PATTERN.test(k), k);
    assert.ok(!isSecretKey(k), k);
  }
});

Deno.test("redactText() replaces known secrets wherever they stand, as given or URL-encoded", () => {
  const password = "Hunter2!x y";
  const apiKey = "0123456789abcdef0123456789abcdef01234567";
  const log = [
    `connecting as ionuser with ${password}`,
    `curl -u ionuser:${password} https://ts/`,
    `GET /rundb/api/v1/results/?api_key=${apiKey}`,
    `GET /x?pw=${encodeURIComponent(password)}`,
    `  key is ${apiKey}.`,
  ].join("\n");
  const safe = redactText(log, { secrets: [password, apiKey, undefined, ""] });
  for (const s of [password, encodeURIComponent(password), apiKey]) {
    assert.ok(!safe.includes(s), `${s} leaked:\n${safe}`);
  }
  assert.equal(
    safe,
    [
      `connecting as ionuser with ${R}`,
      `curl -u ionuser:${R} https://ts/`,
      `GET /rundb/api/v1/results/?api_key=${R}`,
      `GET /x?pw=${R}`,
      `  key is ${R}.`,
    ].join("\n"),
  );
  assert.equal(redactText(safe, { secrets: [password] }), safe, "idempotent");
  // Known secrets inside a config's plain values too.
  assert.deepEqual(
    redactConfig({ note: `pw ${password}` }, { secrets: [password] }),
    { note: `pw ${R}` },
  );
  // No secrets given: plain text is untouched.
  assert.equal(redactText("key is 42", { secrets: [] }), "key is 42");
});

Deno.test("redactText() hides the secret query values of URLs in free text, whole", () => {
  const cases: [string, string][] = [
    // A server error quoting the request URL: the whole value, commas too.
    [
      '{"error": "GET https://ts/rundb/api/v1/results/?username=ionuser&api_key=abc,def failed"}',
      `{"error": "GET https://ts/rundb/api/v1/results/?username=ionuser&api_key=${R} failed"}`,
    ],
    // `key` is a secret in a query (not in "key is 42"), and so is a
    // fragment's token; the user name and other parameters stay.
    [
      "proxy log: GET /maps?key=AIza-123&limit=5 200",
      `proxy log: GET /maps?key=${R}&limit=5 200`,
    ],
    [
      "redirected to https://sso/cb#access_token=ey.J9;x&state=7",
      `redirected to https://sso/cb#access_token=${R};x&state=7`,
    ],
    ["GET /x/?Api-Key=k1%2Ck2 HTTP/1.1", `GET /x/?Api-Key=${R} HTTP/1.1`],
    [
      "GET /x/?auth%5Bpassword%5D=pw&page=2",
      `GET /x/?auth%5Bpassword%5D=${R}&page=2`,
    ],
    // Userinfo without a user name, and a password holding an `@`.
    ["proxy http://:pa55@proxy:3128/", `proxy http://:${R}@proxy:3128/`],
    ["https://ion:p@ss@ts/x", `https://ion:${R}@ts/x`],
  ];
  for (const [input, expected] of cases) {
    assert.equal(redactText(input), expected, input);
    assert.equal(redactText(expected), expected, `idempotent: ${expected}`);
  }
  for (
    const plain of [
      "GET /rundb/api/v1/results/?username=ionuser&limit=5",
      "key=42 is not a URL's parameter",
      "see https://ts/x/?keyword=ion#section-2",
    ]
  ) assert.equal(redactText(plain), plain);
});

Deno.test("isSecretParam() and redactQuery(): the key rule for query parameters", () => {
  for (
    const name of [
      "api_key",
      "API_KEY",
      "apikey",
      "password",
      "token",
      "secret",
      "key",
      "KEY",
      "access_token",
      "auth[password]",
      "auth%5Bpassword%5D",
      "api%5Fkey",
    ]
  ) assert.ok(isSecretParam(name), name);
  for (const name of ["username", "limit", "keyword", "order_by", "%zz"]) {
    assert.ok(!isSecretParam(name), name);
  }
  assert.ok(isSecretParam("pin", { extraKeys: ["pin"] }));
  assert.equal(
    redactQuery("username=u&api_key=k%26k&limit=5;token=t&empty_token=&flag"),
    `username=u&api_key=${R}&limit=5;token=${R}&empty_token=&flag`,
  );
  assert.equal(redactQuery(""), "");
});
