/**
 * The Wheelhouse SDK (package "main"): what the zwh CLI, the Zowe CLI plugin and other front ends
 * (a VS Code extension) call. Nothing below src/cli imports this file (test/unit/layering.test.ts).
 *
 * Kept light: importing it loads no ssh2, sqlite or Zowe modules; each function loads what it
 * needs when it runs.
 */
import type { DeployPlan, ObservedState, PlanBundle, PlanOptions } from "./core/plan";
import type { RollbackObserved, RollbackPlan } from "./core/plan-rollback";
import type { InventoryStore } from "./inventory/types";
import type { OpenStoreOptions } from "./inventory";
import type { LockResult } from "./deploy/lock";
import type { RollbackResult } from "./deploy/rollback";
import type { StatusResult } from "./deploy/status";
import type { TrustInstallResult } from "./deploy/trust";
import type { CommonOptions, DeployOptions, DeployResult } from "./deploy/types";
import type { Observation } from "./deploy/observe";
import type { PlanWheel } from "./core/plan";
import type { Progress } from "./core/progress";
import type { TargetSpec } from "./remote/target";
import type { Transport } from "./remote/transport";
import type { DriftOptions } from "./deploy/drift";
import type { SyncOptions, SyncResult } from "./deploy/sync";
import type { DesiredState } from "./core/drift";
import type { DriftReport } from "./report/drift-model";

export { commandTree, ROOT_NAME } from "./cli/defs/tree";
export type { CommandDef, GroupDef, OptionDef, CommandContext, CommandResult, HandlerModule } from "./cli/framework/types";
export { ZwhError, EXIT_OK, EXIT_ERROR, EXIT_REFUSED } from "./core/errors";
export type { TargetSpec } from "./remote/target";
export {
  WHEELHOUSE_PROFILE_TYPE,
  WHEELHOUSE_PROFILE_PROPERTIES,
  wheelhouseProfileTypeConfiguration,
} from "./cli/zowe/wheelhouse-profile";
export { resolveZwhProfiles, applyZwhProfiles } from "./cli/zowe/zwh-profiles";

export type { DeployPlan, ObservedState, PlanBundle, PlanOptions, PlanWheel } from "./core/plan";
export type { RollbackObserved, RollbackPlan } from "./core/plan-rollback";
export type { Progress, StepHandle } from "./core/progress";
export { silentProgress } from "./core/progress";
export type { CommonOptions, DeployOptions, DeployResult, DeployHooks, DeployStepId, StepTiming } from "./deploy/types";
export type { RollbackResult } from "./deploy/rollback";
export type { StatusResult } from "./deploy/status";
export type { LockResult } from "./deploy/lock";
export type { TrustInstallResult } from "./deploy/trust";
export type { Observation, RawObservation } from "./deploy/observe";
export type { RecordStore } from "./deploy/record";
export type { InventoryStore } from "./inventory/types";
export type { OpenStoreOptions } from "./inventory";
export type { Transport, TransportStats } from "./remote/transport";
export type { DriftOptions, DriftTarget } from "./deploy/drift";
export type { SyncOptions, SyncResult, SyncedRelease } from "./deploy/sync";
export type { DesiredState, Finding, Severity, DriftKind } from "./core/drift";
export type { DriftReport, HostDriftSummary } from "./report/drift-model";

/** Deploy a signed bundle to one install root on one host (one run, one session). */
export async function deploy(o: DeployOptions): Promise<DeployResult> {
  return (await import("./deploy/deploy")).deploy(o);
}

/** Roll a root back to its previous release (or `to`), after checking that release is intact; dryRun: plan only, change nothing. */
export async function rollback(o: CommonOptions & { to?: string; lockTtlSeconds?: number; dryRun?: boolean }): Promise<RollbackResult> {
  return (await import("./deploy/rollback")).rollback(o);
}

/** What a root holds (releases, lock, trust), plus the inventory's record when a store is given. */
export async function status(o: CommonOptions): Promise<StatusResult> {
  return (await import("./deploy/status")).status(o);
}

export async function lockStatus(o: CommonOptions): Promise<LockResult> {
  return (await import("./deploy/lock")).lockStatus(o);
}

export async function lockBreak(o: CommonOptions & { lockId?: string; force?: boolean }): Promise<LockResult> {
  return (await import("./deploy/lock")).lockBreak(o);
}

/** Install the trust anchors the target itself checks bundle signatures against. */
export async function installTargetTrust(o: { spec: TargetSpec; root: string; trustPath: string; progress: Progress; env?: NodeJS.ProcessEnv; force?: boolean; replace?: boolean }): Promise<TrustInstallResult> {
  return (await import("./deploy/trust")).installTargetTrust(o);
}

/** Open a session to a target (SSH today) for observe and the per-host pipeline. */
export async function connect(spec: TargetSpec, env?: NodeJS.ProcessEnv): Promise<Transport> {
  return (await import("./deploy/connect")).openTransport(spec, env);
}

/** Observe one root over an open session: one helper exec (plus the helpers' upload when missing). */
export async function observe(t: Transport, o: { root: string; pythonPath?: string; wheels?: PlanWheel[] }): Promise<Observation> {
  const [{ observeTarget }, { TargetOps }, { checkRoot, layoutFor }, { DEFAULT_PYTHON }] = await Promise.all([
    import("./deploy/observe"), import("./deploy/target-ops"), import("./deploy/layout"), import("./remote/target"),
  ]);
  return observeTarget(new TargetOps(t, layoutFor(checkRoot(o.root)), o.pythonPath ?? t.spec.pythonPath ?? DEFAULT_PYTHON), o.wheels ?? []);
}

