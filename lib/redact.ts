/**
 * The toolkit's one rule for secrets in configs and logs: the value of any
 * key whose name looks like a secret ({@linkcode SECRET_KEY_PATTERN}:
 * password, passwd, secret, token, api_key, apikey, credential, plus names
 * the caller adds) is replaced by `[redacted]`, in objects (deep) and in text
 * (`user_password=…`, `password: …`, `"token": "…"`, `--password …`,
 * `Authorization: Basic …`, `https://user:…@host`, `?api_key=…` in URLs),
 * and so is every
 * occurrence of a secret the caller knows (the user's own password or API
 * key), wherever it stands.
 *
 * Torrent Suite keeps plugin configs as they were sent (a run's job `config`)
 * and plugins print their settings into their logs, passwords included: one
 * of Torrent Suite's own clean-up scripts deletes the `user_password` lines
 * of RunTransfer's `drmaa_stdout.txt` for that reason. So anything shown from
 * a config or a log goes through these functions first.
 *
 * @module
 */

/** What a redacted value is replaced with. */
export const REDACTED = "[redacted]";

/** Parts of key names that mark a secret (case-insensitive, `-`/`_` alike). */
export const SECRET_KEY_PARTS: readonly string[] = [
  "password",
  "passwd",
  "secret",
  "token",
  "api_key",
  "apikey",
  "credential",
];

/**
 * The default rule for secret key names: a name containing (anywhere, in any
 * case) password, passwd, secret, token, api_key, api-key, apikey or
 * credential. `user_password`, `ApiKey`, `client_secret`, `access_token`,
 * `credentials` all match; `server_ip` does not.
 *
 * @example
 * ```ts
 * import { SECRET_KEY_PATTERN } from "./redact.ts";
 * if (!SECRET_KEY_PATTERN.test("user_password")) throw new Error();
 * if (SECRET_KEY_PATTERN.test("server_ip")) throw new Error();
 * ```
 */
export const SECRET_KEY_PATTERN: RegExp =
  /password|passwd|secret|token|api[_-]?key|credential/i;

