/**
 * Render a local HTML file in real headless Chromium (Debian `chromium`, installed by the
 * set-up) and collect what a person would see: a PNG screenshot, plus every console error,
 * uncaught exception and failed load the page produced. Talks the DevTools protocol over
 * --remote-debugging-pipe (fd 3 in, fd 4 out, NUL-separated JSON), so no extra npm package.
 */
import { spawn } from "child_process";
import { mkdtempSync, rmSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import type { Readable, Writable } from "stream";

export const CHROMIUM = process.env.ZWH_CHROMIUM ?? "/usr/bin/chromium";

export interface RenderResult {
  png: Buffer;
  consoleErrors: string[];
  title: string;
}

export async function renderPage(file: string, opts: { width?: number; height?: number; timeoutMs?: number } = {}): Promise<RenderResult> {
  const profile = mkdtempSync(join(tmpdir(), "zwh-chromium-"));
  const proc = spawn(CHROMIUM, [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", "--no-default-browser-check",
    "--remote-debugging-pipe", `--user-data-dir=${profile}`, `--window-size=${opts.width ?? 1280},${opts.height ?? 900}`, "about:blank",
  ], { stdio: ["ignore", "ignore", "pipe", "pipe", "pipe"] });
  const toBrowser = proc.stdio[3] as Writable;
  const fromBrowser = proc.stdio[4] as Readable;
  let stderr = "";
  proc.stderr!.on("data", (b: Buffer) => { stderr += b.toString(); });
  let nextId = 1;
  const pending = new Map<number, { resolve: (v: Record<string, unknown>) => void; reject: (e: Error) => void }>();
  const errors: string[] = [];
  let loaded: (() => void) | undefined;
  let buf = "";
  fromBrowser.on("data", (b: Buffer) => {
    buf += b.toString("utf8");
    let i: number;
    while ((i = buf.indexOf("\0")) >= 0) {
      const msg = JSON.parse(buf.slice(0, i)) as { id?: number; method?: string; params?: Record<string, any>; result?: Record<string, unknown>; error?: { message: string } };
      buf = buf.slice(i + 1);
      if (msg.id !== undefined) {
        const p = pending.get(msg.id);
        pending.delete(msg.id);
        if (msg.error) p?.reject(new Error(msg.error.message));
        else p?.resolve(msg.result ?? {});
      } else if (msg.method === "Runtime.consoleAPICalled" && (msg.params?.type === "error" || msg.params?.type === "assert")) {
        errors.push(`console.${msg.params.type}: ${(msg.params.args ?? []).map((a: { value?: unknown; description?: string }) => String(a.value ?? a.description)).join(" ")}`);
      } else if (msg.method === "Runtime.exceptionThrown") {
        errors.push(`exception: ${msg.params?.exceptionDetails?.exception?.description ?? msg.params?.exceptionDetails?.text}`);
      } else if (msg.method === "Log.entryAdded" && msg.params?.entry?.level === "error") {
        errors.push(`log: ${msg.params.entry.text} ${msg.params.entry.url ?? ""}`.trim());
      } else if (msg.method === "Page.loadEventFired") {
        loaded?.();
      }
    }
  });
  const send = (method: string, params: Record<string, unknown> = {}, sessionId?: string): Promise<Record<string, unknown>> =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve, reject });
      toBrowser.write(JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }) + "\0");
    });
  const timer = setTimeout(() => proc.kill("SIGKILL"), opts.timeoutMs ?? 60_000);
  try {
    const { targetInfos } = (await send("Target.getTargets")) as { targetInfos: Array<{ targetId: string; type: string }> };
    const page = targetInfos.find((t) => t.type === "page");
    if (!page) throw new Error(`chromium opened no page: ${stderr.slice(-500)}`);
    const { sessionId } = (await send("Target.attachToTarget", { targetId: page.targetId, flatten: true })) as { sessionId: string };
    await send("Runtime.enable", {}, sessionId);
    await send("Log.enable", {}, sessionId);
    await send("Page.enable", {}, sessionId);
    const load = new Promise<void>((r) => { loaded = r; });
    await send("Page.navigate", { url: `file://${file}` }, sessionId);
    await load;
    const { result } = (await send("Runtime.evaluate", { expression: "document.title", returnByValue: true }, sessionId)) as { result: { value: string } };
    const { data } = (await send("Page.captureScreenshot", { format: "png", captureBeyondViewport: true }, sessionId)) as { data: string };
    return { png: Buffer.from(data, "base64"), consoleErrors: errors, title: result.value };
  } finally {
    clearTimeout(timer);
    if (proc.exitCode === null && proc.signalCode === null) {
      const gone = new Promise((r) => proc.once("exit", r));
      proc.kill("SIGTERM");
      await gone;
    }
    // Chromium's helper processes can still be writing the profile for a moment after the
    // browser's exit: retry ENOTEMPTY/EBUSY instead of failing the test on the clean-up.
    rmSync(profile, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
  }
}
