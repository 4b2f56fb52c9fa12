/**
 * Connection settings: server URL, credentials and TLS trust, gathered from
 * command-line flags, then the environment, then a `.env` file in the working
 * directory. Secrets (password, API key) are read only from the environment or
 * `.env` (or a server profile), never from flags. Tastypie also takes the key
 * in the query (`?username=U&api_key=KEY`): a `TS_URL` so written is taken
 * apart, its user and key become the credentials (sent as the `ApiKey`
 * header, never in a query) and the base URL keeps no query. Every message
 * quoting a URL shows it redacted.
 *
 * @module
 */

import { parse as parseDotenv } from "dotenv";
import { UsageError } from "./errors.ts";
import { resolveProfile } from "./profiles.ts";
import { isSecretParam, redactText } from "./redact.ts";

/** Environment variables the toolkit reads. */
export const ENV_VARS = [
  "TS_URL",
  "TS_USER",
  "TS_PASSWORD",
  "TS_API_KEY",
  "TS_CA_CERT",
  "TS_SERVER",
] as const;

/** Name of one of the toolkit's environment variables. */
export type EnvVar = typeof ENV_VARS[number];

/** Resolved connection settings. */
export interface ConnectionConfig {
  /** Server base URL without the API path, e.g. `https://ts.example.org`. */
  url: string;
  /** User name, if any. */
  user?: string;
  /** Password for HTTP Basic, if any. Never print it. */
  password?: string;
  /** API key, if any; preferred over the password. Never print it. */
  apiKey?: string;
  /** Path of a PEM file with the CA (or self-signed) certificate to trust. */
  caCertFile?: string;
  /** The server profile used, if any (`--server`, `TS_SERVER`, or the file's default). */
  profile?: {
    name: string;
    file: string;
    /** Where its secret came from (a variable's name or a file), never the secret. */
    secretFrom?: string;
  };
}

/** Non-secret settings that may come from flags. */
export interface ConfigFlags {
  /** `--url`: server base URL (a `username` in its query is fine, a secret is refused). */
  url?: string | undefined;
  /** `--user`: user name. */
  user?: string | undefined;
  /** `--ca-cert`: PEM file to trust. */
  caCert?: string | undefined;
  /** `--server`: the name of a server profile. */
  server?: string | undefined;
}

/** Options for {@linkcode loadConfig}. */
export interface LoadConfigOptions {
  /** Values from command-line flags; they win over everything else. */
  flags?: ConfigFlags;
  /** Reads one environment variable; default `Deno.env.get`. */
  getEnv?: (name: string) => string | undefined;
  /** Path of the `.env` file; default `.env` in the working directory. `null` disables it. */
  envFile?: string | null;
  /**
   * Path of the server profiles (`servers.json`); default the user's config
   * folder (`defaultProfilesPath`). `null` disables them.
   */
  profilesFile?: string | null;
}

/**
 * Gathers connection settings: flags, then environment variables, then the
 * `.env` file (a missing file is fine; variables already set win).
 *
 * With `TS_API_KEY` the client authenticates with `ApiKey <user>:<key>`;
 * else with `TS_PASSWORD`, HTTP Basic; with neither, no credentials.
 * `TS_URL=https://ts.example.org/?username=U&api_key=KEY` (or a profile's
 * `url` so written) gives the user and the key as well; a `TS_USER` or
 * `TS_API_KEY` that says otherwise is an error. `--url` must not carry a
 * secret: a flag shows in `ps` and in the shell's history.
 *
 * @example Settings from a given environment
 * ```ts
 * import { loadConfig } from "./config.ts";
 * const env: Record<string, string> = {
 *   TS_URL: "https://ts.example.org/rundb/api/v1/",
 *   TS_USER: "ionuser",
 *   TS_API_KEY: "0123abcd",
 * };
 * const config = await loadConfig({ getEnv: (n) => env[n], envFile: null });
 * if (config.url !== "https://ts.example.org") throw new Error(config.url);
 * ```
 *
 * @param options Flags and sources.
 * @returns The resolved settings.
 * @throws {UsageError} When the URL is missing or malformed, `--url` carries
 *   a secret, the URL's credentials disagree with TS_USER or TS_API_KEY, or a
 *   key has no user.
 */
