// A real second Deno process for the tests of what crosses processes (locks,
// claims, beacons, the active-runs board): it runs a script that talks JSON
// lines on stdin and stdout, and is killed with SIGKILL for the "dead owner"
// cases.

import assert from "node:assert/strict";

/** URL of lib/, for the peer's dynamic imports (`lib + "claims/_beacon.ts"`). */
const LIB = new URL("../lib/", import.meta.url).href;

/**
 * Another Deno process running `body` after a prelude giving it `lib` (the
 * URL of lib/), `say(value)` (a JSON line on its stdout) and `next()` (a line
 * of its stdin; null at its end).
 */
export class Peer implements AsyncDisposable {
  readonly pid: number;
  #child: Deno.ChildProcess;
  #out: ReadableStreamDefaultReader<Uint8Array>;
  #in: WritableStreamDefaultWriter<Uint8Array>;
  #buffer = "";
  #decoder = new TextDecoder();
  #done = false;

  constructor(body: string) {
    const prelude = `
      const lib = ${JSON.stringify(LIB)};
      const say = (v) => console.log(JSON.stringify(v ?? null));
      const stdin = Deno.stdin.readable.getReader();
      const decoder = new TextDecoder();
      let buffered = "";
      async function next() {
        while (!buffered.includes("\\n")) {
          const { value, done } = await stdin.read();
          if (done) return null;
          buffered += decoder.decode(value, { stream: true });
        }
        const i = buffered.indexOf("\\n");
        const line = buffered.slice(0, i);
        buffered = buffered.slice(i + 1);
        return line;
      }
    `;
    this.#child = new Deno.Command(Deno.execPath(), {
      args: ["eval", "--no-config", "--cached-only", prelude + body],
      stdin: "piped",
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    this.pid = this.#child.pid;
    this.#out = this.#child.stdout.getReader();
    this.#in = this.#child.stdin.getWriter();
  }

  /** The next JSON line the peer said. */
  async read<T>(): Promise<T> {
    while (!this.#buffer.includes("\n")) {
      const { value, done } = await this.#out.read();
      if (done) throw new Error(`peer ${this.pid} ended: ${this.#buffer}`);
      this.#buffer += this.#decoder.decode(value, { stream: true });
    }
    const i = this.#buffer.indexOf("\n");
    const line = this.#buffer.slice(0, i);
    this.#buffer = this.#buffer.slice(i + 1);
    return JSON.parse(line) as T;
  }

  /** Sends a JSON line. */
  async send(value: unknown): Promise<void> {
    await this.#in.write(
      new TextEncoder().encode(`${JSON.stringify(value)}\n`),
    );
  }

  /** Ends its input and waits for it to exit (successfully). */
  async end(): Promise<void> {
    if (this.#done) return;
    this.#done = true;
    await this.#in.close();
    const status = await this.#child.status;
    while (!(await this.#out.read()).done) { /* drain */ }
    assert.equal(status.code, 0, `peer ${this.pid} failed`);
  }

  /** Kills it (SIGKILL: no clean-up of any kind) and waits for its end. */
  async kill(): Promise<void> {
    if (this.#done) return;
    this.#done = true;
    this.#child.kill("SIGKILL");
    await this.#child.status;
    await this.#in.close().catch(() => {});
    await this.#out.cancel();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.kill();
  }
}
