/**
 * `fleet rollout` (and `fleet resume`): one bundle to many hosts in waves inside ONE run (kind
 * "fleet"). The bundle's statement, signatures and expiry are verified once locally per trust
 * file before anything connects; every selected host is recorded `pending` with its batch; the
 * canary batch runs first; batches run `forks` hosts at once, each host the single-host pipeline
 * over its own session under the progress deadline; shared-filesystem groups install once; the
 * stop rules apply after each batch; the retry file lists failed and unreachable hosts.
 */
import { loadTrust, type Trust } from "../bundle/signing/trust";
import type { FileSequenceStore } from "../bundle/signing/sequence-state";
import { bundleStatementDigest } from "../bundle/peek";
import { toZwhError, ZwhError } from "../core/errors";
import { orderHosts, planBatches } from "../core/fleet-batches";
import { sharedGroupsFor } from "../core/fleet-select";
import { batchRecaps, fleetExitCode, retryFileText } from "../core/fleet-recap";
import type { Batch, FleetRecap, HostRecap } from "../core/fleet-types";
import { RunRecorder } from "../deploy/record";
import { hostname } from "os";
import { deployFleetHost } from "./host-deploy";
import { verifyOnce } from "./local-verify";
import { verifySharedPeer } from "./peer-verify";
import { FleetRecord } from "./record";
import { retryDir, writeRetryFile } from "./retry";
import { takeOverRunLock } from "./takeover";
import { silentReporter, type FleetHost, type FleetRunOptions } from "./types";
import { runWaves, type SharedRole, type WaveResult } from "./waves";

export const FLEET_CLAIMED = "ZWH-FLEET-CLAIMED";
export const DEFAULT_CLAIM_TTL_S = 3600;

export interface FleetRolloutOptions extends FleetRunOptions {
  bundleDir: string;
  keep?: number;
  smoke?: string;
  lockTtlSeconds?: number;
  sequenceCache?: FileSequenceStore;
  /** Resume: continue this run; hosts in `done` are kept; hosts in `wasRunning` may hold this run's lock. */
  resume?: { runId: string; batches: Batch[]; done: Map<string, HostRecap>; wasRunning: Set<string> };
}

/** Roles in each shared filesystem group with two or more hosts in this run (src/core/fleet-select.ts). */
export function sharedRoles(groups: Record<string, string[]>, batches: readonly Batch[]): Map<string, SharedRole> {
  const roles = new Map<string, SharedRole>();
  for (const g of sharedGroupsFor({ sharedFilesystems: groups }, batches.flatMap((b) => b.hosts))) {
    if (g.verifiers.length === 0) continue;
    for (const m of [g.installer, ...g.verifiers]) roles.set(m, { group: g.group, installer: g.installer });
  }
  return roles;
}

