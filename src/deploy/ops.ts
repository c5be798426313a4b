/** rollback, status and lock commands: the same observe step as deploy, one connection each. */
import { hostname } from "os";
import { randomUUID } from "crypto";
import { refusal, toZwhError } from "../core/errors";
import { describeOwner } from "../core/plan";
import { DEFAULT_PYTHON, hostLabel } from "../remote/target";
import { connectTarget, type RemoteSession } from "../remote/connection";
import { acquireLock, activateRelease, checkLockTtl, inspectRelease, type CommonOptions } from "./engine";
import { checkReleaseId, checkRoot, layoutFor, releaseDir } from "./layout";
import { observeTarget, type RawObservation } from "./observe";
import { TargetOps, localUser as user } from "./target-ops";

async function withOps<T>(o: CommonOptions, fn: (ops: TargetOps, s: RemoteSession) => Promise<T>): Promise<T> {
  const root = checkRoot(o.root);
  const session = await o.progress.step(`Connect to ${o.spec.user}@${hostLabel(o.spec)}`, () => connectTarget(o.spec, { env: o.env ?? process.env }));
  try {
    return await fn(new TargetOps(session, layoutFor(root), o.spec.pythonPath ?? DEFAULT_PYTHON), session);
  } finally {
    await session.close().catch(() => undefined);
  }
}

export interface RollbackResult {
  formatVersion: 1;
  runId: string;
  host: string;
  root: string;
  from: string | null;
  to: string;
  changed: boolean;
  durationMs: number;
}

export async function rollback(o: CommonOptions & { to?: string; lockTtlSeconds?: number }): Promise<RollbackResult> {
  const t0 = Date.now();
  const host = hostLabel(o.spec);
  const lockTtl = checkLockTtl(o.lockTtlSeconds);
  const store = o.store;
  const runId = store ? await store.startRun("rollback", { actorLocal: user(), controllerHost: hostname(), argv: o.argv }) : randomUUID();
  let step = "connect";
  try {
    // The normalised root (no trailing slash...), as deploy records it in the inventory.
    const root = checkRoot(o.root);
    const res = await withOps(o, async (ops) => {
      step = "observe";
      const obs = await o.progress.step("Observe the target", () => observeTarget(ops));
      const raw = obs.raw;
      const target = o.to !== undefined ? checkReleaseId(o.to) : raw.previous.release;
      if (!target) {
        throw refusal("ZWH-ROLLBACK-NO-PREVIOUS", `${host} ${ops.layout.root} has no previous release to roll back to`, {
          subject: ops.layout.root, hint: "Name a release with --release (see 'zwh status' for the releases on the target).",
        });
      }
      if (!raw.releases.some((r) => r.id === target)) {
        throw refusal("ZWH-ROLLBACK-UNKNOWN-RELEASE", `release ${target} does not exist under ${ops.layout.root}/releases on ${host}`, {
          subject: target, hint: `Releases there: ${raw.releases.map((r) => r.id).join(", ") || "none"}.`,
        });
      }
      if (raw.current.release === target) {
        return { from: target, to: target, changed: false };
      }
      step = "lock";
      const lock = await o.progress.step("Acquire the deployment lock", () =>
        acquireLock(ops, { operation: "rollback", run_id: runId, user: user(), zos_user: o.spec.user, controller_host: hostname(), controller_pid: process.pid, release: target, message: `rollback to ${target}` }, lockTtl),
      );
      try {
        step = "inspect";
        await o.progress.step(`Check release ${target} is intact (venv, RECORD)`, () => inspectRelease(ops, target));
        step = "activate";
        await o.progress.step(`Activate ${target}`, () => activateRelease(ops, target, raw.current.target, "ZWH-ROLLBACK-ACTIVATE"));
      } finally {
        await ops.batch([
          ops.auditArgv({ event: "rollback", run_id: runId, from: raw.current.release, to: target, step, user: user(), zos_user: o.spec.user, controller_host: hostname() }),
          ops.unlockArgv(lock.lockId),
        ], { label: "audit + unlock" }).catch(() => undefined);
      }
      return { from: raw.current.release, to: target, changed: true };
    });
    if (store) {
      await o.progress.step("Record in the inventory", async () => {
        if (!(await store.getHost(host))) await store.upsertHost({ name: host, address: o.spec.host, port: o.spec.port, sshUser: o.spec.user });
        if (res.changed) {
          try {
            await store.setActiveRelease(host, root, res.to, runId);
          } catch {
            // A release this inventory never recorded (deployed from elsewhere): record it first.
            await store.recordRelease({ host, root, releaseId: res.to, path: releaseDir(layoutFor(root), res.to), runId });
            await store.setActiveRelease(host, root, res.to, runId);
          }
        }
        await store.recordRunHost(runId, host, { status: res.changed ? "changed" : "ok", releaseId: res.to });
        await store.finishRun(runId, { status: res.changed ? "changed" : "ok", exitCode: 0 });
      });
    }
    return { formatVersion: 1, runId, host, root, ...res, durationMs: Date.now() - t0 };
  } catch (e) {
    const err = toZwhError(e);
    if (store) {
      await Promise.resolve().then(() => store.finishRun(runId, { status: err.exitCode === 3 ? "refused" : "failed", exitCode: err.exitCode || 1, errorCode: err.code, errorText: err.message, failedStep: step })).catch(() => undefined);
    }
    throw err;
  }
}

