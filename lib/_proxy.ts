// Whether Deno's fetch would go through a proxy: then writes must use fetch
// too (the keep-alive client of _keepalive_fetch.ts connects directly).

/**
 * True when fetch would send requests to `url` through a proxy (which only
 * fetch knows how to use): `HTTP_PROXY`/`HTTPS_PROXY`/`ALL_PROXY` set and the
 * host not excluded by `NO_PROXY`. Also true when the environment cannot be
 * read, since fetch reads it regardless of permissions.
 */
export function proxyConfigured(url: string): boolean {
  const read = (name: string): string | null | undefined => {
    for (const variable of [name, name.toLowerCase()]) {
      const state = Deno.permissions.querySync({ name: "env", variable }).state;
      if (state !== "granted") return null; // unknown
      const value = Deno.env.get(variable)?.trim();
      if (value) return value;
    }
    return undefined;
  };
  const target = new URL(url);
  const scheme = target.protocol === "https:" ? "HTTPS_PROXY" : "HTTP_PROXY";
  const proxy = [read(scheme), read("ALL_PROXY")];
  if (proxy.includes(null)) return true;
  if (!proxy.some((p) => p)) return false;
  const noProxy = read("NO_PROXY");
  if (noProxy === null) return true;
  const host = target.hostname.replace(/^\[|\]$/g, "").toLowerCase();
  return !(noProxy ?? "").split(",").some((entry) => {
    const name = entry.trim().toLowerCase().replace(/^\*?\./, "")
      .replace(/:\d+$/, "");
    return entry.trim() === "*" ||
      (name !== "" && (host === name || host.endsWith(`.${name}`)));
  });
}
