/**
 * One host of a fleet rollout: its own session, the single-host pipeline (deployHost) inside the
 * fleet's run, under the per-host progress deadline. The outcome is a HostRecap:
 * - unreachable: the session could not be opened (refused, timed out, host key refused, auth);
 * - failed: the pipeline failed after connecting (the step and code kept), or the host stopped
 *   making progress (ZWH-FLEET-STALLED: its session is closed, whatever ran on it fails);
 * - changed / unchanged: a release was installed or activated / the bundle was already current.
 */
import type { Trust } from "../bundle/signing/trust";
import type { FilesVerified } from "../bundle/verify";
import type { FileSequenceStore } from "../bundle/signing/sequence-state";
import { toZwhError, ZwhError, type ZwhError as ZErr } from "../core/errors";
import type { HostRecap } from "../core/fleet-types";
import { silentProgress } from "../core/progress";
import { openTransport, reopenTransport } from "../deploy/connect";
import { deployHost } from "../deploy/host";
import type { RunRecorder } from "../deploy/record";
import type { Transport } from "../remote/transport";
import { FLEET } from "../core/fleet-codes";
import { ProgressDeadline } from "./deadline";
import type { FleetHost, FleetReporter } from "./types";

export const FLEET_STALLED = FLEET.STALLED;

export interface HostDeployContext {
  run: RunRecorder;
  /** The bundle directory (verified locally once; deployHost re-checks it against each target). */
  bundleDir: string;
  trust: Trust;
  /** The run's one full verification of the wheels (each host re-checks only what depends on it). */
  filesVerified?: FilesVerified;
  deadlineSeconds: number;
  batch: number;
  reporter: FleetReporter;
  env?: NodeJS.ProcessEnv;
  keep?: number;
  smoke?: string;
  lockTtlSeconds?: number;
  sequenceCache?: FileSequenceStore;
  /** Runs on the open session before the pipeline (resume's lock take-over). */
  beforeDeploy?: (t: Transport) => Promise<void>;
}

/** Open the host's session, failing when the deadline passes first (the late session is closed). */
export async function connectWithin(h: FleetHost, deadline: ProgressDeadline, env: NodeJS.ProcessEnv | undefined, expired: Promise<void>): Promise<Transport> {
  const opening = openTransport(h.spec, env);
  const lost = expired.then(() => {
    opening.then((t) => t.close().catch(() => undefined), () => undefined);
    throw new ZwhError(FLEET_STALLED, `${h.name}: no progress for ${deadline.step === "connect" ? "the connection" : deadline.step} within the progress deadline`, { subject: h.name });
  });
  return Promise.race([opening, lost]);
}

/**
 * Open h's session under a progress deadline and run fn on it. When the deadline passes, the
 * session is closed (whatever runs on it fails; fn sees deadline.expired). A session that cannot
 * be opened in time is given to `unreachable` instead; the session is always closed at the end.
 */
export async function withHostSession<R>(
  h: FleetHost, deadlineSeconds: number, env: NodeJS.ProcessEnv | undefined,
  unreachable: (err: ZErr) => R, fn: (t: Transport, deadline: ProgressDeadline) => Promise<R>,
): Promise<R> {
  let t: Transport | undefined;
  let expire!: () => void;
  const expired = new Promise<void>((r) => (expire = r));
  const deadline = new ProgressDeadline(deadlineSeconds * 1000, () => {
    expire();
    void t?.close().catch(() => undefined);
  });
  deadline.start();
  try {
    try {
      t = await connectWithin(h, deadline, env, expired);
    } catch (e) {
      return unreachable(toZwhError(e));
    }
    return await fn(t, deadline);
  } finally {
    deadline.stop();
    await t?.close().catch(() => undefined);
  }
}

function stalledError(h: FleetHost, seconds: number, step: string, cause: ZErr): ZwhError {
  return new ZwhError(FLEET_STALLED, `${h.name}: no progress for ${seconds} s during '${step}'; its session was closed and the host failed`, {
    subject: h.name,
    details: { step, deadlineSeconds: seconds, cause: cause.code, ...(cause.details?.lockLeft ? { lockLeft: cause.details.lockLeft } : {}) },
    hint: "Check the host (a hung pip, a full file system, a stalled network path); its lock may still be held (see 'lock status'). Raise --progress-deadline for hosts that are just slow.",
  });
}

/** The reason text of a failure: the message, plus the lock left behind when there is one. */
export function reasonOf(err: ZErr): string {
  const left = err.details?.lockLeft as { lockId?: string } | undefined;
  return left?.lockId ? `${err.message} (lock ${left.lockId} left on the target)` : err.message;
}

export async function deployFleetHost(h: FleetHost, c: HostDeployContext): Promise<HostRecap> {
  const t0 = Date.now();
  const ev = (step: string, message?: string) => c.reporter.event({ type: "host-step", host: h.name, batch: c.batch, step, ...(message ? { message } : {}) });
  const base = { host: h.name, batch: c.batch };
  ev("connect");
  return withHostSession<HostRecap>(h, c.deadlineSeconds, c.env,
    (err) => ({ ...base, status: "unreachable", reason: err.message, errorCode: err.code, step: "connect", durationMs: Date.now() - t0 }),
    async (t, deadline) => {
      deadline.touch("observe");
      try {
        if (c.beforeDeploy) await c.beforeDeploy(t);
        const r = await deployHost(t, c.run, {
          spec: h.spec, root: h.root, env: c.env, bundleDir: c.bundleDir, trust: c.trust, filesVerified: c.filesVerified, keep: c.keep, smoke: c.smoke,
          lockTtlSeconds: c.lockTtlSeconds, sequenceCache: c.sequenceCache, startedAt: t0,
          progress: deadline.wrap(silentProgress, ev),
          reopen: () => reopenTransport(h.spec, c.env),
        });
        return { ...base, status: r.changed ? "changed" : "unchanged", releaseId: r.releaseId, durationMs: Date.now() - t0 };
      } catch (e) {
        let err = toZwhError(e);
        const step = String(err.details?.step ?? deadline.step);
        if (deadline.expired) err = stalledError(h, c.deadlineSeconds, deadline.step, err);
        return { ...base, status: "failed", reason: reasonOf(err), errorCode: err.code, step, durationMs: Date.now() - t0 };
      }
    });
}