/** The deploy planner (pure): what a deploy of `bundle` would do on a root observed as `observed`. */
export async function plan(bundle: PlanBundle, observed: ObservedState, opts: PlanOptions): Promise<DeployPlan> {
  return (await import("./core/plan")).planDeploy(bundle, observed, opts);
}

/** The rollback planner (pure). */
export async function planRollback(observed: RollbackObserved, where: { host: string; root: string }, to?: string): Promise<RollbackPlan> {
  return (await import("./core/plan-rollback")).planRollback(observed, where, to);
}

/** Drift: observe + compare every target (one connection and one helper run each), never apply. */
export async function drift(o: DriftOptions): Promise<DriftReport> {
  return (await import("./deploy/drift")).drift(o);
}

/** The desired state for drift from a bundle directory (its signed statement, verified). */
export async function desiredFromBundle(dir: string, trustPath: string): Promise<DesiredState> {
  return (await import("./deploy/drift")).desiredFromBundle(dir, trustPath);
}

/** Rebuild one host's inventory records from the receipts and signed statements on the host. */
export async function syncHost(o: SyncOptions): Promise<SyncResult> {
  return (await import("./deploy/sync")).syncHost(o);
}

// --- Fleets (issue 12): many hosts in waves, one run (src/fleet; docs/fleet.md).
export type { FleetFile, FleetTarget, RolloutPolicy, Batch, HostRecap, BatchRecap, FleetStop, FleetRecap, FleetHostStatus } from "./core/fleet-types";
export type { FleetHost, FleetEvent, FleetReporter, FleetRunOptions } from "./fleet/types";
export type { FleetRolloutOptions } from "./fleet/rollout";
export type { FleetRollbackOptions } from "./fleet/rollback";
export type { FleetPlanReport } from "./fleet/plan";
export type { HostPreflight } from "./fleet/preflight";
export type { FleetStatusReport, FleetHostStatusRow } from "./fleet/status";
export { checkResumable, resumeState } from "./fleet/resume";

/** Roll a bundle out to many hosts in waves (canary, thresholds, deadline, shared filesystems), one run. */
export async function fleetRollout(o: import("./fleet/rollout").FleetRolloutOptions): Promise<import("./core/fleet-types").FleetRecap> {
  return (await import("./fleet/rollout")).fleetRollout(o);
}

/** Preflight every host read-only and show the batches; changes nothing. */
export async function fleetPlan(o: Parameters<typeof import("./fleet/plan").fleetPlan>[0]): Promise<import("./fleet/plan").FleetPlanReport> {
  return (await import("./fleet/plan")).fleetPlan(o);
}

/** Roll many hosts back to their previous (or a named) release, in waves. */
export async function fleetRollback(o: import("./fleet/rollback").FleetRollbackOptions): Promise<import("./core/fleet-types").FleetRecap> {
  return (await import("./fleet/rollback")).fleetRollback(o);
}

/** Each host's current release (read-only observe) and its last recorded run. */
export async function fleetStatus(o: Parameters<typeof import("./fleet/status").fleetStatus>[0]): Promise<import("./fleet/status").FleetStatusReport> {
  return (await import("./fleet/status")).fleetStatus(o);
}

/**
 * Open (creating and migrating as needed) the inventory store: a SQLite path or a postgres:// URL,
 * else $ZWH_INVENTORY, else ~/.zwh/inventory.db.
 */
export async function openStore(location?: string | OpenStoreOptions, env: NodeJS.ProcessEnv = process.env): Promise<InventoryStore> {
  const inv = await import("./inventory");
  const o = typeof location === "string" || location === undefined ? { location } : location;
  return inv.openStore({ env, ...o });
}

// --- Know what you ship (issue 13): SBOM builder and the offline vulnerability gate.
export type { SbomInput, SbomPackage } from "./bundle/sbom";
export type { GateMatch, GatePackage, GateSettings, OsvRecord, Waiver } from "./core/osv-match";
export type { VulnGate, VulnGateOptions, GateOutcome } from "./bundle/vuln-gate";

/** CycloneDX 1.6 JSON for a bundle or one host release (the builder of `bundle sbom`). */
export async function cycloneDxJson(input: import("./bundle/sbom").SbomInput): Promise<string> {
  return (await import("./bundle/sbom")).cycloneDxJson(input);
}

/** Read an OSV snapshot and signed waivers once; evaluate package lists with checkVulnerabilities(). */
export async function loadVulnGate(o: import("./bundle/vuln-gate").VulnGateOptions): Promise<import("./bundle/vuln-gate").VulnGate> {
  return (await import("./bundle/vuln-gate")).loadVulnGate(o);
}

/** Every match of these packages and the refusals (ZWH-VULN-MALICIOUS/-HIGH/-UNSCORED) the gate makes. */
export async function checkVulnerabilities(pkgs: import("./core/osv-match").GatePackage[], gate: import("./bundle/vuln-gate").VulnGate): Promise<import("./bundle/vuln-gate").GateOutcome> {
  return (await import("./bundle/vuln-gate")).runVulnGate(pkgs, gate);
}
