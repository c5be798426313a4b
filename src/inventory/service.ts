/**
 * The inventory service: every rule of the store, once, over any backend (backend.ts).
 *
 * - validation of what callers record (stable store error codes, nothing written on refusal);
 * - the release state machine: staged|failed → active → previous → staged (kept) → pruned;
 *   at most one active and one previous release per host and install root (also enforced by
 *   partial unique indexes); active and previous are never pruned; failed/pruned never activated;
 * - rollback protection per channel (the signing layer's checkSequence, inside the transaction);
 * - logical host identity: hosts are keyed by their logical name; a host first recorded under
 *   its address (release 0.1.0) is renamed the first time it is seen under a logical name;
 * - drift findings across runs (first seen, last seen, resolved);
 * - the event chain: every change appends a hash-chained event in the same serialised write
 *   transaction (seq, prev_hash, hash = sha256(prev_hash ‖ canonical body)), and the NDJSON
 *   audit file is an export of that chain, appended after the commit.
 */
import { createHash, randomUUID } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import { bareDigest } from "../core/digest";
import { checkSequence, MemorySequenceStore, type SequenceStore } from "../bundle/signing/sequence-state";
import { ZwhError, refusal } from "../core/errors";
import { normalizeName } from "../core/names";
import { HOST_NAME_RE } from "../core/host-name";
import { appendAuditLines, readAuditTail, verifyAuditLog } from "./audit-log";
import type { Backend, SqlExecutor, SqlValue } from "./backend";
import { AuditLine, GENESIS_HASH, canonicalJson, chainHash } from "./chain";
import { LATEST_SCHEMA_VERSION, MIGRATIONS, migrationSql } from "./migrations";
import {
  ActivationResult,
  AuditVerifyResult,
  BundleInput,
  BundleRecord,
  ChainVerifyResult,
  DeploymentQuery,
  DeploymentRow,
  EventInput,
  EventRecord,
  FINDING_SEVERITIES,
  FindingInput,
  FindingRecord,
  FindingsResult,
  FsGroupRecord,
  HOST_NAME_SOURCES,
  HostInput,
  HostClaim,
  HostRecord,
  HostStatus,
  InstalledPackage,
  InstalledPackageInput,
  InventoryStore,
  ObservationInput,
  ObservationRecord,
  RELEASE_STATES,
  RUN_HOST_STATUSES,
  RUN_KINDS,
  RUN_STATUSES,
  ReleaseInput,
  ReleaseRecord,
  ReleaseState,
  RunHostRecord,
  RunHostResult,
  RunHostStatus,
  RunKind,
  RunMeta,
  RunRecord,
  RunResult,
  type AcceptedSequence,
} from "./types";

export interface ServiceOptions {
  /** The NDJSON export of the chain; none when undefined. */
  auditLogPath?: string;
  /** Clock, for tests. */
  now?: () => Date;
  /** Problems that must not fail the change that caused them (e.g. the export could not be written). */
  warn?: (message: string) => void;
}

const HEX64 = /^[0-9a-f]{64}$/;
export { HOST_NAME_RE };
/** verifyChain reads the chain in pages, so a long chain never sits in memory at once. */
const VERIFY_PAGE = 2000;

/** Bundle digests are stored as bare lowercase hex; accept the "sha256:<hex>" spelling too. */

function invalid(message: string, subject?: string): ZwhError {
  return new ZwhError("ZWH-STORE-INVALID", message, { subject });
}

function safeUser(): string | undefined {
  try {
    return os.userInfo().username;
  } catch {
    return process.env.USER ?? undefined;
  }
}

function json(v: unknown): string {
  return canonicalJson(v ?? null);
}

interface HostRow {
  id: number;
  name: string;
  address: string;
  port: number;
  ssh_user: string | null;
  name_source: string | null;
  nodename: string | null;
  sysname: string | null;
  zowe_profile: string | null;
  fs_group: string | null;
  python_path: string | null;
  python_version: string | null;
  platform_tags: string;
  created_at: string;
  updated_at: string;
}

interface ReleaseRow {
  id: number;
  host: string;
  root: string;
  release_id: string;
  path: string;
  bundle_digest: string | null;
  state: ReleaseState;
  staged_at: string;
  activated_at: string | null;
  deactivated_at: string | null;
  run_id: string | null;
  activated_run_id: string | null;
}

interface EventRow {
  seq: number;
  ts: string;
  run_id: string | null;
  host: string | null;
  type: string;
  payload: string;
  prev_hash: string;
  hash: string;
}

const HOST_SELECT = `SELECT h.*, g.name AS fs_group FROM hosts h LEFT JOIN fs_groups g ON g.id = h.fs_group_id`;
const HOST_FACTS = ["address", "port", "ssh_user", "name_source", "nodename", "sysname", "zowe_profile", "fs_group", "python_path", "python_version", "platform_tags"] as const;

export class InventoryService implements InventoryStore {
  readonly dialect: Backend["dialect"];
  readonly location: string;
  readonly auditLogPath: string | null;
  private readonly now: () => Date;
  private readonly warn: (m: string) => void;

  private constructor(
    readonly backend: Backend,
    opts: ServiceOptions,
  ) {
    this.dialect = backend.dialect;
    this.location = backend.location;
    this.auditLogPath = opts.auditLogPath ?? null;
    this.now = opts.now ?? (() => new Date());
    this.warn = opts.warn ?? (() => undefined);
  }

  /** Open over a backend: apply pending migrations (once, serialised), then bring the export up to date. */
  static async open(backend: Backend, opts: ServiceOptions = {}): Promise<InventoryService> {
    const s = new InventoryService(backend, opts);
    try {
      await s.migrate();
    } catch (e) {
      await backend.close().catch(() => undefined);
      if (e instanceof ZwhError) throw e;
      throw new ZwhError("ZWH-STORE-MIGRATION", `cannot upgrade the inventory schema of ${backend.location}: ${(e as Error).message}`, { subject: backend.location, cause: e });
    }
    return s;
  }

  // ---------------------------------------------------------------- plumbing

  private async migrate(): Promise<void> {
    const pending = async (tx: SqlExecutor) => {
      await tx.script("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)");
      const applied = new Set((await tx.all<{ version: number }>("SELECT version FROM schema_migrations")).map((r) => Number(r.version)));
      const newest = Math.max(0, ...applied);
      if (newest > LATEST_SCHEMA_VERSION) {
        throw new ZwhError("ZWH-STORE-SCHEMA-NEWER", `inventory schema v${newest} is newer than this zwh understands (v${LATEST_SCHEMA_VERSION})`, {
          subject: this.location,
          hint: "Upgrade zwh; never let an older zwh write to a newer inventory.",
        });
      }
      return MIGRATIONS.filter((m) => !applied.has(m.version));
    };
    // Cheap check first: an up-to-date store is opened without a schema transaction.
    let todo: typeof MIGRATIONS = MIGRATIONS;
    try {
      const rows = await this.backend.all<{ version: number }>("SELECT version FROM schema_migrations");
      const applied = new Set(rows.map((r) => Number(r.version)));
      todo = MIGRATIONS.filter((m) => !applied.has(m.version));
      if (todo.length === 0 && Math.max(0, ...applied) <= LATEST_SCHEMA_VERSION) return;
    } catch {
      /* no schema_migrations yet: a new store */
    }
    await this.backend.migrationTx(async (tx) => {
      for (const m of await pending(tx)) {
        await tx.script(migrationSql(m, this.dialect));
        await tx.run("INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)", [m.version, this.ts()]);
      }
    });
  }

