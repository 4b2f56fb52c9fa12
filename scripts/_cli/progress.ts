// Progress display on stderr: a redrawn bar on a terminal, one plain line per
// row otherwise (written in small batches, at most 100 ms late, so that a
// thousand launches are not a thousand blocking writes). Results never go
// here; they go to stdout.

import type { ReadRetry } from "../../lib/http/mod.ts";
import type { BulkEvent, RowResult } from "../../lib/bulk/mod.ts";
import { useColor, write } from "./output.ts";
import { type CommandIO, denoIO } from "./io.ts";
import { describeEstimate } from "./pacing.ts";

const COLORS = {
  launched: "\x1b[32m",
  planned: "\x1b[36m",
  skipped: "\x1b[33m",
  failed: "\x1b[31m",
  "in-doubt": "\x1b[35m",
  invalid: "\x1b[31m",
  "not-started": "\x1b[90m",
  reset: "\x1b[0m",
};

/** Describes a row result in one line. */
export function describeRow(r: RowResult, color = false): string {
  const paint = (s: string) =>
    color ? `${COLORS[r.outcome]}${s}${COLORS.reset}` : s;
  const what = `report ${r.report ?? "?"} ${r.plugin ?? "?"}`;
  const run = r.run !== null ? ` run ${r.run}` : "";
  return `line ${r.line}: ${what}: ${paint(r.outcome)}${run}${
    r.message ? ` (${r.message})` : ""
  }`;
}

/** Options of {@linkcode Progress}; the defaults are stderr's. */
export interface ProgressOptions {
  /** The io whose stderr it writes to; default the real one. */
  io?: CommandIO;
  /** Print only the bar (on a terminal) or nothing; default false. */
  quiet?: boolean;
  /** Clock in ms; default `Date.now`. */
  now?: () => number;
  /** Writes text; default a synchronous write to stderr. */
  write?: (text: string) => void;
  /** Whether the output is a terminal (a redrawn bar); default stderr's. */
  terminal?: boolean;
  /** Whether to color; default: a terminal and no `NO_COLOR`. */
  color?: boolean;
  /** Width of the terminal in columns; default the console's (80 if unknown). */
  columns?: () => number;
}

/** Renders bulk-run events on stderr (or the writer given). */
export class Progress {
  #tty: boolean;
  #color: boolean;
  #now: () => number;
  #write: (text: string) => void;
  #columns: () => number;
  #phase = "";
  #total = 0;
  #done = 0;
  #counts = { launched: 0, skipped: 0, failed: 0 };
  #started = 0;
  #lastDraw = 0;
  #drawn = false;
  #quiet: boolean;
  #text: string | undefined;
  #pace:
    | { active: number; others: number; waiting: number; foreign: string }
    | undefined;
  #paceLogged: string | undefined;
  #paceAt = -Infinity;
  #lines: string[] = [];
  #flushTimer: ReturnType<typeof setTimeout> | undefined;

  /** @param options Writer, clock, terminal and its width (for tests). */
  constructor(options: ProgressOptions = {}) {
    const io = options.io ?? denoIO;
    this.#tty = options.terminal ?? io.stderr.isTerminal();
    this.#color = options.color ?? useColor(io, io.stderr);
    this.#now = options.now ?? Date.now;
    this.#quiet = options.quiet ?? false;
    this.#write = options.write ?? ((text) => write(io.stderr, text));
    this.#columns = options.columns ?? (() => io.columns() ?? 80);
  }

  /** Shows a read that is retried (for `ClientOptions.onRetry`). */
  readRetry = (retry: ReadRetry): void => {
    this.handle({
      type: "warning",
      message: `retry ${retry.attempt} in ${
        (retry.delayMs / 1000).toFixed(1)
      } s: ${retry.error}`,
    });
  };

