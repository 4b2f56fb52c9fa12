/**
 * Connection settings: server URL, credentials and TLS trust, gathered from
 * command-line flags, then the environment, then a `.env` file in the working
 * directory. Secrets (password, API key) are read only from the environment or
 * `.env`, never from flags.
 *
 * @module
 */

import { parse as parseDotenv } from "dotenv";
import { UsageError } from "./errors.ts";
import { resolveProfile } from "./profiles.ts";

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
  /** `--url`: server base URL. */
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
 * @throws {UsageError} When the URL is missing or malformed, or a key has no user.
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
  const config: ConnectionConfig = { url: normalizeServerUrl(rawUrl) };
  const user = flags.user ?? profile?.user ?? value("TS_USER");
  // A profile with a secret of its own never falls back to TS_API_KEY or
  // TS_PASSWORD: those may belong to another server.
  const own = profile?.ownSecret ?? false;
  const password = own ? profile?.password : value("TS_PASSWORD");
  const apiKey = own ? profile?.apiKey : value("TS_API_KEY");
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
    throw new UsageError(
      `${
        apiKey !== undefined ? "TS_API_KEY" : "TS_PASSWORD"
      } is set but TS_USER is not: set TS_USER (or pass --user)`,
    );
  }
  return config;
}

/**
 * Normalizes a server URL: keeps scheme, host and any path prefix, drops a
 * trailing `/rundb/api/v1/` and trailing slashes.
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
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw new UsageError(
      `Server URL "${raw}" is not a URL: write it like https://ts.example.org`,
    );
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new UsageError(
      `Server URL must start with https:// or http://, got "${url.protocol}"`,
    );
  }
  if (url.username !== "" || url.password !== "") {
    throw new UsageError(
      "Server URL must not contain credentials: use TS_USER and TS_API_KEY (or TS_PASSWORD)",
    );
  }
  const path = url.pathname.replace(/\/+$/, "").replace(
    /\/rundb\/api\/v1$/,
    "",
  ).replace(/\/+$/, "");
  const root = `${url.protocol}//${url.host}`;
  if (url.search !== "" || url.hash !== "") {
    throw new UsageError(
      `Server URL "${raw.trim()}" has a query or fragment: TS_URL is only the server's address, e.g. TS_URL=${root}`,
    );
  }
  const api = /^(.*?)\/rundb\/api\/v1\/./.exec(`${path}/`);
  if (api) {
    throw new UsageError(
      `Server URL "${raw.trim()}" points at an API resource: TS_URL is the server's address, e.g. TS_URL=${root}${
        api[1]
      }`,
    );
  }
  const parts = path.split("/").filter(Boolean);
  const page = parts.findIndex((p) => WEB_PAGES.includes(p.toLowerCase()));
  if (page >= 0) {
    const prefix = parts.slice(0, page).map((p) => `/${p}`).join("");
    throw new UsageError(
      `Server URL "${raw.trim()}" is a page of the Torrent Suite web site (/${
        parts.slice(page).join("/")
      }/), not the server: use TS_URL=${root}${prefix}`,
    );
  }
  return `${root}${path}`;
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
