// Shared helpers of the simulator tests: plain fetch, no client library.

import {
  CANNED_ERROR,
  DEFAULT_USERS,
  type Simulator,
} from "../../simulator/mod.ts";

export const U = DEFAULT_USERS[0]!;
export const API_KEY = { Authorization: `ApiKey ${U.username}:${U.apiKey}` };
export const API = "/rundb/api/v1/";
export const CANNED = JSON.stringify(CANNED_ERROR).replace(":", ": ");
// deno-lint-ignore no-explicit-any
export type Json = Record<string, any>;

/** GETs (or sends) and consumes the body; redirects are not followed. */
export async function call(
  sim: Simulator,
  path: string,
  init: RequestInit & { headers?: Record<string, string> } = {},
  auth: Record<string, string> | null = API_KEY,
) {
  const res = await fetch(`${sim.url}${path}`, {
    redirect: "manual",
    ...init,
    headers: { ...auth, ...init.headers },
  });
  const text = await res.text();
  return {
    status: res.status,
    headers: res.headers,
    text,
    json: (): Json => JSON.parse(text),
  };
}

/** POSTs a launch body to results/<report>/plugin/. */
export function launch(
  sim: Simulator,
  report: number | string,
  body: unknown,
  type = "application/json",
) {
  return call(sim, `${API}results/${report}/plugin/`, {
    method: "POST",
    headers: { "Content-Type": type },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}