  /** Handles one event. */
  handle = (event: BulkEvent): void => {
    switch (event.type) {
      case "phase":
        this.#finishLine();
        this.#phase = event.phase;
        this.#text = undefined;
        this.#total = event.total;
        this.#done = 0;
        this.#started = this.#now();
        if (!this.#tty) {
          this.#log(`${PHASE_TEXT[event.phase]} (${event.total})`);
        }
        break;
      case "row": {
        const r = event.result;
        // A declined job: one closing line says so, not a line per row.
        if (r.outcome === "not-started" && DECLINED.test(r.message ?? "")) {
          break;
        }
        if (this.#phase === "launch") this.#done++;
        if (r.outcome === "launched") this.#counts.launched++;
        else if (r.outcome === "skipped") this.#counts.skipped++;
        else if (r.outcome === "failed") this.#counts.failed++;
        if (this.#tty) {
          if (r.outcome === "failed") this.#above(describeRow(r, this.#color));
          this.#draw();
        } else this.#log(describeRow(r));
        break;
      }
      case "retry": {
        const line =
          `retry ${event.attempt} of report ${event.report} ${event.plugin} in ${
            (event.delayMs / 1000).toFixed(1)
          } s: ${event.error}`;
        if (this.#tty) this.#above(line);
        else this.#log(line);
        break;
      }
      case "warning":
      case "note": {
        const line = `${event.type}: ${event.message}`;
        if (this.#tty) this.#above(line);
        else this.#log(line);
        break;
      }
      case "estimate": {
        const line = `estimate: ${describeEstimate(event.estimate)}`;
        if (this.#tty) this.#above(line);
        else this.#log(line);
        break;
      }
      case "pace": {
        // Shown in the bar; off a terminal (a log file under nohup), a line
        // at most every 30 s, and the last one.
        const others = event.others ? ` (+${event.others} of other jobs)` : "";
        const foreign = foreignText(event);
        this.#pace = {
          active: event.active,
          others: event.others,
          waiting: event.waiting,
          foreign,
        };
        const line =
          `active ${event.active}${others}  waiting ${event.waiting}  done ${event.done}${foreign}`;
        if (this.#tty) this.#draw();
        else if (
          line !== this.#paceLogged &&
          (this.#now() - this.#paceAt >= 30_000 || event.waiting === 0)
        ) {
          this.#paceLogged = line;
          this.#paceAt = this.#now();
          this.#log(`pacing: ${line}`);
        }
        break;
      }
      case "wait": {
        this.#done = event.completed + event.failed;
        const text =
          `running ${event.running}  completed ${event.completed}  failed ${event.failed}`;
        this.#text = text;
        if (this.#tty) this.#draw();
        else this.#log(`waiting: ${text}`);
        break;
      }
    }
  };

  /** Ends the redrawn line, if any, and writes the lines not yet written. */
  finish(): void {
    this.#finishLine();
    this.#flush();
  }

  /**
   * Clears the redrawn line (before a question: it starts on a line of its
   * own, not glued to the bar) and writes the lines not yet written.
   */
  clear(): void {
    this.#flush();
    if (this.#tty && this.#drawn) {
      this.#write("\r\x1b[K");
      this.#drawn = false;
    }
  }

  #log(line: string) {
    if (this.#quiet) return;
    this.#lines.push(line);
    if (this.#lines.length >= 256) this.#flush();
    else this.#flushTimer ??= setTimeout(() => this.#flush(), 100);
  }

  #flush() {
    clearTimeout(this.#flushTimer);
    this.#flushTimer = undefined;
    if (this.#lines.length === 0) return;
    this.#write(`${this.#lines.join("\n")}\n`);
    this.#lines = [];
  }

  #finishLine() {
    // Quiet (run.ts): the bar was only for the wait; none is left behind.
    if (this.#quiet) return this.clear();
    if (this.#tty && this.#drawn) {
      this.#draw(undefined, true);
      this.#write("\n");
      this.#drawn = false;
    }
  }

  #above(line: string) {
    if (this.#drawn) this.#write("\r\x1b[K");
    this.#write(`${line}\n`);
    this.#drawn = false;
    this.#draw(undefined, true);
  }

  #draw(text?: string, force = false) {
    const now = this.#now();
    if (!force && now - this.#lastDraw < 100) return;
    this.#lastDraw = now;
    const c = this.#counts;
    const remaining = Math.max(0, this.#total - this.#done);
    let line: string;
    if (this.#phase !== "launch" && this.#phase !== "wait") {
      // Checks whose count does not move: what is being done, no bar.
      line = `${PHASE_TEXT[this.#phase] ?? this.#phase} (${this.#total})…`;
    } else {
      const width = 24;
      const frac = this.#total > 0 ? Math.min(1, this.#done / this.#total) : 0;
      const filled = Math.round(frac * width);
      const bar = `[${"#".repeat(filled)}${".".repeat(width - filled)}]`;
      const elapsed = (now - this.#started) / 1000;
      const rate = elapsed > 0 ? this.#done / elapsed : 0;
      const eta = rate > 0 ? formatDuration(remaining / rate) : "--";
      // Waiting: runs end at the queue's pace, not at a rate of ours.
      const speed = this.#phase === "wait"
        ? ""
        : `  ${rate.toFixed(1)}/s  ETA ${eta}`;
      const pace = this.#pace;
      const others = pace?.others ? ` (+${pace.others} of other jobs)` : "";
      const detail = text ?? this.#text ??
        (this.#phase === "launch" && pace
          ? `active ${pace.active}${others}${
            remaining > 0 ? `  waiting ${pace.waiting}` : ""
          }  launched ${c.launched}  failed ${c.failed}${pace.foreign}`
          : `launched ${c.launched}  skipped ${c.skipped}  failed ${c.failed}  remaining ${remaining}`);
      line =
        `${this.#phase} ${bar} ${this.#done}/${this.#total}${speed}  ${detail}`;
    }
    // Never wider than the terminal: a wrapped line could not be redrawn.
    const fit = truncate(line, Math.max(10, this.#columns() - 1));
    this.#write(`\r\x1b[K${fit}`);
    this.#drawn = true;
  }
}

/** The message of the rows of a job that was not confirmed. */
const DECLINED = /^not launched: the job was not confirmed/;

const PHASE_TEXT: Record<string, string> = {
  preflight: "checking reports and plugins on the server",
  guard: "checking existing runs",
  launch: "launching",
  settle: "looking on the server for launches whose answer was lost",
  resolve: "finding the new runs",
  wait: "waiting for runs to finish",
};

/** Formats seconds as `1:02:03` or `2:03`. */
export function formatDuration(seconds: number): string {
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${ss}` : `${m}:${ss}`;
}

/** Cuts a line to `width` characters, ending in `…` when cut. */
function truncate(line: string, width: number): string {
  return line.length > width ? `${line.slice(0, width - 1)}…` : line;
}

/** `  production 1 active 2 waiting`: other users' runs on the queue, when looked at. */
function foreignText(
  e: { foreignActive?: number; foreignWaiting?: number },
): string {
  if (e.foreignActive === undefined && e.foreignWaiting === undefined) {
    return "";
  }
  return `  others' runs ${e.foreignActive ?? 0} active ${
    e.foreignWaiting ?? 0
  } waiting`;
}
