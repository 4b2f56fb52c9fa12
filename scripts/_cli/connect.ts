// The connection of the scripts that also need the settings themselves
// (status.ts reads logs with the password, doctor.ts checks each setting):
// the settings, the client, and errors explained with what is set.

import { createClient, tlsHint, type TsClient } from "../../lib/http/mod.ts";
import {
  basicPasswordProblem,
  type ConnectionConfig,
  loadConfig,
} from "../../lib/config.ts";
import { NetworkError, UsageError } from "../../lib/errors.ts";
import type { CommonFlags } from "./program.ts";
import { type CommandIO, configSources, denoIO } from "./io.ts";

/** Settings from the common flags, the io's environment and `.env`. */
export function configFrom(
  flags: Pick<CommonFlags, "server" | "url" | "user" | "caCert">,
  io: CommandIO = denoIO,
): Promise<ConnectionConfig> {
  return loadConfig({
    ...configSources(io),
    flags: {
      server: flags.server,
      url: flags.url,
      user: flags.user,
      caCert: flags.caCert,
    },
  });
}

/** Settings and a client built from the common flags, the environment and `.env`. */
export async function connect(
  flags: CommonFlags,
  io: CommandIO = denoIO,
): Promise<{ config: ConnectionConfig; client: TsClient }> {
  const config = await configFrom(flags, io);
  const problem = basicPasswordProblem(config);
  if (problem) throw new UsageError(problem);
  const client = await createClient({
    ...config,
    timeoutMs: flags.requestTimeout * 1000,
  });
  return { config, client };
}

/** One line saying which server profile is in use (for stderr), if one is. */
export function profileLine(config: ConnectionConfig): string | undefined {
  const p = config.profile;
  if (!p) return undefined;
  return `server: ${p.name} (${config.url}, from ${p.file}${
    p.secretFrom ? `; secret from ${p.secretFrom}` : ""
  })`;
}

/**
 * The error with its hint made exact by what is set: a TLS failure's hint
 * then knows whether `TS_CA_CERT` is set (and names the file).
 */
export function explain(
  error: unknown,
  config: Pick<ConnectionConfig, "caCertFile"> | undefined,
): unknown {
  if (!(error instanceof NetworkError) || error.kind !== "tls" || !config) {
    return error;
  }
  const url = new URL(error.url);
  return new NetworkError(error.message, {
    method: error.method,
    url: error.url,
    kind: "tls",
    outcomeUnknown: error.outcomeUnknown,
    cause: error.cause,
    hint: tlsHint(error.cause, { url, caCertFile: config.caCertFile ?? null }),
  });
}
