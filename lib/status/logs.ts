/**
 * Plugin-run logs: the last lines of a run's `drmaa_stdout.txt`, the file
 * the grid engine writes into the run's output folder (stdout and stderr
 * joined), redacted, with the lines that carry an error marked.
 *
 * Where Torrent Suite puts it (iontorrent/TS): `dbReports/iondb/bin/ionPlugin.py`
 * submits each job with `jt.outputPath = ":" + os.path.join(<results_dir>,
 * "drmaa_stdout.txt")` and `jt.joinFiles = True`; the results dir is the
 * run's output folder, `<report>/plugin_out/<Name>_out.<pk>` (before 4.4
 * `<Name>_out`), whose web path is the run's `URL` field.
 *
 * Who may read it: the file is served beside the report, outside the API,
 * by `serve_wsgi_location` (`dbReports/iondb/servelocation.py`, decorated
 * `@login_required`). Only a Django session counts there, which a browser
 * login or an `Authorization: Basic` header opens
 * (`dbReports/iondb/rundb/login/middleware.py` `BasicAuthMiddleware`, which
 * handles Basic and nothing else). An API key (`ApiKey user:key`,
 * `?api_key=`) is checked only by the API's Tastypie authentication, so with
 * one the server answers a redirect to `/login/`. Hence: a password
 * (`TS_PASSWORD`) reads logs with Basic; an API key alone cannot, and the
 * log's URL is given instead (it opens in a browser logged in to Torrent
 * Suite). A login page is never taken for a log.
 *
 * Logs hold whatever a plugin printed, its settings and passwords included,
 * so every line goes through {@linkcode redactText}.
 *
 * @module
 */

import {
  causeChain,
  type Http,
  httpFor,
  readCaCert,
  redactUrl,
  type Transport,
} from "../http/mod.ts";
import { type RedactOptions, redactText } from "../redact.ts";
import {
  answerProblem,
  DEFAULT_LOG_LINES,
  isErrorLine,
  LOG_FILE,
  runLogUrl,
} from "./_log_text.ts";

export { DEFAULT_LOG_LINES, isErrorLine, LOG_FILE, runLogUrl };

/** Bytes asked for from the end of a log (`Range`); enough for any tail. */
const TAIL_BYTES = 256 * 1024;

/** What {@linkcode LogReader.tail} reads: a run and where its folder is. */
export interface LogTarget {
  /** Report key. */
  report: number;
  /** Plugin name. */
  plugin: string;
  /** Plugin-result id. */
  id: number | null;
  /** Absolute URL of the run's output folder (the run's `URL`), if known. */
  url: string | null;
  /** The run's state, for the messages. */
  state?: string | null;
}

/**
 * How reading a log went: `ok` (lines read), `needs-password` (only an API
 * key: the URL is given instead), `no-log` (there is no log: the run never
 * started, or its folder was deleted), `refused` (the server sent its login
 * page: the password was not accepted), `failed` (no answer, or another
 * status), `no-url` (the run has no output folder URL).
 */
export type LogStatus =
  | "ok"
  | "needs-password"
  | "no-log"
  | "refused"
  | "failed"
  | "no-url";

/** The tail of one run's log. */
export interface RunLog {
  /** Report key. */
  report: number;
  /** Plugin name. */
  plugin: string;
  /** Plugin-result id. */
  id: number | null;
  /** The log's URL (no credentials in it), or `null` when not known. */
  url: string | null;
  /** How reading it went. */
  status: LogStatus;
  /** Its last lines, redacted (empty unless `ok`). */
  lines: string[];
  /** Indexes in `lines` of the lines that carry an error. */
  errorLines: number[];
  /** Whether lines before these were left out. */
  truncated: boolean;
  /** Why there are no lines, in words (empty when `ok`). */
  message: string;
}

