/**
 * The end of a fleet run (pure): per-batch totals, the exit code, the retry file and the human
 * recap. Everything is computed from the host recaps, the one record of what happened, so the
 * JSON, the text and the exit code can never disagree (ansible#83292 exited 2 for hosts that had
 * recovered).
 */
import type { Batch, BatchRecap, FleetHostStatus, FleetRecap, HostRecap } from "./fleet-types";

export type FinalStatus = keyof BatchRecap["counts"];
/** The final statuses in the order reports list them. */
export const FINAL_STATUSES: FinalStatus[] = ["changed", "unchanged", "ok", "failed", "unreachable", "skipped"];

/** One recap per host, the latest (a resumed run appends a host's new result after its old one). */
export function latestByHost(hosts: readonly HostRecap[]): HostRecap[] {
  const m = new Map<string, HostRecap>();
  for (const h of hosts) {
    m.delete(h.host); // keep the order of the latest result
    m.set(h.host, h);
  }
  return [...m.values()];
}

export function emptyCounts(): BatchRecap["counts"] {
  return { ok: 0, changed: 0, unchanged: 0, failed: 0, unreachable: 0, skipped: 0 };
}

export function isFinal(s: FleetHostStatus): s is FinalStatus {
  return s !== "pending" && s !== "running";
}

/** Totals per batch as planned; hosts without a final result (pending, running) are in `planned` only. */
export function batchRecaps(hosts: readonly HostRecap[], batches: readonly Batch[]): BatchRecap[] {
  const latest = new Map(latestByHost(hosts).map((h) => [h.host, h]));
  return batches.map((b) => {
    const counts = emptyCounts();
    for (const name of b.hosts) {
      const r = latest.get(name);
      if (r !== undefined && isFinal(r.status)) counts[r.status]++;
    }
    return { index: b.index, canary: b.canary, planned: b.hosts.length, counts };
  });
}

/**
 * 0 when every host ended ok, changed or unchanged; bit 2 when any host failed or was not done
 * (skipped because the run stopped, or still pending/running in an interrupted run: the bundle is
 * not on it, so a CI job must not pass); bit 4 when any host was unreachable. A run that stopped
 * early therefore exits 2 or 6 (its skipped hosts), whatever stopped it.
 */
export function fleetExitCode(hosts: readonly HostRecap[]): 0 | 2 | 4 | 6 {
  let code = 0;
  for (const h of latestByHost(hosts)) {
    if (h.status === "unreachable") code |= 4;
    else if (h.status === "failed" || h.status === "skipped" || h.status === "pending" || h.status === "running") code |= 2;
  }
  return code as 0 | 2 | 4 | 6;
}

/** Text on one line, at most `max` characters (control characters become spaces). */
export function oneLine(s: string, max: number): string {
  const t = s.replace(/[\u0000-\u001f\u007f]+/g, " ").replace(/\s+/g, " ").trim();
  return t.length <= max ? t : t.slice(0, max - 1) + "…";
}

/**
 * The retry file: the failed and unreachable hosts, one per line, each followed by a comment with
 * its status, error code and reason — `--limit @FILE` reads the names, and the operator still
 * sees why each host is there (Ansible's retry file keeps only the names). Empty ("") when no
 * host failed: the caller then writes no file.
 */
export function retryFileText(recaps: readonly HostRecap[], opts: { runId?: string } = {}): string {
  const bad = latestByHost(recaps).filter((h) => h.status === "failed" || h.status === "unreachable");
  if (bad.length === 0) return "";
  const w = Math.max(...bad.map((h) => h.host.length));
  const head = `# Failed and unreachable hosts${opts.runId ? ` of fleet run ${oneLine(opts.runId, 80)}` : ""}; use with --limit @FILE.`;
  const lines = bad.map((h) => `${h.host.padEnd(w)}  # ${h.status} ${h.errorCode ?? "-"} ${oneLine(h.reason ?? "", 400)}`.trimEnd());
  return [head, ...lines].join("\n") + "\n";
}
