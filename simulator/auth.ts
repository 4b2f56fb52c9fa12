// Simulator internals: the authentication chain of IonAuthentication.

import type { AuthKind, Req, RouteContext, SimUser } from "./types.ts";

/** The default accounts: `ionadmin` (superuser) and `ionuser`, password = user name. */
export const DEFAULT_USERS: SimUser[] = [
  {
    username: "ionadmin",
    password: "ionadmin",
    apiKey: "5f1d9c0a7e3b24c6d8f0a1b2c3d4e5f60718293a",
  },
  {
    username: "ionuser",
    password: "ionuser",
    apiKey: "b8e27a4c9d1f30e5a6c7b8d9e0f1a2b3c4d5e6f7",
  },
];

/** Tastypie's auth chain: Basic, session, ApiKey header, then `username`/`api_key` params. */
export function authenticate(
  ctx: RouteContext,
  headers: Headers,
  params: URLSearchParams,
): Req["auth"] {
  const header = (headers.get("authorization") ?? "").trim();
  const scheme = header.split(/\s+/)[0]!.toLowerCase();
  const cookie = /(?:^|;\s*)sessionid=([^;]*)/.exec(headers.get("cookie") ?? "")
    ?.[1];
  const byName = (name: string) =>
    ctx.users.find((u) => u.username === name) ?? null;
  if (scheme === "basic") {
    let decoded = "";
    try {
      decoded = atob(header.slice(5).trim());
    } catch { /* invalid base64 */ }
    const i = decoded.indexOf(":");
    const user = i > 0 ? byName(decoded.slice(0, i)) : null;
    if (user && user.password === decoded.slice(i + 1)) {
      let sid = "";
      while (sid.length < 32) sid += Math.floor(ctx.keyRng() * 16).toString(16);
      ctx.sessions.set(sid, user.username);
      return { kind: "basic", user, cookie: sid };
    }
  }
  if (cookie && ctx.sessions.has(cookie)) {
    return { kind: "session", user: byName(ctx.sessions.get(cookie)!) };
  }
  let kind: AuthKind = header || cookie ? "invalid" : "none";
  if (scheme === "apikey") {
    const tokens = header.split(/\s+/);
    const cred = tokens[1] ?? "";
    const i = cred.indexOf(":");
    const user = tokens.length === 2 && i > 0 ? byName(cred.slice(0, i)) : null;
    if (user && user.apiKey === cred.slice(i + 1)) {
      return { kind: "apikey-header", user };
    }
  } else if (params.has("username") || params.has("api_key")) {
    const user = byName(params.get("username") ?? "");
    if (user && user.apiKey === params.get("api_key")) {
      return { kind: "apikey-query", user };
    }
    kind = "invalid";
  }
  return { kind, user: null };
}
