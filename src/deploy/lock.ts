/**
 * The deployment lock of an install root (zwh_target.py lock: mkdir is the atomic step), and the
 * `lock status` / `lock break` commands.
 */
import { hostname } from "os";
import { describeOwner } from "../core/plan";
import { ZwhError, refusal, toZwhError } from "../core/errors";
import type { Transport } from "../remote/transport";
import { withTarget } from "./connect";
import { RunRecorder, resolveHostName } from "./record";
import { TargetOps, localUser } from "./target-ops";
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
      subject: "lock-ttl", hint: `The default is ${DEFAULT_LOCK_TTL_S}. A deploy renews its lock every ttl/3 while pip runs.`,
    });
  }
  return v;
}

/** owner.json of a lock taken by this controller for `operation`. */
export function lockOwner(operation: string, runId: string, zosUser: string, extra: Record<string, unknown>): Record<string, unknown> {
  return { operation, run_id: runId, user: localUser(), zos_user: zosUser, controller_host: hostname(), controller_pid: process.pid, ...extra };
}

export async function acquireLock(ops: TargetOps, owner: Record<string, unknown>, ttl: number): Promise<LockHandle> {
  await ops.session.mkdirp(ops.layout.wh, 0o755);
  const r = await ops.helper("zwh_target.py", ["lock", "acquire", "--root", ops.layout.root, "--owner-json", JSON.stringify(owner), "--ttl", String(ttl)], { label: "lock acquire" });
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
  return { lockId: String(r.json.lock_id), owner: r.json.owner as Record<string, unknown> };
}

/** Renew the lock every `everyMs` while a long step runs; returns stop(). */
export function lockHeartbeat(ops: TargetOps, lock: LockHandle, ttl: number, everyMs: number): () => void {
  return ops.session.heartbeat(ops.zwhTarget("lock", "heartbeat", "--root", ops.layout.root, "--lock-id", lock.lockId, "--ttl", String(ttl)), everyMs, { label: "lock heartbeat" });
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

export async function lockBreak(o: CommonOptions & { lockId?: string }): Promise<LockResult> {
  const run = await RunRecorder.start(o.store, "lock-break", o.argv);
  const host = await run.hostName(o.spec);
  try {
    const res = await withTarget(o, async (ops) => {
      await ops.ensureHelpers();
      const args = ["lock", "break", "--root", ops.layout.root];
      if (o.lockId) args.push("--lock-id", o.lockId);
      const r = await ops.helper("zwh_target.py", args, { label: "lock break" });
      const owner = (r.json.owner ?? null) as Record<string, unknown> | null;
      if (r.code === 3) {
        throw refusal("ZWH-LOCK-ID-MISMATCH", `the lock on ${host} is not ${o.lockId}: it is held by ${describeOwner(owner ?? {})}`, {
          subject: ops.layout.root, details: { owner }, hint: "Check 'zwh lock status' and pass the lock id shown there.",
        });
      }
      const broken = r.json.broken === true;
      if (broken) {
        await ops.helper("zwh_target.py", ["audit-append", "--root", ops.layout.root, "--json", JSON.stringify({ event: "lock-break", run_id: run.runId, broken_owner: owner, user: localUser(), zos_user: o.spec.user, controller_host: hostname() })], { allow: [0] });
      }
      return { formatVersion: 1 as const, host, root: ops.layout.root, held: false, stale: r.json.stale === true, owner, description: owner ? describeOwner(owner) : null, broken };
    });
    await run.ensureHost(host, o.spec);
    await run.event("lock.break", host, { root: res.root, owner: res.owner, broken: res.broken });
    await run.hostResult(host, o.spec, { status: res.broken ? "changed" : "ok" });
    await run.finish({ status: res.broken ? "changed" : "ok", exitCode: 0 });
    return res;
  } catch (e) {
    const err = toZwhError(e);
    await run.finishFailed(err);
    throw err;
  }
}