  async schemaVersions(): Promise<number[]> {
    return (await this.backend.all<{ version: number }>("SELECT version FROM schema_migrations ORDER BY version")).map((r) => Number(r.version));
  }

  private ts(): string {
    return this.now().toISOString();
  }

  /**
   * One serialised write transaction; events appended in it go to the NDJSON export after the
   * commit (an export never shows a change the store rolled back).
   */
  private async write<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    let appended = false;
    const out = await this.backend.writeTx(async (ex) => {
      const tx = new Tx(ex, this, () => void (appended = true));
      return fn(tx);
    });
    if (appended && this.auditLogPath) {
      try {
        await this.exportAuditLog();
      } catch (e) {
        this.warn(`the audit log export ${this.auditLogPath} was not updated: ${(e as Error).message}; the store has the record ('inventory verify-log' re-checks it)`);
      }
    }
    return out;
  }

  /** @internal used by Tx */
  stamp(): string {
    return this.ts();
  }

  // ---------------------------------------------------------------- hosts

  async upsertHost(h: HostInput): Promise<number> {
    if (!h.name || !HOST_NAME_RE.test(h.name)) throw invalid(`host name ${JSON.stringify(h.name ?? "")} is not valid (letters, digits, . _ - : @; at most 128)`, h.name);
    if (!h.address) throw invalid("host address is required", h.name);
    const port = h.port ?? 22;
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw invalid(`invalid port ${port}`, h.name);
    if (h.nameSource !== undefined && !HOST_NAME_SOURCES.includes(h.nameSource)) throw invalid(`unknown host name source ${String(h.nameSource)}`, h.name);
    if (h.fsGroup !== undefined && !HOST_NAME_RE.test(h.fsGroup)) throw invalid(`filesystem group name ${JSON.stringify(h.fsGroup)} is not valid`, h.name);
    return this.write(async (tx) => {
      let before = await tx.host(h.name);
      if (!before && h.nameSource && h.nameSource !== "address") {
        // Release 0.1.0 named hosts by address ("host" or "host:port"): the first time such a
        // host is seen under a logical name, its history moves to that name.
        const legacy = await tx.get<{ name: string }>(
          "SELECT name FROM hosts WHERE address = ? AND port = ? AND name_source = 'address' ORDER BY id LIMIT 1",
          [h.address, port],
        );
        if (legacy) {
          await tx.run("UPDATE hosts SET name = ?, updated_at = ? WHERE name = ?", [h.name, this.ts(), legacy.name]);
          await tx.event({ type: "host.renamed", host: h.name, payload: { from: legacy.name, to: h.name, source: h.nameSource } });
          before = await tx.host(h.name);
        }
      }
      let fsGroupId: number | null | undefined;
      if (h.fsGroup !== undefined) fsGroupId = await tx.fsGroupId(h.fsGroup, undefined);
      const now = this.ts();
      await tx.run(
        `INSERT INTO hosts (name, address, port, ssh_user, name_source, nodename, sysname, zowe_profile, fs_group_id, python_path, python_version, platform_tags, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (name) DO UPDATE SET
           address = excluded.address, port = excluded.port,
           ssh_user = COALESCE(excluded.ssh_user, hosts.ssh_user),
           name_source = COALESCE(excluded.name_source, hosts.name_source),
           nodename = COALESCE(excluded.nodename, hosts.nodename),
           sysname = COALESCE(excluded.sysname, hosts.sysname),
           zowe_profile = COALESCE(excluded.zowe_profile, hosts.zowe_profile),
           fs_group_id = COALESCE(excluded.fs_group_id, hosts.fs_group_id),
           python_path = COALESCE(excluded.python_path, hosts.python_path),
           python_version = COALESCE(excluded.python_version, hosts.python_version),
           platform_tags = CASE WHEN ? = 1 THEN excluded.platform_tags ELSE hosts.platform_tags END,
           updated_at = excluded.updated_at`,
        [
          h.name, h.address, port, h.sshUser ?? null, h.nameSource ?? null, h.nodename ?? null, h.sysname ?? null, h.zoweProfile ?? null,
          fsGroupId ?? null, h.pythonPath ?? null, h.pythonVersion ?? null, JSON.stringify(h.platformTags ?? []), now, now, h.platformTags ? 1 : 0,
        ],
      );
      const after = (await tx.host(h.name))!;
      const changed = before ? HOST_FACTS.filter((f) => before![f] !== after[f]) : [...HOST_FACTS];
      if (changed.length > 0) {
        const facts: Record<string, unknown> = {};
        for (const f of changed) facts[f] = f === "platform_tags" ? JSON.parse(after[f]) : after[f];
        await tx.event({ type: before ? "host.updated" : "host.registered", host: h.name, payload: facts });
      }
      return after.id;
    });
  }

  async getHost(name: string): Promise<HostRecord | undefined> {
    const r = await this.backend.get<HostRow>(`${HOST_SELECT} WHERE h.name = ?`, [name]);
    return r ? hostRecord(r) : undefined;
  }

  async findHostByAddress(address: string, port: number): Promise<HostRecord | undefined> {
    const r = await this.backend.get<HostRow>(`${HOST_SELECT} WHERE h.address = ? AND h.port = ? ORDER BY h.updated_at DESC, h.id DESC LIMIT 1`, [address, port]);
    return r ? hostRecord(r) : undefined;
  }

  async listHosts(): Promise<HostRecord[]> {
    return (await this.backend.all<HostRow>(`${HOST_SELECT} ORDER BY h.name`)).map(hostRecord);
  }

  async setFsGroup(host: string, group: string | null, fsIdentifier?: string): Promise<void> {
    if (group !== null && !HOST_NAME_RE.test(group)) throw invalid(`filesystem group name ${JSON.stringify(group)} is not valid`, host);
    await this.write(async (tx) => {
      const id = await tx.hostId(host);
      const gid = group === null ? null : await tx.fsGroupId(group, fsIdentifier);
      await tx.run("UPDATE hosts SET fs_group_id = ?, updated_at = ? WHERE id = ?", [gid, this.ts(), id]);
      await tx.event({ type: "host.fs-group", host, payload: { fs_group: group, fs_identifier: fsIdentifier ?? null } });
    });
  }

  async listFsGroups(): Promise<FsGroupRecord[]> {
    const groups = await this.backend.all<{ id: number; name: string; fs_identifier: string | null }>("SELECT id, name, fs_identifier FROM fs_groups ORDER BY name");
    const members = await this.backend.all<{ fs_group_id: number; name: string }>("SELECT fs_group_id, name FROM hosts WHERE fs_group_id IS NOT NULL ORDER BY name");
    return groups.map((g) => ({ name: g.name, fsIdentifier: g.fs_identifier, hosts: members.filter((m) => Number(m.fs_group_id) === Number(g.id)).map((m) => m.name) }));
  }

  // ---------------------------------------------------------------- runs

  async startRun(kind: RunKind, meta: RunMeta = {}): Promise<string> {
    if (!RUN_KINDS.includes(kind)) throw invalid(`unknown run kind ${kind}`);
    const id = meta.id ?? randomUUID();
    const actorLocal = meta.actorLocal ?? safeUser();
    const controllerHost = meta.controllerHost ?? os.hostname();
    return this.write(async (tx) => {
      if (await tx.get("SELECT 1 AS x FROM runs WHERE id = ?", [id])) throw new ZwhError("ZWH-STORE-CONFLICT", `run ${id} already exists`, { subject: id });
      await tx.run(
        `INSERT INTO runs (id, kind, started_at, actor_local, actor_zos, controller_host, cli_version, argv, zowe_profile, strategy)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [id, kind, this.ts(), actorLocal ?? null, meta.actorZos ?? null, controllerHost, meta.cliVersion ?? null, JSON.stringify(meta.argv ?? []), meta.zoweProfile ?? null, json(meta.strategy)],
      );
      await tx.event({
        type: "run.started",
        runId: id,
        payload: { kind, actor_local: actorLocal ?? null, actor_zos: meta.actorZos ?? null, controller_host: controllerHost, cli_version: meta.cliVersion ?? null, argv: meta.argv ?? [] },
      });
      return id;
    });
  }

  async finishRun(runId: string, result: RunResult): Promise<void> {
    if (!RUN_STATUSES.includes(result.status)) throw invalid(`unknown run status ${result.status}`);
    if (!Number.isInteger(result.exitCode)) throw invalid("exitCode must be an integer");
    if ((result.status === "failed" || result.status === "refused") && !result.errorCode) {
      throw new ZwhError("ZWH-STORE-INVALID", `a ${result.status} run needs an errorCode`, { subject: runId, hint: "Record the ZwhError code (and failedStep) so the failure can be audited." });
    }
    await this.write(async (tx) => {
      const row = await tx.get<{ finished_at: string | null }>("SELECT finished_at FROM runs WHERE id = ?", [runId]);
      if (!row) throw new ZwhError("ZWH-STORE-UNKNOWN-RUN", `run ${runId} is not in the inventory`, { subject: runId });
      if (row.finished_at) throw new ZwhError("ZWH-STORE-RUN-FINISHED", `run ${runId} already finished at ${row.finished_at}`, { subject: runId });
      await tx.run("UPDATE runs SET finished_at = ?, status = ?, exit_code = ?, error_code = ?, error_text = ?, failed_step = ? WHERE id = ?", [
        this.ts(), result.status, result.exitCode, result.errorCode ?? null, result.errorText ?? null, result.failedStep ?? null, runId,
      ]);
      await tx.event({
        type: "run.finished",
        runId,
        payload: { status: result.status, exit_code: result.exitCode, error_code: result.errorCode ?? null, error_text: result.errorText ?? null, failed_step: result.failedStep ?? null },
      });
    });
  }

  async reopenRun(runId: string): Promise<void> {
    await this.write(async (tx) => {
      const row = await tx.get<{ finished_at: string | null; status: string | null; exit_code: number | null }>("SELECT finished_at, status, exit_code FROM runs WHERE id = ?", [runId]);
      if (!row) throw new ZwhError("ZWH-STORE-UNKNOWN-RUN", `run ${runId} is not in the inventory`, { subject: runId });
      await tx.run("UPDATE runs SET finished_at = NULL, status = NULL, exit_code = NULL, error_code = NULL, error_text = NULL, failed_step = NULL WHERE id = ?", [runId]);
      await tx.event({ type: "run.resumed", runId, payload: { was_finished_at: row.finished_at, was_status: row.status, was_exit_code: row.exit_code === null ? null : Number(row.exit_code) } });
    });
  }

  async getRun(runId: string): Promise<RunRecord | undefined> {
    const r = await this.backend.get<Record<string, SqlValue>>("SELECT * FROM runs WHERE id = ?", [runId]);
    if (!r) return undefined;
    const strategy = JSON.parse(String(r.strategy ?? "null")) as unknown;
    return {
      id: r.id as string,
      kind: r.kind as RunKind,
      startedAt: r.started_at as string,
      finishedAt: (r.finished_at as string | null) ?? null,
      actorLocal: (r.actor_local as string | null) ?? undefined,
      actorZos: (r.actor_zos as string | null) ?? undefined,
      controllerHost: (r.controller_host as string | null) ?? undefined,
      cliVersion: (r.cli_version as string | null) ?? undefined,
      argv: JSON.parse(r.argv as string) as string[],
      ...(r.zowe_profile ? { zoweProfile: r.zowe_profile as string } : {}),
      ...(strategy !== null ? { strategy } : {}),
      status: (r.status as RunRecord["status"]) ?? null,
      exitCode: r.exit_code === null ? null : Number(r.exit_code),
      errorCode: (r.error_code as string | null) ?? null,
      errorText: (r.error_text as string | null) ?? null,
      failedStep: (r.failed_step as string | null) ?? null,
    };
  }

  async recordRunHost(runId: string, host: string, result: RunHostResult): Promise<void> {
    if (!RUN_HOST_STATUSES.includes(result.status)) throw invalid(`unknown host status ${String(result.status)}`, host);
    if ((result.status === "failed" || result.status === "refused" || result.status === "unreachable") && !result.errorCode) {
      throw invalid(`a ${result.status} host result needs an errorCode`, host);
    }
    if (result.batchNo !== undefined && (!Number.isInteger(result.batchNo) || result.batchNo < 0)) throw invalid(`batch number must be an integer >= 0 (got ${String(result.batchNo)})`, host);
    await this.write(async (tx) => {
      await tx.requireRun(runId);
      const hostId = await tx.hostId(host);
      const now = this.ts();
      // The first record of a host in a run is when it started (a fleet records "running" first).
      await tx.run(
        `INSERT INTO run_hosts (run_id, host_id, status, batch_no, release_id, previous_release_id, error_code, error_text, failed_step, started_at, recorded_at, root)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (run_id, host_id) DO UPDATE SET status = excluded.status,
           batch_no = COALESCE(excluded.batch_no, run_hosts.batch_no),
           root = COALESCE(excluded.root, run_hosts.root),
           release_id = excluded.release_id, previous_release_id = excluded.previous_release_id,
           error_code = excluded.error_code, error_text = excluded.error_text, failed_step = excluded.failed_step,
           recorded_at = excluded.recorded_at`,
        [runId, hostId, result.status, result.batchNo ?? null, result.releaseId ?? null, result.previousReleaseId ?? null, result.errorCode ?? null, result.errorText ?? null, result.failedStep ?? null, now, now, result.root ?? null],
      );
      await tx.event({
        type: "run.host",
        runId,
        host,
        payload: {
          status: result.status, ...(result.root ? { root: result.root } : {}), batch_no: result.batchNo ?? null, release_id: result.releaseId ?? null, previous_release_id: result.previousReleaseId ?? null,
          error_code: result.errorCode ?? null, error_text: result.errorText ?? null, failed_step: result.failedStep ?? null,
        },
      });
    });
  }

  async listRunHosts(runId: string): Promise<RunHostRecord[]> {
    const rows = await this.backend.all<Record<string, SqlValue>>(
      `SELECT rh.*, h.name AS host FROM run_hosts rh JOIN hosts h ON h.id = rh.host_id WHERE rh.run_id = ? ORDER BY COALESCE(rh.batch_no, -1), h.name`,
      [runId],
    );
    return rows.map((r) => ({
      runId: r.run_id as string,
      host: r.host as string,
      status: r.status as RunHostStatus,
      batchNo: r.batch_no === null ? null : Number(r.batch_no),
      releaseId: (r.release_id as string | null) ?? null,
      previousReleaseId: (r.previous_release_id as string | null) ?? null,
      errorCode: (r.error_code as string | null) ?? null,
      errorText: (r.error_text as string | null) ?? null,
      failedStep: (r.failed_step as string | null) ?? null,
      startedAt: (r.started_at as string | null) ?? null,
      recordedAt: r.recorded_at as string,
    }));
  }

  async claimHost(host: string, runId: string, ttlSeconds: number, controller?: string): Promise<{ claimed: true } | { claimed: false; holder: HostClaim }> {
    if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1) throw invalid(`claim ttl must be a whole number of seconds >= 1 (got ${String(ttlSeconds)})`, host);
    return this.write(async (tx) => {
      await tx.requireRun(runId);
      const now = this.now();
      const at = now.toISOString();
      const expires = new Date(now.getTime() + ttlSeconds * 1000).toISOString();
      const inserted = await tx.run(
        "INSERT INTO fleet_claims (host, run_id, controller, claimed_at, expires_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (host) DO NOTHING",
        [host, runId, controller ?? null, at, expires],
      );
      if (inserted === 1) {
        await tx.event({ type: "fleet.claim", runId, host, payload: { controller: controller ?? null, expires_at: expires } });
        return { claimed: true as const };
      }
      // Taken over only when it is this run's own claim or it expired (compare-and-set on the row read).
      const row = (await tx.get<Record<string, SqlValue>>("SELECT host, run_id, controller, claimed_at, expires_at FROM fleet_claims WHERE host = ?", [host]))!;
      if (row.run_id === runId || String(row.expires_at) < at) {
        const n = await tx.run(
          "UPDATE fleet_claims SET run_id = ?, controller = ?, claimed_at = ?, expires_at = ? WHERE host = ? AND run_id = ? AND expires_at = ?",
          [runId, controller ?? null, at, expires, host, row.run_id, row.expires_at],
        );
        if (n === 1) {
          await tx.event({ type: "fleet.claim", runId, host, payload: { controller: controller ?? null, expires_at: expires, taken_from: row.run_id === runId ? null : row.run_id } });
          return { claimed: true as const };
        }
      }
      return {
        claimed: false as const,
        holder: { host, runId: String(row.run_id), controller: (row.controller as string | null) ?? null, claimedAt: String(row.claimed_at), expiresAt: String(row.expires_at) },
      };
    });
  }

  async releaseClaims(runId: string): Promise<number> {
    return this.write(async (tx) => tx.run("DELETE FROM fleet_claims WHERE run_id = ?", [runId]));
  }

  // ---------------------------------------------------------------- bundles + rollback protection

  /** A recorded bundle by statement digest ("sha256:<hex>" or hex): its statement and signers. */
  async getBundle(digestSha256: string): Promise<BundleRecord | undefined> {
    const digest = bareDigest(digestSha256);
    const r = await this.backend.get<{ bundle_id: string; channel: string; sequence: number; digest_sha256: string; manifest: string; signer_identities: string; verified_at: string }>(
      "SELECT bundle_id, channel, sequence, digest_sha256, manifest, signer_identities, verified_at FROM bundles WHERE digest_sha256 = ?",
      [digest],
    );
    if (!r) return undefined;
    return {
      bundleId: r.bundle_id, channel: r.channel, sequence: Number(r.sequence), digestSha256: r.digest_sha256,
      manifest: JSON.parse(r.manifest) as unknown, signerIdentities: JSON.parse(r.signer_identities) as unknown[], verifiedAt: r.verified_at,
    };
  }

  async recordBundle(b: BundleInput): Promise<number> {
    const digest = bareDigest(b.digestSha256);
    if (!HEX64.test(digest)) throw invalid("bundle digest must be 64 hex digits", b.bundleId);
    if (!Number.isSafeInteger(b.sequence) || b.sequence < 0) throw invalid("bundle sequence must be a non-negative integer", b.bundleId);
    if (b.manifestBytes) {
      const got = createHash("sha256").update(b.manifestBytes).digest("hex");
      if (got !== digest) throw refusal("ZWH-STORE-DIGEST-MISMATCH", `manifest bytes hash to ${got}, not the recorded digest ${digest}`, { subject: b.bundleId });
    }
    for (const w of b.wheels) if (!HEX64.test(w.sha256.toLowerCase())) throw invalid("wheel sha256 must be 64 hex digits", w.filename);
    return this.write(async (tx) => {
      const existing = await tx.get<{ id: number; bundle_id: string; channel: string; sequence: number }>(
        "SELECT id, bundle_id, channel, sequence FROM bundles WHERE digest_sha256 = ?",
        [digest],
      );
      if (existing) {
        if (existing.bundle_id !== b.bundleId || existing.channel !== b.channel || Number(existing.sequence) !== b.sequence) {
          throw new ZwhError("ZWH-STORE-CONFLICT", `digest ${digest} is already recorded as ${existing.bundle_id} (${existing.channel} #${existing.sequence})`, { subject: b.bundleId });
        }
        return Number(existing.id);
      }
      const verifiedAt = b.verifiedAt ?? this.ts();
      const row = await tx.get<{ id: number }>(
        `INSERT INTO bundles (bundle_id, channel, sequence, digest_sha256, manifest, signer_identities, verified_at, recorded_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
        [b.bundleId, b.channel, b.sequence, digest, JSON.stringify(b.manifest ?? null), JSON.stringify(b.signerIdentities ?? []), verifiedAt, this.ts()],
      );
      const rowId = Number(row!.id);
      for (const w of b.wheels) {
        await tx.run("INSERT INTO bundle_wheels (bundle_row, filename, name, version, sha256, size) VALUES (?, ?, ?, ?, ?, ?)", [rowId, w.filename, w.name, w.version, w.sha256.toLowerCase(), w.size]);
      }
      await tx.event({
        type: "bundle.recorded",
        payload: { bundle_id: b.bundleId, channel: b.channel, sequence: b.sequence, digest, signer_identities: b.signerIdentities ?? [], verified_at: verifiedAt, wheels: b.wheels.length },
      });
      return rowId;
    });
  }

  async acceptedSequence(channel: string): Promise<AcceptedSequence | undefined> {
    const r = await this.backend.get<{ sequence: number; digest: string }>("SELECT sequence, digest FROM channel_state WHERE channel = ?", [channel]);
    return r ? { sequence: Number(r.sequence), digest: r.digest } : undefined;
  }

  async sequenceSnapshot(): Promise<SequenceStore> {
    const snap = new MemorySequenceStore();
    for (const r of await this.backend.all<{ channel: string; sequence: number; digest: string }>("SELECT channel, sequence, digest FROM channel_state")) {
      snap.accept(r.channel, Number(r.sequence), r.digest);
    }
    return snap;
  }

  /**
   * The signing layer's rules (checkSequence), evaluated inside the serialised transaction so a
   * concurrent accept by another process or controller cannot slip in between check and write.
   */
  async acceptSequence(channel: string, sequence: number, digest: string): Promise<void> {
    await this.write(async (tx) => {
      const prevRow = await tx.get<{ sequence: number; digest: string }>("SELECT sequence, digest FROM channel_state WHERE channel = ?", [channel]);
      const prev = prevRow ? { sequence: Number(prevRow.sequence), digest: prevRow.digest } : undefined;
      const view: SequenceStore = { get: () => prev, accept: () => undefined };
      if (checkSequence(view, channel, sequence, digest) === "same") return; // identical re-deploy
      await tx.run(
        `INSERT INTO channel_state (channel, sequence, digest, accepted_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (channel) DO UPDATE SET sequence = excluded.sequence, digest = excluded.digest, accepted_at = excluded.accepted_at`,
        [channel, sequence, digest, this.ts()],
      );
      await tx.event({ type: "channel.accepted", payload: { channel, sequence, digest, previous: prev ?? null } });
    });
  }

  // ---------------------------------------------------------------- releases

  async recordRelease(r: ReleaseInput): Promise<number> {
    const state = r.state ?? "staged";
    if (state !== "staged" && state !== "failed") {
      throw new ZwhError("ZWH-STORE-INVALID", `recordRelease only records staged or failed releases (got ${state})`, { hint: "Use setActiveRelease to activate." });
    }
    if (!r.root || !r.releaseId || !r.path) throw invalid("root, releaseId and path are required");
    return this.write(async (tx) => {
      const hostId = await tx.hostId(r.host);
      await tx.requireRun(r.runId);
      const digest = r.bundleDigest === undefined ? undefined : bareDigest(r.bundleDigest);
      if (digest && !(await tx.get("SELECT 1 AS x FROM bundles WHERE digest_sha256 = ?", [digest]))) {
        throw new ZwhError("ZWH-STORE-UNKNOWN-BUNDLE", `bundle ${digest} is not in the inventory`, { subject: digest, hint: "recordBundle first." });
      }
      const existing = await tx.release(r.host, r.root, r.releaseId);
      const now = this.ts();
      let rowId: number;
      if (existing) {
        if (existing.state !== "staged" && existing.state !== "failed") {
          throw new ZwhError("ZWH-STORE-CONFLICT", `release ${r.releaseId} on ${r.host} is ${existing.state}; release ids are never reused`, { subject: r.releaseId });
        }
        await tx.run("UPDATE releases SET path = ?, bundle_digest = ?, state = ?, staged_at = ?, run_id = ? WHERE id = ?", [r.path, digest ?? null, state, now, r.runId ?? null, existing.id]);
        rowId = Number(existing.id);
      } else {
        const row = await tx.get<{ id: number }>(
          `INSERT INTO releases (host_id, root, release_id, path, bundle_digest, state, staged_at, run_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
          [hostId, r.root, r.releaseId, r.path, digest ?? null, state, now, r.runId ?? null],
        );
        rowId = Number(row!.id);
      }
      await tx.event({
        type: state === "failed" ? "release.failed" : "release.staged",
        runId: r.runId,
        host: r.host,
        payload: { root: r.root, release_id: r.releaseId, path: r.path, bundle_digest: digest ?? null },
      });
      return rowId;
    });
  }

  async setReleaseState(host: string, root: string, releaseId: string, state: "failed" | "pruned", runId?: string): Promise<void> {
    if (state !== "failed" && state !== "pruned") throw invalid(`setReleaseState only sets failed or pruned (got ${String(state)})`);
    await this.write(async (tx) => {
      await tx.requireRun(runId);
      const row = await tx.release(host, root, releaseId);
      if (!row) throw new ZwhError("ZWH-STORE-UNKNOWN-RELEASE", `release ${releaseId} on ${host}:${root} is not in the inventory`, { subject: releaseId });
      if (row.state === "active" || row.state === "previous") {
        throw refusal("ZWH-STORE-RELEASE-STATE", `release ${releaseId} is ${row.state} and cannot become ${state}`, {
          subject: releaseId,
          hint: "Activate another release first; prune never removes the active or previous release.",
        });
      }
      await tx.run("UPDATE releases SET state = ?, deactivated_at = COALESCE(deactivated_at, ?) WHERE id = ?", [state, this.ts(), row.id]);
      await tx.event({ type: `release.${state}`, runId, host, payload: { root, release_id: releaseId, from: row.state } });
    });
  }

  async setActiveRelease(host: string, root: string, releaseId: string, runId?: string): Promise<ActivationResult> {
    return this.write(async (tx) => {
      await tx.requireRun(runId);
      const target = await tx.release(host, root, releaseId);
      if (!target) throw new ZwhError("ZWH-STORE-UNKNOWN-RELEASE", `release ${releaseId} on ${host}:${root} is not in the inventory`, { subject: releaseId });
      if (target.state === "pruned" || target.state === "failed") {
        throw refusal("ZWH-STORE-RELEASE-STATE", `release ${releaseId} is ${target.state} and cannot be activated`, { subject: releaseId });
      }
      const hostId = await tx.hostId(host);
      const byState = (s: ReleaseState) => tx.get<{ id: number; release_id: string }>("SELECT id, release_id FROM releases WHERE host_id = ? AND root = ? AND state = ?", [hostId, root, s]);
      const cur = await byState("active");
      const prev = await byState("previous");
      if (cur && Number(cur.id) === Number(target.id)) return { previousReleaseId: prev?.release_id };
      const now = this.ts();
      // Order matters for the one-active/one-previous unique indexes: free 'previous' first.
      // The old previous stays on disk until pruned, hence 'staged' (kept), not 'pruned'.
      if (prev) await tx.run("UPDATE releases SET state = 'staged' WHERE id = ?", [prev.id]);
      if (cur) await tx.run("UPDATE releases SET state = 'previous', deactivated_at = ? WHERE id = ?", [now, cur.id]);
      await tx.run("UPDATE releases SET state = 'active', activated_at = ?, deactivated_at = NULL, activated_run_id = ? WHERE id = ?", [now, runId ?? null, target.id]);
      // Tie the activation to who, which run, which bundle and signer (fleet-and-drift §9).
      const bundle = target.bundle_digest
        ? await tx.get<{ bundle_id: string; sequence: number; signer_identities: string }>("SELECT bundle_id, sequence, signer_identities FROM bundles WHERE digest_sha256 = ?", [target.bundle_digest])
        : undefined;
      const run = runId ? await tx.get<{ actor_local: string | null; actor_zos: string | null }>("SELECT actor_local, actor_zos FROM runs WHERE id = ?", [runId]) : undefined;
      await tx.event({
        type: "release.activated",
        runId,
        host,
        payload: {
          root,
          release_id: releaseId,
          previous_release_id: cur?.release_id ?? null,
          rollback: prev !== undefined && Number(prev.id) === Number(target.id),
          bundle_digest: target.bundle_digest,
          bundle_id: bundle?.bundle_id ?? null,
          bundle_sequence: bundle ? Number(bundle.sequence) : null,
          signer_identities: bundle ? JSON.parse(bundle.signer_identities) : [],
          actor_local: run?.actor_local ?? null,
          actor_zos: run?.actor_zos ?? null,
        },
      });
      return { previousReleaseId: cur?.release_id };
    });
  }

  async recordInstalled(releaseRowId: number, pkgs: InstalledPackageInput[]): Promise<void> {
    const seen = new Set<string>();
    const rows = pkgs.map((p) => {
      if (!p.name || !p.version) throw invalid("installed packages need name and version");
      const n = normalizeName(p.name);
      if (seen.has(n)) throw invalid(`package ${n} listed twice`, n);
      seen.add(n);
      const sha = p.wheelSha256?.toLowerCase();
      if (sha !== undefined && !HEX64.test(sha)) throw invalid("wheel sha256 must be 64 hex digits", p.name);
      return { name: n, display: p.name, version: p.version, sha: sha ?? null, installer: p.installer ?? null };
    });
    rows.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    await this.write(async (tx) => {
      const rel = await tx.get<{ root: string; release_id: string; run_id: string | null; host: string }>(
        "SELECT r.root, r.release_id, r.run_id, h.name AS host FROM releases r JOIN hosts h ON h.id = r.host_id WHERE r.id = ?",
        [releaseRowId],
      );
      if (!rel) throw new ZwhError("ZWH-STORE-UNKNOWN-RELEASE", `release row ${releaseRowId} does not exist`);
      await tx.run("DELETE FROM installed_packages WHERE release_row = ?", [releaseRowId]);
      for (const r of rows) {
        await tx.run("INSERT INTO installed_packages (release_row, name, display_name, version, wheel_sha256, installer) VALUES (?, ?, ?, ?, ?, ?)", [releaseRowId, r.name, r.display, r.version, r.sha, r.installer]);
      }
      // The event carries a digest of the package set, not the list: the table has the list,
      // and the digest proves later that it was not edited.
      const setDigest = createHash("sha256")
        .update(canonicalJson(rows.map((r) => ({ name: r.name, version: r.version, wheel_sha256: r.sha }))))
        .digest("hex");
      await tx.event({
        type: "release.installed",
        runId: rel.run_id ?? undefined,
        host: rel.host,
        payload: { root: rel.root, release_id: rel.release_id, packages: rows.length, packages_sha256: setDigest },
      });
    });
  }

  // ---------------------------------------------------------------- queries

  async listDeployments(q: DeploymentQuery = {}): Promise<DeploymentRow[]> {
    const states = q.states ?? ["active", "previous", "staged"];
    for (const s of states) if (!RELEASE_STATES.includes(s)) throw invalid(`unknown release state ${s}`);
    const where: string[] = [`r.state IN (${states.map(() => "?").join(",")})`];
    const params: SqlValue[] = [...states];
    if (q.host) {
      where.push("h.name = ?");
      params.push(q.host);
    }
    if (q.package) {
      where.push("p.name = ?");
      params.push(normalizeName(q.package));
    }
    if (q.version) {
      where.push("p.version = ?");
      params.push(q.version);
    }
    const rows = await this.backend.all<Record<string, SqlValue>>(
      `SELECT h.name AS host, h.address, r.root, r.release_id, r.state, p.name AS package, p.display_name, p.version,
              p.wheel_sha256, r.bundle_digest, r.activated_at
       FROM installed_packages p
       JOIN releases r ON r.id = p.release_row
       JOIN hosts h ON h.id = r.host_id
       WHERE ${where.join(" AND ")}
       ORDER BY p.name, p.version, h.name, r.root, r.release_id`,
      params,
    );
    return rows.map((r) => ({
      host: r.host as string,
      address: r.address as string,
      root: r.root as string,
      releaseId: r.release_id as string,
      state: r.state as ReleaseState,
      package: r.package as string,
      displayName: r.display_name as string,
      version: r.version as string,
      wheelSha256: (r.wheel_sha256 as string | null) ?? null,
      bundleDigest: (r.bundle_digest as string | null) ?? null,
      activatedAt: (r.activated_at as string | null) ?? null,
    }));
  }

  async hostStatus(host: string, root: string): Promise<HostStatus> {
    const h = await this.getHost(host);
    if (!h) throw new ZwhError("ZWH-STORE-UNKNOWN-HOST", `host ${host} is not in the inventory`, { subject: host });
    const releases = (
      await this.backend.all<ReleaseRow>(
        `SELECT r.*, h.name AS host FROM releases r JOIN hosts h ON h.id = r.host_id
         WHERE h.id = ? AND r.root = ? ORDER BY r.staged_at DESC, r.id DESC`,
        [h.id, root],
      )
    ).map(releaseRecord);
    const active = releases.find((r) => r.state === "active");
    const previous = releases.find((r) => r.state === "previous");
    const last = await this.backend.get<Record<string, SqlValue>>(
      `SELECT rh.run_id, ru.kind, rh.status, ru.started_at, ru.finished_at, rh.error_code, rh.error_text, rh.failed_step
       FROM run_hosts rh JOIN runs ru ON ru.id = rh.run_id
       WHERE rh.host_id = ? AND (rh.root = ? OR rh.root IS NULL) ORDER BY rh.recorded_at DESC, ru.started_at DESC LIMIT 1`,
      // This root's last run; results recorded before schema v4 carry no root and still count.
      [h.id, root],
    );
    return {
      host: h,
      root,
      active: active ? { ...active, packages: await this.packages(active.rowId) } : undefined,
      previous,
      releases,
      lastRun: last
        ? {
            runId: last.run_id as string,
            kind: last.kind as RunKind,
            status: last.status as RunHostStatus,
            startedAt: last.started_at as string,
            finishedAt: (last.finished_at as string | null) ?? null,
            errorCode: (last.error_code as string | null) ?? null,
            errorText: (last.error_text as string | null) ?? null,
            failedStep: (last.failed_step as string | null) ?? null,
          }
        : undefined,
    };
  }

  private async packages(releaseRow: number): Promise<InstalledPackage[]> {
    return (
      await this.backend.all<Record<string, string | null>>(
        "SELECT name, display_name, version, wheel_sha256, installer FROM installed_packages WHERE release_row = ? ORDER BY name",
        [releaseRow],
      )
    ).map((p) => ({ name: p.name!, displayName: p.display_name!, version: p.version!, wheelSha256: p.wheel_sha256 ?? null, installer: p.installer ?? null }));
  }

  // ---------------------------------------------------------------- observations + findings

  async recordObservation(o: ObservationInput): Promise<ObservationRecord> {
    if (!o.method || typeof o.method !== "string") throw invalid("observation method is required", o.host);
    const data = json(o.data);
    const sha = createHash("sha256").update(data).digest("hex");
    return this.write(async (tx) => {
      await tx.requireRun(o.runId);
      const hostId = await tx.hostId(o.host);
      const at = this.ts();
      const row = await tx.get<{ id: number }>("INSERT INTO observations (run_id, host_id, method, observed_at, sha256, data) VALUES (?, ?, ?, ?, ?, ?) RETURNING id", [o.runId, hostId, o.method, at, sha, data]);
      await tx.event({ type: "host.observed", runId: o.runId, host: o.host, payload: { method: o.method, sha256: sha } });
      return { id: Number(row!.id), runId: o.runId, host: o.host, method: o.method, observedAt: at, sha256: sha, data: JSON.parse(data) };
    });
  }

  async recordFindings(runId: string, host: string, findings: FindingInput[]): Promise<FindingsResult> {
    const keyOf = (f: { kind: string; scope: string; subject: string }) => JSON.stringify([f.kind, f.scope, f.subject]);
    const seen = new Set<string>();
    for (const f of findings) {
      if (!f.kind || !f.scope || typeof f.subject !== "string") throw invalid("a finding needs kind, scope and subject", host);
      if (!FINDING_SEVERITIES.includes(f.severity)) throw invalid(`unknown severity ${String(f.severity)}`, host);
      const k = keyOf(f);
      if (seen.has(k)) throw invalid(`finding ${f.kind} ${f.scope} ${f.subject} reported twice`, host);
      seen.add(k);
    }
    return this.write(async (tx) => {
      await tx.requireRun(runId);
      const hostId = await tx.hostId(host);
      const at = this.ts();
      const open = await tx.all<{ id: number; kind: string; scope: string; subject: string }>("SELECT id, kind, scope, subject FROM findings WHERE host_id = ? AND resolved_run IS NULL", [hostId]);
      const openByKey = new Map(open.map((o) => [keyOf(o), Number(o.id)]));
      const ids: number[] = [];
      let opened = 0;
      for (const f of findings) {
        const id = openByKey.get(keyOf(f));
        const vals = [f.severity, json(f.desired), json(f.recorded), json(f.observed), json(f.detail)];
        if (id !== undefined) {
          await tx.run("UPDATE findings SET severity = ?, desired = ?, recorded = ?, observed = ?, detail = ?, last_seen_run = ?, last_seen_at = ? WHERE id = ?", [...vals, runId, at, id]);
          ids.push(id);
        } else {
          const row = await tx.get<{ id: number }>(
            `INSERT INTO findings (host_id, kind, scope, subject, severity, desired, recorded, observed, detail, first_seen_run, first_seen_at, last_seen_run, last_seen_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
            [hostId, f.kind, f.scope, f.subject, ...vals, runId, at, runId, at],
          );
          ids.push(Number(row!.id));
          opened++;
        }
      }
      const resolvedIds = open.filter((o) => !seen.has(keyOf(o))).map((o) => Number(o.id));
      for (const id of resolvedIds) await tx.run("UPDATE findings SET resolved_run = ?, resolved_at = ? WHERE id = ?", [runId, at, id]);
      await tx.event({ type: "findings.recorded", runId, host, payload: { reported: findings.length, new: opened, resolved: resolvedIds.length } });
      const load = async (list: number[]) => (list.length ? (await tx.all<FindingRow>(`${FINDING_SELECT} WHERE f.id IN (${list.map(() => "?").join(",")}) ORDER BY f.id`, list)).map(findingRecord) : []);
      return { open: await load(ids), resolved: await load(resolvedIds) };
    });
  }

  async listFindings(q: { host?: string; open?: boolean } = {}): Promise<FindingRecord[]> {
    const where: string[] = [];
    const params: SqlValue[] = [];
    if (q.host) {
      where.push("h.name = ?");
      params.push(q.host);
    }
    if (q.open === true) where.push("f.resolved_run IS NULL");
    if (q.open === false) where.push("f.resolved_run IS NOT NULL");
    return (await this.backend.all<FindingRow>(`${FINDING_SELECT}${where.length ? " WHERE " + where.join(" AND ") : ""} ORDER BY f.id`, params)).map(findingRecord);
  }

  // ---------------------------------------------------------------- events / audit

  async appendEvent(e: EventInput): Promise<EventRecord> {
    return this.write(async (tx) => {
      if (e.runId !== undefined) await tx.requireRun(e.runId);
      return tx.event(e);
    });
  }

  async listEvents(fromSeq = 1): Promise<EventRecord[]> {
    return (await this.backend.all<EventRow>("SELECT * FROM events WHERE seq >= ? ORDER BY seq", [fromSeq])).map(eventRecord);
  }

  /** Where the chain starts: genesis, or the head of an export that survived the loss of an earlier store. */
  async anchor(ex: SqlExecutor = this.backend): Promise<{ seq: number; hash: string } | undefined> {
    const row = await ex.get<{ value: string }>("SELECT value FROM meta WHERE key = 'chain_anchor'");
    return row ? (JSON.parse(row.value) as { seq: number; hash: string }) : undefined;
  }

  /**
   * Re-walk the chain: seq contiguity, prev links, and every hash recomputed. On a break,
   * `entry` is the first broken entry as stored and `brokenAt` its seq.
   */
  async verifyChain(): Promise<ChainVerifyResult> {
    const anchor = await this.anchor();
    let prevHash = anchor?.hash ?? GENESIS_HASH;
    let prevSeq = anchor?.seq ?? 0;
    let count = 0;
    for (;;) {
      const page = await this.backend.all<EventRow>("SELECT * FROM events WHERE seq > ? ORDER BY seq LIMIT ?", [prevSeq, VERIFY_PAGE]);
      if (page.length === 0) break;
      for (const raw of page) {
        const row = { ...raw, seq: Number(raw.seq) };
        const broken = (reason: string): ChainVerifyResult => ({ ok: false, count, brokenAt: row.seq, reason, entry: eventRecordLoose(row) });
        if (row.seq !== prevSeq + 1) return broken(`sequence gap after ${prevSeq} (event deleted?)`);
        if (row.prev_hash !== prevHash) return broken("prev_hash does not link to the previous event");
        let payload: unknown;
        try {
          payload = JSON.parse(row.payload);
        } catch {
          return broken("payload is not JSON");
        }
        const want = chainHash(row.prev_hash, { seq: row.seq, ts: row.ts, run_id: row.run_id, host: row.host, type: row.type, payload });
        if (want !== row.hash) return broken("hash mismatch (event edited)");
        prevHash = row.hash;
        prevSeq = row.seq;
        count++;
      }
    }
    // A gap at the very start (first events deleted) shows as seq > anchor + 1 above; an
    // emptied table after events existed is caught by the export's head check (verifyAudit).
    return { ok: true, count, head: count > 0 || anchor ? { seq: prevSeq, hash: prevHash } : undefined };
  }

  /** The chain, and the NDJSON export as a prefix of it (same lines, same hashes, up to its end). */
  async verifyAudit(): Promise<AuditVerifyResult> {
    const db = await this.verifyChain();
    const p = this.auditLogPath;
    if (!p || !fs.existsSync(p)) {
      const log = db.count === 0 || !p ? { ok: true, count: 0, path: p } : { ok: false, count: 0, brokenAt: 1, reason: "the audit log export is missing", path: p };
      return { ok: db.ok && log.ok, db, log };
    }
    const anchor = await this.anchor();
    // The export starts at genesis (it has the whole history, also of a store it outlived), or
    // at the anchor when it was started after the store was replaced.
    const first = readFirstLine(p);
    const v = verifyAuditLog(p, anchor && first?.prev_hash !== GENESIS_HASH ? { allowAnchor: anchor } : {});
    let log: AuditVerifyResult["log"] = { ...v, path: p };
    if (v.ok && v.head && (!anchor || v.head.seq > anchor.seq)) {
      const at = await this.backend.get<{ hash: string }>("SELECT hash FROM events WHERE seq = ?", [v.head.seq]);
      if (!at || at.hash !== v.head.hash) {
        log = { ...v, ok: false, brokenAt: v.count, reason: `the export's line for seq ${v.head.seq} is not the store's event ${v.head.seq} (log replaced, or the store lost events)`, path: p };
      }
    }
    return { ok: db.ok && log.ok, db, log };
  }

  /**
   * Append the events the export lacks, under the store's writer lock so two processes never
   * append the same events. Refuses to append when the export does not match the store (a
   * replaced log or a replaced store): that needs a person, not an automatic repair.
   */
  async exportAuditLog(): Promise<{ appended: number }> {
    const p = this.auditLogPath;
    if (!p) return { appended: 0 };
    return this.backend.writeTx(async (tx) => {
      const tail = readAuditTail(p);
      let from = 0;
      if (tail) {
        const at = await tx.get<{ hash: string }>("SELECT hash FROM events WHERE seq = ?", [tail.seq]);
        const anchor = await this.anchor(tx);
        const isAnchor = anchor && anchor.seq === tail.seq && anchor.hash === tail.hash;
        if (!isAnchor && (!at || at.hash !== tail.hash)) {
          throw new ZwhError("ZWH-STORE-AUDIT-DIVERGED", `the audit log ends at seq ${tail.seq}, which is not the store's event ${tail.seq}`, {
            subject: p,
            hint: "The log belongs to another store, or the store was replaced. Move the log aside (keep it as evidence); the next change starts a fresh export.",
          });
        }
        from = tail.seq;
      } else if (await this.anchor(tx)) {
        from = (await this.anchor(tx))!.seq;
      }
      const rows = await tx.all<EventRow>("SELECT * FROM events WHERE seq > ? ORDER BY seq", [from]);
      appendAuditLines(p, rows.map(auditLine));
      return { appended: rows.length };
    });
  }

  async close(): Promise<void> {
    await this.backend.close();
  }
}

