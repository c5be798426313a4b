/**
 * Inventory store contract: what every command records and asks. One backend-neutral service
 * (service.ts) implements it over SQLite or PostgreSQL; every method is async because the
 * PostgreSQL backend is. Callers never see which backend they talk to.
 */

import type { AcceptedSequence, SequenceStore } from "../bundle/signing/sequence-state";

export type { SequenceStore, AcceptedSequence } from "../bundle/signing/sequence-state";

/**
 * What a run was. deploy/rollback/status/probe/lock-break are today's commands; drift, fleet,
 * inventory-sync and unlock are admitted by the schema for the drift and fleet commands.
 */
export type RunKind = "deploy" | "rollback" | "status" | "probe" | "lock-break" | "drift" | "fleet" | "inventory-sync" | "unlock";
export type RunStatus = "ok" | "changed" | "failed" | "refused" | "drift" | "unknown" | "partial";
export type ReleaseState = "staged" | "active" | "previous" | "pruned" | "failed";
/** pending/running: a fleet run's hosts not yet finished (resume reads them back). */
export type RunHostStatus = "ok" | "changed" | "failed" | "unreachable" | "skipped" | "refused" | "pending" | "running" | "drift" | "unknown";
/** How a host got its logical name (src/core/host-name.ts). */
export type { HostNameSource } from "../core/host-name";
import type { HostNameSource } from "../core/host-name";

export const RUN_KINDS: readonly RunKind[] = ["deploy", "rollback", "status", "probe", "lock-break", "drift", "fleet", "inventory-sync", "unlock"];
export const RUN_STATUSES: readonly RunStatus[] = ["ok", "changed", "failed", "refused", "drift", "unknown", "partial"];
export const RELEASE_STATES: readonly ReleaseState[] = ["staged", "active", "previous", "pruned", "failed"];
export const RUN_HOST_STATUSES: readonly RunHostStatus[] = ["ok", "changed", "failed", "unreachable", "skipped", "refused", "pending", "running", "drift", "unknown"];
export const HOST_NAME_SOURCES: readonly HostNameSource[] = ["name", "profile", "nodename", "address"];

export type Dialect = "sqlite" | "postgres";

export interface HostInput {
  /** Logical name: --name, the Zowe profile name, or the LPAR's nodename (uname -n). */
  name: string;
  address: string;
  port?: number;
  sshUser?: string;
  nameSource?: HostNameSource;
  /** uname -n of the LPAR. */
  nodename?: string;
  sysname?: string;
  zoweProfile?: string;
  /** Hosts that see one USS file system at the install root share a group (one install per group). */
  fsGroup?: string;
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
  nameSource: HostNameSource | null;
  nodename: string | null;
  sysname: string | null;
  zoweProfile: string | null;
  fsGroup: string | null;
  pythonPath: string | null;
  pythonVersion: string | null;
  platformTags: string[];
  createdAt: string;
  updatedAt: string;
}

export interface FsGroupRecord {
  name: string;
  /** Whatever identifies the shared file system (a marker id, a zFS name); free text. */
  fsIdentifier: string | null;
  hosts: string[];
}

export interface RunMeta {
  /** Caller-chosen id (uuid); generated when absent. */
  id?: string;
  actorLocal?: string;
  actorZos?: string;
  controllerHost?: string;
  cliVersion?: string;
  argv?: string[];
  /** The Zowe profile the run was started with, if any. */
  zoweProfile?: string;
  /** Fleet runs: the wave policy as given (serial, thresholds…), stored as JSON. */
  strategy?: unknown;
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
  /** The install root the result is about (status shows the last run per root). */
  root?: string;
  releaseId?: string;
  /** The release that was active before (deploy/rollback). */
  previousReleaseId?: string;
  /** Fleet runs: the batch (wave) the host belongs to, 0 = canary. */
  batchNo?: number;
  errorCode?: string;
  errorText?: string;
  failedStep?: string;
}