export async function loadConfig(
  options: LoadConfigOptions = {},
): Promise<ConnectionConfig> {
  const getEnv = options.getEnv ?? ((name: string) => Deno.env.get(name));
  const fileValues = options.envFile === null
    ? {}
    : await readEnvFile(options.envFile ?? ".env");
  const value = (name: EnvVar): string | undefined => {
    const v = getEnv(name) ?? fileValues[name];
    return v === undefined || v.trim() === "" ? undefined : v.trim();
  };
  const flags = options.flags ?? {};

  // A profile: the one named (--server, TS_SERVER), else the file's default
  // when no URL is set at all. Its settings win over the environment's:
  // naming a server is asking for it.
  const serverName = flags.server ?? value("TS_SERVER");
  const profile = options.profilesFile !== null &&
      (serverName !== undefined || (flags.url ?? value("TS_URL")) === undefined)
    ? await resolveProfile({
      name: serverName,
      file: options.profilesFile,
      getEnv: (n) => getEnv(n) ?? fileValues[n],
    })
    : undefined;
  const rawUrl = flags.url ?? profile?.url ?? value("TS_URL");
  if (rawUrl === undefined) {
    throw new UsageError(
      "No server URL: set TS_URL (e.g. TS_URL=https://ts.example.org), pass --url, or name a server profile with --server",
    );
  }
  const tier = flags.url !== undefined ? "flag" : profile ? "profile" : "env";
  const urlName = tier === "flag"
    ? "--url"
    : tier === "profile"
    ? `${profile!.file}: servers.${profile!.name}.url`
    : "TS_URL";
  const parsed = parseServerUrl(rawUrl, {
    name: urlName,
    fromFlag: tier === "flag",
  });
  const config: ConnectionConfig = { url: parsed.url };
  // The URL's user stands beside the setting of its own source (TS_URL
  // beside TS_USER, a profile's url beside its user); one above it or
  // beside it that says otherwise is an error (the key is that user's).
  const users: Source[] = [
    { name: "--user", value: flags.user },
    ...(tier === "flag" ? [urlSource("username", urlName, parsed.user)] : []),
    {
      name: `${profile?.file}: servers.${profile?.name}.user`,
      value: profile?.user,
    },
    ...(tier === "profile"
      ? [urlSource("username", urlName, parsed.user)]
      : []),
    { name: "TS_USER", value: value("TS_USER") },
    ...(tier === "env" ? [urlSource("username", urlName, parsed.user)] : []),
  ];
  const user = pick(users, "user");
  // A profile with a secret of its own never falls back to TS_API_KEY or
  // TS_PASSWORD: those may belong to another server.
  const own = profile?.ownSecret ?? false;
  const password = own ? profile?.password : value("TS_PASSWORD");
  const apiKeys: Source[] = own
    ? [{
      name: profile?.secretFrom ?? `${profile?.file}: servers.${profile?.name}`,
      value: profile?.apiKey,
    }]
    : [{ name: "TS_API_KEY", value: value("TS_API_KEY") }];
  // The key of a --url was refused above; a profile's own comes first.
  if (tier !== "flag") {
    apiKeys.push(urlSource("api_key", urlName, parsed.apiKey));
  }
  const apiKey = pick(apiKeys, "API key");
  const caCertFile = flags.caCert ?? profile?.caCertFile ?? value("TS_CA_CERT");
  if (user !== undefined) config.user = user;
  if (password !== undefined) config.password = password;
  if (apiKey !== undefined) config.apiKey = apiKey;
  if (caCertFile !== undefined) {
    await checkCaFile(caCertFile, flags.caCert !== undefined);
    config.caCertFile = caCertFile;
  }
  if (profile) {
    config.profile = {
      name: profile.name,
      file: profile.file,
      ...(profile.secretFrom ? { secretFrom: profile.secretFrom } : {}),
    };
  }
  if ((apiKey !== undefined || password !== undefined) && user === undefined) {
    const keyFrom = apiKeys.find((k) => k.value !== undefined);
    throw new UsageError(
      `${
        capital(apiKey !== undefined ? keyFrom!.name : "TS_PASSWORD")
      } is set but TS_USER is not: set TS_USER (or pass --user)${
        apiKey !== undefined && keyFrom?.fromUrl
          ? ` or add username=… to ${urlName}`
          : ""
      }`,
    );
  }
  return config;
}

