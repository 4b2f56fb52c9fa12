// A small driver for headless Chromium over the Chrome DevTools Protocol,
// through Deno's built-in WebSocket: launch, navigate, evaluate, click and
// screenshot. For tests that check a page as a person would see it.
//
//   await using browser = await launchChromium();
//   const { loadMs } = await browser.navigate(new URL("file:///tmp/x.html"));
//   const n = await browser.evaluate<number>("document.links.length");
//   await browser.click("button#go");
//   await browser.screenshot("/tmp/x.png");

/** Where Chromium is looked for unless `CHROMIUM_PATH` says otherwise. */
export const DEFAULT_CHROMIUM_PATH = "/usr/bin/chromium";

/** Options for {@linkcode launchChromium}. */
export interface LaunchOptions {
  /** Browser binary; default `CHROMIUM_PATH` or `/usr/bin/chromium`. */
  path?: string;
  /** Viewport width in CSS pixels; default 1280. */
  width?: number;
  /** Viewport height in CSS pixels; default 900. */
  height?: number;
  /** How long to wait for start-up, navigation or a command; default 30 s. */
  timeoutMs?: number;
}

interface Pending {
  resolve: (v: Record<string, unknown>) => void;
  reject: (e: Error) => void;
  method: string;
}

/** What {@linkcode Chromium.navigate} measured. */
export interface NavigateResult {
  /** Wall-clock time from `Page.navigate` to the `load` event, in ms. */
  loadMs: number;
}

/** A running headless Chromium with one page, driven over CDP. */
export class Chromium {
  #child: Deno.ChildProcess;
  #dir: string;
  #ws: WebSocket;
  #session = "";
  #next = 1;
  #pending = new Map<number, Pending>();
  #listeners = new Set<
    (method: string, params: Record<string, unknown>) => void
  >();
  #timeoutMs: number;
  #drained: Pipes;
  #log: { text: string };
  #closed = false;

  constructor(
    child: Deno.ChildProcess,
    dir: string,
    ws: WebSocket,
    drained: Pipes,
    log: { text: string },
    timeoutMs: number,
  ) {
    this.#child = child;
    this.#dir = dir;
    this.#ws = ws;
    this.#drained = drained;
    this.#log = log;
    this.#timeoutMs = timeoutMs;
    ws.onmessage = (e) => this.#onMessage(String(e.data));
    ws.onclose = () => {
      for (const p of this.#pending.values()) {
        p.reject(new Error(`CDP connection closed during ${p.method}`));
      }
      this.#pending.clear();
    };
  }

  #onMessage(data: string): void {
    const msg = JSON.parse(data) as {
      id?: number;
      method?: string;
      params?: Record<string, unknown>;
      result?: Record<string, unknown>;
      error?: { message: string };
    };
    if (msg.id !== undefined) {
      const p = this.#pending.get(msg.id);
      if (!p) return;
      this.#pending.delete(msg.id);
      if (msg.error) p.reject(new Error(`${p.method}: ${msg.error.message}`));
      else p.resolve(msg.result ?? {});
    } else if (msg.method) {
      for (const l of this.#listeners) l(msg.method, msg.params ?? {});
    }
  }

