// The `doctor` command: the code of `scripts/doctor.ts` and of `ionrun doctor`
// (each imports this module; no script imports another).
import type { Command } from "commander";
import { type DoctorCheck, runDoctor } from "../../../lib/doctor/mod.ts";
import { addFormatOption, type Format } from "../flags.ts";
import { configFrom, profileLine } from "../connect.ts";
import { eprint, print, useColor, writeRows } from "../output.ts";
import { type CommonFlags, EXIT, newProgram, runMain } from "../program.ts";

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

/** Builds the command-line program. */
export function program(name = "doctor.ts"): Command {
  const cmd = newProgram(
    name,
    "Check the connection to a Torrent Suite server, with a fix for each failure.",
  )
    .addHelpText("after", HELP)
    .action(async (_o, command: Command) => {
      Deno.exitCode = await run(command.opts<Flags>());
    });
  return addFormatOption(cmd);
}

async function run(flags: Flags): Promise<number> {
  const config = await configFrom(flags);
  const report = await runDoctor(config, {
    timeoutMs: flags.requestTimeout * 1000,
  });
  const format = flags.format ?? "table";
  if (format !== "table") {
    const line = profileLine(config);
    if (line) eprint(line);
    writeRows(report.checks, [
      { name: "id", value: (c) => c.id },
      { name: "title", value: (c) => c.title },
      { name: "status", value: (c) => c.status },
      { name: "detail", value: (c) => c.detail },
      { name: "fix", value: (c) => c.fix ?? null },
    ], format);
  } else {
    const color = useColor(Deno.stdout);
    const paint = (code: string, s: string) =>
      color ? `\x1b[${code}m${s}\x1b[0m` : s;
    print(
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
      print(`${paint(code, mark)} ${c.title.padEnd(16)} ${c.detail}`);
      if (c.fix) {
        print(`       ${" ".repeat(16)} ${paint("1", `fix: ${c.fix}`)}`);
      }
    }
    const failed = report.checks.filter((c) => c.status !== "pass").length;
    print(
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
 * @param name How it is called: `doctor.ts`, or `ionrun <command>`.
 */
export function main(
  args: string[],
  name = "doctor.ts",
): Promise<number> {
  return runMain(program(name), args);
}