/**
 * Why the settings cannot log in over HTTP Basic, if they cannot: a
 * password with `:` and no API key. Torrent Suite's Django splits the Basic
 * credentials on every `:`, so every request (API included) fails with a 500
 * page; no retry helps. `undefined` when the settings are fine.
 *
 * @param config The settings ({@linkcode loadConfig}).
 * @returns The message naming the fix, or `undefined`.
 */
export function basicPasswordProblem(
  config: Pick<ConnectionConfig, "password" | "apiKey" | "profile">,
): string | undefined {
  if (config.apiKey !== undefined || !config.password?.includes(":")) {
    return undefined;
  }
  const from = config.profile?.secretFrom ?? "TS_PASSWORD";
  return `the password (${from}) contains ":", which Torrent Suite cannot accept over HTTP Basic (its login splits on every ":", so every request would fail with a 500 page): use an API key (TS_API_KEY, shown on the server at /configure/account/), or a password without ":"`;
}

/** One place a setting may come from: its name (for messages) and value. */
interface Source {
  name: string;
  value: string | undefined;
  /** It is the URL's (`username`, `api_key` in its query). */
  fromUrl?: boolean;
}

const capital = (s: string) => `${s[0]!.toUpperCase()}${s.slice(1)}`;

function urlSource(
  param: "username" | "api_key",
  urlName: string,
  value: string | undefined,
): Source {
  return {
    name: `the ${param} in the query of ${urlName}`,
    value,
    fromUrl: true,
  };
}

/**
 * The first value given, after checking that every source of the URL (the
 * query's `username` and `api_key`) agrees with those before it. The
 * message names both sources, never a value.
 */
function pick(sources: Source[], what: string): string | undefined {
  sources.forEach((source, i) => {
    if (source.value === undefined || !source.fromUrl) return;
    const other = sources.slice(0, i).find((s) =>
      s.value !== undefined && s.value !== source.value
    );
    if (other) {
      throw new UsageError(
        `${
          capital(source.name)
        } and ${other.name} give different ${what}s: keep one (best the key in TS_API_KEY, the user in TS_USER, and TS_URL the bare address)`,
      );
    }
  });
  return sources.find((s) => s.value !== undefined)?.value;
}

/** A server URL taken apart by {@linkcode parseServerUrl}. */
export interface ServerUrl {
  /** The base URL, as {@linkcode normalizeServerUrl} gives it: no query. */
  url: string;
  /** The `username` of its query, if any. */
  user?: string;
  /** The `api_key` of its query, if any. Never print it. */
  apiKey?: string;
}

/** Options of {@linkcode parseServerUrl}. */
export interface ParseServerUrlOptions {
  /** What messages call the URL: `TS_URL`, `--url`, a profile's `url`; default "Server URL". */
  name?: string;
  /**
   * It comes from a flag (`--url`): a secret in its query is refused, since
   * a flag shows in `ps` and in the shell's history.
   */
  fromFlag?: boolean;
}

/** The credential parameters Tastypie's ApiKeyAuthentication reads. */
const CREDENTIAL_PARAMS = ["username", "api_key"];

