/**
 * `fleet plan`: the batches a rollout would run, and every selected host's preflight
 * (preflight.ts), `forks` hosts at once. Nothing is written on any target and nothing is
 * recorded in the inventory (the run id names this report only). The exit code follows the
 * recap rules: 2 when some host would fail, 4 when some host is unreachable, 6 both.
 */
import { pool } from "../core/concurrency";
import { randomUUID } from "crypto";
import { orderHosts, planBatches } from "../core/fleet-batches";
import { batchRecaps, fleetExitCode } from "../core/fleet-recap";
import type { Batch, FleetRecap, HostRecap } from "../core/fleet-types";
import { verifyOnce } from "./local-verify";
import { preflightHost, type HostPreflight } from "./preflight";
import { silentReporter, type FleetHost, type FleetRunOptions } from "./types";

export interface FleetPlanReport extends FleetRecap {
  preflight: HostPreflight[];
}


export async function fleetPlan(o: FleetRunOptions & { bundleDir: string; keep?: number; smoke?: string }): Promise<FleetPlanReport> {
  const reporter = o.reporter ?? silentReporter;
  const byName = new Map(o.hosts.map((h) => [h.name, h]));
  const local = await verifyOnce(o.bundleDir, o.hosts);
  const trusts = local.trusts;
  try {
    const names = orderHosts(o.hosts.map((h) => h.name), o.policy.order);
    const canary = o.policy.canary ? (o.groups[o.policy.canary] ?? []).filter((h) => byName.has(h)) : [];
    const batches: Batch[] = planBatches(names, canary, o.policy.serial);
    const runId = randomUUID();
    reporter.event({ type: "run", runId, operation: "plan", hosts: o.hosts.length, batches });
    const results = new Map<string, { recap: HostRecap; preflight: HostPreflight }>();
    const work = batches.flatMap((b) => b.hosts.map((h) => ({ host: byName.get(h)! as FleetHost, batch: b.index })));
    await pool(work, o.policy.forks, async ({ host, batch }) => {
      reporter.event({ type: "host-start", host: host.name, batch });
      const r = await preflightHost(host, { bundleDir: local.dir, trust: trusts.get(host.trustPath)!, filesVerified: local.files, batch, deadlineSeconds: o.policy.progressDeadlineSeconds, env: o.env, keep: o.keep, smoke: o.smoke });
      results.set(host.name, r);
      reporter.event({ type: "host-end", host: host.name, batch, status: r.recap.status, ...(r.recap.reason ? { reason: r.recap.reason } : {}), ...(r.recap.errorCode ? { errorCode: r.recap.errorCode } : {}) });
    });
    const hosts = work.map((w) => results.get(w.host.name)!.recap);
    return {
      formatVersion: 1, runId, operation: "plan", hosts, batches: batchRecaps(hosts, batches), exitCode: fleetExitCode(hosts),
      preflight: work.map((w) => results.get(w.host.name)!.preflight),
    };
  } finally {
    reporter.close();
    local.cleanup();
  }
}
