/**
 * Resume's lock take-over. A host left `running` by a controller that was killed may still hold
 * its deployment lock (owner.json names the run id, the controller host and pid). That lock is
 * taken over only when it is provably the dead controller's: the same run id, recorded by a
 * controller on THIS machine whose process no longer exists (ownerGoneHere). Anything else (a
 * lock of another run, or of this run held by a process that still exists or runs elsewhere) is
 * left alone and the host fails with ZWH-FLEET-LOCK-ORPHAN, naming the owner and the command to
 * break it once the operator knows it is dead.
 */
import { hostname } from "os";
import { describeOwner } from "../core/plan";
import { refusal } from "../core/errors";
import { checkRoot, layoutFor } from "../deploy/layout";
import { ownerGoneHere } from "../deploy/lock";
import { TargetOps, localUser } from "../deploy/target-ops";
import { DEFAULT_PYTHON } from "../remote/target";
import type { Transport } from "../remote/transport";
import type { FleetHost } from "./types";

export const LOCK_ORPHAN = "ZWH-FLEET-LOCK-ORPHAN";

/** Returns the id of the lock that was broken, or undefined when the root was not locked (or by another run). */
export async function takeOverRunLock(t: Transport, h: FleetHost, runId: string, cli: string): Promise<string | undefined> {
  const ops = new TargetOps(t, layoutFor(checkRoot(h.root)), h.spec.pythonPath ?? DEFAULT_PYTHON);
  if (!(await t.exists(ops.layout.root))) return undefined;
  await ops.ensureHelpers();
  const st = await ops.helper("zwh_target.py", ["lock", "status", "--root", ops.layout.root], { allow: [0], label: "lock status" });
  const owner = (st.json.owner ?? null) as Record<string, unknown> | null;
  if (st.json.held !== true || !owner || owner.run_id !== runId) return undefined;
  const lockId = typeof owner.lock_id === "string" ? owner.lock_id : undefined;
  if (!ownerGoneHere(owner)) {
    throw refusal(LOCK_ORPHAN, `${h.name} ${ops.layout.root} is still locked by this run's earlier controller: ${describeOwner(owner)}`, {
      subject: h.name,
      details: { owner },
      hint: `That controller may still be running (or ran on another machine, where its process cannot be checked). Once you know it is gone: ${cli} lock break --lock-id ${lockId ?? "ID"} (the host's target options and --root, with --force), then resume again.`,
    });
  }
  const by = { run_id: runId, user: localUser(), zos_user: h.spec.user, controller_host: hostname(), controller_pid: process.pid, reason: "fleet resume: the lock's controller process is gone" };
  const args = ["lock", "break", "--root", ops.layout.root, "--owner-gone", "--by-json", JSON.stringify(by)];
  if (lockId) args.push("--lock-id", lockId);
  await ops.helper("zwh_target.py", args, { label: "lock break (take over)" });
  return lockId ?? "unknown";
}
