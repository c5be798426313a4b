/**
 * The deployment lock of an install root (zwh_target.py lock: mkdir is the atomic step), and the
 * `lock status` / `lock break` commands.
 */
import { hostname } from "os";
import { describeOwner } from "../core/plan";
import { ZwhError, refusal, toZwhError } from "../core/errors";
import type { BatchCommand, BatchResult, Transport } from "../remote/transport";
import { withTarget } from "./connect";
import { RunRecorder, resolveHostName } from "./record";
import { TargetOps, localUser } from "./target-ops";
import { isSequenceRefusal, targetRefusal } from "./sequence-guard";
import { DEFAULT_LOCK_TTL_S, type CommonOptions } from "./types";
import { prepareReadOnly } from "./read-only";

export interface LockHandle {
  lockId: string;
  owner: Record<string, unknown>;
}

/** --lock-ttl: whole seconds >= 1 (default DEFAULT_LOCK_TTL_S). */
export function checkLockTtl(v: number | undefined): number {
  if (v === undefined) return DEFAULT_LOCK_TTL_S;
  if (!Number.isInteger(v) || v < 1) {
    throw new ZwhError("ZWH-ARGS-INVALID", `--lock-ttl must be a whole number of seconds >= 1 (got ${String(v)})`, {
      subject: "lock-ttl", hint: `The default is ${DEFAULT_LOCK_TTL_S}. A deploy renews its lock every ttl/3 from acquisition to activation.`,
    });
  }
  return v;
}

/** owner.json of a lock taken by this controller for `operation`. */
export function lockOwner(operation: string, runId: string, zosUser: string, extra: Record<string, unknown>): Record<string, unknown> {
  return { operation, run_id: runId, user: localUser(), zos_user: zosUser, controller_host: hostname(), controller_pid: process.pid, ...extra };
}

/** The statement a deploy offers: the target checks it under the lock, before anything changes. */
export interface SequenceOffer {
  channel: string;
  sequence: number;
  digest: string;
  allowDowngrade?: boolean;
}

/**
 * Take the root's lock (the helper creates DIR/.wheelhouse when missing). `then`: commands to run
 * in the same exec only once the lock is ours (they do not run when it is refused); their results
 * come back with the handle.
 */
export async function acquireLock(ops: TargetOps, owner: Record<string, unknown>, ttl: number, offer?: SequenceOffer): Promise<LockHandle>;
export async function acquireLock(ops: TargetOps, owner: Record<string, unknown>, ttl: number, offer: SequenceOffer | undefined, then: BatchCommand[]): Promise<LockHandle & { then: BatchResult[] }>;
export async function acquireLock(ops: TargetOps, owner: Record<string, unknown>, ttl: number, offer?: SequenceOffer, then: BatchCommand[] = []): Promise<LockHandle & { then?: BatchResult[] }> {
  const args = ["lock", "acquire", "--root", ops.layout.root, "--owner-json", JSON.stringify(owner), "--ttl", String(ttl)];
  if (offer) {
    args.push("--offer-channel", offer.channel, "--offer-sequence", String(offer.sequence), "--offer-digest", offer.digest);
    if (offer.allowDowngrade) args.push("--allow-downgrade");
  }
  const res = await ops.batch([ops.helperArgv("zwh_target.py", args), ...then], { label: then.length ? "lock acquire + staging" : "lock acquire", stopAtFailure: 1 });
  const r = ops.helperOutcome("zwh_target.py", args, res[0]);
  const herr = (r.json.error ?? {}) as Record<string, unknown>;
  // The target refused the offered statement and removed the lock again: nothing changed.
  if (r.code === 3 && isSequenceRefusal(herr.code)) throw targetRefusal(ops.host, ops.layout.root, herr, "zwh");
  if (r.code === 3) {
    const o = (r.json.owner ?? {}) as Record<string, unknown>;
    throw refusal("ZWH-LOCK-HELD", `${ops.host} ${ops.layout.root} is locked${r.json.stale ? " (stale)" : ""} by ${describeOwner(o)}`, {
      subject: ops.layout.root,
      details: { owner: o, stale: r.json.stale === true, incomplete: r.json.incomplete === true },
      hint: r.json.stale
        ? "The lock is stale (past its expiry). Make sure that run is gone, then remove it with 'zwh lock break' (same target options and --root)."
        : "Another deployment is running. Wait for it, or see 'zwh lock status'.",
    });
  }
  return { lockId: String(r.json.lock_id), owner: r.json.owner as Record<string, unknown>, ...(then.length ? { then: res.slice(1) } : {}) };
}

/**
 * After a failure: append the audit line and release the lock, on the same session if it is
 * alive, else on a fresh one (`reopen`). Returns whether the lock was released.
 */