/** Options of the redaction functions. */
export interface RedactOptions {
  /**
   * More key names (or parts of names) to treat as secrets, e.g.
   * `["pin", "ionreporter_key"]`; matched like the built-in ones.
   */
  extraKeys?: readonly string[];
  /**
   * Secrets known by value (the user's own password or API key): every
   * occurrence is replaced, whatever surrounds it. Empty ones, and ones
   * shorter than {@linkcode MIN_SECRET_LENGTH}, are ignored.
   */
  secrets?: readonly (string | undefined)[];
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** `api_key`, `api-key` and `apikey` alike: `_` and `-` match either or none. */
function partPattern(part: string): string {
  return part.split(/[_-]/).map(escape).join("[_-]?");
}

interface Compiled {
  key: RegExp;
  /** A part of a secret name anywhere in a name (query parameters). */
  part: RegExp;
  quoted: RegExp;
  bare: RegExp;
  flag: RegExp;
}

const cache = new Map<string, Compiled>();

/** A value after a key: a quoted string (whole), or a run of plain characters. */
const VALUE = `"(?:\\\\.|[^"\\\\])*"|'(?:\\\\.|[^'\\\\])*'|[^\\s,;&'"}\\]]+`;

/** Not a value that is already redacted (keeps redaction idempotent). */
const NOT_DONE = `(?!${escape(REDACTED)})`;

/** `[redacted]`, inside the value's own quotes if it had any. */
function masked(value: string): string {
  const q = value[0];
  return q === '"' || q === "'" ? `${q}${REDACTED}${q}` : REDACTED;
}

function compile(options: RedactOptions = {}): Compiled {
  const extra = (options.extraKeys ?? []).map((k) => k.trim()).filter(Boolean);
  const id = extra.join("\u0000");
  const hit = cache.get(id);
  if (hit) return hit;
  const parts = [...SECRET_KEY_PARTS, ...extra].map(partPattern).join("|");
  // A key: a word containing one of the parts (user_password, ApiKey, db.token).
  const word = `[\\w.-]*(?:${parts})[\\w.-]*`;
  const compiled: Compiled = {
    key: new RegExp(`^${word}$`, "i"),
    part: new RegExp(parts, "i"),
    // "key": "value" / 'key': 'value' / "key": 123 (JSON, Python dicts)
    quoted: new RegExp(
      `(["'])(${word})\\1(\\s*[:=]\\s*)${NOT_DONE}(?:(["'])((?:\\\\.|(?!\\4).)*)\\4|([^\\s,}\\]]+))`,
      "gi",
    ),
    // key=value / key: value (settings lines, query strings, env dumps)
    bare: new RegExp(
      `(^|[^\\w.-])(${word})(\\s*[=:]\\s*)${NOT_DONE}(${VALUE})`,
      "gim",
    ),
    // --password value / --api-key=value / -token value
    flag: new RegExp(
      `(^|\\s)(--?${word})(=|\\s+)${NOT_DONE}(${VALUE})`,
      "gi",
    ),
  };
  cache.set(id, compiled);
  return compiled;
}

/**
 * Whether a key name looks like a secret.
 *
 * @example
 * ```ts
 * import { isSecretKey } from "./redact.ts";
 * if (!isSecretKey("user_password") || !isSecretKey("apiKey")) throw new Error();
 * if (isSecretKey("server_ip")) throw new Error();
 * if (!isSecretKey("pin", { extraKeys: ["pin"] })) throw new Error();
 * ```
 *
 * @param name The key.
 * @param options Extra secret names.
 * @returns True when its value must be redacted.
 */
export function isSecretKey(name: string, options?: RedactOptions): boolean {
  return compile(options).key.test(name);
}

/**
 * Query parameter names that hold a secret in a URL although the key rule
 * leaves them alone in other text: `key` (`?key=…`, as Google's APIs and
 * many proxies spell an API key; "key is 42" in a log is no secret).
 */
const URL_SECRET_PARAMS: readonly string[] = ["key"];

/**
 * Whether a URL's query (or fragment) parameter holds a secret: its name,
 * percent-decoded, contains one of the secret words anywhere
 * ({@linkcode SECRET_KEY_PATTERN}, plus `extraKeys`: `api_key`, `apiKey`,
 * `password`, `access_token`, `auth[password]`), or it is `key`. Not
 * `username`: a user name is not a secret.
 *
 * @example
 * ```ts
 * import { isSecretParam } from "./redact.ts";
 * for (const n of ["api_key", "password", "key", "auth%5Bpassword%5D"]) {
 *   if (!isSecretParam(n)) throw new Error(n);
 * }
 * if (isSecretParam("username") || isSecretParam("limit")) throw new Error();
 * ```
 *
 * @param name The parameter's name, as it stands in the URL or decoded.
 * @param options Extra secret names.
 * @returns True when its value must be redacted.
 */
export function isSecretParam(name: string, options?: RedactOptions): boolean {
  let decoded = name.replaceAll("+", " ");
  try {
    decoded = decodeURIComponent(decoded);
  } catch {
    // a malformed escape: judge the name as it stands
  }
  decoded = decoded.trim();
  return compile(options).part.test(decoded) ||
    URL_SECRET_PARAMS.includes(decoded.toLowerCase());
}

/**
 * A URL's query (or fragment), without its `?`, with the values of secret
 * parameters ({@linkcode isSecretParam}) replaced by `[redacted]`; the rest
 * is kept exactly as written (no re-encoding). Parameters are split at `&`
 * and `;` (Torrent Suite's Python 2 splits at both). An empty value is left
 * as it is: nothing to hide.
 *
 * @example
 * ```ts
 * import { redactQuery } from "./redact.ts";
 * const q = redactQuery("username=ionuser&api_key=0123abcd&limit=5");
 * if (q !== "username=ionuser&api_key=[redacted]&limit=5") throw new Error(q);
 * ```
 *
 * @param query The query string, without the leading `?`.
 * @param options Extra secret names.
 * @returns The redacted query.
 */
export function redactQuery(query: string, options?: RedactOptions): string {
  return query.replace(
    /(^|[&;])([^&;=]*)=([^&;]*)/g,
    (m, sep, name, value) =>
      value !== "" && isSecretParam(name, options)
        ? `${sep}${name}=${REDACTED}`
        : m,
  );
}

/**
 * A deep copy of a value (a plugin config, a parsed JSON document) with the
 * values of secret keys replaced by `[redacted]`, at any depth; other strings
 * are redacted as text (a `"--password x"` argument, a known secret inside a
 * string). An empty or null secret is left as it is (nothing to hide, and
 * the reader sees it was empty).
 *
 * @example
 * ```ts
 * import { redactConfig } from "./redact.ts";
 * const config = { server_ip: "10.0.0.4", user_password: "hunter2", nested: { apiKey: "abc" } };
 * const safe = redactConfig(config);
 * if (JSON.stringify(safe).includes("hunter2")) throw new Error("leaked");
 * if (safe.user_password !== "[redacted]") throw new Error("not redacted");
 * if (safe.server_ip !== "10.0.0.4") throw new Error("over-redacted");
 * ```
 *
 * @param value Any JSON-like value.
 * @param options Extra secret names, known secrets.
 * @returns The redacted copy (same shape; the input is not changed).
 */
export function redactConfig<T>(value: T, options?: RedactOptions): T {
  const c = compile(options);
  const walk = (v: unknown): unknown => {
    if (typeof v === "string") return redactText(v, options);
    if (Array.isArray(v)) return v.map(walk);
    if (v !== null && typeof v === "object") {
      const out: Record<string, unknown> = {};
      for (const [k, inner] of Object.entries(v)) {
        out[k] = c.key.test(k) && inner !== null && inner !== "" &&
            inner !== undefined
          ? REDACTED
          : walk(inner);
      }
      return out;
    }
    return v;
  };
  return walk(value) as T;
}

/**
 * The same as {@linkcode redactConfig} (its first name).
 *
 * @deprecated Use {@linkcode redactConfig}.
 * @param value Any JSON-like value.
 * @param options Extra secret names, known secrets.
 * @returns The redacted copy.
 */
export function redactObject<T>(value: T, options?: RedactOptions): T {
  return redactConfig(value, options);
}

/** Known secrets shorter than this are not searched for in text. */
export const MIN_SECRET_LENGTH = 4;

/** Known secrets as they may appear in text: as given and URL-encoded. */
function literalSecrets(options?: RedactOptions): string[] {
  const out = new Set<string>();
  for (const s of options?.secrets ?? []) {
    // Shorter ones would blank out ordinary words ("ion" in "version") and
    // hide little: a secret that short is not much of one.
    if (!s || s.length < MIN_SECRET_LENGTH) continue;
    out.add(s);
    out.add(encodeURIComponent(s));
  }
  // Longest first, so a secret containing another is replaced whole.
  return [...out].sort((a, b) => b.length - a.length);
}

/**
 * Text (a log, a message) with the values of secret keys replaced by
 * `[redacted]`: `user_password=…`, `password: …`, `"token": "…"`,
 * `'secret': …`, `--password …`, `--api-key=…`, `Authorization: Basic …`,
 * the password of `https://user:…@host` (and `https://:…@host`) URLs, the
 * secret query and fragment parameters of URLs ({@linkcode isSecretParam}:
 * `?api_key=…`, `&key=…`, `#access_token=…`, the whole value up to the next
 * `&`, `;`, `#`, quote or space), and every occurrence of the `secrets`
 * given. Everything else is left as it was.
 *
 * @example
 * ```ts
 * import { redactText } from "./redact.ts";
 * const log = [
 *   "  user_password=ionadmin",
 *   '{"token": "abc123", "server": "ts1"}',
 *   "rsync --password s3cret /data",
 *   "connecting as ionuser with pw Hunter2!",
 * ].join("\n");
 * const safe = redactText(log, { secrets: ["Hunter2!"] });
 * for (const s of ["ionadmin", "abc123", "s3cret", "Hunter2!"]) {
 *   if (safe.includes(s)) throw new Error(`${s} leaked`);
 * }
 * if (!safe.includes('"server": "ts1"')) throw new Error("over-redacted");
 * ```
 *
 * @param text Any text.
 * @param options Extra secret names, known secrets.
 * @returns The redacted text.
 */
export function redactText(text: string, options?: RedactOptions): string {
  const c = compile(options);
  let out = text;
  // Known secrets first: a password inside a key=value line is then already
  // gone, and one printed bare ("connecting with Hunter2") is caught too.
  for (const secret of literalSecrets(options)) {
    out = out.replaceAll(secret, REDACTED);
  }
  return out
    .replace(
      /\b(Authorization|Proxy-Authorization)(["']?\s*[:=]\s*["']?)(Basic|ApiKey|Bearer|Token|PluginKey|Digest)?(\s*)([^\s"',]+)/gi,
      (m, name, sep, scheme, space, value) =>
        value === REDACTED
          ? m
          : `${name}${sep}${scheme ?? ""}${space}${REDACTED}`,
    )
    .replace(
      // The last `@` of the authority: a password may hold one.
      /\b([a-z][a-z0-9+.-]*:\/\/[^\s/?#:@]*:)([^\s/?#]+)@/gi,
      (_m, head) => `${head}${REDACTED}@`,
    )
    .replace(
      // A URL's query or fragment parameter (`?api_key=…`, `&key=…`).
      /([?&#])([\w.%[\]+-]+)=([^\s&;#"'<>]+)/g,
      (m, lead, name, value) =>
        value !== REDACTED && isSecretParam(name, options)
          ? `${lead}${name}=${REDACTED}`
          : m,
    )
    .replace(
      c.quoted,
      (m, q, key, sep, vq, _quotedValue, bareValue) =>
        vq !== undefined
          ? `${q}${key}${q}${sep}${vq}${REDACTED}${vq}`
          : bareValue === "null" || bareValue === "None"
          ? m
          : `${q}${key}${q}${sep}${REDACTED}`,
    )
    .replace(
      c.flag,
      (_m, lead, flag, sep, value) => `${lead}${flag}${sep}${masked(value)}`,
    )
    .replace(
      c.bare,
      (_m, lead, key, sep, value) => `${lead}${key}${sep}${masked(value)}`,
    );
}