/** One write transaction's view: the service's helpers bound to the transaction's executor. */
class Tx implements SqlExecutor {
  constructor(
    private readonly ex: SqlExecutor,
    private readonly svc: InventoryService,
    private readonly onEvent: () => void,
  ) {}

  all<T extends object>(sql: string, params?: readonly SqlValue[]): Promise<T[]> {
    return this.ex.all<T>(sql, params);
  }
  get<T extends object>(sql: string, params?: readonly SqlValue[]): Promise<T | undefined> {
    return this.ex.get<T>(sql, params);
  }
  run(sql: string, params?: readonly SqlValue[]): Promise<number> {
    return this.ex.run(sql, params);
  }
  script(sql: string): Promise<void> {
    return this.ex.script(sql);
  }

  async host(name: string): Promise<HostRow | undefined> {
    return this.ex.get<HostRow>(`${HOST_SELECT} WHERE h.name = ?`, [name]);
  }

  async hostId(name: string): Promise<number> {
    const row = await this.ex.get<{ id: number }>("SELECT id FROM hosts WHERE name = ?", [name]);
    if (!row) throw new ZwhError("ZWH-STORE-UNKNOWN-HOST", `host ${name} is not in the inventory`, { subject: name, hint: "Register the host first (upsertHost)." });
    return Number(row.id);
  }

