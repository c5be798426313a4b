/**
 * SQLite inventory store (better-sqlite3, synchronous).
 *
 * One DB file per operator workspace (default ~/.zwh/inventory.db), WAL so readers never
 * block the writer, busy_timeout so concurrent CLI runs wait instead of failing, and
 * foreign keys on. Every state change and its audit event commit in one IMMEDIATE
 * transaction; the NDJSON audit line is written inside that transaction, after all DB work,
 * while the write lock serialises writers, so the DB chain and the log stay in the same order
 * even with several processes.
 */
import Database from "better-sqlite3";
import { createHash, randomUUID } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { checkSequence } from "../bundle/signing/sequence-state";
import { ZwhError, refusal } from "../core/errors";
import { normalizeName } from "../core/names";
import { appendAuditLine, readAuditTail, verifyAuditLog } from "./audit-log";
import { AuditLine, GENESIS_HASH, canonicalJson, chainHash } from "./chain";
import { LATEST_SCHEMA_VERSION, MIGRATIONS } from "./migrations";
import { openDatabase } from "./native-binding";
import {
  ActivationResult,
  BundleInput,
  ChainVerifyResult,
  DeploymentQuery,
  DeploymentRow,
  EventInput,
  EventRecord,
  HostInput,
  HostRecord,
  HostStatus,
  InstalledPackage,
  InstalledPackageInput,
  InventoryStore,
  RELEASE_STATES,
  RUN_KINDS,
  RUN_STATUSES,
  ReleaseInput,
  ReleaseRecord,
  ReleaseState,
  RunHostResult,
  RunHostStatus,
  RunKind,
  RunMeta,
  RunRecord,
  RunResult,
} from "./types";

export interface SqliteStoreOptions {
  /** DB file; default $ZWH_INVENTORY or ~/.zwh/inventory.db. */
  path?: string;
  /** Audit log; default audit.ndjson next to inventory.db (<name>.audit.ndjson for other names). */
  auditLogPath?: string;
  /** Open even when the DB is on a network file system (SQLite locking is unreliable there). */
  allowNetworkFs?: boolean;
  /** Clock, for tests. */
  now?: () => Date;
}

export const DEFAULT_BUSY_TIMEOUT_MS = 5000;

export function defaultStorePath(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env.ZWH_INVENTORY;
  if (fromEnv && fromEnv.trim()) return expandHome(fromEnv.trim());
  return path.join(os.homedir(), ".zwh", "inventory.db");
}

export function defaultAuditLogPath(dbPath: string): string {
  const base = path.basename(dbPath);
  const name = base === "inventory.db" ? "audit.ndjson" : `${base.replace(/\.(db|sqlite3?)$/i, "")}.audit.ndjson`;
  return path.join(path.dirname(dbPath), name);
}

function expandHome(p: string): string {
  return p === "~" ? os.homedir() : p.startsWith("~/") ? path.join(os.homedir(), p.slice(2)) : p;
}

/**
 * Linux statfs f_type magic numbers of network/cluster file systems on which SQLite's POSIX
 * locks and WAL shared memory are unreliable (sqlite.org/whentouse.html).
 */
const NETWORK_FS_MAGIC: ReadonlyMap<number, string> = new Map([
  [0x6969, "nfs"],
  [0x517b, "smb"],
  [0xff534d42, "cifs"],
  [0xfe534d42, "smb2"],
  [0x65735546, "fuse"], // sshfs, rclone, … : locking depends on the daemon
  [0x01021997, "9p"],
  [0x5346414f, "afs"],
  [0x00c36400, "ceph"],
  [0x01161970, "gfs2"],
  [0x47504653, "gpfs"],
  [0x0bd00bd0, "lustre"],
]);

export function classifyFsType(magic: number): string | undefined {
  return NETWORK_FS_MAGIC.get(magic >>> 0);
}

/** The network file system a directory lives on, or undefined (local, or unknown platform). */
export function detectNetworkFs(dir: string): string | undefined {
  if (process.platform !== "linux" || typeof fs.statfsSync !== "function") return undefined;
  try {
    return classifyFsType(Number(fs.statfsSync(dir).type));
  } catch {
    return undefined;
  }
}

const HEX64 = /^[0-9a-f]{64}$/;

/** Bundle digests are stored as bare lowercase hex; accept the "sha256:<hex>" spelling too. */
function bareDigest(d: string): string {
  const l = d.trim().toLowerCase();
  return l.startsWith("sha256:") ? l.slice(7) : l;
}

interface HostRow {
  id: number;
  name: string;
  address: string;
  port: number;
  ssh_user: string | null;
  sysname: string | null;
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

export class SqliteStore implements InventoryStore {
  readonly path: string;
  readonly auditLogPath: string;
  private readonly db: Database.Database;
  private readonly now: () => Date;
  private txDepth = 0;
  private pendingAudit: AuditLine[] = [];