export async function fleetRollout(o: FleetRolloutOptions): Promise<FleetRecap> {
  if (o.hosts.length === 0) throw new ZwhError("ZWH-FLEET-LIMIT-NOMATCH", "no host selected for the rollout", { hint: "Check --limit and the fleet file's targets." });
  const reporter = o.reporter ?? silentReporter;
  const local = await verifyOnce(o.bundleDir, o.hosts);
  const byName = new Map(o.hosts.map((h) => [h.name, h]));
  let batches: Batch[];
  if (o.resume) {
    batches = o.resume.batches;
  } else {
    const names = orderHosts(o.hosts.map((h) => h.name), o.policy.order);
    const canary = o.policy.canary ? (o.groups[o.policy.canary] ?? []).filter((h) => byName.has(h)) : [];
    batches = planBatches(names, canary, o.policy.serial);
  }
  const run = o.resume
    ? RunRecorder.attach(o.store, o.resume.runId, "fleet")
    : await RunRecorder.start(o.store, "fleet", o.argv, { operation: "rollout", policy: o.policy, batches, ...(o.strategy ?? {}) });
  const rec = new FleetRecord(run, o.hosts);
  const roles = sharedRoles(o.sharedFilesystems, batches);
  try {
    if (!o.resume) for (const b of batches) for (const h of b.hosts) await rec.host({ host: h, batch: b.index, status: "pending" });
    if (o.store) {
      for (const [host, role] of roles) {
        await run.ensureHost(host, byName.get(host)!.spec);
        await o.store.setFsGroup(host, role.group, `${byName.get(host)!.root}`);
      }
    }
    reporter.event({ type: "run", runId: run.runId, operation: "rollout", hosts: o.hosts.length, batches: batches.map((b) => ({ index: b.index, canary: b.canary, hosts: b.hosts })) });
    const digest = bundleStatementDigest(local.dir) ?? "";
    const controller = `${hostname()}:${process.pid}`;
    const waves = await runWaves({
      batches, policy: o.policy, targeted: batches.reduce((n, b) => n + b.hosts.length, 0), reporter,
      done: o.resume?.done, peers: roles,
      record: (r) => rec.host(r),
      admit: async (host, batch) => {
        if (!o.store) return undefined;
        const c = await o.store.claimHost(host, run.runId, o.claimTtlSeconds ?? DEFAULT_CLAIM_TTL_S, controller);
        if (c.claimed) return undefined;
        return { host, batch, status: "skipped", errorCode: FLEET_CLAIMED, reason: `not started: claimed by fleet run ${c.holder.runId} (controller ${c.holder.controller ?? "unknown"}) until ${c.holder.expiresAt}` };
      },
      act: (host, batch) => {
        const h = byName.get(host)!;
        return deployFleetHost(h, {
          run, bundleDir: local.dir, trust: local.trusts.get(h.trustPath)!, filesVerified: local.files, deadlineSeconds: o.policy.progressDeadlineSeconds, batch, reporter,
          env: o.env, keep: o.keep, smoke: o.smoke, lockTtlSeconds: o.lockTtlSeconds, sequenceCache: o.sequenceCache,
          ...(o.resume?.wasRunning.has(host)
            ? { beforeDeploy: async (t) => {
                const broken = await takeOverRunLock(t, h, run.runId, o.cli);
                if (broken) await run.event("fleet.lock-takeover", host, { lock_id: broken, root: h.root });
              } }
            : {}),
        });
      },
      verifyPeer: (host, batch, role, inst) => verifySharedPeer(byName.get(host)!, {
        group: role.group, installer: role.installer, releaseId: inst.releaseId ?? "", statementDigest: digest, batch,
        deadlineSeconds: o.policy.progressDeadlineSeconds, reporter, env: o.env,
      }),
    });
    return await closeFleetRun(run, "rollout", waves, batches, o);
  } catch (e) {
    const err = toZwhError(e);
    await run.finishFailed(err);
    throw err;
  } finally {
    reporter.close();
    if (o.store) await o.store.releaseClaims(run.runId).catch(() => undefined);
    local.cleanup();
  }
}

/**
 * The end of a rollout or rollback: the retry file (failed and unreachable hosts, with reasons),
 * the recap with per-batch totals and the exit code, and the run's row in the store.
 */
export async function closeFleetRun(run: RunRecorder, operation: "rollout" | "rollback", waves: WaveResult, batches: readonly Batch[], o: Pick<FleetRunOptions, "store" | "retryDir" | "env">): Promise<FleetRecap> {
  const hosts = waves.hosts;
  const retry = hosts.some((h) => h.status === "failed" || h.status === "unreachable");
  const retryFile = retry ? writeRetryFile(retryDir(o.store, o.retryDir, o.env), run.runId, retryFileText(hosts, { runId: run.runId })) : undefined;
  const recap: FleetRecap = {
    formatVersion: 1, runId: run.runId, operation, hosts, batches: batchRecaps(hosts, batches),
    ...(waves.stopped ? { stopped: waves.stopped } : {}), ...(retryFile ? { retryFile } : {}), exitCode: fleetExitCode(hosts),
  };
  await finishFleetRun(run, recap);
  return recap;
}

/** The run's row: ok/changed when every host succeeded, else failed (stopped) or partial. */
export async function finishFleetRun(run: RunRecorder, recap: FleetRecap): Promise<void> {
  if (!run.recording) return;
  if (recap.exitCode === 0 && !recap.stopped) {
    await run.finish({ status: recap.hosts.some((h) => h.status === "changed") ? "changed" : "ok", exitCode: 0 });
  } else if (recap.stopped) {
    await run.finish({ status: "failed", exitCode: recap.exitCode, errorCode: recap.stopped.code, errorText: recap.stopped.message });
  } else {
    const first = recap.hosts.find((h) => h.status === "failed" || h.status === "unreachable");
    await run.finish({ status: "partial", exitCode: recap.exitCode, ...(first?.errorCode ? { errorCode: first.errorCode, errorText: `${first.host}: ${first.reason ?? ""}` } : {}) });
  }
}