/** Options of {@linkcode createLogReader}. */
export interface LogReaderOptions {
  /** Server base URL. */
  url: string;
  /** User name. */
  user?: string | undefined;
  /** Password: the only credential the log files accept (Basic). */
  password?: string | undefined;
  /** API key: not accepted for logs; its presence only shapes the messages. */
  apiKey?: string | undefined;
  /** PEM text of the CA to trust. */
  caCert?: string | undefined;
  /** Path of a PEM file of the CA to trust (read when `caCert` is not given). */
  caCertFile?: string | undefined;
  /** The HTTP transport; default undici with the CA and the environment's proxy. */
  transport?: Transport;
  /** Per-request timeout in ms; default 30 000. */
  timeoutMs?: number;
  /**
   * Extra key names (and known secrets) to redact in logs; the password and
   * API key above are always redacted wherever they appear.
   */
  redact?: RedactOptions;
}

/**
 * Reads the tails of run logs over the server's web login (Basic). Create it
 * with {@linkcode createLogReader}; close it when done.
 */
export class LogReader {
  /** Whether logs can be read (a password is set). */
  readonly canRead: boolean;
  /** Server base URL. */
  readonly baseUrl: string;
  #http: Http;
  #closed = false;
  #options: LogReaderOptions;
  #user: string | undefined;
  #redact: RedactOptions;