  async fsGroupId(name: string, fsIdentifier: string | undefined): Promise<number> {
    const row = await this.ex.get<{ id: number; fs_identifier: string | null }>("SELECT id, fs_identifier FROM fs_groups WHERE name = ?", [name]);
    if (row) {
      if (fsIdentifier !== undefined && row.fs_identifier !== fsIdentifier) {
        await this.ex.run("UPDATE fs_groups SET fs_identifier = ? WHERE id = ?", [fsIdentifier, row.id]);
      }
      return Number(row.id);
    }
    const ins = await this.ex.get<{ id: number }>("INSERT INTO fs_groups (name, fs_identifier, created_at) VALUES (?, ?, ?) RETURNING id", [name, fsIdentifier ?? null, this.svc.stamp()]);
    return Number(ins!.id);
  }

  async release(host: string, root: string, releaseId: string): Promise<ReleaseRow | undefined> {
    return this.ex.get<ReleaseRow>(
      `SELECT r.*, h.name AS host FROM releases r JOIN hosts h ON h.id = r.host_id WHERE h.name = ? AND r.root = ? AND r.release_id = ?`,
      [host, root, releaseId],
    );
  }

  async requireRun(runId: string | undefined): Promise<void> {
    if (runId === undefined) return;
    if (!(await this.ex.get("SELECT 1 AS x FROM runs WHERE id = ?", [runId]))) {
      throw new ZwhError("ZWH-STORE-UNKNOWN-RUN", `run ${runId} is not in the inventory`, { subject: runId });
    }
  }

