/**
 * The wave engine shared by rollout, resume and rollback: batches in order, `forks` hosts at once
 * within a batch, each host's outcome recorded as it finishes, the stop rules evaluated after
 * every batch (src/core/fleet-batches.ts), and every host not started after a stop recorded
 * `skipped` with the reason. Shared-filesystem peers wait for their group's installer and are
 * then verified, or skipped when it did not succeed.
 */
import { pool } from "../core/concurrency";
import { evaluateBatch, skippedAfterStop } from "../core/fleet-batches";
import type { Batch, FleetStop, HostRecap, RolloutPolicy } from "../core/fleet-types";
import type { FleetReporter } from "./types";

export interface SharedRole {
  group: string;
  installer: string;
}

export interface WaveOptions {
  batches: Batch[];
  policy: Pick<RolloutPolicy, "forks" | "maxFailPercentage" | "maxFailTotal" | "continueOnBatchFailure">;
  /** Hosts the whole run targets (base of a percentage maxFailTotal). */
  targeted: number;
  reporter: FleetReporter;
  /** Hosts already finished in an earlier attempt of this run (resume): kept, not re-run. */
  done?: ReadonlyMap<string, HostRecap>;
  /** Run one host (not a shared-filesystem peer). */
  act: (host: string, batch: number) => Promise<HostRecap>;
  /** Peers of a shared filesystem → their group and installer. */
  peers?: ReadonlyMap<string, SharedRole>;
  /** Verify a peer after its installer succeeded. */
  verifyPeer?: (host: string, batch: number, role: SharedRole, installer: HostRecap) => Promise<HostRecap>;
  /** Before a host starts: a reason to skip it (e.g. another controller claimed it), else undefined. */
  admit?: (host: string, batch: number) => Promise<HostRecap | undefined>;
  /** Record a host state change (running, then its outcome). */
  record: (r: HostRecap | { host: string; batch: number; status: "running" }) => Promise<void>;
}

export interface WaveResult {
  hosts: HostRecap[];
  stopped?: FleetStop;
}


export async function runWaves(o: WaveOptions): Promise<WaveResult> {
  const results = new Map<string, HostRecap>(o.done ?? []);
  /** Installers' outcomes, awaited by their peers (in this batch or a later one). */
  const finished = new Map<string, Promise<HostRecap>>();
  const settle = new Map<string, (r: HostRecap) => void>();
  for (const [h, r] of results) finished.set(h, Promise.resolve(r));
  for (const b of o.batches) for (const h of b.hosts) {
    if (!finished.has(h)) finished.set(h, new Promise((res) => settle.set(h, res)));
  }
  const finish = async (r: HostRecap) => {
    results.set(r.host, r);
    await o.record(r);
    o.reporter.event({ type: "host-end", host: r.host, batch: r.batch, status: r.status, ...(r.reason ? { reason: r.reason } : {}), ...(r.errorCode ? { errorCode: r.errorCode } : {}) });
    settle.get(r.host)?.(r);
  };

  const runOne = async (host: string, batch: number): Promise<void> => {
    const refused = o.admit ? await o.admit(host, batch) : undefined;
    if (refused) return finish(refused);
    const role = o.peers?.get(host);
    if (role && role.installer !== host) {
      const inst = await finished.get(role.installer)!;
      if (!["changed", "unchanged", "ok"].includes(inst.status)) {
        return finish({ host, batch, status: "skipped", sharedWith: role, reason: `not started: ${role.installer}, which installs for the shared filesystem ${role.group}, did not succeed (${inst.status}${inst.errorCode ? ` ${inst.errorCode}` : ""})`, ...(inst.errorCode ? { errorCode: inst.errorCode } : {}) });
      }
      await o.record({ host, batch, status: "running" });
      o.reporter.event({ type: "host-start", host, batch });
      return finish(await o.verifyPeer!(host, batch, role, inst));
    }
    await o.record({ host, batch, status: "running" });
    o.reporter.event({ type: "host-start", host, batch });
    let r: HostRecap;
    try {
      r = await o.act(host, batch);
    } catch (e) {
      // act reports failures as recaps; anything thrown is a bug, still recorded against the host.
      r = { host, batch, status: "failed", reason: e instanceof Error ? e.message : String(e), errorCode: "ZWH-INTERNAL" };
    }
    return finish(r);
  };

  let stopped: FleetStop | undefined;
  for (const b of o.batches) {
    const todo = b.hosts.filter((h) => !results.has(h));
    // Installers before peers, so a peer waiting for its installer never holds the only fork.
    const isPeer = (h: string) => { const r = o.peers?.get(h); return !!r && r.installer !== h; };
    const ordered = [...todo.filter((h) => !isPeer(h)), ...todo.filter(isPeer)];
    if (ordered.length > 0) {
      o.reporter.event({ type: "batch-start", batch: b.index, canary: b.canary, hosts: b.hosts });
      await pool(ordered, o.policy.forks, (h) => runOne(h, b.index));
      o.reporter.event({ type: "batch-end", batch: b.index });
      // A batch that ran nothing now (all of it finished in an earlier attempt) was judged then.
      stopped = evaluateBatch(b, [...results.values()], o.policy, o.targeted);
      if (stopped) break;
    }
  }
  if (stopped) {
    o.reporter.event({ type: "stop", stop: stopped });
    for (const s of skippedAfterStop(o.batches, stopped)) {
      if (results.has(s.host)) continue;
      await finish(s);
    }
  }
  const order = o.batches.flatMap((b) => b.hosts);
  return { hosts: order.map((h) => results.get(h)!).filter(Boolean), ...(stopped ? { stopped } : {}) };
}
