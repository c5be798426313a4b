/**
 * Inventory store contract. SQLite is the default backend; a PostgreSQL backend can implement
 * the same interface over the same schema later. Methods return `MaybePromise<T>` so callers
 * write `await store.x()` today and keep working when an async backend arrives, while the
 * SQLite backend stays synchronous (better-sqlite3) and cheap.
 */

import type { SequenceStore } from "../bundle/signing/sequence-state";

export type MaybePromise<T> = T | Promise<T>;

export type RunKind = "deploy" | "rollback" | "status" | "probe" | "lock-break";
export type RunStatus = "ok" | "changed" | "failed" | "refused";
export type ReleaseState = "staged" | "active" | "previous" | "pruned" | "failed";
export type RunHostStatus = "ok" | "changed" | "failed" | "unreachable" | "skipped" | "refused";

export const RUN_KINDS: readonly RunKind[] = ["deploy", "rollback", "status", "probe", "lock-break"];
export const RUN_STATUSES: readonly RunStatus[] = ["ok", "changed", "failed", "refused"];
export const RELEASE_STATES: readonly ReleaseState[] = ["staged", "active", "previous", "pruned", "failed"];

/**
 * Rollback protection for signed bundles: the signing layer's interface, implemented here by
 * the channel_state table. Digests are "sha256:<hex>" of the statement bytes; refusals are
 * ZWH-SIG-ROLLBACK / ZWH-SIG-REPLAY (exit 3), exactly as the file-based store.
 */
export type { SequenceStore, AcceptedSequence } from "../bundle/signing/sequence-state";
export interface HostInput {
  name: string;
  address: string;
  port?: number;
  sshUser?: string;
  sysname?: string;
  pythonPath?: string;
  pythonVersion?: string;
  platformTags?: string[];
}

export interface HostRecord {
  id: number;
  name: string;
  address: string;
  port: number;
  sshUser: string | null;
  sysname: string | null;
  pythonPath: string | null;
  pythonVersion: string | null;
  platformTags: string[];
  createdAt: string;
  updatedAt: string;
}

export interface RunMeta {
  /** Caller-chosen id (uuid); generated when absent. */
  id?: string;
  actorLocal?: string;
  actorZos?: string;
  controllerHost?: string;
  cliVersion?: string;
  argv?: string[];
}

export interface RunResult {
  status: RunStatus;
  exitCode: number;
  /** Required for failed/refused runs: a stable ZWH-… code. */
  errorCode?: string;
  errorText?: string;
  /** The deploy step that failed (e.g. "upload", "pip-install", "activate"). */
  failedStep?: string;
}

export interface RunRecord extends RunMeta {
  id: string;
  kind: RunKind;
  startedAt: string;
  finishedAt: string | null;
  status: RunStatus | null;
  exitCode: number | null;
  errorCode: string | null;
  errorText: string | null;
  failedStep: string | null;
}

export interface RunHostResult {
  status: RunHostStatus;
  releaseId?: string;
  errorCode?: string;
  errorText?: string;
  failedStep?: string;
}

export interface BundleWheelInput {
  filename: string;
  name: string;
  version: string;
  sha256: string;
  size: number;
}

export interface BundleInput {
  bundleId: string;
  channel: string;
  sequence: number;
  /** sha256 of the exact manifest.intoto.json bytes: hex, or "sha256:<hex>" (stored as hex). */
  digestSha256: string;
  /** The parsed statement (stored as JSON). */
  manifest: unknown;
  /** When given, the digest is recomputed from these bytes and must match. */
  manifestBytes?: Uint8Array;
  /** Who signed: e.g. [{keyId, identity, carrier}]; stored verbatim as JSON. */
  signerIdentities: unknown[];
  verifiedAt?: string;
  wheels: BundleWheelInput[];
}