export interface RunHostRecord {
  runId: string;
  host: string;
  status: RunHostStatus;
  batchNo: number | null;
  releaseId: string | null;
  previousReleaseId: string | null;
  errorCode: string | null;
  errorText: string | null;
  failedStep: string | null;
  startedAt: string | null;
  recordedAt: string;
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

export interface BundleRecord {
  bundleId: string;
  channel: string;
  sequence: number;
  /** hex */
  digestSha256: string;
  /** The signed statement as recorded. */
  manifest: unknown;
  signerIdentities: unknown[];
  verifiedAt: string;
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

export interface ObservationInput {
  runId: string;
  host: string;
  /** e.g. "pip-inspect", "record-verify", "env-probe", "observe". */
  method: string;
  /** The raw observation (stored as JSON); its sha256 is computed and stored with it. */
  data: unknown;
}

export interface ObservationRecord {
  id: number;
  runId: string;
  host: string;
  method: string;
  observedAt: string;
  sha256: string;
  data: unknown;
}

export type FindingSeverity = "info" | "low" | "medium" | "high" | "critical";
export const FINDING_SEVERITIES: readonly FindingSeverity[] = ["info", "low", "medium", "high", "critical"];

export interface FindingInput {
  /** integrity, out-of-band, tags, activation, environment, unapplied, unknown, … */
  kind: string;
  severity: FindingSeverity;
  /** package | file | release | environment | host */
  scope: string;
  /** What the finding is about (a path, a package name…); with host, kind and scope it is the finding's identity across runs. */
  subject: string;
  desired?: unknown;
  recorded?: unknown;
  observed?: unknown;
  detail?: unknown;
}

export interface FindingRecord {
  id: number;
  host: string;
  kind: string;
  severity: FindingSeverity;
  scope: string;
  subject: string;
  desired: unknown;
  recorded: unknown;
  observed: unknown;
  detail: unknown;
  firstSeenRun: string;
  firstSeenAt: string;
  lastSeenRun: string;
  lastSeenAt: string;
  resolvedRun: string | null;
  resolvedAt: string | null;
}

export interface FindingsResult {
  /** Every finding reported in this run, with its first-seen and last-seen run. */
  open: FindingRecord[];
  /** Findings that were open for this host and are no longer reported: resolved by this run. */
  resolved: FindingRecord[];
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
  /** The first broken entry itself, as stored (DB chain only). */
  entry?: EventRecord;
}

export interface AuditVerifyResult {
  ok: boolean;
  db: ChainVerifyResult;
  /** The NDJSON export: a prefix of the DB chain (it may lag when an export was interrupted). */
  log: ChainVerifyResult & { path: string | null };
}

/** A fleet run's claim on a host (store-level; see InventoryStore.claimHost). */
export interface HostClaim {
  host: string;
  runId: string;
  controller: string | null;
  claimedAt: string;
  expiresAt: string;
}

export interface ActivationResult {
  previousReleaseId?: string;
}

export interface InventoryStore {
  readonly dialect: Dialect;
  /** Where the store lives, safe to print: a file path, or a PostgreSQL URL without its password. */
  readonly location: string;
  /** The NDJSON export of the event chain, or null when none is kept. */
  readonly auditLogPath: string | null;
  schemaVersions(): Promise<number[]>;

  upsertHost(h: HostInput): Promise<number>;
  getHost(name: string): Promise<HostRecord | undefined>;
  /** The host last recorded at this address and port, if any. */
  findHostByAddress(address: string, port: number): Promise<HostRecord | undefined>;
  listHosts(): Promise<HostRecord[]>;
  setFsGroup(host: string, group: string | null, fsIdentifier?: string): Promise<void>;
  listFsGroups(): Promise<FsGroupRecord[]>;

  startRun(kind: RunKind, meta?: RunMeta): Promise<string>;
  finishRun(runId: string, result: RunResult): Promise<void>;
  /** Open a finished run again (a fleet run resumed after it stopped); recorded as a run.resumed event. */
  reopenRun(runId: string): Promise<void>;
  getRun(runId: string): Promise<RunRecord | undefined>;
  recordRunHost(runId: string, host: string, result: RunHostResult): Promise<void>;
  listRunHosts(runId: string): Promise<RunHostRecord[]>;
  /**
   * Claim `host` for fleet run `runId` for ttlSeconds: granted when no claim exists, when the
   * existing one expired, or when it is this run's own (renewed). Otherwise the holder is returned.
   */
  claimHost(host: string, runId: string, ttlSeconds: number, controller?: string): Promise<{ claimed: true } | { claimed: false; holder: HostClaim }>;
  /** Drop every claim of a run (its hosts are done). */
  releaseClaims(runId: string): Promise<number>;

  recordBundle(b: BundleInput): Promise<number>;
  getBundle(digestSha256: string): Promise<BundleRecord | undefined>;
  /** Rollback protection: the accepted sequence per channel. */
  acceptedSequence(channel: string): Promise<AcceptedSequence | undefined>;
  /** A synchronous snapshot of every channel's accepted sequence, for the signing layer's checks. */
  sequenceSnapshot(): Promise<SequenceStore>;
  /** Record an accepted statement; ZWH-SEQ-ROLLBACK / ZWH-SEQ-REPLAY (exit 3) as the signing layer. */
  acceptSequence(channel: string, sequence: number, digest: string): Promise<void>;

  recordRelease(r: ReleaseInput): Promise<number>;
  setReleaseState(host: string, root: string, releaseId: string, state: "failed" | "pruned", runId?: string): Promise<void>;
  setActiveRelease(host: string, root: string, releaseId: string, runId?: string): Promise<ActivationResult>;
  recordInstalled(releaseRowId: number, pkgs: InstalledPackageInput[]): Promise<void>;
  listDeployments(q?: DeploymentQuery): Promise<DeploymentRow[]>;
  hostStatus(host: string, root: string): Promise<HostStatus>;

  recordObservation(o: ObservationInput): Promise<ObservationRecord>;
  /** Record one run's findings for a host: new ones open, known ones stay open (last seen), missing ones resolve. */
  recordFindings(runId: string, host: string, findings: FindingInput[]): Promise<FindingsResult>;
  listFindings(q?: { host?: string; open?: boolean }): Promise<FindingRecord[]>;

  appendEvent(e: EventInput): Promise<EventRecord>;
  listEvents(fromSeq?: number): Promise<EventRecord[]>;
  /** Re-walk the event chain; on a break, names the first broken entry. */
  verifyChain(): Promise<ChainVerifyResult>;
  /** The chain, and the NDJSON export against it. */
  verifyAudit(): Promise<AuditVerifyResult>;
  /** Append the events the NDJSON export lacks (normally automatic after each change). */
  exportAuditLog(): Promise<{ appended: number }>;
  close(): Promise<void>;
}
