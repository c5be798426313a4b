/**
 * How a fleet run's hosts are written to the store: every selected host `pending` with its batch
 * up front (so an interrupted run can be resumed, and nothing is ever silently dropped), then
 * `running`, then its outcome as it finishes. `unchanged` is stored as `ok` (the store's
 * vocabulary); the recap keeps the distinction.
 */
import type { FleetHostStatus, HostRecap } from "../core/fleet-types";
import type { RunRecorder } from "../deploy/record";
import type { RunHostResult, RunHostStatus } from "../inventory/types";
import type { FleetHost } from "./types";

export function storedStatus(s: FleetHostStatus): RunHostStatus {
  return s === "unchanged" ? "ok" : s;
}

export class FleetRecord {
  private readonly byName: Map<string, FleetHost>;

  constructor(readonly run: RunRecorder, hosts: readonly FleetHost[]) {
    this.byName = new Map(hosts.map((h) => [h.name, h]));
  }

  async host(r: HostRecap | { host: string; batch: number; status: "running" | "pending" }): Promise<void> {
    if (!this.run.recording) return;
    const h = this.byName.get(r.host);
    if (!h) return;
    const full = r as HostRecap;
    const res: RunHostResult = {
      status: storedStatus(r.status),
      root: h.root,
      batchNo: r.batch,
      ...(full.releaseId ? { releaseId: full.releaseId } : {}),
      ...(full.errorCode ? { errorCode: full.errorCode } : {}),
      ...(full.reason ? { errorText: full.reason } : {}),
      ...(full.step ? { failedStep: full.step } : {}),
    };
    await this.run.hostResult(h.name, h.spec, res);
  }
}