  constructor(opts: SqliteStoreOptions = {}) {
    this.path = path.resolve(expandHome(opts.path ?? defaultStorePath()));
    this.auditLogPath = path.resolve(opts.auditLogPath ?? defaultAuditLogPath(this.path));
    this.now = opts.now ?? (() => new Date());
    const dir = path.dirname(this.path);
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const allowNet = opts.allowNetworkFs ?? process.env.ZWH_INVENTORY_ALLOW_NETWORK_FS === "1";
    const netFs = detectNetworkFs(dir);
    if (netFs && !allowNet) {
      throw new ZwhError("ZWH-STORE-NETWORK-FS", `the inventory DB directory is on a network file system (${netFs})`, {
        subject: dir,
        hint: "SQLite locking and WAL are unreliable on network mounts. Put the DB on a local disk (ZWH_INVENTORY=/local/path.db), use a shared PostgreSQL store, or set ZWH_INVENTORY_ALLOW_NETWORK_FS=1 if only one machine ever uses it.",
      });
    }
    try {
      this.db = openDatabase(this.path, { timeout: DEFAULT_BUSY_TIMEOUT_MS });
    } catch (e) {
      throw new ZwhError("ZWH-STORE-OPEN", `cannot open inventory DB: ${(e as Error).message}`, { subject: this.path, cause: e });
    }
    try {
      this.db.pragma(`busy_timeout = ${DEFAULT_BUSY_TIMEOUT_MS}`);
      const mode = String(this.db.pragma("journal_mode = WAL", { simple: true })).toLowerCase();
      if (mode !== "wal") {
        throw new ZwhError("ZWH-STORE-WAL", `could not enable WAL journal mode (got ${mode})`, { subject: this.path });
      }
      this.db.pragma("foreign_keys = ON");
      // An audit store: durability of each committed deploy record matters more than speed.
      this.db.pragma("synchronous = FULL");
      this.migrate();
    } catch (e) {
      this.db.close();
      if (e instanceof ZwhError) throw e;
      throw new ZwhError("ZWH-STORE-OPEN", `cannot initialise inventory DB: ${(e as Error).message}`, { subject: this.path, cause: e });
    }
  }

  // ---------------------------------------------------------------- plumbing

  private migrate(): void {
    this.db
      .transaction(() => {
        this.db.exec("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)");
        const applied = new Set(
          (this.db.prepare("SELECT version FROM schema_migrations").all() as { version: number }[]).map((r) => r.version),
        );
        const newest = Math.max(0, ...applied);
        if (newest > LATEST_SCHEMA_VERSION) {
          throw new ZwhError("ZWH-STORE-SCHEMA-NEWER", `inventory DB schema v${newest} is newer than this zwh understands (v${LATEST_SCHEMA_VERSION})`, {
            subject: this.path,
            hint: "Upgrade zwh; never let an older zwh write to a newer inventory.",
          });
        }
        const ins = this.db.prepare("INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)");
        for (const m of MIGRATIONS) {
          if (applied.has(m.version)) continue;
          this.db.exec(m.sql);
          ins.run(m.version, this.ts());
        }
      })
      .immediate();
  }

  /** Schema versions applied, oldest first. */
  schemaVersions(): number[] {
    return (this.db.prepare("SELECT version FROM schema_migrations ORDER BY version").all() as { version: number }[]).map((r) => r.version);
  }

  /** Effective PRAGMA values, for diagnostics and tests. */
  pragmas(): { journalMode: string; foreignKeys: number; busyTimeout: number } {
    return {
      journalMode: String(this.db.pragma("journal_mode", { simple: true })),
      foreignKeys: Number(this.db.pragma("foreign_keys", { simple: true })),
      busyTimeout: Number(this.db.pragma("busy_timeout", { simple: true })),
    };
  }

  private ts(): string {
    return this.now().toISOString();
  }

  /**
   * Run fn in one IMMEDIATE transaction (re-entrant). Audit lines queued by events are
   * appended to the NDJSON log last, still holding the write lock; if that append fails,
   * the whole change rolls back, so nothing is recorded that was not audited.
   */
  private writeTx<T>(fn: () => T): T {
    if (this.txDepth > 0) return fn();
    this.txDepth++;
    this.pendingAudit = [];
    try {
      return this.db
        .transaction(() => {
          const out = fn();
          for (const line of this.pendingAudit) appendAuditLine(this.auditLogPath, line);
          return out;
        })
        .immediate();
    } finally {
      this.txDepth--;
      this.pendingAudit = [];
    }
  }