export async function releaseAfterFailure(ops: TargetOps, reopen: (() => Promise<Transport>) | undefined, lock: LockHandle | undefined, entry: Record<string, unknown>): Promise<boolean> {
  const run = async (o: TargetOps): Promise<boolean> => {
    const cmds = [o.auditArgv(entry)];
    if (lock) cmds.push(o.unlockArgv(lock.lockId));
    const res = await o.batch(cmds, { label: "audit+unlock", timeoutMs: 60_000 });
    return !lock || res[1].code === 0;
  };
  try {
    if (!ops.session.closed) return await run(ops);
  } catch {
    /* fall through to a fresh connection */
  }
  if (!reopen) return false;
  let t: Transport | undefined;
  try {
    t = await reopen();
    return await run(new TargetOps(t, ops.layout, ops.python));
  } catch {
    return false;
  } finally {
    await t?.close().catch(() => undefined);
  }
}

export interface LockResult {
  formatVersion: 1;
  host: string;
  root: string;
  held: boolean;
  stale: boolean;
  owner: Record<string, unknown> | null;
  description: string | null;
  broken?: boolean;
  /** lock break: the lock was live and --force broke it. */
  forced?: boolean;
  /** lock break: who broke it (also in the target's audit log and the inventory). */
  by?: Record<string, unknown>;
}

export async function lockStatus(o: CommonOptions): Promise<LockResult> {
  // No observe here: the logical name comes from --name/profile, else the inventory, else the address.
  const host = await resolveHostName(o.store, o.spec);
  return withTarget(o, async (ops) => {
    // Read-only: no helper or directory is created under the root (read-only.ts).
    const done = await prepareReadOnly(ops);
    let r;
    try {
      r = await ops.helper("zwh_target.py", ["lock", "status", "--root", ops.layout.root], { allow: [0] });
    } finally {
      await done();
    }
    const owner = (r.json.owner ?? null) as Record<string, unknown> | null;
    return { formatVersion: 1, host, root: ops.layout.root, held: r.json.held === true, stale: r.json.stale === true, owner, description: r.json.held ? describeOwner(owner ?? {}) : null };
  });
}

/** Whether the lock's owner is a process of THIS machine that no longer exists (so its lock is dead). */
export function ownerGoneHere(owner: Record<string, unknown> | null, here = hostname()): boolean {
  if (!owner || owner.controller_host !== here) return false;
  const pid = owner.controller_pid;
  if (typeof pid !== "number" || !Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "ESRCH";
  }
}

/**
 * Break the lock of a root. A live lock (renewed within its ttl) is refused (ZWH-LOCK-LIVE) unless
 * `force`, or unless its owner ran on this machine and that process is gone. The helper writes
 * the audit line (who broke whose lock) in the same call; the inventory gets a lock.break event.
 */
export async function lockBreak(o: CommonOptions & { lockId?: string; force?: boolean }): Promise<LockResult> {
  const run = await RunRecorder.start(o.store, "lock-break", o.argv);
  const host = await run.hostName(o.spec);
  try {
    const res = await withTarget(o, async (ops) => {
      await ops.ensureHelpers();
      const st = await ops.helper("zwh_target.py", ["lock", "status", "--root", ops.layout.root], { allow: [0] });
      const by = { run_id: run.runId, user: localUser(), zos_user: o.spec.user, controller_host: hostname(), controller_pid: process.pid };
      const args = ["lock", "break", "--root", ops.layout.root, "--by-json", JSON.stringify(by)];
      if (o.lockId) args.push("--lock-id", o.lockId);
      if (o.force) args.push("--force");
      if (ownerGoneHere((st.json.owner ?? null) as Record<string, unknown> | null)) args.push("--owner-gone");
      const r = await ops.helper("zwh_target.py", args, { label: "lock break" });
      const owner = (r.json.owner ?? null) as Record<string, unknown> | null;
      if (r.code === 3 && r.json.reason === "live") {
        throw refusal("ZWH-LOCK-LIVE", `the lock on ${host} ${ops.layout.root} is live: ${describeOwner(owner ?? {})}; it was not broken`, {
          subject: ops.layout.root, details: { owner },
          hint: "Its owner renewed it recently, so a deploy may be running. Wait for it (see 'zwh lock status'), or, if you know that run is gone, " +
            "re-run with --force: the run that held it then stops before activation, and the break is recorded with your name.",
        });
      }
      if (r.code === 3) {
        throw refusal("ZWH-LOCK-ID-MISMATCH", `the lock on ${host} is not ${o.lockId}: it is held by ${describeOwner(owner ?? {})}`, {
          subject: ops.layout.root, details: { owner }, hint: "Check 'zwh lock status' and pass the lock id shown there.",
        });
      }
      const broken = r.json.broken === true;
      return { formatVersion: 1 as const, host, root: ops.layout.root, held: false, stale: r.json.stale === true, owner, description: owner ? describeOwner(owner) : null, broken, forced: r.json.forced === true, by };
    });
    await run.ensureHost(host, o.spec);
    await run.event("lock.break", host, { root: res.root, owner: res.owner, broken: res.broken, forced: res.forced, stale: res.stale, by: res.by });
    await run.hostResult(host, o.spec, { status: res.broken ? "changed" : "ok", root: res.root });
    await run.finish({ status: res.broken ? "changed" : "ok", exitCode: 0 });
    return res;
  } catch (e) {
    const err = toZwhError(e);
    await run.finishFailed(err);
    throw err;
  }
}