  /** The chain head, inside the writer lock: the last event, else the anchor, else genesis. */
  private async head(): Promise<{ seq: number; hash: string }> {
    const row = await this.ex.get<{ seq: number; hash: string }>("SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1");
    if (row) return { seq: Number(row.seq), hash: row.hash };
    const anchor = await this.svc.anchor(this.ex);
    if (anchor) return anchor;
    // A new or replaced store next to a surviving export continues the export's chain, so the
    // export stays one unbroken chain across the loss of a store. The anchor is recorded.
    const tail = this.svc.auditLogPath ? readAuditTail(this.svc.auditLogPath) : undefined;
    if (tail) {
      const a = { seq: tail.seq, hash: tail.hash };
      await this.ex.run("INSERT INTO meta (key, value) VALUES ('chain_anchor', ?)", [JSON.stringify(a)]);
      return a;
    }
    return { seq: 0, hash: GENESIS_HASH };
  }

  async event(e: EventInput): Promise<EventRecord> {
    if (!e.type || typeof e.type !== "string") throw invalid("event type is required");
    const head = await this.head();
    const body = { seq: head.seq + 1, ts: this.svc.stamp(), run_id: e.runId ?? null, host: e.host ?? null, type: e.type, payload: e.payload ?? null };
    // Round-trip through canonical JSON now so the stored payload is exactly what was hashed.
    const payloadJson = canonicalJson(body.payload);
    body.payload = JSON.parse(payloadJson);
    const hash = chainHash(head.hash, body);
    await this.ex.run("INSERT INTO events (seq, ts, run_id, host, type, payload, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", [
      body.seq, body.ts, body.run_id, body.host, body.type, payloadJson, head.hash, hash,
    ]);
    this.onEvent();
    return { seq: body.seq, ts: body.ts, runId: body.run_id, host: body.host, type: body.type, payload: body.payload, prevHash: head.hash, hash };
  }
}