export interface ReleaseInput {
  host: string;
  root: string;
  releaseId: string;
  path: string;
  bundleDigest?: string;
  /** Default "staged". */
  state?: ReleaseState;
  runId?: string;
}

export interface ReleaseRecord {
  rowId: number;
  host: string;
  root: string;
  releaseId: string;
  path: string;
  bundleDigest: string | null;
  state: ReleaseState;
  stagedAt: string;
  activatedAt: string | null;
  deactivatedAt: string | null;
  runId: string | null;
  activatedRunId: string | null;
}

export interface InstalledPackageInput {
  name: string;
  version: string;
  wheelSha256?: string;
  /** Content of INSTALLER (normally "pip"). */
  installer?: string;
}

export interface InstalledPackage {
  /** PEP 503 normalised name. */
  name: string;
  /** Name as reported by the installer. */
  displayName: string;
  version: string;
  wheelSha256: string | null;
  installer: string | null;
}

export interface DeploymentQuery {
  host?: string;
  /** Any spelling; compared PEP 503-normalised. */
  package?: string;
  version?: string;
  /** Default: ["active", "previous", "staged"] (i.e. still on disk). */
  states?: ReleaseState[];
}

export interface DeploymentRow {
  host: string;
  address: string;
  root: string;
  releaseId: string;
  state: ReleaseState;
  package: string;
  displayName: string;
  version: string;
  wheelSha256: string | null;
  bundleDigest: string | null;
  activatedAt: string | null;
}

export interface HostStatus {
  host: HostRecord;
  root: string;
  active?: ReleaseRecord & { packages: InstalledPackage[] };
  previous?: ReleaseRecord;
  releases: ReleaseRecord[];
  lastRun?: { runId: string; kind: RunKind; status: RunHostStatus; startedAt: string; finishedAt: string | null; errorCode: string | null; errorText: string | null; failedStep: string | null };
}

export interface EventInput {
  type: string;
  runId?: string;
  host?: string;
  payload?: unknown;
}

export interface EventRecord {
  seq: number;
  ts: string;
  runId: string | null;
  host: string | null;
  type: string;
  payload: unknown;
  prevHash: string;
  hash: string;
}

export interface ChainVerifyResult {
  ok: boolean;
  count: number;
  head?: { seq: number; hash: string };
  /** seq (DB) or 1-based line number (NDJSON) of the first bad record. */
  brokenAt?: number;
  reason?: string;
}

export interface ActivationResult {
  previousReleaseId?: string;
}

export interface InventoryStore extends SequenceStore {
  readonly path: string;
  readonly auditLogPath: string;
  upsertHost(h: HostInput): MaybePromise<number>;
  getHost(name: string): MaybePromise<HostRecord | undefined>;
  startRun(kind: RunKind, meta?: RunMeta): MaybePromise<string>;
  finishRun(runId: string, result: RunResult): MaybePromise<void>;
  getRun(runId: string): MaybePromise<RunRecord | undefined>;
  recordRunHost(runId: string, host: string, result: RunHostResult): MaybePromise<void>;
  recordBundle(b: BundleInput): MaybePromise<number>;
  recordRelease(r: ReleaseInput): MaybePromise<number>;
  setReleaseState(host: string, root: string, releaseId: string, state: "failed" | "pruned", runId?: string): MaybePromise<void>;
  setActiveRelease(host: string, root: string, releaseId: string, runId?: string): MaybePromise<ActivationResult>;
  recordInstalled(releaseRowId: number, pkgs: InstalledPackageInput[]): MaybePromise<void>;
  listDeployments(q?: DeploymentQuery): MaybePromise<DeploymentRow[]>;
  hostStatus(host: string, root: string): MaybePromise<HostStatus>;
  appendEvent(e: EventInput): MaybePromise<EventRecord>;
  listEvents(fromSeq?: number): MaybePromise<EventRecord[]>;
  verifyEventChain(): MaybePromise<ChainVerifyResult>;
  close(): MaybePromise<void>;
}
