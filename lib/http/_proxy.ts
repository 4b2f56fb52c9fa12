// Which proxy, if any, the client goes through, from the environment, by the
// rules curl and most tools follow (undici's own EnvHttpProxyAgent differs:
// it ignores ALL_PROXY and sends https traffic through http_proxy).

/** Reads an environment variable; `undefined` when unset or not readable. */
export type GetEnv = (name: string) => string | undefined;

/**
 * Reads a variable only when allowed to: a denied variable counts as unset
 * instead of prompting (nothing else reads these variables for us).
 */
export function permittedEnv(name: string): string | undefined {
  const { state } = Deno.permissions.querySync({ name: "env", variable: name });
  return state === "granted" ? Deno.env.get(name) : undefined;
}

/**
 * The proxy URL for requests to `url`: `HTTPS_PROXY` for https URLs,
 * `HTTP_PROXY` for http ones, else `ALL_PROXY` (upper or lower case, upper
 * first), unless the host matches `NO_PROXY` (`*`, a host name, a domain
 * suffix with or without a leading dot, any port). `undefined`: connect
 * directly.
 *
 * @param url The server's URL.
 * @param getEnv Reads a variable; default {@linkcode permittedEnv}.
 */
export function proxyFor(
  url: string | URL,
  getEnv: GetEnv = permittedEnv,
): string | undefined {
  const read = (name: string): string | undefined => {
    for (const variable of [name, name.toLowerCase()]) {
      const value = getEnv(variable)?.trim();
      if (value) return value;
    }
    return undefined;
  };
  const target = new URL(url);
  const proxy =
    read(target.protocol === "https:" ? "HTTPS_PROXY" : "HTTP_PROXY") ??
      read("ALL_PROXY");
  if (proxy === undefined) return undefined;
  const host = target.hostname.replace(/^\[|\]$/g, "").toLowerCase();
  const excluded = (read("NO_PROXY") ?? "").split(",").some((entry) => {
    const name = entry.trim().toLowerCase().replace(/^\*?\./, "")
      .replace(/:\d+$/, "");
    return entry.trim() === "*" ||
      (name !== "" && (host === name || host.endsWith(`.${name}`)));
  });
  if (excluded) return undefined;
  // A bare host:port (as often written in ALL_PROXY) means an http proxy.
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(proxy) ? proxy : `http://${proxy}`;
}