  private chainHead(): { seq: number; hash: string } {
    const row = this.db.prepare("SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1").get() as { seq: number; hash: string } | undefined;
    if (row) return row;
    const anchor = this.anchor();
    if (anchor) return anchor;
    // A new or replaced DB next to a surviving audit log continues the log's chain, so the
    // log stays one unbroken chain across DB loss. The anchor is recorded for verification.
    const tail = readAuditTail(this.auditLogPath);
    if (tail) {
      const a = { seq: tail.seq, hash: tail.hash };
      this.db.prepare("INSERT INTO meta (key, value) VALUES ('chain_anchor', ?)").run(JSON.stringify(a));
      return a;
    }
    return { seq: 0, hash: GENESIS_HASH };
  }

  private anchor(): { seq: number; hash: string } | undefined {
    const row = this.db.prepare("SELECT value FROM meta WHERE key = 'chain_anchor'").get() as { value: string } | undefined;
    return row ? (JSON.parse(row.value) as { seq: number; hash: string }) : undefined;
  }

  private event(e: EventInput): EventRecord {
    if (!e.type || typeof e.type !== "string") throw new ZwhError("ZWH-STORE-INVALID", "event type is required");
    const head = this.chainHead();
    const body = { seq: head.seq + 1, ts: this.ts(), run_id: e.runId ?? null, host: e.host ?? null, type: e.type, payload: e.payload ?? null };
    // Round-trip through canonical JSON now so the stored payload is exactly what was hashed.
    const payloadJson = canonicalJson(body.payload);
    body.payload = JSON.parse(payloadJson);
    const hash = chainHash(head.hash, body);
    this.db
      .prepare("INSERT INTO events (seq, ts, run_id, host, type, payload, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
      .run(body.seq, body.ts, body.run_id, body.host, body.type, payloadJson, head.hash, hash);
    this.pendingAudit.push({ ...body, prev_hash: head.hash, hash });
    return { seq: body.seq, ts: body.ts, runId: body.run_id, host: body.host, type: body.type, payload: body.payload, prevHash: head.hash, hash };
  }

  private hostId(name: string): number {
    const row = this.db.prepare("SELECT id FROM hosts WHERE name = ?").get(name) as { id: number } | undefined;
    if (!row) {
      throw new ZwhError("ZWH-STORE-UNKNOWN-HOST", `host ${name} is not in the inventory`, { subject: name, hint: "Register the host first (upsertHost)." });
    }
    return row.id;
  }

  private releaseRow(host: string, root: string, releaseId: string): ReleaseRow | undefined {
    return this.db
      .prepare(
        `SELECT r.*, h.name AS host FROM releases r JOIN hosts h ON h.id = r.host_id
         WHERE h.name = ? AND r.root = ? AND r.release_id = ?`,
      )
      .get(host, root, releaseId) as ReleaseRow | undefined;
  }

  private requireRun(runId: string | undefined): void {
    if (runId === undefined) return;
    if (!this.db.prepare("SELECT 1 FROM runs WHERE id = ?").get(runId)) {
      throw new ZwhError("ZWH-STORE-UNKNOWN-RUN", `run ${runId} is not in the inventory`, { subject: runId });
    }
  }

  // ---------------------------------------------------------------- hosts

  upsertHost(h: HostInput): number {
    if (!h.name || !h.address) throw new ZwhError("ZWH-STORE-INVALID", "host name and address are required");
    const port = h.port ?? 22;
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new ZwhError("ZWH-STORE-INVALID", `invalid port ${port}`, { subject: h.name });
    return this.writeTx(() => {
      const before = this.db.prepare("SELECT * FROM hosts WHERE name = ?").get(h.name) as HostRow | undefined;
      const now = this.ts();
      this.db
        .prepare(
          `INSERT INTO hosts (name, address, port, ssh_user, sysname, python_path, python_version, platform_tags, created_at, updated_at)
           VALUES (@name, @address, @port, @ssh_user, @sysname, @python_path, @python_version, @platform_tags, @now, @now)
           ON CONFLICT (name) DO UPDATE SET
             address = excluded.address, port = excluded.port,
             ssh_user = COALESCE(excluded.ssh_user, hosts.ssh_user),
             sysname = COALESCE(excluded.sysname, hosts.sysname),
             python_path = COALESCE(excluded.python_path, hosts.python_path),
             python_version = COALESCE(excluded.python_version, hosts.python_version),
             platform_tags = CASE WHEN @tags_given THEN excluded.platform_tags ELSE hosts.platform_tags END,
             updated_at = excluded.updated_at`,
        )
        .run({
          name: h.name,
          address: h.address,
          port,
          ssh_user: h.sshUser ?? null,
          sysname: h.sysname ?? null,
          python_path: h.pythonPath ?? null,
          python_version: h.pythonVersion ?? null,
          platform_tags: JSON.stringify(h.platformTags ?? []),
          tags_given: h.platformTags ? 1 : 0,
          now,
        });
      const after = this.db.prepare("SELECT * FROM hosts WHERE name = ?").get(h.name) as HostRow;
      const fields = ["address", "port", "ssh_user", "sysname", "python_path", "python_version", "platform_tags"] as const;
      const changed = before ? fields.filter((f) => before[f] !== after[f]) : [...fields];
      if (changed.length > 0) {
        const facts: Record<string, unknown> = {};
        for (const f of changed) facts[f] = f === "platform_tags" ? JSON.parse(after[f]) : after[f];
        this.event({ type: before ? "host.updated" : "host.registered", host: h.name, payload: facts });
      }
      return after.id;
    });
  }

  getHost(name: string): HostRecord | undefined {
    const r = this.db.prepare("SELECT * FROM hosts WHERE name = ?").get(name) as HostRow | undefined;
    return r ? hostRecord(r) : undefined;
  }

  // ---------------------------------------------------------------- runs

  startRun(kind: RunKind, meta: RunMeta = {}): string {
    if (!RUN_KINDS.includes(kind)) throw new ZwhError("ZWH-STORE-INVALID", `unknown run kind ${kind}`);
    const id = meta.id ?? randomUUID();
    const actorLocal = meta.actorLocal ?? safeUser();
    const controllerHost = meta.controllerHost ?? os.hostname();
    return this.writeTx(() => {
      if (this.db.prepare("SELECT 1 FROM runs WHERE id = ?").get(id)) {
        throw new ZwhError("ZWH-STORE-CONFLICT", `run ${id} already exists`, { subject: id });
      }
      const startedAt = this.ts();
      this.db
        .prepare(
          `INSERT INTO runs (id, kind, started_at, actor_local, actor_zos, controller_host, cli_version, argv)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(id, kind, startedAt, actorLocal ?? null, meta.actorZos ?? null, controllerHost, meta.cliVersion ?? null, JSON.stringify(meta.argv ?? []));
      this.event({
        type: "run.started",
        runId: id,
        payload: { kind, actor_local: actorLocal ?? null, actor_zos: meta.actorZos ?? null, controller_host: controllerHost, cli_version: meta.cliVersion ?? null, argv: meta.argv ?? [] },
      });
      return id;
    });
  }

  finishRun(runId: string, result: RunResult): void {
    if (!RUN_STATUSES.includes(result.status)) throw new ZwhError("ZWH-STORE-INVALID", `unknown run status ${result.status}`);
    if (!Number.isInteger(result.exitCode)) throw new ZwhError("ZWH-STORE-INVALID", "exitCode must be an integer");
    if ((result.status === "failed" || result.status === "refused") && !result.errorCode) {
      throw new ZwhError("ZWH-STORE-INVALID", `a ${result.status} run needs an errorCode`, { subject: runId, hint: "Record the ZwhError code (and failedStep) so the failure can be audited." });
    }
    this.writeTx(() => {
      const row = this.db.prepare("SELECT finished_at FROM runs WHERE id = ?").get(runId) as { finished_at: string | null } | undefined;
      if (!row) throw new ZwhError("ZWH-STORE-UNKNOWN-RUN", `run ${runId} is not in the inventory`, { subject: runId });
      if (row.finished_at) throw new ZwhError("ZWH-STORE-RUN-FINISHED", `run ${runId} already finished at ${row.finished_at}`, { subject: runId });
      this.db
        .prepare("UPDATE runs SET finished_at = ?, status = ?, exit_code = ?, error_code = ?, error_text = ?, failed_step = ? WHERE id = ?")
        .run(this.ts(), result.status, result.exitCode, result.errorCode ?? null, result.errorText ?? null, result.failedStep ?? null, runId);
      this.event({
        type: "run.finished",
        runId,
        payload: { status: result.status, exit_code: result.exitCode, error_code: result.errorCode ?? null, error_text: result.errorText ?? null, failed_step: result.failedStep ?? null },
      });
    });
  }

  getRun(runId: string): RunRecord | undefined {
    const r = this.db.prepare("SELECT * FROM runs WHERE id = ?").get(runId) as Record<string, unknown> | undefined;
    if (!r) return undefined;
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
      status: (r.status as RunRecord["status"]) ?? null,
      exitCode: (r.exit_code as number | null) ?? null,
      errorCode: (r.error_code as string | null) ?? null,
      errorText: (r.error_text as string | null) ?? null,
      failedStep: (r.failed_step as string | null) ?? null,
    };
  }

  recordRunHost(runId: string, host: string, result: RunHostResult): void {
    if ((result.status === "failed" || result.status === "refused") && !result.errorCode) {
      throw new ZwhError("ZWH-STORE-INVALID", `a ${result.status} host result needs an errorCode`, { subject: host });
    }
    this.writeTx(() => {
      this.requireRun(runId);
      const hostId = this.hostId(host);
      this.db
        .prepare(
          `INSERT INTO run_hosts (run_id, host_id, status, release_id, error_code, error_text, failed_step, recorded_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (run_id, host_id) DO UPDATE SET status = excluded.status, release_id = excluded.release_id,
             error_code = excluded.error_code, error_text = excluded.error_text, failed_step = excluded.failed_step,
             recorded_at = excluded.recorded_at`,
        )
        .run(runId, hostId, result.status, result.releaseId ?? null, result.errorCode ?? null, result.errorText ?? null, result.failedStep ?? null, this.ts());
      this.event({
        type: "run.host",
        runId,
        host,
        payload: { status: result.status, release_id: result.releaseId ?? null, error_code: result.errorCode ?? null, error_text: result.errorText ?? null, failed_step: result.failedStep ?? null },
      });
    });
  }

  // ---------------------------------------------------------------- bundles + rollback protection

  recordBundle(b: BundleInput): number {
    const digest = bareDigest(b.digestSha256);
    if (!HEX64.test(digest)) throw new ZwhError("ZWH-STORE-INVALID", "bundle digest must be 64 hex digits", { subject: b.bundleId });
    if (!Number.isSafeInteger(b.sequence) || b.sequence < 0) throw new ZwhError("ZWH-STORE-INVALID", "bundle sequence must be a non-negative integer", { subject: b.bundleId });
    if (b.manifestBytes) {
      const got = createHash("sha256").update(b.manifestBytes).digest("hex");
      if (got !== digest) {
        throw refusal("ZWH-STORE-DIGEST-MISMATCH", `manifest bytes hash to ${got}, not the recorded digest ${digest}`, { subject: b.bundleId });
      }
    }
    for (const w of b.wheels) {
      if (!HEX64.test(w.sha256.toLowerCase())) throw new ZwhError("ZWH-STORE-INVALID", "wheel sha256 must be 64 hex digits", { subject: w.filename });
    }
    return this.writeTx(() => {
      const existing = this.db.prepare("SELECT id, bundle_id, channel, sequence FROM bundles WHERE digest_sha256 = ?").get(digest) as
        | { id: number; bundle_id: string; channel: string; sequence: number }
        | undefined;
      if (existing) {
        if (existing.bundle_id !== b.bundleId || existing.channel !== b.channel || existing.sequence !== b.sequence) {
          throw new ZwhError("ZWH-STORE-CONFLICT", `digest ${digest} is already recorded as ${existing.bundle_id} (${existing.channel} #${existing.sequence})`, { subject: b.bundleId });
        }
        return existing.id;
      }
      const verifiedAt = b.verifiedAt ?? this.ts();
      const info = this.db
        .prepare(
          `INSERT INTO bundles (bundle_id, channel, sequence, digest_sha256, manifest, signer_identities, verified_at, recorded_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(b.bundleId, b.channel, b.sequence, digest, JSON.stringify(b.manifest ?? null), JSON.stringify(b.signerIdentities ?? []), verifiedAt, this.ts());
      const rowId = Number(info.lastInsertRowid);
      const ins = this.db.prepare("INSERT INTO bundle_wheels (bundle_row, filename, name, version, sha256, size) VALUES (?, ?, ?, ?, ?, ?)");
      for (const w of b.wheels) ins.run(rowId, w.filename, w.name, w.version, w.sha256.toLowerCase(), w.size);
      this.event({
        type: "bundle.recorded",
        payload: { bundle_id: b.bundleId, channel: b.channel, sequence: b.sequence, digest, signer_identities: b.signerIdentities ?? [], verified_at: verifiedAt, wheels: b.wheels.length },
      });
      return rowId;
    });
  }

  get(channel: string): { sequence: number; digest: string } | undefined {
    const r = this.db.prepare("SELECT sequence, digest FROM channel_state WHERE channel = ?").get(channel) as { sequence: number; digest: string } | undefined;
    return r ? { sequence: r.sequence, digest: r.digest } : undefined;
  }

  /**
   * SequenceStore.accept. The rules (and error codes) are the signing layer's checkSequence,
   * evaluated inside the IMMEDIATE transaction so a concurrent accept by another process
   * cannot slip in between the check and the write.
   */
  accept(channel: string, sequence: number, digest: string): void {
    this.writeTx(() => {
      const prev = this.get(channel);
      if (checkSequence(this, channel, sequence, digest) === "same") return; // identical re-deploy
      this.db
        .prepare(
          `INSERT INTO channel_state (channel, sequence, digest, accepted_at) VALUES (?, ?, ?, ?)
           ON CONFLICT (channel) DO UPDATE SET sequence = excluded.sequence, digest = excluded.digest, accepted_at = excluded.accepted_at`,
        )
        .run(channel, sequence, digest, this.ts());
      this.event({ type: "channel.accepted", payload: { channel, sequence, digest, previous: prev ?? null } });
    });
  }

  // ---------------------------------------------------------------- releases

  recordRelease(r: ReleaseInput): number {
    const state = r.state ?? "staged";
    if (state !== "staged" && state !== "failed") {
      throw new ZwhError("ZWH-STORE-INVALID", `recordRelease only records staged or failed releases (got ${state})`, { hint: "Use setActiveRelease to activate." });
    }
    if (!r.root || !r.releaseId || !r.path) throw new ZwhError("ZWH-STORE-INVALID", "root, releaseId and path are required");
    return this.writeTx(() => {
      const hostId = this.hostId(r.host);
      this.requireRun(r.runId);
      const digest = r.bundleDigest === undefined ? undefined : bareDigest(r.bundleDigest);
      if (digest && !this.db.prepare("SELECT 1 FROM bundles WHERE digest_sha256 = ?").get(digest)) {
        throw new ZwhError("ZWH-STORE-UNKNOWN-BUNDLE", `bundle ${digest} is not in the inventory`, { subject: digest, hint: "recordBundle first." });
      }
      const existing = this.releaseRow(r.host, r.root, r.releaseId);
      const now = this.ts();
      let rowId: number;
      if (existing) {
        if (existing.state !== "staged" && existing.state !== "failed") {
          throw new ZwhError("ZWH-STORE-CONFLICT", `release ${r.releaseId} on ${r.host} is ${existing.state}; release ids are never reused`, { subject: r.releaseId });
        }
        this.db
          .prepare("UPDATE releases SET path = ?, bundle_digest = ?, state = ?, staged_at = ?, run_id = ? WHERE id = ?")
          .run(r.path, digest ?? null, state, now, r.runId ?? null, existing.id);
        rowId = existing.id;
      } else {
        const info = this.db
          .prepare(
            `INSERT INTO releases (host_id, root, release_id, path, bundle_digest, state, staged_at, run_id)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
          )
          .run(hostId, r.root, r.releaseId, r.path, digest ?? null, state, now, r.runId ?? null);
        rowId = Number(info.lastInsertRowid);
      }
      this.event({
        type: state === "failed" ? "release.failed" : "release.staged",
        runId: r.runId,
        host: r.host,
        payload: { root: r.root, release_id: r.releaseId, path: r.path, bundle_digest: digest ?? null },
      });
      return rowId;
    });
  }

  setReleaseState(host: string, root: string, releaseId: string, state: "failed" | "pruned", runId?: string): void {
    if (state !== "failed" && state !== "pruned") throw new ZwhError("ZWH-STORE-INVALID", `setReleaseState only sets failed or pruned (got ${state})`);
    this.writeTx(() => {
      this.requireRun(runId);
      const row = this.releaseRow(host, root, releaseId);
      if (!row) throw new ZwhError("ZWH-STORE-UNKNOWN-RELEASE", `release ${releaseId} on ${host}:${root} is not in the inventory`, { subject: releaseId });
      if (row.state === "active" || row.state === "previous") {
        throw refusal("ZWH-STORE-RELEASE-STATE", `release ${releaseId} is ${row.state} and cannot become ${state}`, {
          subject: releaseId,
          hint: "Activate another release first; prune never removes the active or previous release.",
        });
      }
      this.db.prepare("UPDATE releases SET state = ?, deactivated_at = COALESCE(deactivated_at, ?) WHERE id = ?").run(state, this.ts(), row.id);
      this.event({ type: `release.${state}`, runId, host, payload: { root, release_id: releaseId, from: row.state } });
    });
  }

  setActiveRelease(host: string, root: string, releaseId: string, runId?: string): ActivationResult {
    return this.writeTx(() => {
      this.requireRun(runId);
      const target = this.releaseRow(host, root, releaseId);
      if (!target) throw new ZwhError("ZWH-STORE-UNKNOWN-RELEASE", `release ${releaseId} on ${host}:${root} is not in the inventory`, { subject: releaseId });
      if (target.state === "pruned" || target.state === "failed") {
        throw refusal("ZWH-STORE-RELEASE-STATE", `release ${releaseId} is ${target.state} and cannot be activated`, { subject: releaseId });
      }
      const hostId = this.hostId(host);
      const byState = (s: ReleaseState) =>
        this.db.prepare("SELECT id, release_id FROM releases WHERE host_id = ? AND root = ? AND state = ?").get(hostId, root, s) as
          | { id: number; release_id: string }
          | undefined;
      const cur = byState("active");
      const prev = byState("previous");
      if (cur && cur.id === target.id) return { previousReleaseId: prev?.release_id };
      const now = this.ts();
      const setState = this.db.prepare("UPDATE releases SET state = ? WHERE id = ?");
      // Order matters for the one-active/one-previous unique indexes: free 'previous' first.
      // The old previous stays on disk until pruned, hence 'staged' (kept), not 'pruned'.
      if (prev) setState.run("staged", prev.id);
      if (cur) this.db.prepare("UPDATE releases SET state = 'previous', deactivated_at = ? WHERE id = ?").run(now, cur.id);
      this.db
        .prepare("UPDATE releases SET state = 'active', activated_at = ?, deactivated_at = NULL, activated_run_id = ? WHERE id = ?")
        .run(now, runId ?? null, target.id);
      // Tie the activation to who, which run, which bundle and signer (fleet-and-drift §9).
      const bundle = target.bundle_digest
        ? (this.db.prepare("SELECT bundle_id, sequence, signer_identities FROM bundles WHERE digest_sha256 = ?").get(target.bundle_digest) as
            | { bundle_id: string; sequence: number; signer_identities: string }
            | undefined)
        : undefined;
      const run = runId ? this.getRun(runId) : undefined;
      this.event({
        type: "release.activated",
        runId,
        host,
        payload: {
          root,
          release_id: releaseId,
          previous_release_id: cur?.release_id ?? null,
          rollback: prev !== undefined && prev.id === target.id,
          bundle_digest: target.bundle_digest,
          bundle_id: bundle?.bundle_id ?? null,
          bundle_sequence: bundle?.sequence ?? null,
          signer_identities: bundle ? JSON.parse(bundle.signer_identities) : [],
          actor_local: run?.actorLocal ?? null,
          actor_zos: run?.actorZos ?? null,
        },
      });
      return { previousReleaseId: cur?.release_id };
    });
  }

  recordInstalled(releaseRowId: number, pkgs: InstalledPackageInput[]): void {
    const seen = new Set<string>();
    const rows = pkgs.map((p) => {
      if (!p.name || !p.version) throw new ZwhError("ZWH-STORE-INVALID", "installed packages need name and version");
      const n = normalizeName(p.name);
      if (seen.has(n)) throw new ZwhError("ZWH-STORE-INVALID", `package ${n} listed twice`, { subject: n });
      seen.add(n);
      const sha = p.wheelSha256?.toLowerCase();
      if (sha !== undefined && !HEX64.test(sha)) throw new ZwhError("ZWH-STORE-INVALID", "wheel sha256 must be 64 hex digits", { subject: p.name });
      return { name: n, display: p.name, version: p.version, sha: sha ?? null, installer: p.installer ?? null };
    });
    rows.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    this.writeTx(() => {
      const rel = this.db
        .prepare("SELECT r.root, r.release_id, r.run_id, h.name AS host FROM releases r JOIN hosts h ON h.id = r.host_id WHERE r.id = ?")
        .get(releaseRowId) as { root: string; release_id: string; run_id: string | null; host: string } | undefined;
      if (!rel) throw new ZwhError("ZWH-STORE-UNKNOWN-RELEASE", `release row ${releaseRowId} does not exist`);
      this.db.prepare("DELETE FROM installed_packages WHERE release_row = ?").run(releaseRowId);
      const ins = this.db.prepare("INSERT INTO installed_packages (release_row, name, display_name, version, wheel_sha256, installer) VALUES (?, ?, ?, ?, ?, ?)");
      for (const r of rows) ins.run(releaseRowId, r.name, r.display, r.version, r.sha, r.installer);
      // The event carries a digest of the package set, not the list: the table has the list,
      // and the digest proves later that it was not edited.
      const setDigest = createHash("sha256")
        .update(canonicalJson(rows.map((r) => ({ name: r.name, version: r.version, wheel_sha256: r.sha }))))
        .digest("hex");
      this.event({
        type: "release.installed",
        runId: rel.run_id ?? undefined,
        host: rel.host,
        payload: { root: rel.root, release_id: rel.release_id, packages: rows.length, packages_sha256: setDigest },
      });
    });
  }

  // ---------------------------------------------------------------- queries

  listDeployments(q: DeploymentQuery = {}): DeploymentRow[] {
    const states = q.states ?? ["active", "previous", "staged"];
    for (const s of states) if (!RELEASE_STATES.includes(s)) throw new ZwhError("ZWH-STORE-INVALID", `unknown release state ${s}`);
    const where: string[] = [`r.state IN (${states.map(() => "?").join(",")})`];
    const params: unknown[] = [...states];
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
    const rows = this.db
      .prepare(
        `SELECT h.name AS host, h.address, r.root, r.release_id, r.state, p.name AS package, p.display_name, p.version,
                p.wheel_sha256, r.bundle_digest, r.activated_at
         FROM installed_packages p
         JOIN releases r ON r.id = p.release_row
         JOIN hosts h ON h.id = r.host_id
         WHERE ${where.join(" AND ")}
         ORDER BY p.name, p.version, h.name, r.root, r.release_id`,
      )
      .all(...params) as Record<string, unknown>[];
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

  hostStatus(host: string, root: string): HostStatus {
    const h = this.getHost(host);
    if (!h) throw new ZwhError("ZWH-STORE-UNKNOWN-HOST", `host ${host} is not in the inventory`, { subject: host });
    const releases = (
      this.db
        .prepare(
          `SELECT r.*, h.name AS host FROM releases r JOIN hosts h ON h.id = r.host_id
           WHERE h.id = ? AND r.root = ? ORDER BY r.staged_at DESC, r.id DESC`,
        )
        .all(h.id, root) as ReleaseRow[]
    ).map(releaseRecord);
    const active = releases.find((r) => r.state === "active");
    const previous = releases.find((r) => r.state === "previous");
    const last = this.db
      .prepare(
        `SELECT rh.run_id, ru.kind, rh.status, ru.started_at, ru.finished_at, rh.error_code, rh.error_text, rh.failed_step
         FROM run_hosts rh JOIN runs ru ON ru.id = rh.run_id
         WHERE rh.host_id = ? ORDER BY rh.recorded_at DESC, ru.started_at DESC LIMIT 1`,
      )
      .get(h.id) as Record<string, unknown> | undefined;
    return {
      host: h,
      root,
      active: active ? { ...active, packages: this.packages(active.rowId) } : undefined,
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

  private packages(releaseRow: number): InstalledPackage[] {
    return (
      this.db
        .prepare("SELECT name, display_name, version, wheel_sha256, installer FROM installed_packages WHERE release_row = ? ORDER BY name")
        .all(releaseRow) as Record<string, string | null>[]
    ).map((p) => ({ name: p.name!, displayName: p.display_name!, version: p.version!, wheelSha256: p.wheel_sha256 ?? null, installer: p.installer ?? null }));
  }

  // ---------------------------------------------------------------- events / audit

  appendEvent(e: EventInput): EventRecord {
    return this.writeTx(() => {
      if (e.runId !== undefined) this.requireRun(e.runId);
      return this.event(e);
    });
  }

  listEvents(fromSeq = 1): EventRecord[] {
    return (this.db.prepare("SELECT * FROM events WHERE seq >= ? ORDER BY seq").all(fromSeq) as EventRow[]).map(eventRecord);
  }

  /** Re-walk the DB chain: seq contiguity, prev links, and every hash recomputed. */
  verifyEventChain(): ChainVerifyResult {
    const anchor = this.anchor();
    let prevHash = anchor?.hash ?? GENESIS_HASH;
    let prevSeq = anchor?.seq ?? 0;
    let count = 0;
    for (const row of this.db.prepare("SELECT * FROM events ORDER BY seq").iterate() as IterableIterator<EventRow>) {
      if (row.seq !== prevSeq + 1) return { ok: false, count, brokenAt: row.seq, reason: `sequence gap after ${prevSeq} (event deleted?)` };
      if (row.prev_hash !== prevHash) return { ok: false, count, brokenAt: row.seq, reason: "prev_hash does not link to the previous event" };
      let payload: unknown;
      try {
        payload = JSON.parse(row.payload);
      } catch {
        return { ok: false, count, brokenAt: row.seq, reason: "payload is not JSON" };
      }
      const want = chainHash(row.prev_hash, { seq: row.seq, ts: row.ts, run_id: row.run_id, host: row.host, type: row.type, payload });
      if (want !== row.hash) return { ok: false, count, brokenAt: row.seq, reason: "hash mismatch (event edited)" };
      prevHash = row.hash;
      prevSeq = row.seq;
      count++;
    }
    return { ok: true, count, head: count > 0 || anchor ? { seq: prevSeq, hash: prevHash } : undefined };
  }

  /**
   * Check both copies: the DB chain, and the NDJSON log against the DB head (so lines cut
   * from the end of the log are caught too).
   */
  verifyAudit(): { ok: boolean; db: ChainVerifyResult; log: ChainVerifyResult } {
    const db = this.verifyEventChain();
    const log = fs.existsSync(this.auditLogPath)
      ? verifyAuditLog(this.auditLogPath, db.ok && db.head ? { expectedHead: db.head } : {})
      : db.count === 0
        ? { ok: true, count: 0 }
        : { ok: false, count: 0, brokenAt: 1, reason: "audit log file is missing" };
    return { ok: db.ok && log.ok, db, log };
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

function safeUser(): string | undefined {
  try {
    return os.userInfo().username;
  } catch {
    return process.env.USER ?? undefined;
  }
}

function hostRecord(r: HostRow): HostRecord {
  return {
    id: r.id,
    name: r.name,
    address: r.address,
    port: r.port,
    sshUser: r.ssh_user,
    sysname: r.sysname,
    pythonPath: r.python_path,
    pythonVersion: r.python_version,
    platformTags: JSON.parse(r.platform_tags) as string[],
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

function releaseRecord(r: ReleaseRow): ReleaseRecord {
  return {
    rowId: r.id,
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
  return { seq: r.seq, ts: r.ts, runId: r.run_id, host: r.host, type: r.type, payload: JSON.parse(r.payload), prevHash: r.prev_hash, hash: r.hash };
}
