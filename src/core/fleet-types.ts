/**
 * The fleet vocabulary shared by the pure planner (core/fleet-*.ts), the fleet file reader
 * (fleet/fleet-file.ts) and the rollout runner (fleet/*.ts). Types only: no I/O here.
 */

/** One target as the fleet file declares it, with the file's defaults merged in. */
export interface FleetTarget {
  /** The logical host name (the key under `targets:`); names the host in the store and reports. */
  name: string;
  /** A Zowe ssh profile to take host/port/user/key from (fields given here override it). */
  profile?: string;
  host?: string;
  port?: number;
  user?: string;
  identity?: string;
  knownHosts?: string;
  /** A pinned host key fingerprint ("SHA256:…") checked in addition to known_hosts. */
  hostKey?: string;
  root: string;
  python?: string;
  /** Trust anchors file (relative paths resolve against the fleet file's directory). */
  trust?: string;
  /**
   * "zosmf": reached through z/OSMF (docs/zosmf.md) instead of SSH, from a Zowe zosmf profile
   * and/or the zosmf* fields below; the SSH fields (profile, host, port, …) do not apply.
   */
  transport?: "ssh" | "zosmf";
  zosmfProfile?: string;
  zosmfHost?: string;
  zosmfPort?: number;
  zosmfUser?: string;
  /** Name of the environment variable holding the z/OSMF password (the file holds no secret). */
  zosmfPasswordEnv?: string;
  zosmfCaFile?: string;
  tags: string[];
  /** 1-based line of the target's key in the fleet file (for errors that name it). */
  line: number;
}

/** One entry of `serial`: a host count, or a percentage ("50%") of the hosts outside the canary. */
export type SerialStep = number | `${number}%`;

export interface RolloutPolicy {
  /** Group name whose hosts form batch 0 (the canary); it must fully succeed (threshold 0). */
  canary?: string;
  /** Batch sizes after the canary; the last entry repeats. Default [1, "25%", "100%"]. */
  serial: SerialStep[];
  /** Per batch: stop when failed (unreachable included) ÷ the batch's planned size EXCEEDS this. */
  maxFailPercentage: number;
  /**
   * Across the run: stop when failed so far EXCEEDS this. A count, or a percentage of all targeted
   * hosts. Defaults to maxFailPercentage as a percentage.
   */
  maxFailTotal?: number | `${number}%`;
  /** A batch where every host failed stops the run unless this is true (Ansible stops even at 100%). */
  continueOnBatchFailure: boolean;
  /** Hosts worked on at once within a batch. */
  forks: number;
  /** A host that reports no progress for this long is failed (ZWH-FLEET-STALLED), not waited on. */
  progressDeadlineSeconds: number;
  order: "inventory" | "reverse_inventory" | "sorted" | "reverse_sorted";
}

export interface FleetFile {
  /** Absolute path of the file read. */
  path: string;
  /** In file order (the `inventory` order). */
  targets: FleetTarget[];
  groups: Record<string, string[]>;
  /** Name → hosts that see one install root (one installs, the others verify). */
  sharedFilesystems: Record<string, string[]>;
  rollout: RolloutPolicy;
}

export interface Batch {
  /** 0 is the canary when there is one; batches are numbered in the order they run. */
  index: number;
  canary: boolean;
  hosts: string[];
}

/**
 * What happened to one host in a fleet run.
 * - changed: a new release was installed and activated;
 * - unchanged: the bundle's release was already current (nothing installed);
 * - ok: verified without installing (a shared-filesystem peer, or a plan/preflight that passed);
 * - failed / unreachable: the host's pipeline failed / the host could not be connected to;
 * - skipped: never started (the run stopped first, or its shared-filesystem installer failed);
 * - pending / running: not finished yet (a run that was interrupted; `fleet resume` picks them up).
 */
export type FleetHostStatus = "ok" | "changed" | "unchanged" | "failed" | "unreachable" | "skipped" | "pending" | "running";

export interface HostRecap {
  host: string;
  batch: number;
  status: FleetHostStatus;
  /** Why (failed/unreachable/skipped), in words an operator can act on. */
  reason?: string;
  errorCode?: string;
  /** The deploy step that failed. */
  step?: string;
  releaseId?: string;
  /** The shared filesystem group and the host that installed for it. */
  sharedWith?: { group: string; installer: string };
  durationMs?: number;
}

export interface BatchRecap {
  index: number;
  canary: boolean;
  planned: number;
  counts: Record<Exclude<FleetHostStatus, "pending" | "running">, number>;
}

/** Why the rollout stopped early (absent when every batch ran). */
export interface FleetStop {
  /** ZWH-FLEET-CANARY-FAILED | ZWH-FLEET-BATCH-THRESHOLD | ZWH-FLEET-TOTAL-THRESHOLD | ZWH-FLEET-BATCH-ALL-FAILED */
  code: string;
  batch: number;
  message: string;
}

export interface FleetRecap {
  formatVersion: 1;
  runId: string;
  operation: "rollout" | "rollback" | "plan";
  hosts: HostRecap[];
  batches: BatchRecap[];
  stopped?: FleetStop;
  /** Failed and unreachable hosts written for `--limit @FILE`. */
  retryFile?: string;
  /** 0 all ok, 2 some failed, 4 some unreachable, 6 both. */
  exitCode: 0 | 2 | 4 | 6;
}
