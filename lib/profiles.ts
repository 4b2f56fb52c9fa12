/**
 * Server profiles: a lab with several Torrent Suite servers names them once,
 * in `servers.json` in the user's config folder, and picks one with
 * `--server NAME` or `TS_SERVER`.
 *
 * ```json
 * {
 *   "default": "tower",
 *   "servers": {
 *     "tower": {
 *       "url": "https://ts-tower.lab.example.org",
 *       "user": "ionuser",
 *       "caCert": "~/certs/ts-tower.pem",
 *       "apiKeyEnv": "TS_TOWER_API_KEY"
 *     },
 *     "s5": { "url": "https://s5-1.lab.example.org", "user": "ionuser",
 *             "apiKeyFile": "~/.config/ionrun/s5.key" }
 *   }
 * }
 * ```
 *
 * JSON, not TOML: Deno reads it without a dependency, and the toolkit
 * writes nothing else. A profile's secret comes from an environment
 * variable named in it (`apiKeyEnv`, `passwordEnv`: `TS_…` names, the only
 * ones the scripts may read), from a file (`apiKeyFile`, `passwordFile`),
 * or from the profile itself (`apiKey`, `password`, or an `api_key` in the
 * query of its `url`, which `loadConfig` takes out); a file holding a
 * secret must be readable by its owner only, and is refused otherwise.
 *
 * @module
 */

import { join } from "node:path";
import { UsageError } from "./errors.ts";
import { isSecretParam } from "./redact.ts";

/** One named server. */
export interface ServerProfile {
  /** Server base URL (a `username` and `api_key` in its query are taken as credentials). */
  url: string;
  /** User name. */
  user?: string;
  /** PEM file of the server's CA or self-signed certificate (`~` allowed). */
  caCert?: string;
  /** Name of the environment variable holding the API key (`TS_…`). */
  apiKeyEnv?: string;
  /** Name of the environment variable holding the password (`TS_…`). */
  passwordEnv?: string;
  /** File holding the API key (owner-only). */
  apiKeyFile?: string;
  /** File holding the password (owner-only). */
  passwordFile?: string;
  /** The API key itself: then `servers.json` must be owner-only. */
  apiKey?: string;
  /** The password itself: then `servers.json` must be owner-only. */
  password?: string;
}

/** A profile resolved: its settings, secrets read. */
export interface ResolvedProfile {
  /** The profile's name. */
  name: string;
  /** The file it came from. */
  file: string;
  url: string;
  user?: string;
  caCertFile?: string;
  apiKey?: string;
  password?: string;
  /** Where its secret came from, for people: `TS_TOWER_API_KEY`, a file, the profile. */
  secretFrom?: string;
  /**
   * Whether the profile says where its secret comes from (even if that
   * variable is unset): then no other source is used.
   */
  ownSecret: boolean;
}

/** Where `servers.json` lives: `$XDG_CONFIG_HOME/ionrun`, `~/.config/ionrun`, or `%APPDATA%\ionrun`. */
export function defaultProfilesPath(
  getEnv: (name: string) => string | undefined = (n) => Deno.env.get(n),
): string | undefined {
  const xdg = getEnv("XDG_CONFIG_HOME");
  if (xdg) return join(xdg, "ionrun", "servers.json");
  if (Deno.build.os === "windows") {
    const appData = getEnv("APPDATA");
    return appData ? join(appData, "ionrun", "servers.json") : undefined;
  }
  const home = getEnv("HOME");
  return home ? join(home, ".config", "ionrun", "servers.json") : undefined;
}

/** What {@linkcode resolveProfile} needs. */
export interface ResolveProfileOptions {
  /** The profile to use; `undefined`: the file's `default`, if any. */
  name: string | undefined;
  /** Path of `servers.json`; default {@linkcode defaultProfilesPath}. */
  file?: string | undefined;
  /** Reads an environment variable; default `Deno.env.get`. */
  getEnv?: (name: string) => string | undefined;
}

/**
 * Reads the profile `name` (or the file's default) and its secret.
 * Returns `undefined` when no name is asked for and the file has no default
 * (or does not exist).
 *
 * @throws {UsageError} For an unknown name, a malformed file, or a secret
 *   in a file others can read (with the `chmod` that fixes it).
 */
