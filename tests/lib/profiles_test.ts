import assert from "node:assert/strict";
import { UsageError } from "../../lib/errors.ts";
import { defaultProfilesPath, resolveProfile } from "../../lib/profiles.ts";

async function profiles(data: unknown, mode = 0o644) {
  const dir = await Deno.makeTempDir();
  const file = `${dir}/servers.json`;
  await Deno.writeTextFile(file, JSON.stringify(data));
  await Deno.chmod(file, mode);
  return { dir, file };
}

Deno.test("resolveProfile() reads a named server, its secret from a TS_ variable, or the file's default", async () => {
  const { dir, file } = await profiles({
    default: "s5",
    servers: {
      tower: {
        url: "https://tower.lab",
        user: "ionuser",
        caCert: "~/certs/tower.pem",
        apiKeyEnv: "TS_TOWER_API_KEY",
      },
      s5: { url: "https://s5.lab", user: "ionadmin" },
    },
  });
  const env: Record<string, string> = {
    HOME: "/home/lab",
    TS_TOWER_API_KEY: "k-tower",
  };
  const tower = await resolveProfile({
    name: "tower",
    file,
    getEnv: (n) => env[n],
  });
  assert.deepEqual(tower, {
    name: "tower",
    file,
    url: "https://tower.lab",
    user: "ionuser",
    caCertFile: "/home/lab/certs/tower.pem",
    apiKey: "k-tower",
    secretFrom: "TS_TOWER_API_KEY",
    ownSecret: true,
  });
  const byDefault = await resolveProfile({
    name: undefined,
    file,
    getEnv: (n) => env[n],
  });
  assert.equal(byDefault?.name, "s5");
  assert.equal(byDefault?.apiKey, undefined);
  await assert.rejects(
    resolveProfile({ name: "proton", file, getEnv: (n) => env[n] }),
    (e) =>
      e instanceof UsageError &&
      /no server profile "proton" in .*servers\.json \(it has: tower, s5\)/
        .test(e.message),
  );
  await Deno.remove(dir, { recursive: true });
});

Deno.test("resolveProfile() refuses a secret others can read, with the chmod that fixes it", async () => {
  const inline = await profiles({
    servers: { a: { url: "https://a.lab", user: "u", apiKey: "s3cr3t-key" } },
  });
  await assert.rejects(
    resolveProfile({ name: "a", file: inline.file, getEnv: () => undefined }),
    (e) =>
      e instanceof UsageError &&
      e.message.includes(`run \`chmod 600 ${inline.file}\``) &&
      !e.message.includes("s3cr3t-key"),
  );
  await Deno.chmod(inline.file, 0o600);
  const ok = await resolveProfile({
    name: "a",
    file: inline.file,
    getEnv: () => undefined,
  });
  assert.equal(ok?.apiKey, "s3cr3t-key");
  assert.equal(ok?.secretFrom, inline.file);

  // A key in a file of its own: that file must be owner-only.
  const keyFile = `${inline.dir}/a.key`;
  await Deno.writeTextFile(keyFile, "file-key\n");
  await Deno.chmod(keyFile, 0o640);
  const viaFile = await profiles({
    servers: { a: { url: "https://a.lab", user: "u", passwordFile: keyFile } },
  });
  await assert.rejects(
    resolveProfile({ name: "a", file: viaFile.file, getEnv: () => undefined }),
    /a\.key holds the password of .*servers\.json: servers\.a but others can read it \(mode 640\): run `chmod 600/,
  );
  await Deno.chmod(keyFile, 0o600);
  const read = await resolveProfile({
    name: "a",
    file: viaFile.file,
    getEnv: () => undefined,
  });
  assert.equal(read?.password, "file-key");
  await Deno.remove(inline.dir, { recursive: true });
  await Deno.remove(viaFile.dir, { recursive: true });
});

Deno.test("resolveProfile() names only TS_ variables, and finds nothing without a name or a default", async () => {
  const { dir, file } = await profiles({
    servers: { a: { url: "https://a.lab", apiKeyEnv: "HOME" } },
  });
  await assert.rejects(
    resolveProfile({ name: "a", file, getEnv: () => undefined }),
    /apiKeyEnv must name a TS_… variable/,
  );
  assert.equal(
    await resolveProfile({ name: undefined, file, getEnv: () => undefined }),
    undefined,
  );
  assert.equal(
    await resolveProfile({
      name: undefined,
      file: `${dir}/none.json`,
      getEnv: () => undefined,
    }),
    undefined,
  );
  await assert.rejects(
    resolveProfile({
      name: "a",
      file: `${dir}/none.json`,
      getEnv: () => undefined,
    }),
    /server profile "a" asked for, but there is no .*none\.json/,
  );
  await Deno.remove(dir, { recursive: true });
});

Deno.test("defaultProfilesPath() follows XDG_CONFIG_HOME, else ~/.config", () => {
  assert.equal(
    defaultProfilesPath((n) =>
      ({ XDG_CONFIG_HOME: "/x" } as Record<string, string>)[n]
    ),
    "/x/ionrun/servers.json",
  );
  if (Deno.build.os !== "windows") {
    assert.equal(
      defaultProfilesPath((n) =>
        ({ HOME: "/home/u" } as Record<string, string>)[n]
      ),
      "/home/u/.config/ionrun/servers.json",
    );
  }
});

Deno.test("resolveProfile(): an api_key in a profile's url is a secret of the file (owner-only, its own)", async () => {
  const key = "0123456789abcdef0123456789abcdef01234567";
  const url = `https://tower.lab/?username=ionuser&api_key=${key}`;
  const open = await profiles({ servers: { tower: { url } } }, 0o644);
  await assert.rejects(
    resolveProfile({ name: "tower", file: open.file, getEnv: () => undefined }),
    (e) =>
      e instanceof UsageError &&
      /holds a secret but others can read it \(mode 644\): run `chmod 600/
        .test(e.message) &&
      !e.message.includes(key),
  );
  await Deno.remove(open.dir, { recursive: true });
  const closed = await profiles({ servers: { tower: { url } } }, 0o600);
  const tower = await resolveProfile({
    name: "tower",
    file: closed.file,
    getEnv: () => undefined,
  });
  // The url as written (loadConfig takes it apart); no TS_API_KEY fallback.
  assert.deepEqual(tower, {
    name: "tower",
    file: closed.file,
    url,
    secretFrom: closed.file,
    ownSecret: true,
  });
  await Deno.remove(closed.dir, { recursive: true });
  // A user name alone in the url is no secret: the file may stay readable.
  const user = await profiles({
    servers: { s5: { url: "https://s5.lab/?username=ionuser&api_key=" } },
  }, 0o644);
  const s5 = await resolveProfile({
    name: "s5",
    file: user.file,
    getEnv: () => undefined,
  });
  assert.equal(s5?.ownSecret, false);
  await Deno.remove(user.dir, { recursive: true });
});
