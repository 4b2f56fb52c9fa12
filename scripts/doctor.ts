#!/usr/bin/env -S deno run --allow-net --allow-read --allow-env=TS_*,HOME,XDG_*,APPDATA,NO_COLOR,FORCE_COLOR,CLICOLOR_FORCE,HTTP*,ALL_PROXY,NO_PROXY,http*,all_proxy,no_proxy,UNDICI_*,JEST_WORKER_ID
/**
 * `doctor.ts`: checks the connection to a Torrent Suite server, in order,
 * and prints a checklist with a fix for each failure.
 *
 *     doctor.ts                       with TS_URL, TS_USER, TS_API_KEY…
 *     doctor.ts --url https://ts.example.org --format json
 *
 * @module
 */

import type { Command } from "commander";
import { type DoctorCheck, runDoctor } from "../lib/doctor/mod.ts";
import { addFormatOption, type Format } from "./_cli/flags.ts";
import { configFrom, profileLine } from "./_cli/connect.ts";
import { eprint, print, useColor, writeRows } from "./_cli/output.ts";
import {
  type CommonFlags,
  EXIT,
  type Invocation,
  invocationOf,
  newProgram,
  runMain,
} from "./_cli/program.ts";
import { type CommandIO, denoIO, spokenAs } from "./_cli/io.ts";

interface Flags extends CommonFlags {
  format?: Format;
}

const HELP = `
Checks, in order: the URL answers and is a Torrent Suite API (which version);
TLS (the certificate the server presents, against TS_CA_CERT, and what to do
with a self-signed one); the credentials and which form was used (API key,
password or none); that the user can read reports and plugin results (and
run logs, with a password); the proxy in effect; this machine's clock
against the server's. A check that needs a failed one is skipped.

Exit codes: 0 every check passed; 1 some check failed or was skipped;
2 usage error.`;

const MARK: Record<DoctorCheck["status"], [string, string]> = {
  pass: ["[ ok ]", "32"],
  fail: ["[FAIL]", "1;31"],
  skip: ["[skip]", "2"],
};

/** Builds the command-line program of an invocation. */
export function program(
  run: Invocation = invocationOf("doctor.ts", []),
): Command {
  const { io } = run;
  const cmd = newProgram(
    run.name,
    "Check the connection to a Torrent Suite server, with a fix for each failure.",
    io,
  )
    .addHelpText("after", HELP)
    .action(async (_o, command: Command) => {
      run.exitCode = await check(io, command.opts<Flags>());
    });
  return addFormatOption(cmd);
}

async function check(io: CommandIO, flags: Flags): Promise<number> {
  const config = await configFrom(flags, io);
  const report = await runDoctor(config, {
    timeoutMs: flags.requestTimeout * 1000,
  });
  const format = flags.format ?? "table";
  if (format !== "table") {
    const line = profileLine(config);
    if (line) eprint(io, line);
    writeRows(io, report.checks, [
      { name: "id", value: (c) => c.id },
      { name: "title", value: (c) => c.title },
      { name: "status", value: (c) => c.status },
      { name: "detail", value: (c) => c.detail },
      {
        name: "fix",
        value: (c) => c.fix === undefined ? null : spokenAs(io, c.fix),
      },
    ], format);
  } else {
    const color = useColor(io, io.stdout);
    const paint = (code: string, s: string) =>
      color ? `\x1b[${code}m${s}\x1b[0m` : s;
    print(
      io,
      `Checking ${config.url}${config.user ? ` as ${config.user}` : ""}${
        config.profile
          ? ` (server profile "${config.profile.name}" of ${config.profile.file}${
            config.profile.secretFrom
              ? `, secret from ${config.profile.secretFrom}`
              : ""
          })`
          : ""
      }:`,
    );
    for (const c of report.checks) {
      const [mark, code] = MARK[c.status];
      print(
        io,
        `${paint(code, mark)} ${c.title.padEnd(16)} ${spokenAs(io, c.detail)}`,
      );
      if (c.fix) {
        print(
          io,
          `       ${" ".repeat(16)} ${
            paint("1", `fix: ${spokenAs(io, c.fix)}`)
          }`,
        );
      }
    }
    const failed = report.checks.filter((c) => c.status !== "pass").length;
    print(
      io,
      failed === 0
        ? "All checks passed."
        : `${failed} of ${report.checks.length} checks did not pass.`,
    );
  }
  return report.ok ? EXIT.ok : EXIT.failed;
}

/**
 * Runs the command with the given arguments; returns the exit code.
 *
 * @param args The arguments after the command's name.
 * @param io Streams, environment and terminal (default the real ones);
 *   `io.ionrun` when started as `ionrun doctor`.
 */
export async function main(
  args: string[],
  io: CommandIO = denoIO,
): Promise<number> {
  const run = invocationOf("doctor.ts", args, io);
  return await runMain(program(run), run);
}

if (import.meta.main) Deno.exitCode = await main(Deno.args);
