/**
 * Worker thread for wheel-pool.ts: verifies the wheels it is sent, one message per wheel.
 * Runs only from the compiled lib/ tree (the pool falls back to in-process verification when
 * this file is not compiled, e.g. under vitest). A worker verifies one wheel at a time with the
 * blocking data pass (synchronous reads and inflate on this thread, see inspectWheelBlocking).
 */
import { parentPort } from "node:worker_threads";
import { inspectWheelBlocking } from "./wheel-verify";
import { serializeResult, WorkerRequest } from "./wheel-pool";

if (parentPort) {
  const port = parentPort;
  port.on("message", (msg: WorkerRequest) => {
    inspectWheelBlocking(msg.path, { limits: msg.limits, filename: msg.filename })
      .then((r) => port.postMessage({ id: msg.id, result: serializeResult(r) }))
      .catch((e: unknown) => port.postMessage({ id: msg.id, error: e instanceof Error ? e.message : String(e) }));
  });
}
