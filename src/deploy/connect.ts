/**
 * Opening a session for a command. The only module of the pipeline that knows which transport
 * implementation exists; everything else works on the Transport interface.
 */
import type { Progress } from "../core/progress";
import { openSshTransport } from "../remote/ssh-transport";
import { DEFAULT_PYTHON, connectTitle, type TargetSpec } from "../remote/target";
import type { Transport } from "../remote/transport";
import { checkRoot, layoutFor } from "./layout";
import { TargetOps } from "./target-ops";

export async function openTransport(spec: TargetSpec, env?: NodeJS.ProcessEnv): Promise<Transport> {
  if (spec.transport === "zosmf") {
    // Loaded only when used: the Zowe SDKs are large and an SSH run never needs them.
    const { openZosmfTransport } = await import("../remote/zosmf/transport");
    return openZosmfTransport(spec);
  }
  return openSshTransport(spec, { env: env ?? process.env });
}

/** A fresh session for cleanup after a lost connection (short handshake timeout). */
export function reopenTransport(spec: TargetSpec, env?: NodeJS.ProcessEnv): Promise<Transport> {
  return openTransport({ ...spec, handshakeTimeoutMs: Math.min(spec.handshakeTimeoutMs ?? 10_000, 10_000) }, env);
}

/**
 * Connect (as a progress step), run fn over the root's TargetOps, always close. The step names
 * the LPAR when its name is given (--name, the profile); the nodename is only known once connected.
 */
export async function withTarget<T>(o: { spec: TargetSpec; root: string; progress: Progress; env?: NodeJS.ProcessEnv }, fn: (ops: TargetOps) => Promise<T>): Promise<T> {
  const root = checkRoot(o.root);
  const t = await o.progress.step(connectTitle(o.spec), () => openTransport(o.spec, o.env));
  try {
    return await fn(new TargetOps(t, layoutFor(root), o.spec.pythonPath ?? DEFAULT_PYTHON));
  } finally {
    await t.close().catch(() => undefined);
  }
}