interface FindingRow {
  id: number;
  host: string;
  kind: string;
  severity: string;
  scope: string;
  subject: string;
  desired: string;
  recorded: string;
  observed: string;
  detail: string;
  first_seen_run: string;
  first_seen_at: string;
  last_seen_run: string;
  last_seen_at: string;
  resolved_run: string | null;
  resolved_at: string | null;
}

const FINDING_SELECT = "SELECT f.*, h.name AS host FROM findings f JOIN hosts h ON h.id = f.host_id";

function findingRecord(r: FindingRow): FindingRecord {
  return {
    id: Number(r.id),
    host: r.host,
    kind: r.kind,
    severity: r.severity as FindingRecord["severity"],
    scope: r.scope,
    subject: r.subject,
    desired: JSON.parse(r.desired),
    recorded: JSON.parse(r.recorded),
    observed: JSON.parse(r.observed),
    detail: JSON.parse(r.detail),
    firstSeenRun: r.first_seen_run,
    firstSeenAt: r.first_seen_at,
    lastSeenRun: r.last_seen_run,
    lastSeenAt: r.last_seen_at,
    resolvedRun: r.resolved_run,
    resolvedAt: r.resolved_at,
  };
}

function hostRecord(r: HostRow): HostRecord {
  return {
    id: Number(r.id),
    name: r.name,
    address: r.address,
    port: Number(r.port),
    sshUser: r.ssh_user,
    nameSource: (r.name_source as HostRecord["nameSource"]) ?? null,
    nodename: r.nodename,
    sysname: r.sysname,
    zoweProfile: r.zowe_profile,
    fsGroup: r.fs_group,
    pythonPath: r.python_path,
    pythonVersion: r.python_version,
    platformTags: JSON.parse(r.platform_tags) as string[],
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

function releaseRecord(r: ReleaseRow): ReleaseRecord {
  return {
    rowId: Number(r.id),
    host: r.host,
    root: r.root,
    releaseId: r.release_id,
    path: r.path,
    bundleDigest: r.bundle_digest,
    state: r.state,
    stagedAt: r.staged_at,
    activatedAt: r.activated_at,
    deactivatedAt: r.deactivated_at,
    runId: r.run_id,
    activatedRunId: r.activated_run_id,
  };
}

function eventRecord(r: EventRow): EventRecord {
  return { seq: Number(r.seq), ts: r.ts, runId: r.run_id, host: r.host, type: r.type, payload: JSON.parse(r.payload), prevHash: r.prev_hash, hash: r.hash };
}

/** A broken entry may not even parse: keep its payload as text then. */
function eventRecordLoose(r: EventRow): EventRecord {
  let payload: unknown = r.payload;
  try {
    payload = JSON.parse(r.payload);
  } catch {
    /* as stored */
  }
  return { seq: Number(r.seq), ts: r.ts, runId: r.run_id, host: r.host, type: r.type, payload, prevHash: r.prev_hash, hash: r.hash };
}

function readFirstLine(p: string): AuditLine | undefined {
  const fd = fs.openSync(p, "r");
  try {
    const buf = Buffer.alloc(64 * 1024);
    const n = fs.readSync(fd, buf, 0, buf.length, 0);
    const line = buf.subarray(0, n).toString("utf8").split("\n")[0];
    return line ? (JSON.parse(line) as AuditLine) : undefined;
  } catch {
    return undefined;
  } finally {
    fs.closeSync(fd);
  }
}

function auditLine(r: EventRow): AuditLine {
  return { seq: Number(r.seq), ts: r.ts, run_id: r.run_id, host: r.host, type: r.type, payload: JSON.parse(r.payload), prev_hash: r.prev_hash, hash: r.hash };
}