  /** Sends a CDP command to the page (or to the browser with `browser`). */
  send(
    method: string,
    params: Record<string, unknown> = {},
    browser = false,
  ): Promise<Record<string, unknown>> {
    const id = this.#next++;
    const msg = browser
      ? { id, method, params }
      : { id, method, params, sessionId: this.#session };
    const reply = new Promise<Record<string, unknown>>((resolve, reject) =>
      this.#pending.set(id, { resolve, reject, method })
    );
    this.#ws.send(JSON.stringify(msg));
    return withTimeout(reply, this.#timeoutMs, method);
  }

  /**
   * Resolves on the next page event named `method` that passes `test`;
   * rejects on time-out or when `signal` aborts.
   */
  waitFor(
    method: string,
    test: (params: Record<string, unknown>) => boolean = () => true,
    signal?: AbortSignal,
  ): Promise<Record<string, unknown>> {
    let listener!: (m: string, p: Record<string, unknown>) => void;
    const event = new Promise<Record<string, unknown>>((resolve, reject) => {
      listener = (m, p) => {
        if (m === method && test(p)) resolve(p);
      };
      this.#listeners.add(listener);
      signal?.addEventListener("abort", () => reject(signal.reason), {
        once: true,
      });
    });
    return withTimeout(event, this.#timeoutMs, `waiting for ${method}`)
      .finally(() => this.#listeners.delete(listener));
  }

  /** @internal Attaches to a new blank page and sets the viewport. */
  async init(width: number, height: number): Promise<void> {
    const { targetId } = await this.send(
      "Target.createTarget",
      { url: "about:blank" },
      true,
    );
    const { sessionId } = await this.send(
      "Target.attachToTarget",
      { targetId, flatten: true },
      true,
    );
    this.#session = String(sessionId);
    await this.send("Page.enable");
    await this.send("Runtime.enable");
    await this.send("Emulation.setDeviceMetricsOverride", {
      width,
      height,
      deviceScaleFactor: 1,
      mobile: false,
    });
  }

  /**
   * Navigates to `url` (e.g. a `file://` URL) and waits for the `load` event.
   * A same-document navigation (only the `#hash` changes) fires no `load`
   * and returns at once: go to `about:blank` first to open a page afresh.
   */
  async navigate(url: string | URL): Promise<NavigateResult> {
    const stop = new AbortController();
    const loaded = this.waitFor("Page.loadEventFired", undefined, stop.signal);
    loaded.catch(() => {}); // awaited below; no unhandled rejection on a throw
    const start = performance.now();
    try {
      const res = await this.send("Page.navigate", { url: String(url) });
      if (res.errorText) {
        throw new Error(`Cannot open ${url}: ${res.errorText}`);
      }
      if (res.loaderId !== undefined) await loaded;
    } finally {
      stop.abort();
    }
    return { loadMs: performance.now() - start };
  }

  /** Evaluates a JS expression in the page (awaiting promises) and returns its value. */
  async evaluate<T = unknown>(expression: string): Promise<T> {
    const res = await this.send("Runtime.evaluate", {
      expression,
      returnByValue: true,
      awaitPromise: true,
    }) as {
      result?: { value?: unknown };
      exceptionDetails?: {
        text?: string;
        exception?: { description?: string };
      };
    };
    if (res.exceptionDetails) {
      const d = res.exceptionDetails;
      throw new Error(
        `Page threw in ${JSON.stringify(expression.slice(0, 80))}: ${
          d.exception?.description ?? d.text
        }`,
      );
    }
    return res.result?.value as T;
  }

  /**
   * Clicks the centre of the first element matching `selector` with real
   * mouse events (scrolling it into view first).
   */
  async click(selector: string): Promise<void> {
    const box = await this.evaluate<{ x: number; y: number } | null>(`(() => {
      const el = document.querySelector(${JSON.stringify(selector)});
      if (!el) return null;
      el.scrollIntoView({ block: "center", inline: "center" });
      const r = el.getBoundingClientRect();
      return { x: r.left + r.width / 2, y: r.top + r.height / 2 };
    })()`);
    if (!box) throw new Error(`No element matches ${selector}`);
    const at = { x: box.x, y: box.y, button: "left", clickCount: 1 };
    await this.send("Input.dispatchMouseEvent", {
      type: "mouseMoved",
      x: box.x,
      y: box.y,
    });
    await this.send("Input.dispatchMouseEvent", {
      type: "mousePressed",
      ...at,
    });
    await this.send("Input.dispatchMouseEvent", {
      type: "mouseReleased",
      ...at,
    });
  }

  /** Saves a PNG of the viewport (or the whole page with `fullPage`). */
  async screenshot(
    path: string,
    options: { fullPage?: boolean } = {},
  ): Promise<void> {
    const res = await this.send("Page.captureScreenshot", {
      format: "png",
      captureBeyondViewport: options.fullPage ?? false,
    });
    const bin = atob(String(res.data));
    const bytes = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    await Deno.writeFile(path, bytes);
  }

  /** Closes the browser: CDP socket, process (killed if slow), pipes, temp profile. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#ws.readyState === WebSocket.OPEN) {
      this.send("Browser.close", {}, true).catch(() => {});
      const closed = new Promise((r) => this.#ws.addEventListener("close", r));
      this.#ws.close();
      await withTimeout(closed, 2000, "closing CDP").catch(() => {});
    }
    await stopProcess(this.#child, this.#drained);
    await removeDir(this.#dir);
  }

  /** Same as {@linkcode Chromium.close}, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** The tail of the browser's stderr, for error messages. */
  get log(): string {
    return this.#log.text;
  }
}

/**
 * Starts headless Chromium with a fresh profile in a temp dir and attaches to
 * a blank page. Throws when the browser is not installed.
 */
export async function launchChromium(
  options: LaunchOptions = {},
): Promise<Chromium> {
  const path = options.path ?? Deno.env.get("CHROMIUM_PATH") ??
    DEFAULT_CHROMIUM_PATH;
  const timeoutMs = options.timeoutMs ?? 30_000;
  try {
    await Deno.stat(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      throw new Error(
        `Chromium not found at ${path}: install it with apt-get install -y chromium`,
      );
    }
    throw e;
  }
  const dir = await Deno.makeTempDir({ prefix: "ionrun-chromium-" });
  const child = new Deno.Command(path, {
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--disable-dev-shm-usage",
      "--hide-scrollbars",
      "--mute-audio",
      "--remote-debugging-port=0",
      `--user-data-dir=${dir}`,
      "about:blank",
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const log = { text: "" };
  const keep = (chunk: string) => (log.text = (log.text + chunk).slice(-4000));
  const pipes = [drain(child.stdout, keep), drain(child.stderr, keep)];
  const drained: Pipes = {
    done: Promise.all(pipes.map((p) => p.done)),
    cancel: () => Promise.all(pipes.map((p) => p.cancel())),
  };
  let ws: WebSocket | undefined;
  try {
    const endpoint = await devToolsEndpoint(dir, child, log, timeoutMs);
    ws = new WebSocket(endpoint);
    const socket = ws;
    await withTimeout(
      new Promise<void>((resolve, reject) => {
        socket.onopen = () => resolve();
        socket.onerror = () =>
          reject(new Error(`Cannot connect to ${endpoint}`));
      }),
      timeoutMs,
      "connecting to Chromium",
    );
    const browser = new Chromium(child, dir, ws, drained, log, timeoutMs);
    try {
      await browser.init(options.width ?? 1280, options.height ?? 900);
    } catch (e) {
      await browser.close();
      throw e;
    }
    return browser;
  } catch (e) {
    if (ws && ws.readyState !== WebSocket.CLOSED) {
      const closed = new Promise((r) => ws!.addEventListener("close", r));
      ws.close();
      await withTimeout(closed, 2000, "closing CDP").catch(() => {});
    }
    await stopProcess(child, drained);
    await removeDir(dir);
    throw e;
  }
}

/** Waits for `<dir>/DevToolsActivePort` and returns the browser's ws URL. */
async function devToolsEndpoint(
  dir: string,
  child: Deno.ChildProcess,
  log: { text: string },
  timeoutMs: number,
): Promise<string> {
  let exited = false;
  child.status.then(() => (exited = true));
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const [port, path] =
        (await Deno.readTextFile(`${dir}/DevToolsActivePort`))
          .split("\n");
      if (port && path) return `ws://127.0.0.1:${port.trim()}${path.trim()}`;
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    }
    if (exited) throw new Error(`Chromium exited at start-up:\n${log.text}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(
    `Chromium did not start within ${timeoutMs} ms:\n${log.text}`,
  );
}

/** Reads a pipe to its end; `cancel` closes it early. */
function drain(
  stream: ReadableStream<Uint8Array>,
  keep: (s: string) => void,
): { done: Promise<void>; cancel: () => Promise<void> } {
  const reader = stream.getReader();
  const decoder = new TextDecoder();
  const done = (async () => {
    try {
      for (let r = await reader.read(); !r.done; r = await reader.read()) {
        keep(decoder.decode(r.value, { stream: true }));
      }
    } catch {
      /* cancelled */
    } finally {
      reader.releaseLock();
    }
  })();
  return { done, cancel: () => reader.cancel().catch(() => {}) };
}

/** The child's stdout and stderr readers. */
interface Pipes {
  done: Promise<unknown>;
  cancel: () => Promise<unknown>;
}

async function stopProcess(
  child: Deno.ChildProcess,
  pipes: Pipes,
): Promise<void> {
  const exited = await withTimeout(child.status, 3000, "Chromium exit")
    .then(() => true, () => false);
  if (!exited) {
    try {
      child.kill("SIGKILL");
    } catch { /* already gone */ }
    await child.status;
  }
  // Renderer processes may hold the pipes a moment longer than the browser.
  await withTimeout(pipes.done, 5000, "Chromium output").catch(async () => {
    await pipes.cancel();
    await pipes.done;
  });
}

async function removeDir(dir: string): Promise<void> {
  for (let i = 0; i < 10; i++) {
    try {
      await Deno.remove(dir, { recursive: true });
      return;
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) return;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`Timed out after ${ms} ms: ${what}`)),
      ms,
    );
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}
