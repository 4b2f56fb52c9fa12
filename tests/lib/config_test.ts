import assert from "node:assert/strict";
import { loadConfig, normalizeServerUrl } from "../../lib/config.ts";
import { createClient } from "../../lib/http/client.ts";
import { UsageError } from "../../lib/errors.ts";
import { listPlugins } from "../../lib/api/plugins.ts";
import { simulator } from "../_helpers.ts";

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
  // A profile whose variable is unset takes no other server's key: it is
  // refused before any request, naming the variable and the profile.
  await assert.rejects(
    () =>
      loadConfig({
        flags: { server: "tower" },
        getEnv: (n) => ({ ...env, TS_TOWER_API_KEY: "" })[n],
        envFile: null,
        profilesFile: file,
      }),
    /TS_TOWER_API_KEY \(named by profile tower\) is not set/,
  );
  await Deno.remove(dir, { recursive: true });
});

// Secrets in the URL's query (issue 16, point 9).

const URL_KEY = "0123456789abcdef0123456789abcdef01234567";
const OTHER_KEY = "fedcba9876543210fedcba9876543210fedcba98";

/** The message of the UsageError `load` rejects with. */
async function refusal(load: Promise<unknown>): Promise<string> {
  try {
    await load;
  } catch (error) {
    assert.ok(error instanceof UsageError, String(error));
    return error.message;
  }
  throw new Error("not refused");
}