export async function resolveProfile(
  options: ResolveProfileOptions,
): Promise<ResolvedProfile | undefined> {
  const getEnv = options.getEnv ?? ((n: string) => Deno.env.get(n));
  const file = options.file ?? defaultProfilesPath(getEnv);
  const data = file ? await readProfiles(file) : undefined;
  const name = options.name ?? data?.default;
  if (name === undefined) return undefined;
  if (!file || !data) {
    throw new UsageError(
      `server profile "${name}" asked for, but there is no ${
        file ?? "servers.json"
      }: create it (see the README, "Several servers")`,
    );
  }
  const profile = data.servers[name];
  if (!profile) {
    const names = Object.keys(data.servers);
    throw new UsageError(
      `no server profile "${name}" in ${file}${
        names.length ? ` (it has: ${names.join(", ")})` : ""
      }`,
    );
  }
  const where = `${file}: servers.${name}`;
  if (typeof profile.url !== "string" || profile.url.trim() === "") {
    throw new UsageError(`${where} has no "url"`);
  }
  const ownSecret = urlHoldsSecret(profile.url) ||
    (["apiKey", "password"] as const).some((k) =>
      profile[k] !== undefined || profile[`${k}Env`] !== undefined ||
      profile[`${k}File`] !== undefined
    );
  const resolved: ResolvedProfile = { name, file, url: profile.url, ownSecret };
  if (profile.user) resolved.user = profile.user;
  if (profile.caCert) resolved.caCertFile = expandHome(profile.caCert, getEnv);
  for (const kind of ["apiKey", "password"] as const) {
    const secret = await secretOf(profile, kind, { where, file, getEnv });
    if (secret) {
      resolved[kind] = secret.value;
      resolved.secretFrom ??= secret.from;
    }
  }
  if (urlHoldsSecret(profile.url)) resolved.secretFrom ??= file;
  // A profile that names its secret's variable, with none of them set:
  // said now, not as a 401 "no credentials" after a request.
  const named = (["apiKey", "password"] as const).flatMap((k) =>
    profile[`${k}Env`] ?? []
  );
  if (
    named.length > 0 && resolved.apiKey === undefined &&
    resolved.password === undefined && !urlHoldsSecret(profile.url) &&
    profile.apiKeyFile === undefined && profile.passwordFile === undefined &&
    profile.apiKey === undefined && profile.password === undefined
  ) {
    throw new UsageError(
      `${named.join(" and ")} (named by profile ${name}) ${
        named.length > 1 ? "are" : "is"
      } not set: export ${named[0]}=… (its ${
        profile.apiKeyEnv !== undefined ? "API key" : "password"
      }) before running, or change ${where}`,
    );
  }
  return resolved;
}

/**
 * Whether a profile's url holds a secret: a secret parameter with a value in
 * its query (`api_key=…`) or a userinfo password. Then `servers.json` holds
 * a secret, like an inline `apiKey`.
 */
function urlHoldsSecret(url: unknown): boolean {
  if (typeof url !== "string") return false;
  const query = /\?([^#]*)/.exec(url)?.[1] ?? "";
  return query.split(/[&;]/).some((piece) => {
    const at = piece.indexOf("=");
    return at > 0 && piece.slice(at + 1).trim() !== "" &&
      isSecretParam(piece.slice(0, at));
  }) || /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*:[^/?#]*@/i.test(url.trim());
}

/** Reads and checks `servers.json`; `undefined` when it does not exist. */
async function readProfiles(
  file: string,
): Promise<
  { default?: string; servers: Record<string, ServerProfile> } | undefined
> {
  let text: string;
  try {
    text = await Deno.readTextFile(file);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw new UsageError(`cannot read ${file}: ${(error as Error).message}`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new UsageError(
      `${file} is not valid JSON: ${(error as Error).message}`,
    );
  }
  const servers = (data as { servers?: unknown })?.servers;
  if (
    typeof servers !== "object" || servers === null || Array.isArray(servers)
  ) {
    throw new UsageError(
      `${file} must hold {"servers": {"NAME": {"url": …}}}`,
    );
  }
  const inline = Object.values(servers as Record<string, ServerProfile>).some(
    (p) =>
      p?.apiKey !== undefined || p?.password !== undefined ||
      urlHoldsSecret(p?.url),
  );
  if (inline) await ownerOnly(file, "holds a secret");
  return data as { default?: string; servers: Record<string, ServerProfile> };
}

/** A profile's secret of one kind, and where it came from. */
async function secretOf(
  profile: ServerProfile,
  kind: "apiKey" | "password",
  { where, file, getEnv }: {
    where: string;
    file: string;
    getEnv: (name: string) => string | undefined;
  },
): Promise<{ value: string; from: string } | undefined> {
  const envName = profile[`${kind}Env`];
  if (envName !== undefined) {
    if (!/^TS_[A-Z0-9_]+$/.test(envName)) {
      throw new UsageError(
        `${where}.${kind}Env must name a TS_… variable (the only ones the scripts may read), got "${envName}"`,
      );
    }
    const value = getEnv(envName)?.trim();
    return value ? { value, from: envName } : undefined;
  }
  const path = profile[`${kind}File`];
  if (path !== undefined) {
    const full = expandHome(path, getEnv);
    await ownerOnly(
      full,
      `holds the ${kind === "apiKey" ? "API key" : "password"} of ${where}`,
    );
    const value = (await Deno.readTextFile(full)).trim();
    return value ? { value, from: full } : undefined;
  }
  const value = profile[kind];
  return value ? { value, from: file } : undefined;
}

/** Refuses a secret's file that its group or others can read. */
async function ownerOnly(path: string, what: string): Promise<void> {
  let mode: number | null;
  try {
    mode = (await Deno.stat(path)).mode;
  } catch (error) {
    throw new UsageError(
      `cannot read ${path} (it ${what}): ${(error as Error).message}`,
    );
  }
  // No modes on Windows: its ACLs are the user's folder's.
  if (mode !== null && (mode & 0o077) !== 0) {
    throw new UsageError(
      `${path} ${what} but others can read it (mode ${
        (mode & 0o777).toString(8)
      }): run \`chmod 600 ${path}\``,
    );
  }
}

/** `~/x` → `$HOME/x`. */
function expandHome(
  path: string,
  getEnv: (n: string) => string | undefined,
): string {
  const home = getEnv("HOME") ?? getEnv("USERPROFILE");
  return path.startsWith("~/") && home ? join(home, path.slice(2)) : path;
}
