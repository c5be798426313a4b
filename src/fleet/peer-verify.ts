/**
 * A shared-filesystem peer: a host that sees the same install root as the group's installer
 * (sysplex-shared zFS). It is not deployed to again; once the installer succeeded, the peer's own
 * view is checked read-only (the observe status uses: no helper or directory written under the
 * root): its `current` must name the installer's release, and that release's receipt must be
 * complete and carry the bundle's statement digest.
 */
import { toZwhError, ZwhError } from "../core/errors";
import type { HostRecap } from "../core/fleet-types";
import { checkRoot, layoutFor } from "../deploy/layout";
import { observeTarget } from "../deploy/observe";
import { prepareReadOnly } from "../deploy/read-only";
import { TargetOps } from "../deploy/target-ops";
import { DEFAULT_PYTHON } from "../remote/target";
import { FLEET_STALLED, withHostSession } from "./host-deploy";
import type { FleetHost, FleetReporter } from "./types";

export const SHARED_MISMATCH = "ZWH-FLEET-SHARED-MISMATCH";

export interface PeerContext {
  group: string;
  installer: string;
  releaseId: string;
  statementDigest: string;
  batch: number;
  deadlineSeconds: number;
  reporter: FleetReporter;
  env?: NodeJS.ProcessEnv;
  /** Only `current` and a complete receipt are checked (a rollback returns to an older statement). */
  currentOnly?: boolean;
}

export async function verifySharedPeer(h: FleetHost, c: PeerContext): Promise<HostRecap> {
  const t0 = Date.now();
  const base: Pick<HostRecap, "host" | "batch" | "sharedWith"> = { host: h.name, batch: c.batch, sharedWith: { group: c.group, installer: c.installer } };
  c.reporter.event({ type: "host-step", host: h.name, batch: c.batch, step: "connect" });
  return withHostSession<HostRecap>(h, c.deadlineSeconds, c.env,
    (err) => ({ ...base, status: "unreachable", reason: err.message, errorCode: err.code, step: "connect", durationMs: Date.now() - t0 }),
    async (t, deadline) => {
    deadline.touch("verify-shared");
    c.reporter.event({ type: "host-step", host: h.name, batch: c.batch, step: "verify-shared", message: `shared with ${c.installer} (${c.group})` });
    try {
      const ops = new TargetOps(t, layoutFor(checkRoot(h.root)), h.spec.pythonPath ?? DEFAULT_PYTHON);
      const done = await prepareReadOnly(ops);
      let raw;
      try {
        raw = (await observeTarget(ops, [], { readOnly: true })).raw;
      } finally {
        await done();
      }
      const cur = raw.current.release;
      const rec = raw.releases.find((r) => r.id === cur)?.receipt;
      let problem: string | undefined;
      if (cur !== c.releaseId) problem = `its current release is ${cur ?? "none"}, not ${c.releaseId} that ${c.installer} installed`;
      else if (rec?.complete !== true) problem = `release ${cur} has no complete receipt`;
      else if (!c.currentOnly && rec.statementDigest !== c.statementDigest) problem = `release ${cur}'s receipt names statement ${rec.statementDigest ?? "none"}, not the bundle's ${c.statementDigest}`;
      if (problem) {
        throw new ZwhError(SHARED_MISMATCH, `${h.name} shares ${h.root} with ${c.installer} (group ${c.group}), but ${problem}`, {
          subject: h.name,
          hint: "Check that the group really shares one file system at this root (sharedFilesystems in the fleet file), and the host's view of 'current'.",
        });
      }
      return { ...base, status: "ok", releaseId: cur ?? undefined, durationMs: Date.now() - t0 };
    } catch (e) {
      let err = toZwhError(e);
      if (deadline.expired) err = new ZwhError(FLEET_STALLED, `${h.name}: no progress for ${c.deadlineSeconds} s while verifying the shared release`, { subject: h.name });
      return { ...base, status: "failed", reason: err.message, errorCode: err.code, step: "verify-shared", durationMs: Date.now() - t0 };
    }
  });
}