/**
 * Takes a server URL apart: the base URL (scheme, host and any path prefix,
 * without a trailing `/rundb/api/v1/` or slashes) and the credentials of its
 * query, `username` and `api_key` (Tastypie's query form). Any other query
 * parameter, a fragment, or userinfo (`https://user:pw@host`) is refused.
 * Every message quotes the URL redacted (lib/redact.ts: the values of
 * `api_key`, `password`, `token`… and userinfo passwords become
 * `[redacted]`).
 *
 * @example
 * ```ts
 * import { parseServerUrl } from "./config.ts";
 * const p = parseServerUrl("https://ts.example.org/?username=ionuser&api_key=0123abcd");
 * if (p.url !== "https://ts.example.org" || p.user !== "ionuser") throw new Error(p.url);
 * if (p.apiKey !== "0123abcd") throw new Error("no key");
 * ```
 *
 * @param raw The URL as the user wrote it.
 * @param options What to call it, whether it is a flag.
 * @returns The base URL and the query's credentials.
 * @throws {UsageError} When it is not an http(s) URL, carries userinfo, a
 *   fragment or another query parameter, or (a flag) a secret.
 */
export function parseServerUrl(
  raw: string,
  options: ParseServerUrlOptions = {},
): ServerUrl {
  const name = options.name ?? "Server URL";
  const trimmed = raw.trim();
  const shown = redactText(trimmed);
  let url: URL;
  try {
    url = new URL(trimmed);
  } catch {
    throw new UsageError(
      `${name} "${shown}" is not a URL: write it like https://ts.example.org`,
    );
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new UsageError(
      `${name} must start with https:// or http://, got "${url.protocol}"`,
    );
  }
  if (url.username !== "" || url.password !== "") {
    throw new UsageError(
      `${name} must not contain credentials: use TS_USER and TS_API_KEY (or TS_PASSWORD)`,
    );
  }
  const path = url.pathname.replace(/\/+$/, "").replace(
    /\/rundb\/api\/v1$/,
    "",
  ).replace(/\/+$/, "");
  const root = `${url.protocol}//${url.host}`;
  const params = queryParams(url.search);
  if (options.fromFlag) {
    const secrets = params.filter((p) => isSecretParam(p.name));
    if (secrets.length > 0) {
      throw new UsageError(
        `${name} must not carry a secret (${
          [...new Set(secrets.map((p) => p.name))].join(", ")
        } in its query): a flag shows in ps and in the shell's history. Put the API key in TS_API_KEY (and the user in TS_USER), in the environment or .env, and pass --url ${root}${path}`,
      );
    }
  }
  const others = params.filter((p) => !CREDENTIAL_PARAMS.includes(p.name));
  if (others.length > 0 || url.hash !== "") {
    const what = [
      ...new Set(others.map((p) => p.name)),
      ...(url.hash !== "" ? ["a fragment"] : []),
    ].join(", ");
    throw new UsageError(
      `${name} "${shown}" has a query or fragment (${what}): it is only the server's address (a username and api_key in the query are the one exception), e.g. TS_URL=${root}`,
    );
  }
  const found: ServerUrl = { url: `${root}${path}` };
  for (const param of CREDENTIAL_PARAMS) {
    const given = params.filter((p) => p.name === param && p.value !== "");
    if (given.length > 1) {
      throw new UsageError(
        `${name} "${shown}" has ${param} ${given.length} times in its query: give it once`,
      );
    }
    if (given[0] === undefined) continue;
    if (param === "username") found.user = given[0].value;
    else found.apiKey = given[0].value;
  }
  const api = /^(.*?)\/rundb\/api\/v1\/./.exec(`${path}/`);
  if (api) {
    throw new UsageError(
      `${name} "${shown}" points at an API resource: TS_URL is the server's address, e.g. TS_URL=${root}${
        api[1]
      }`,
    );
  }
  const parts = path.split("/").filter(Boolean);
  const page = parts.findIndex((p) => WEB_PAGES.includes(p.toLowerCase()));
  if (page >= 0) {
    const prefix = parts.slice(0, page).map((p) => `/${p}`).join("");
    throw new UsageError(
      `${name} "${shown}" is a page of the Torrent Suite web site (/${
        parts.slice(page).join("/")
      }/), not the server: use TS_URL=${root}${prefix}`,
    );
  }
  return found;
}

/**
 * A query's parameters, decoded, split at `&` and `;` as Torrent Suite's
 * Python 2 splits them (so `;api_key=…` is not taken for part of a value).
 */
