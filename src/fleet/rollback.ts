/**
 * `fleet rollback`: every selected host back to its previous release (or --to RELEASE), in the
 * same waves and under the same stop rules as a rollout, in one run (kind "fleet", strategy
 * operation "rollback"). Each host's rollback is the single-host one (deploy/rollback.ts
 * rollbackHost: observe, check the release is intact, swap under the lock). Shared-filesystem
 * groups roll back once: the installer rolls back, its peers are checked to see the same
 * `current`.
 */
import { toZwhError } from "../core/errors";
import { orderHosts, planBatches } from "../core/fleet-batches";
import type { Batch, FleetRecap, HostRecap } from "../core/fleet-types";
import { checkRoot, layoutFor } from "../deploy/layout";
import { RunRecorder } from "../deploy/record";
import { rollbackHost } from "../deploy/rollback";
import { TargetOps } from "../deploy/target-ops";
import { silentProgress } from "../core/progress";
import { DEFAULT_PYTHON } from "../remote/target";
import { FLEET_STALLED, reasonOf, withHostSession } from "./host-deploy";
import { verifySharedPeer } from "./peer-verify";
import { FleetRecord } from "./record";
import { closeFleetRun, sharedRoles } from "./rollout";
import { silentReporter, type FleetHost, type FleetRunOptions } from "./types";
import { runWaves } from "./waves";
import { ZwhError } from "../core/errors";

export interface FleetRollbackOptions extends FleetRunOptions {
  to?: string;
  lockTtlSeconds?: number;
}

async function rollbackOne(h: FleetHost, run: RunRecorder, o: FleetRollbackOptions, batch: number): Promise<HostRecap> {
  const t0 = Date.now();
  const reporter = o.reporter ?? silentReporter;
  const base = { host: h.name, batch };
  return withHostSession<HostRecap>(h, o.policy.progressDeadlineSeconds, o.env,
    (err) => ({ ...base, status: "unreachable", reason: err.message, errorCode: err.code, step: "connect", durationMs: Date.now() - t0 }),
    async (t, deadline) => {
    try {
      const ops = new TargetOps(t, layoutFor(checkRoot(h.root)), h.spec.pythonPath ?? DEFAULT_PYTHON);
      const ev = (step: string, message?: string) => reporter.event({ type: "host-step", host: h.name, batch, step, ...(message ? { message } : {}) });
      const r = await rollbackHost(ops, run, { spec: h.spec, root: h.root, to: o.to, lockTtlSeconds: o.lockTtlSeconds, progress: deadline.wrap(silentProgress, ev) });
      return { ...base, status: r.changed ? "changed" : "unchanged", releaseId: r.to, ...(r.changed ? { reason: `${r.from ?? "none"} -> ${r.to}` } : {}), durationMs: Date.now() - t0 };
    } catch (e) {
      let err = toZwhError(e);
      if (deadline.expired) err = new ZwhError(FLEET_STALLED, `${h.name}: no progress for ${o.policy.progressDeadlineSeconds} s during '${deadline.step}'; its session was closed and the host failed`, { subject: h.name });
      return { ...base, status: "failed", reason: reasonOf(err), errorCode: err.code, step: String(err.details?.step ?? deadline.step), durationMs: Date.now() - t0 };
    }
  });
}

export async function fleetRollback(o: FleetRollbackOptions): Promise<FleetRecap> {
  const reporter = o.reporter ?? silentReporter;
  const byName = new Map(o.hosts.map((h) => [h.name, h]));
  const names = orderHosts(o.hosts.map((h) => h.name), o.policy.order);
  const canary = o.policy.canary ? (o.groups[o.policy.canary] ?? []).filter((h) => byName.has(h)) : [];
  const batches: Batch[] = planBatches(names, canary, o.policy.serial);
  const run = await RunRecorder.start(o.store, "fleet", o.argv, { operation: "rollback", policy: o.policy, batches, ...(o.to ? { to: o.to } : {}), ...(o.strategy ?? {}) });
  const rec = new FleetRecord(run, o.hosts);
  const roles = sharedRoles(o.sharedFilesystems, batches);
  try {
    for (const b of batches) for (const h of b.hosts) await rec.host({ host: h, batch: b.index, status: "pending" });
    reporter.event({ type: "run", runId: run.runId, operation: "rollback", hosts: o.hosts.length, batches });
    const waves = await runWaves({
      batches, policy: o.policy, targeted: names.length, reporter, peers: roles,
      record: (r) => rec.host(r),
      act: (host, batch) => rollbackOne(byName.get(host)!, run, o, batch),
      verifyPeer: async (host, batch, role, inst) => {
        const r = await verifySharedPeer(byName.get(host)!, {
          group: role.group, installer: role.installer, releaseId: inst.releaseId ?? "", statementDigest: "", batch,
          deadlineSeconds: o.policy.progressDeadlineSeconds, reporter, env: o.env, currentOnly: true,
        });
        return r;
      },
    });
    return await closeFleetRun(run, "rollback", waves, batches, o);
  } catch (e) {
    const err = toZwhError(e);
    await run.finishFailed(err);
    throw err;
  } finally {
    reporter.close();
  }
}
