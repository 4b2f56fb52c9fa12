import assert from "node:assert/strict";
import { loadConfig, normalizeServerUrl } from "../../lib/config.ts";
import { UsageError } from "../../lib/errors.ts";

const fromEnv = (env: Record<string, string>) => (name: string) => env[name];

Deno.test("loadConfig() takes flags over the environment over .env", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const envFile = `${dir}/.env`;
    await Deno.writeTextFile(
      envFile,
      'TS_URL=https://from-file.example.org\nTS_USER=fileuser\nTS_API_KEY="key-from-file"\nTS_CA_CERT=/etc/file.pem\n',
    );
    const config = await loadConfig({
      flags: { url: "https://from-flag.example.org" },
      getEnv: fromEnv({ TS_USER: "envuser" }),
      envFile,
    });
    assert.deepEqual(config, {
      url: "https://from-flag.example.org",
      user: "envuser",
      apiKey: "key-from-file",
      caCertFile: "/etc/file.pem",
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("loadConfig() is fine without a .env file", async () => {
  const config = await loadConfig({
    getEnv: fromEnv({
      TS_URL: "http://ts.local",
      TS_USER: "u",
      TS_PASSWORD: "p",
    }),
    envFile: "/nonexistent/.env",
  });
  assert.equal(config.password, "p");
  assert.equal(config.apiKey, undefined);
});

Deno.test("loadConfig() explains a missing URL or a key without a user", async () => {
  await assert.rejects(
    loadConfig({ getEnv: fromEnv({}), envFile: null }),
    (e) => e instanceof UsageError && /TS_URL/.test(e.message),
  );
  await assert.rejects(
    loadConfig({
      getEnv: fromEnv({ TS_URL: "http://x", TS_API_KEY: "secret-value" }),
      envFile: null,
    }),
    (e) =>
      e instanceof UsageError && /TS_USER/.test(e.message) &&
      !e.message.includes("secret-value"),
  );
});

Deno.test("normalizeServerUrl() accepts common spellings and rejects bad ones", () => {
  for (
    const raw of [
      "https://ts.example.org",
      "https://ts.example.org/",
      "https://ts.example.org/rundb/api/v1/",
      "https://ts.example.org/rundb/api/v1",
      " https://ts.example.org// ",
    ]
  ) assert.equal(normalizeServerUrl(raw), "https://ts.example.org");
  assert.throws(() => normalizeServerUrl("ts.example.org"), UsageError);
  assert.throws(() => normalizeServerUrl("ftp://ts.example.org"), UsageError);
  assert.throws(
    () => normalizeServerUrl("https://user:pw@ts.example.org"),
    (e) => e instanceof UsageError && !e.message.includes("pw@"),
  );
});

Deno.test("normalizeServerUrl() says a web page, an API resource or a query is not the server's address", () => {
  const cases: [string, RegExp][] = [
    [
      "https://ts.example.org/data/",
      /is a page of the Torrent Suite web site \(\/data\/\), not the server: use TS_URL=https:\/\/ts\.example\.org$/,
    ],
    [
      "https://ts.example.org/report/1234/",
      /\(\/report\/1234\/\).*TS_URL=https:\/\/ts\.example\.org$/,
    ],
    [
      "https://ts.example.org/configure/plugins/",
      /TS_URL=https:\/\/ts\.example\.org$/,
    ],
    ["https://proxy.lab/ts/data/", /use TS_URL=https:\/\/proxy\.lab\/ts$/],
    [
      "https://ts.example.org/rundb/api/v1/results/",
      /points at an API resource: .*TS_URL=https:\/\/ts\.example\.org$/,
    ],
    ["https://ts.example.org/?next=/data/", /has a query or fragment/],
  ];
  for (const [raw, message] of cases) {
    assert.throws(
      () => normalizeServerUrl(raw),
      (e) => e instanceof UsageError && message.test(e.message),
      raw,
    );
  }
  assert.equal(
    normalizeServerUrl("https://proxy.lab/ts/"),
    "https://proxy.lab/ts",
    "a path prefix is fine",
  );
});

Deno.test("loadConfig() says when TS_CA_CERT is a key, a CSR, DER or no PEM at all", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const files: [string, string | Uint8Array, RegExp][] = [
      [
        "key.pem",
        "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n",
        /is a private key, not a certificate: give the server's certificate instead/,
      ],
      [
        "rsa.key",
        "-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----\n",
        /is a private key/,
      ],
      [
        "req.csr",
        "-----BEGIN CERTIFICATE REQUEST-----\nMIIE\n-----END CERTIFICATE REQUEST-----\n",
        /certificate request \(CSR\)/,
      ],
      [
        "cert.der",
        new Uint8Array([0x30, 0x82, 0x03, 0x01]),
        /DER \(binary\).*openssl x509 -inform der/,
      ],
      ["notes.txt", "hello", /holds no PEM certificate/],
    ];
    for (const [name, content, message] of files) {
      const path = `${dir}/${name}`;
      if (typeof content === "string") await Deno.writeTextFile(path, content);
      else await Deno.writeFile(path, content);
      await assert.rejects(
        loadConfig({
          getEnv: fromEnv({ TS_URL: "https://ts", TS_CA_CERT: path }),
          envFile: null,
        }),
        (e) =>
          e instanceof UsageError &&
          e.message.startsWith(`TS_CA_CERT (${path})`) &&
          message.test(e.message),
        name,
      );
    }
    await assert.rejects(
      loadConfig({
        flags: { caCert: `${dir}/key.pem` },
        getEnv: fromEnv({ TS_URL: "https://ts" }),
        envFile: null,
      }),
      (e) => e instanceof UsageError && e.message.startsWith("--ca-cert ("),
    );
    await Deno.writeTextFile(
      `${dir}/ok.pem`,
      "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
    );
    const ok = await loadConfig({
      getEnv: fromEnv({ TS_URL: "https://ts", TS_CA_CERT: `${dir}/ok.pem` }),
      envFile: null,
    });
    assert.equal(ok.caCertFile, `${dir}/ok.pem`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("loadConfig() with a server profile: the profile's settings, never another server's secret", async () => {
  const dir = await Deno.makeTempDir();
  const file = `${dir}/servers.json`;
  await Deno.writeTextFile(
    file,
    JSON.stringify({
      servers: {
        tower: {
          url: "https://tower.lab/rundb/api/v1/",
          user: "ionuser",
          apiKeyEnv: "TS_TOWER_API_KEY",
        },
        bare: { url: "https://bare.lab", user: "ionuser" },
      },
    }),
  );
  const env: Record<string, string> = {
    TS_URL: "https://other.lab",
    TS_USER: "other",
    TS_API_KEY: "key-of-other",
    TS_TOWER_API_KEY: "key-of-tower",
  };
  const load = (server?: string, extra: Record<string, string> = {}) =>
    loadConfig({
      flags: { server },
      getEnv: (n) => ({ ...env, ...extra })[n],
      envFile: null,
      profilesFile: file,
    });
  const tower = await load("tower");
  assert.equal(tower.url, "https://tower.lab");
  assert.equal(tower.apiKey, "key-of-tower");
  assert.deepEqual(tower.profile, {
    name: "tower",
    file,
    secretFrom: "TS_TOWER_API_KEY",
  });
  // TS_SERVER picks it too; without a profile, TS_URL and TS_API_KEY.
  assert.equal(
    (await load(undefined, { TS_SERVER: "tower" })).url,
    "https://tower.lab",
  );
  const plain = await load();
  assert.equal(plain.url, "https://other.lab");
  assert.equal(plain.profile, undefined);
  // A profile without a secret source takes TS_API_KEY (one key for all).
  assert.equal((await load("bare")).apiKey, "key-of-other");
  // A profile whose variable is unset sends no key, not another server's.
  const unset = await loadConfig({
    flags: { server: "tower" },
    getEnv: (n) => ({ ...env, TS_TOWER_API_KEY: "" })[n],
    envFile: null,
    profilesFile: file,
  });
  assert.equal(unset.apiKey, undefined);
  await Deno.remove(dir, { recursive: true });
});