  /**
   * Creates a reader; prefer {@linkcode createLogReader}, which also reads
   * the CA file.
   *
   * @param options Server, credentials, TLS, transport.
   */
  constructor(options: LogReaderOptions) {
    // Basic only: an API key opens the API, not the files beside reports.
    this.#http = httpFor({ ...options, purpose: "files" });
    this.baseUrl = this.#http.baseUrl;
    this.#options = options;
    this.#user = options.user;
    // The user's own secrets too: a plugin may print the password it was
    // configured with, or a URL with the key in it.
    this.#redact = {
      ...(options.redact?.extraKeys
        ? { extraKeys: options.redact.extraKeys }
        : {}),
      secrets: [
        options.password,
        options.apiKey,
        ...(options.redact?.secrets ?? []),
      ],
    };
    this.canRead = this.#http.credentialForm === "basic";
  }

  /** One line saying what run logs need, when they cannot be read. */
  get needs(): string {
    return this.#options.apiKey !== undefined
      ? "run logs need TS_PASSWORD: Torrent Suite serves them behind its web login, which takes a password (Basic) or a browser session, not an API key; their URLs open in a browser logged in to Torrent Suite"
      : "run logs need TS_USER and TS_PASSWORD (Torrent Suite serves them behind its web login); their URLs open in a browser logged in to Torrent Suite";
  }

  /**
   * Reads the last lines of one run's log.
   *
   * @param target The run (report, plugin, id, output folder URL).
   * @param options How many lines (default 40), and a signal.
   * @returns The tail, or why there is none; never throws for a server's
   *   answer or a network failure.
   */
  async tail(
    target: LogTarget,
    options: { lines?: number; signal?: AbortSignal } = {},
  ): Promise<RunLog> {
    const wanted = options.lines ?? DEFAULT_LOG_LINES;
    const base = {
      report: target.report,
      plugin: target.plugin,
      id: target.id,
      lines: [] as string[],
      errorLines: [] as number[],
      truncated: false,
    };
    if (!target.url) {
      return {
        ...base,
        url: null,
        status: "no-url",
        message: target.id === null
          ? "never run: no log"
          : "the server gives no output folder for this run",
      };
    }
    const url = new URL(runLogUrl(target.url));
    const shown = redactUrl(url);
    if (!this.canRead) {
      return {
        ...base,
        url: shown,
        status: "needs-password",
        message: this.needs,
      };
    }
    if (url.origin !== new URL(this.baseUrl).origin) {
      return {
        ...base,
        url: shown,
        status: "failed",
        message:
          `the log is on another server (${url.origin}): not sent the password`,
      };
    }
    let response;
    try {
      response = await this.#http.send({
        url,
        headers: {
          Accept: "text/plain, */*;q=0.1",
          Range: `bytes=-${TAIL_BYTES}`,
        },
        signal: options.signal,
      });
    } catch (error) {
      if (options.signal?.aborted) throw error; // the signal's reason
      return {
        ...base,
        url: shown,
        status: "failed",
        message: redactText(
          (error instanceof Error && error.message) || causeChain(error),
          this.#redact,
        ),
      };
    }
    const body = response.body;
    const problem = answerProblem(response, {
      user: this.#user,
      password: this.#options.password,
      state: target.state ?? null,
    });
    if (problem) return { ...base, url: shown, ...problem };
    let all = body.split(/\r?\n/);
    if (all.at(-1) === "") all.pop();
    const partial = response.status === 206 && !/^bytes 0-/.test(
      response.headers.get("content-range") ?? "",
    );
    if (partial) all = all.slice(1); // the first line is cut
    const start = Math.max(0, all.length - wanted);
    const lines = all.slice(start).map((l) => redactText(l, this.#redact));
    return {
      ...base,
      url: shown,
      status: "ok",
      lines,
      errorLines: lines.flatMap((l, i) => isErrorLine(l) ? [i] : []),
      truncated: start > 0 || partial,
      message: "",
    };
  }

  /**
   * Closes the reader's connections. Safe to call twice.
   *
   * @returns Resolves when they are closed.
   */
  async close(): Promise<void> {
    if (this.#closed || this.#options.transport) return;
    this.#closed = true;
    await this.#http.close();
  }

  /** Same as {@linkcode LogReader.close}, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/**
 * Creates a log reader from the connection settings (those of
 * `loadConfig`), reading the CA file if one is set.
 *
 * @example
 * ```ts
 * import { createLogReader } from "./logs.ts";
 * await using reader = await createLogReader({ url: "http://127.0.0.1:1", user: "u", apiKey: "k" });
 * const log = await reader.tail({ report: 1, plugin: "igv", id: 7, url: "http://127.0.0.1:1/output/Home/R_001/plugin_out/igv_out.7/" });
 * if (log.status !== "needs-password" || !log.url?.endsWith("drmaa_stdout.txt")) throw new Error();
 * ```
 *
 * @param options Settings (server, user, password, CA) and injections.
 * @returns The reader; close it when done.
 */
export async function createLogReader(
  options: LogReaderOptions,
): Promise<LogReader> {
  if (options.caCertFile !== undefined && options.caCert === undefined) {
    const caCert = await readCaCert(options.caCertFile);
    return new LogReader({ ...options, caCert });
  }
  return new LogReader(options);
}

/**
 * Reads the log tails of several runs, a few at a time, in input order.
 *
 * @example
 * ```ts
 * import { createClient } from "../http/mod.ts";
 * import { createLogReader, readRunLogs } from "./logs.ts";
 * import { pairStatuses } from "./status.ts";
 * import { startSimulator } from "../../simulator/mod.ts";
 * await using server = await startSimulator({ reports: 3 });
 * const user = server.users[1]!;
 * const config = { url: server.url, user: user.username, password: user.password };
 * const [report] = server.reportIds();
 * server.addPluginResult(report!, "igv", "Error");
 * await using client = await createClient(config);
 * const statuses = await pairStatuses(client, { reports: [report!], plugins: ["igv"] });
 * await using reader = await createLogReader(config);
 * const logs = await readRunLogs(reader, statuses.filter((s) => s.stateClass === "failed"));
 * for (const log of logs) {
 *   console.log(log.plugin, log.status, log.lines.join("\n") || log.message);
 * }
 * if (logs.length !== 1 || logs[0]!.status !== "ok" || logs[0]!.errorLines.length === 0) throw new Error();
 * ```
 *
 * @param reader The reader.
 * @param targets The runs.
 * @param options Lines per log (default 40), concurrency (default 4), signal.
 * @returns One result per target.
 */
export async function readRunLogs(
  reader: LogReader,
  targets: readonly LogTarget[],
  options: { lines?: number; concurrency?: number; signal?: AbortSignal } = {},
): Promise<RunLog[]> {
  const out: RunLog[] = new Array(targets.length);
  let next = 0;
  const worker = async () => {
    while (next < targets.length) {
      const i = next++;
      out[i] = await reader.tail(targets[i]!, {
        ...(options.lines !== undefined ? { lines: options.lines } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
      });
    }
  };
  const n = Math.max(1, Math.min(options.concurrency ?? 4, targets.length));
  await Promise.all(Array.from({ length: n }, worker));
  return out;
}
