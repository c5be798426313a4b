/**
 * `fleet plan`'s per-host preflight: ONE session and one observe per host, nothing written on
 * the target (helpers missing under the root run from a per-run /tmp directory that is removed;
 * a fresh probe is not cached). It answers what a rollout would meet: reachable and host key
 * (the connect), the interpreter and platform against the bundle (the full local verification
 * against the target's probe facts), free space, the lock, the target's accepted sequence, and
 * the per-host deploy plan (src/core/plan.ts, as `deploy --dry-run` shows it).
 */
import type { Trust } from "../bundle/signing/trust";
import { peekWheels } from "../bundle/peek";
import { targetFromProbe } from "../bundle/target";
import { loadAndVerifyBundle, type FilesVerified } from "../bundle/verify";
import { refusal, toZwhError } from "../core/errors";
import type { HostRecap } from "../core/fleet-types";
import { describeOwner, fmtBytes, planDeploy, type DeployPlan, type ObservedState } from "../core/plan";
import { checkRoot, layoutFor, releaseIdFor } from "../deploy/layout";
import { observeTarget, targetFacts, type Observation } from "../deploy/observe";
import { prepareReadOnly } from "../deploy/read-only";
import { wheelsOf } from "../deploy/record";
import { deployView, targetSequences } from "../deploy/sequence-guard";
import { TargetOps } from "../deploy/target-ops";
import { DEFAULT_KEEP } from "../deploy/types";
import { DEFAULT_PYTHON } from "../remote/target";
import type { ProbeResult } from "../remote/probe";
import { withHostSession } from "./host-deploy";
import type { FleetHost } from "./types";

export interface HostPreflight {
  host: string;
  reachable: boolean;
  hostKeyFingerprint?: string;
  python?: { path: string; version: string; platform: string };
  freeBytes?: number | null;
  rootExists?: boolean;
  trustPresent?: boolean;
  lock?: { held: boolean; stale: boolean; description: string | null };
  current?: string | null;
  /** The target's accepted sequence for the bundle's channel (null: none yet). */
  sequence?: { channel: string; accepted: number | null; offered: number };
  plan?: { action: DeployPlan["action"]; releaseId: string; uploadFiles: number; uploadBytes: number; steps: string[] };
}

function emptyState(): ObservedState {
  return { rootExists: false, current: null, currentKind: "missing", previous: null, releases: [], storePresent: [], lock: { held: false, stale: false, owner: null }, trustPresent: false };
}

async function observeReadOnly(ops: TargetOps, h: FleetHost, bundleDir: string): Promise<{ obs: Observation | undefined; probe: ProbeResult }> {
  if (!(await ops.session.exists(ops.layout.root))?.isDirectory) {
    // Nothing deployed yet: the probe (read-only, from /tmp) still tells the interpreter and space.
    return { obs: undefined, probe: await ops.session.probe({ root: ops.layout.root, pythonPath: ops.python }) };
  }
  const done = await prepareReadOnly(ops);
  try {
    const obs = await observeTarget(ops, peekWheels(bundleDir), { readOnly: true });
    const facts = await targetFacts(ops, obs, undefined, { readOnly: true });
    return { obs, probe: facts.probe };
  } finally {
    await done();
  }
}

export async function preflightHost(h: FleetHost, c: { bundleDir: string; trust: Trust; filesVerified?: FilesVerified; batch: number; deadlineSeconds: number; env?: NodeJS.ProcessEnv; keep?: number; smoke?: string }): Promise<{ recap: HostRecap; preflight: HostPreflight }> {
  const t0 = Date.now();
  const pf: HostPreflight = { host: h.name, reachable: false };
  const base = { host: h.name, batch: c.batch };
  type Out = { recap: HostRecap; preflight: HostPreflight };
  return withHostSession<Out>(h, c.deadlineSeconds, c.env,
    (err) => ({ recap: { ...base, status: "unreachable", reason: err.message, errorCode: err.code, step: "connect", durationMs: Date.now() - t0 }, preflight: pf }),
    async (t, deadline) => {
    pf.reachable = true;
    let step = "observe";
    try {
      deadline.touch("observe");
      const ops = new TargetOps(t, layoutFor(checkRoot(h.root)), h.spec.pythonPath ?? DEFAULT_PYTHON);
      const { obs, probe } = await observeReadOnly(ops, h, c.bundleDir);
      pf.hostKeyFingerprint = probe.target?.hostKeyFingerprint;
      pf.python = { path: probe.python.path, version: probe.python.version, platform: probe.python.sysconfigPlatform };
      pf.freeBytes = probe.root?.freeBytes ?? null;
      const st = obs?.state ?? emptyState();
      pf.rootExists = st.rootExists;
      pf.trustPresent = st.trustPresent;
      pf.current = st.current;
      pf.lock = { held: st.lock.held, stale: st.lock.stale, description: st.lock.held ? describeOwner(st.lock.owner ?? {}) : null };
      const seqs = targetSequences((obs?.raw ?? {}) as { sequences?: never }, h.name, ops.layout.root);
      step = "verify-bundle";
      deadline.touch("verify-bundle");
      const vb = await loadAndVerifyBundle(c.bundleDir, { trust: c.trust, targetEnv: targetFromProbe(probe), sequenceStore: deployView(h.name, ops.layout.root, seqs, undefined), filesVerified: c.filesVerified });
      pf.sequence = { channel: vb.predicate.channel, accepted: seqs.channels[vb.predicate.channel]?.sequence ?? null, offered: vb.predicate.sequence };
      step = "plan";
      const plan = planDeploy(
        { bundleId: vb.predicate.bundleId, channel: vb.predicate.channel, sequence: vb.predicate.sequence, statementDigest: vb.statementDigest, releaseId: releaseIdFor(vb.predicate.bundleId, vb.statementDigest), wheels: wheelsOf(vb) },
        st, { keep: c.keep ?? DEFAULT_KEEP, smoke: c.smoke, repair: false },
      );
      pf.plan = { action: plan.action, releaseId: plan.releaseId, uploadFiles: plan.upload.length, uploadBytes: plan.uploadBytes, steps: plan.steps.map((s) => s.id) };
      const need = plan.uploadBytes * 2;
      if (pf.freeBytes !== null && pf.freeBytes !== undefined && plan.action === "install" && pf.freeBytes < need) {
        throw refusal("ZWH-FLEET-NO-SPACE", `${h.name}: ${fmtBytes(pf.freeBytes)} free under ${ops.layout.root}, the install needs about ${fmtBytes(need)} (uploads plus the venv)`, { subject: h.name, hint: "Free space under the install root (zwh prunes old releases with --keep) before the rollout." });
      }
      const b = plan.action === "noop" ? undefined : plan.blockers[0];
      if (b) throw refusal(b.code, `${h.name}: ${b.message}`, { subject: h.name, hint: b.hint });
      const what = plan.action === "noop" ? "already current (nothing to do)" : plan.action === "activate" ? `would re-activate ${plan.releaseId}` : `would install ${plan.releaseId} (${plan.upload.length} wheel(s), ${fmtBytes(plan.uploadBytes)} to upload)`;
      return { recap: { ...base, status: "ok", reason: what, releaseId: plan.releaseId, durationMs: Date.now() - t0 }, preflight: pf };
    } catch (e) {
      const err = toZwhError(e);
      return { recap: { ...base, status: "failed", reason: err.message, errorCode: err.code, step: String(err.details?.step ?? step), durationMs: Date.now() - t0 }, preflight: pf };
    }
  });
}