function queryParams(search: string): { name: string; value: string }[] {
  const decode = (s: string) => {
    try {
      return decodeURIComponent(s.replaceAll("+", " "));
    } catch {
      return s;
    }
  };
  return search.replace(/^\?/, "").split(/[&;]/).filter(Boolean).map(
    (piece) => {
      const at = piece.indexOf("=");
      return at < 0 ? { name: decode(piece), value: "" } : {
        name: decode(piece.slice(0, at)),
        value: decode(piece.slice(at + 1)).trim(),
      };
    },
  );
}

/**
 * Normalizes a server URL: keeps scheme, host and any path prefix, drops a
 * trailing `/rundb/api/v1/` and trailing slashes. It returns only the
 * address, so a URL carrying credentials in its query (`username`,
 * `api_key`) is refused here rather than losing them: {@linkcode loadConfig}
 * (through {@linkcode parseServerUrl}) is the one that takes them out.
 *
 * @example
 * ```ts
 * import { normalizeServerUrl } from "./config.ts";
 * const url = normalizeServerUrl("http://ts.local:8080/rundb/api/v1");
 * if (url !== "http://ts.local:8080") throw new Error(url);
 * ```
 *
 * @param raw The URL as the user wrote it.
 * @returns The base URL without trailing slash.
 * @throws {UsageError} When it is not an http(s) URL or carries credentials.
 */
export function normalizeServerUrl(raw: string): string {
  const parsed = parseServerUrl(raw);
  if (parsed.user !== undefined || parsed.apiKey !== undefined) {
    throw new UsageError(
      `Server URL "${
        redactText(raw.trim())
      }" carries credentials in its query: give the address (${parsed.url}) and the credentials (TS_USER, TS_API_KEY) apart`,
    );
  }
  return parsed.url;
}

/**
 * Checks that the CA file holds a certificate: a private key, a CSR or a DER
 * file given as `TS_CA_CERT` would only fail later as "unable to verify".
 * A file that cannot be read is left to the client (it says so).
 */
async function checkCaFile(path: string, fromFlag: boolean): Promise<void> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch {
    return;
  }
  const name = fromFlag ? "--ca-cert" : "TS_CA_CERT";
  const text = new TextDecoder().decode(bytes);
  if (/-----BEGIN CERTIFICATE-----/.test(text)) return;
  if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text)) {
    throw new UsageError(
      `${name} (${path}) is a private key, not a certificate: give the server's certificate instead (on a Torrent Suite server /etc/ssl/certs/ssl-cert-snakeoil.pem, not the .key in /etc/ssl/private/), and keep the key secret`,
    );
  }
  if (/-----BEGIN CERTIFICATE REQUEST-----/.test(text)) {
    throw new UsageError(
      `${name} (${path}) is a certificate request (CSR), not a certificate: give the certificate it became, or the server's /etc/ssl/certs/ssl-cert-snakeoil.pem`,
    );
  }
  if (bytes[0] === 0x30) {
    throw new UsageError(
      `${name} (${path}) looks like a DER (binary) certificate: convert it to PEM with \`openssl x509 -inform der -in ${path} -out server.pem\` and give server.pem`,
    );
  }
  throw new UsageError(
    `${name} (${path}) holds no PEM certificate (no "-----BEGIN CERTIFICATE-----" line): give the server's certificate, e.g. a copy of its /etc/ssl/certs/ssl-cert-snakeoil.pem`,
  );
}

/**
 * First path parts of Torrent Suite's own web pages (dbReports/iondb/urls.py):
 * a TS_URL ending in one of them is a page of the site, not the server.
 */
const WEB_PAGES = [
  "data",
  "report",
  "rundb",
  "configure",
  "plan",
  "monitor",
  "login",
  "logout",
  "home",
  "output",
  "admin",
  "auth",
  "sampleset",
  "samples",
];

async function readEnvFile(path: string): Promise<Record<string, string>> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return {};
    if (error instanceof Deno.errors.IsADirectory) return {};
    throw new UsageError(
      `Cannot read ${path}: ${error instanceof Error ? error.message : error}`,
    );
  }
  return parseDotenv(text);
}