export interface StatusResult {
  formatVersion: 1;
  host: string;
  root: string;
  rootExists: boolean;
  current: { releaseId: string; bundleId?: string; channel?: string; sequence?: number; statementDigest?: string; activatedAt?: string; installed: Array<{ name: string; version: string }>; bootstrap: Array<{ name: string; version: string }> } | null;
  previous: { releaseId: string; bundleId?: string; activatedAt?: string } | null;
  releases: Array<{ releaseId: string; state: "current" | "previous" | "kept"; complete: boolean; bundleId?: string; sequence?: number; activatedAt?: string }>;
  lock: { held: boolean; stale: boolean; owner: Record<string, unknown> | null; description: string | null };
  trust: { present: boolean; sha256: string | null };
  inventory: { lastRun: unknown; releases: unknown[] } | null;
}

export function statusFrom(host: string, root: string, raw: RawObservation): StatusResult {
  const byId = new Map(raw.releases.map((r) => [r.id, r]));
  const cur = raw.current.release ? byId.get(raw.current.release) : undefined;
  const prev = raw.previous.release ? byId.get(raw.previous.release) : undefined;
  return {
    formatVersion: 1, host, root, rootExists: raw.rootExists,
    current: raw.current.release
      ? {
          releaseId: raw.current.release, bundleId: cur?.receipt?.bundleId, channel: cur?.receipt?.channel, sequence: cur?.receipt?.sequence,
          statementDigest: cur?.receipt?.statementDigest, activatedAt: cur?.receipt?.activatedAt,
          installed: (cur?.receipt?.installed ?? []).map((x) => ({ name: x.name, version: x.version })), bootstrap: cur?.receipt?.bootstrap ?? [],
        }
      : null,
    previous: raw.previous.release ? { releaseId: raw.previous.release, bundleId: prev?.receipt?.bundleId, activatedAt: prev?.receipt?.activatedAt } : null,
    releases: raw.releases
      .map((r) => ({
        releaseId: r.id,
        state: (r.id === raw.current.release ? "current" : r.id === raw.previous.release ? "previous" : "kept") as "current" | "previous" | "kept",
        complete: r.receipt?.complete === true, bundleId: r.receipt?.bundleId, sequence: r.receipt?.sequence, activatedAt: r.receipt?.activatedAt,
      }))
      .sort((a, b) => String(b.activatedAt ?? "").localeCompare(String(a.activatedAt ?? ""))),
    lock: { held: raw.lock.held, stale: raw.lock.stale, owner: raw.lock.owner, description: raw.lock.held ? describeOwner(raw.lock.owner ?? {}) : null },
    trust: { present: raw.trust.present, sha256: raw.trust.sha256 },
    inventory: null,
  };
}

export async function status(o: CommonOptions): Promise<StatusResult> {
  const host = hostLabel(o.spec);
  const r = await withOps(o, async (ops) => {
    const obs = await o.progress.step("Observe the target", () => observeTarget(ops));
    return statusFrom(host, ops.layout.root, obs.raw);
  });
  if (o.store) {
    try {
      const hs = await o.store.hostStatus(host, r.root);
      r.inventory = { lastRun: hs.lastRun ?? null, releases: hs.releases };
    } catch {
      r.inventory = { lastRun: null, releases: [] };
    }
  }
  return r;
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
  const host = hostLabel(o.spec);
  return withOps(o, async (ops) => {
    await ops.ensureHelpers();
    const r = await ops.helper("zwh_target.py", ["lock", "status", "--root", ops.layout.root], { allow: [0] });
    const owner = (r.json.owner ?? null) as Record<string, unknown> | null;
    return { formatVersion: 1, host, root: ops.layout.root, held: r.json.held === true, stale: r.json.stale === true, owner, description: r.json.held ? describeOwner(owner ?? {}) : null };
  });
}

export async function lockBreak(o: CommonOptions & { lockId?: string }): Promise<LockResult> {
  const host = hostLabel(o.spec);
  const store = o.store;
  const runId = store ? await store.startRun("lock-break", { actorLocal: user(), controllerHost: hostname(), argv: o.argv }) : randomUUID();
  try {
    const res = await withOps(o, async (ops) => {
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
        await ops.helper("zwh_target.py", ["audit-append", "--root", ops.layout.root, "--json", JSON.stringify({ event: "lock-break", run_id: runId, broken_owner: owner, user: user(), zos_user: o.spec.user, controller_host: hostname() })], { allow: [0] });
      }
      return { formatVersion: 1 as const, host, root: ops.layout.root, held: false, stale: r.json.stale === true, owner, description: owner ? describeOwner(owner) : null, broken };
    });
    if (store) {
      if (!(await store.getHost(host))) await store.upsertHost({ name: host, address: o.spec.host, port: o.spec.port, sshUser: o.spec.user });
      await store.appendEvent({ type: "lock.break", runId, host, payload: { root: res.root, owner: res.owner, broken: res.broken } });
      await store.recordRunHost(runId, host, { status: res.broken ? "changed" : "ok" });
      await store.finishRun(runId, { status: res.broken ? "changed" : "ok", exitCode: 0 });
    }
    return res;
  } catch (e) {
    const err = toZwhError(e);
    if (store) await Promise.resolve().then(() => store.finishRun(runId, { status: err.exitCode === 3 ? "refused" : "failed", exitCode: err.exitCode || 1, errorCode: err.code, errorText: err.message })).catch(() => undefined);
    throw err;
  }
}
