/**
 * Verify many wheels in parallel. For large bundles the wheels go to worker threads, one per
 * core (at most `workers`), largest first; each worker verifies one wheel at a time with core's
 * blocking data pass (reads, inflate and hashing all on the worker's own thread, no thread-pool
 * hops), and each wheel is still read from disk exactly once. Small sets, or when the compiled
 * worker is not available (tests run the TypeScript sources), are verified in-process with
 * core's verifyWheels (two wheels in flight; inflate on libuv's pool, hashing on this thread).
 *
 * bench/verify.js (40 wheels, ~0.95 GB, 2 cores): about 1.6 s of CPU per worker, ~180 MB peak
 * RSS (mostly garbage inflate output that each isolate keeps until V8's external-memory GC
 * trigger, ~64 MB per isolate); a third thread (the main one verifying too) would only
 * oversubscribe the two cores.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Worker } from "node:worker_threads";
import { ZwhError } from "../core/errors";
import { inspectWheel, VerifyLimits, WheelFacts, WheelVerifyResult, verifyWheels } from "./wheel-verify";

export interface PoolOptions {
  /** Worker threads to use (default: min(2, CPUs)); 0 = in-process. */
  workers?: number;
  /** Wheels in flight per worker thread (default 1: the worker's data pass is synchronous, so a second wheel only waits and adds a read buffer). */
  perWorker?: number;
  /** Below this many bytes in total, verify in-process (thread start-up costs ~30 ms). */
  minBytesForWorkers?: number;
  limits?: Partial<VerifyLimits>;
  /** Stop: the worker threads are terminated and the call rejects (a speculative verification no longer needed). */
  signal?: AbortSignal;
}

export interface WorkerRequest {
  id: number;
  path: string;
  filename?: string;
  limits?: Partial<VerifyLimits>;
}

interface SerializedFinding {
  code: string;
  message: string;
  subject?: string;
  hint?: string;
  details?: Record<string, unknown>;
  exitCode: number;
}
export interface SerializedResult {
  path: string;
  ok: boolean;
  facts?: WheelFacts;
  findings: SerializedFinding[];
}

export function serializeResult(r: WheelVerifyResult): SerializedResult {
  return {
    path: r.path,
    ok: r.ok,
    facts: r.facts,
    findings: r.findings.map((f) => ({ code: f.code, message: f.message, subject: f.subject, hint: f.hint, details: f.details, exitCode: f.exitCode })),
  };
}

function deserialize(r: SerializedResult): WheelVerifyResult {
  return {
    path: r.path,
    ok: r.ok,
    facts: r.facts,
    findings: r.findings.map((f) => new ZwhError(f.code, f.message, { subject: f.subject, hint: f.hint, details: f.details, exitCode: f.exitCode })),
  };
}

export function workerScript(): string | undefined {
  const p = path.join(__dirname, "wheel-worker.js");
  return fs.existsSync(p) ? p : undefined;
}

/** Verify wheels (every finding collected); results in input order. */
export async function verifyWheelSet(paths: string[], opts: PoolOptions = {}): Promise<WheelVerifyResult[]> {
  const script = workerScript();
  const wanted = Math.max(0, Math.floor(opts.workers ?? Math.min(2, os.availableParallelism?.() ?? os.cpus().length)));
  let total = 0;
  const sizes = paths.map((p) => {
    try {
      return fs.statSync(p).size;
    } catch {
      return 0;
    }
  });
  for (const s of sizes) total += s;
  const n = Math.min(wanted, paths.length);
  if (!script || n < 2 || total < (opts.minBytesForWorkers ?? 64 * 1024 * 1024)) {
    if (paths.length === 1) return [await inspectWheel(paths[0], { limits: opts.limits })];
    return verifyWheels(paths, { concurrency: 2, collectAll: true, limits: opts.limits });
  }
  // Largest first, so the two threads finish at about the same time.
  const order = paths.map((_, i) => i).sort((a, b) => sizes[b] - sizes[a]);
  const results: WheelVerifyResult[] = new Array(paths.length);
  let next = 0;
  const perWorker = Math.max(1, Math.floor(opts.perWorker ?? Number(process.env.ZWH_VERIFY_PER_WORKER ?? 1)));
  const workers = Array.from({ length: n }, () => new Worker(script));
  const stop = () => void Promise.all(workers.map((w) => w.terminate()));
  opts.signal?.addEventListener("abort", stop, { once: true });
  try {
    if (opts.signal?.aborted) throw new ZwhError("ZWH-INTERNAL", "wheel verification was stopped");
    await Promise.all(
      workers.map(
        (w) =>
          new Promise<void>((resolve, reject) => {
            let busy = 0;
            const send = () => {
              if (next >= order.length) {
                if (busy === 0) resolve();
                return;
              }
              busy++;
              const id = order[next++];
              w.postMessage({ id, path: paths[id], limits: opts.limits } satisfies WorkerRequest);
            };
            w.on("message", (m: { id: number; result?: SerializedResult; error?: string }) => {
              if (m.error !== undefined || !m.result) return reject(new ZwhError("ZWH-INTERNAL", `wheel verification worker failed on ${paths[m.id]}: ${m.error}`));
              results[m.id] = deserialize(m.result);
              busy--;
              send();
            });
            w.on("error", reject);
            w.on("exit", (code) => (code !== 0 || opts.signal?.aborted
              ? reject(new ZwhError("ZWH-INTERNAL", opts.signal?.aborted ? "wheel verification was stopped" : `wheel verification worker exited with ${code}`))
              : undefined));
            for (let k = 0; k < perWorker; k++) send();
          }),
      ),
    );
  } finally {
    opts.signal?.removeEventListener("abort", stop);
    await Promise.all(workers.map((w) => w.terminate()));
  }
  return results;
}
