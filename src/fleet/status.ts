/**
 * `fleet status`: per host, a read-only observe (the single-host `status`: one session, nothing
 * written under the root) for the current release, its bundle and sequence and the lock, plus
 * what the inventory recorded last for the host (run id, kind, status, error). A host that
 * cannot be observed is `unreachable` (exit 4), never reported as current.
 */
import { toZwhError } from "../core/errors";
import { silentProgress } from "../core/progress";
import { status as hostStatus } from "../deploy/status";
import type { InventoryStore } from "../inventory/types";
import type { FleetHost } from "./types";

export interface FleetHostStatusRow {
  host: string;
  root: string;
  reachable: boolean;
  current: string | null;
  bundleId?: string;
  sequence?: number;
  activatedAt?: string;
  lock: string | null;
  /** The last run the inventory recorded for this host and what happened to it there. */
  lastRun: { runId: string; kind: string; status: string; finishedAt: string | null; errorCode: string | null } | null;
  errorCode?: string;
  error?: string;
}

export interface FleetStatusReport {
  formatVersion: 1;
  hosts: FleetHostStatusRow[];
  /** 0 every host observed, 4 some unreachable. */
  exitCode: 0 | 4;
}

export async function fleetStatus(o: { hosts: FleetHost[]; store?: InventoryStore; env?: NodeJS.ProcessEnv; forks: number }): Promise<FleetStatusReport> {
  const rows: FleetHostStatusRow[] = new Array(o.hosts.length);
  let next = 0;
  const one = async (i: number) => {
    const h = o.hosts[i]!;
    let lastRun: FleetHostStatusRow["lastRun"] = null;
    if (o.store && (await o.store.getHost(h.name))) {
      const l = (await o.store.hostStatus(h.name, h.root).catch(() => undefined))?.lastRun;
      if (l) lastRun = { runId: l.runId, kind: l.kind, status: l.status, finishedAt: l.finishedAt, errorCode: l.errorCode };
    }
    try {
      const s = await hostStatus({ spec: h.spec, root: h.root, progress: silentProgress, warn: () => undefined, env: o.env });
      rows[i] = {
        host: h.name, root: s.root, reachable: true, current: s.current?.releaseId ?? null,
        ...(s.current?.bundleId ? { bundleId: s.current.bundleId } : {}), ...(s.current?.sequence !== undefined ? { sequence: s.current.sequence } : {}),
        ...(s.current?.activatedAt ? { activatedAt: s.current.activatedAt } : {}),
        lock: s.lock.description, lastRun,
      };
    } catch (e) {
      const err = toZwhError(e);
      const connect = /^ZWH-SSH-/.test(err.code);
      rows[i] = { host: h.name, root: h.root, reachable: !connect, current: null, lock: null, lastRun, errorCode: err.code, error: err.message };
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(o.forks, o.hosts.length)) }, async () => {
    while (next < o.hosts.length) await one(next++);
  }));
  return { formatVersion: 1, hosts: rows, exitCode: rows.some((r) => !r.reachable) ? 4 : 0 };
}
