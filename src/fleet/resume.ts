/**
 * `fleet resume RUN_ID`: the run's hosts and batches are read back from the store, and the
 * rollout continues in the original batch order under the same policy, in the same run:
 * - changed / ok (and unchanged, stored as ok): done, kept as they are;
 * - pending, running (the controller died), skipped (the run stopped, a claim, a failed
 *   shared-filesystem installer): run again;
 * - failed / unreachable / refused: kept, unless --retry-failed (then run again, and their new
 *   outcome replaces the old in the thresholds too).
 * A host left `running` may still hold this run's deployment lock: see takeover.ts.
 */
import { ZwhError } from "../core/errors";
import type { Batch, FleetHostStatus, HostRecap } from "../core/fleet-types";
import type { RunHostRecord, RunRecord } from "../inventory/types";

export const RESUME_NOT_FLEET = "ZWH-FLEET-RESUME-INVALID";

export interface ResumeState {
  batches: Batch[];
  done: Map<string, HostRecap>;
  wasRunning: Set<string>;
  /** Hosts that will run again. */
  todo: string[];
}

/** What the run stored (its strategy) that resume needs. */
export interface StoredStrategy {
  operation?: string;
  fleetFile?: string;
  bundle?: string;
  policy?: Record<string, unknown>;
  /** The batches as planned (index, canary, hosts). */
  batches?: Array<{ index: number; canary: boolean; hosts: string[] }>;
}

export function checkResumable(run: RunRecord | undefined, runId: string, cli: string): StoredStrategy {
  if (!run) throw new ZwhError("ZWH-STORE-UNKNOWN-RUN", `run ${runId} is not in the inventory`, { subject: runId, hint: `List fleet runs with '${cli} inventory history', and check --inventory.` });
  const s = (run.strategy ?? {}) as StoredStrategy;
  if (run.kind !== "fleet" || s.operation !== "rollout" || !s.fleetFile || !s.bundle) {
    throw new ZwhError(RESUME_NOT_FLEET, `run ${runId} is not a fleet rollout that can be resumed (kind ${run.kind}${s.operation ? `, ${s.operation}` : ""})`, {
      subject: runId, hint: `Only '${cli} fleet rollout' runs are resumed; start a new rollout otherwise.`,
    });
  }
  return s;
}

const DONE: readonly string[] = ["ok", "changed"];
const FAILED: readonly string[] = ["failed", "unreachable", "refused"];

export function resumeState(rows: readonly RunHostRecord[], retryFailed: boolean, canaryBatches: readonly number[] = []): ResumeState {
  const byBatch = new Map<number, string[]>();
  const done = new Map<string, HostRecap>();
  const wasRunning = new Set<string>();
  const todo: string[] = [];
  for (const r of rows) {
    const batch = r.batchNo ?? 0;
    if (!byBatch.has(batch)) byBatch.set(batch, []);
    byBatch.get(batch)!.push(r.host);
    if (r.status === "running") wasRunning.add(r.host);
    const keep = DONE.includes(r.status) || (!retryFailed && FAILED.includes(r.status));
    if (keep) {
      const status = (r.status === "refused" ? "failed" : r.status) as FleetHostStatus;
      done.set(r.host, {
        host: r.host, batch, status,
        ...(r.releaseId ? { releaseId: r.releaseId } : {}),
        ...(r.errorCode ? { errorCode: r.errorCode } : {}),
        ...(r.errorText ? { reason: r.errorText } : {}),
        ...(r.failedStep ? { step: r.failedStep } : {}),
      });
    } else {
      todo.push(r.host);
    }
  }
  // The batches as planned: the stored batch numbers, hosts in the store's order within each.
  const batches: Batch[] = [...byBatch.keys()].sort((a, b) => a - b).map((index) => ({ index, canary: canaryBatches.includes(index), hosts: byBatch.get(index)! }));
  return { batches, done, wasRunning, todo };
}
