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
