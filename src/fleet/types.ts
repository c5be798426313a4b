/**
 * The fleet runner's own vocabulary (the shared one is src/core/fleet-types.ts): a selected host
 * ready to connect to, the progress events a rollout emits, and the options of the commands.
 */
import type { FleetHostStatus, FleetStop, RolloutPolicy } from "../core/fleet-types";
import type { InventoryStore } from "../inventory/types";
import type { TargetSpec } from "../remote/target";

/** One fleet target resolved into something the transport can open. */
export interface FleetHost {
  /** The logical name (the key under `targets:`). */
  name: string;
  spec: TargetSpec;
  root: string;
  /** Trust file the bundle is verified against for this host (absolute). */
  trustPath: string;
}

/** What a rollout reports while it runs; the CLIs draw it (src/cli/zwh/fleet-progress.ts, src/cli/zowe). */
export type FleetEvent =
  | { type: "run"; runId: string; operation: string; hosts: number; batches: Array<{ index: number; canary: boolean; hosts: string[] }> }
  | { type: "batch-start"; batch: number; canary: boolean; hosts: string[] }
  | { type: "host-start"; host: string; batch: number }
  | { type: "host-step"; host: string; batch: number; step: string; message?: string }
  | { type: "host-end"; host: string; batch: number; status: FleetHostStatus; reason?: string; errorCode?: string }
  | { type: "batch-end"; batch: number }
  | { type: "stop"; stop: FleetStop };

export interface FleetReporter {
  event(e: FleetEvent): void;
  /** The run is over (a live display stops redrawing). */
  close(): void;
}

export const silentReporter: FleetReporter = { event: () => undefined, close: () => undefined };

/** Options shared by the fleet commands that change hosts (rollout, resume, rollback). */
export interface FleetRunOptions {
  hosts: FleetHost[];
  policy: RolloutPolicy;
  /** The fleet file's groups (the canary group is looked up here). */
  groups: Record<string, string[]>;
  sharedFilesystems: Record<string, string[]>;
  store?: InventoryStore;
  reporter?: FleetReporter;
  env?: NodeJS.ProcessEnv;
  argv?: string[];
  /** "zwh" or "zowe wh": commands in messages are written in the words of the CLI in use. */
  cli: string;
  /** Directory the retry file is written to (default: next to the store, see retry.ts). */
  retryDir?: string;
  /** What resume and the record need to re-run this (stored as the run's strategy). */
  strategy?: Record<string, unknown>;
  /** Shard and store-level host claims (several controllers on one PostgreSQL store). */
  claimTtlSeconds?: number;
}