Deno.test("loadConfig() takes the user and the key out of TS_URL's query; the base URL keeps no query", async () => {
  const config = await loadConfig({
    getEnv: fromEnv({
      TS_URL:
        ` https://ts.example.org/rundb/api/v1/?username=ionuser&api_key=${URL_KEY} `,
    }),
    envFile: null,
    profilesFile: null,
  });
  assert.deepEqual(config, {
    url: "https://ts.example.org",
    user: "ionuser",
    apiKey: URL_KEY,
  });
  // From .env as well, and beside a TS_USER and TS_API_KEY that agree.
  const dir = await Deno.makeTempDir();
  try {
    const envFile = `${dir}/.env`;
    await Deno.writeTextFile(
      envFile,
      `TS_URL="http://ts.local:8080/?api_key=${URL_KEY}&username=ionuser"\n`,
    );
    const agreeing = await loadConfig({
      getEnv: fromEnv({ TS_USER: "ionuser", TS_API_KEY: URL_KEY }),
      envFile,
      profilesFile: null,
    });
    assert.deepEqual(agreeing, {
      url: "http://ts.local:8080",
      user: "ionuser",
      apiKey: URL_KEY,
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  // The user alone, or the key with the user in TS_USER.
  assert.deepEqual(
    await loadConfig({
      getEnv: fromEnv({
        TS_URL: `https://ts/?api_key=${URL_KEY}`,
        TS_USER: "lab",
      }),
      envFile: null,
      profilesFile: null,
    }),
    { url: "https://ts", user: "lab", apiKey: URL_KEY },
  );
  // A key in the URL with no user anywhere: said so, naming where it is.
  const noUser = await refusal(loadConfig({
    getEnv: fromEnv({ TS_URL: `https://ts/?api_key=${URL_KEY}` }),
    envFile: null,
    profilesFile: null,
  }));
  assert.match(
    noUser,
    /^The api_key in the query of TS_URL is set but TS_USER is not: .*add username=… to TS_URL/,
  );
  assert.ok(!noUser.includes(URL_KEY), noUser);
});

Deno.test("loadConfig() refuses a TS_API_KEY or TS_USER that disagrees with TS_URL's, naming both, showing neither value", async () => {
  const load = (env: Record<string, string>, flags = {}) =>
    loadConfig({
      flags,
      getEnv: fromEnv({
        TS_URL: `https://ts/?username=ionuser&api_key=${URL_KEY}`,
        ...env,
      }),
      envFile: null,
      profilesFile: null,
    });
  const key = await refusal(load({ TS_API_KEY: OTHER_KEY }));
  assert.match(
    key,
    /^The api_key in the query of TS_URL and TS_API_KEY give different API keys/,
  );
  for (const secret of [URL_KEY, OTHER_KEY]) {
    assert.ok(!key.includes(secret), key);
  }
  const user = await refusal(load({ TS_USER: "someone-else" }));
  assert.match(user, /username in the query of TS_URL and TS_USER/);
  assert.ok(!user.includes("someone-else") && !user.includes(URL_KEY), user);
  const flag = await refusal(load({}, { user: "flag-user" }));
  assert.match(flag, /username in the query of TS_URL and --user/);
  assert.ok(!flag.includes("flag-user"), flag);
});

Deno.test("loadConfig() refuses a --url carrying a secret without echoing it: the key goes in TS_API_KEY", async () => {
  for (
    const query of [
      `username=ionuser&api_key=${URL_KEY}`,
      `password=${URL_KEY}`,
      `token=${URL_KEY}&limit=5`,
      `ApiKey=${URL_KEY}`,
    ]
  ) {
    const message = await refusal(loadConfig({
      flags: { url: `https://ts.example.org/?${query}` },
      getEnv: fromEnv({}),
      envFile: null,
      profilesFile: null,
    }));
    assert.ok(!message.includes(URL_KEY), message);
    assert.match(message, /^--url must not carry a secret/, message);
    assert.match(message, /TS_API_KEY/);
    assert.match(message, /--url https:\/\/ts\.example\.org$/);
  }
  // A user name is no secret: taken from --url like from TS_URL.
  const config = await loadConfig({
    flags: { url: "https://ts.example.org/?username=ionuser" },
    getEnv: fromEnv({ TS_API_KEY: URL_KEY }),
    envFile: null,
    profilesFile: null,
  });
  assert.deepEqual(config, {
    url: "https://ts.example.org",
    user: "ionuser",
    apiKey: URL_KEY,
  });
});

Deno.test("normalizeServerUrl() and loadConfig() refuse other query parameters, quoting the URL redacted", async () => {
  const cases: [string, RegExp][] = [
    [
      `https://ts/?username=ionuser&api_key=${URL_KEY}&next=/data/`,
      /^Server URL "https:\/\/ts\/\?username=ionuser&api_key=\[redacted\]&next=\/data\/" has a query or fragment \(next\)/,
    ],
    [
      `https://ts/?token=${URL_KEY}&key=${URL_KEY}`,
      /"https:\/\/ts\/\?token=\[redacted\]&key=\[redacted\]" has a query or fragment \(token, key\)/,
    ],
    [
      `https://ts/?api_key=${URL_KEY}#access_token=${URL_KEY}`,
      /"https:\/\/ts\/\?api_key=\[redacted\]#access_token=\[redacted\]" has a query or fragment \(a fragment\)/,
    ],
    [
      `https://ts/?api_key=${URL_KEY}&api_key=${OTHER_KEY}`,
      /has api_key 2 times in its query/,
    ],
    [
      `https://ts/data/?api_key=${URL_KEY}`,
      /"https:\/\/ts\/data\/\?api_key=\[redacted\]" is a page of the Torrent Suite web site/,
    ],
    [
      `https//ts/?password=${URL_KEY}`,
      /"https\/\/ts\/\?password=\[redacted\]" is not a URL/,
    ],
    [`https://ionuser:${URL_KEY}@ts/`, /must not contain credentials/],
    [`https://:${URL_KEY}@ts/`, /must not contain credentials/],
    // normalizeServerUrl() only gives the address: it will not drop them.
    [
      `https://ts/?username=ionuser&api_key=${URL_KEY}`,
      /"https:\/\/ts\/\?username=ionuser&api_key=\[redacted\]" carries credentials in its query: give the address \(https:\/\/ts\)/,
    ],
  ];
  for (const [raw, message] of cases) {
    assert.throws(
      () => normalizeServerUrl(raw),
      (e) =>
        e instanceof UsageError && message.test(e.message) &&
        !e.message.includes(URL_KEY) && !e.message.includes(OTHER_KEY),
      raw,
    );
  }
  // Through loadConfig, named as the variable.
  const other = await refusal(loadConfig({
    getEnv: fromEnv({ TS_URL: `https://ts/?api_key=${URL_KEY}&limit=5` }),
    envFile: null,
    profilesFile: null,
  }));
  assert.match(
    other,
    /^TS_URL "https:\/\/ts\/\?api_key=\[redacted\]&limit=5" has a query or fragment \(limit\)/,
  );
});

Deno.test("loadConfig() with a profile whose url carries the key: its own secret, servers.json owner-only", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const file = `${dir}/servers.json`;
    const write = async (servers: unknown, mode: number) => {
      await Deno.writeTextFile(file, JSON.stringify({ servers }));
      await Deno.chmod(file, mode);
    };
    const load = (env: Record<string, string> = {}) =>
      loadConfig({
        flags: { server: "tower" },
        getEnv: fromEnv({ TS_API_KEY: OTHER_KEY, TS_USER: "other", ...env }),
        envFile: null,
        profilesFile: file,
      });
    const url = `https://tower.lab/?username=ionuser&api_key=${URL_KEY}`;
    await write({ tower: { url } }, 0o600);
    const config = await load();
    assert.equal(config.url, "https://tower.lab");
    assert.equal(config.user, "ionuser", "the profile's user, not TS_USER");
    assert.equal(config.apiKey, URL_KEY, "the profile's key, not TS_API_KEY");
    assert.equal(config.profile?.secretFrom, file);
    // A file others can read that holds a key in a url: refused.
    await write({ tower: { url } }, 0o644);
    const open = await refusal(load());
    assert.match(open, /holds a secret but others can read it/);
    // The profile's own key source saying otherwise: both named, no value.
    await write(
      { tower: { url, apiKeyEnv: "TS_TOWER_API_KEY" } },
      0o600,
    );
    const clash = await refusal(load({ TS_TOWER_API_KEY: OTHER_KEY }));
    assert.match(
      clash,
      /^The api_key in the query of .*servers\.json: servers\.tower\.url and TS_TOWER_API_KEY give different API keys/,
    );
    assert.ok(!clash.includes(URL_KEY) && !clash.includes(OTHER_KEY), clash);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("end to end: TS_URL with the key in its query reaches the simulator with the ApiKey header, never a query", async () => {
  await using sim = await simulator();
  const user = sim.users[0]!;
  const config = await loadConfig({
    getEnv: fromEnv({
      TS_URL: `${sim.url}/?username=${user.username}&api_key=${user.apiKey}`,
    }),
    envFile: null,
    profilesFile: null,
  });
  assert.equal(config.url, sim.url);
  using client = await createClient(config);
  const plugins = await listPlugins(client);
  assert.ok(plugins.length > 0);
  assert.ok(sim.requests.length > 0);
  for (const req of sim.requests) {
    assert.equal(req.auth, "apikey-header", req.path);
    assert.ok(!req.path.includes(user.apiKey), req.path);
    assert.ok(!/[?&;]api_key=/.test(req.path), req.path);
  }
});
