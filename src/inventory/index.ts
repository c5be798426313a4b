/**
 * Inventory: where every bundle, release and package is deployed, who did it, and a
 * tamper-evident event chain (with an NDJSON export). One service (service.ts) holds the rules;
 * SQLite (default, a local file) and PostgreSQL (a shared store) only execute statements.
 */
import * as os from "node:os";
import * as path from "node:path";
import { ZwhError } from "../core/errors";
import { redactUrl } from "./backend";
import { PostgresBackend, isPostgresUrl } from "./postgres-backend";
import { SqliteBackend, expandHome } from "./sqlite-backend";
import { InventoryService } from "./service";

export * from "./types";
export { canonicalJson, chainHash, GENESIS_HASH } from "./chain";
export type { AuditLine, ChainBody } from "./chain";
export { appendAuditLine, readAuditTail, verifyAuditLog } from "./audit-log";
export type { VerifyAuditOptions } from "./audit-log";
export { MIGRATIONS, LATEST_SCHEMA_VERSION } from "./migrations";
export { InventoryService, HOST_NAME_RE } from "./service";
export { SqliteBackend, DEFAULT_BUSY_TIMEOUT_MS, classifyFsType, detectNetworkFs } from "./sqlite-backend";
export { PostgresBackend, isPostgresUrl } from "./postgres-backend";
export { redactUrl } from "./backend";
export type { Backend, SqlExecutor } from "./backend";
/** PEP 503 project-name normalisation: the same function core uses everywhere. */
export { normalizeName } from "../core/names";

export interface OpenStoreOptions {
  /** A SQLite file path or a postgres:// URL. Default: $ZWH_INVENTORY, else ~/.zwh/inventory.db. */
  location?: string;
  /**
   * The NDJSON export of the event chain. Default: next to a SQLite DB (audit.ndjson), or
   * $ZWH_AUDIT_LOG; none for PostgreSQL unless given. null: no export.
   */
  auditLogPath?: string | null;
  /** SQLite: open even on a network file system. */
  allowNetworkFs?: boolean;
  now?: () => Date;
  warn?: (message: string) => void;
  env?: NodeJS.ProcessEnv;
}

export function defaultStorePath(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env.ZWH_INVENTORY;
  if (fromEnv && fromEnv.trim()) return isPostgresUrl(fromEnv) ? fromEnv.trim() : expandHome(fromEnv.trim());
  return path.join(os.homedir(), ".zwh", "inventory.db");
}

export function defaultAuditLogPath(dbPath: string): string {
  const base = path.basename(dbPath);
  const name = base === "inventory.db" ? "audit.ndjson" : `${base.replace(/\.(db|sqlite3?)$/i, "")}.audit.ndjson`;
  return path.join(path.dirname(dbPath), name);
}

/**
 * Open (creating and migrating as needed) the inventory store. Idempotent: opening an
 * up-to-date store changes nothing.
 */
export async function openStore(arg?: string | OpenStoreOptions): Promise<InventoryService> {
  const o: OpenStoreOptions = typeof arg === "string" ? { location: arg } : (arg ?? {});
  const env = o.env ?? process.env;
  const location = (o.location ?? defaultStorePath(env)).trim();
  if (!location) throw new ZwhError("ZWH-ARGS-INVALID", "the inventory location is empty", { subject: "inventory", hint: "Give a SQLite file path or a postgres:// URL." });
  const fromEnv = env.ZWH_AUDIT_LOG && env.ZWH_AUDIT_LOG.trim() ? path.resolve(expandHome(env.ZWH_AUDIT_LOG.trim())) : undefined;
  if (isPostgresUrl(location)) {
    const backend = await PostgresBackend.connect(location);
    const audit = o.auditLogPath === null ? undefined : (o.auditLogPath ?? fromEnv);
    return InventoryService.open(backend, { auditLogPath: audit ? path.resolve(audit) : undefined, now: o.now, warn: o.warn });
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(location)) {
    throw new ZwhError("ZWH-ARGS-INVALID", `unsupported inventory location ${redactUrl(location)}`, {
      subject: "inventory",
      hint: "Use a SQLite file path (e.g. ~/.zwh/inventory.db) or a PostgreSQL URL postgres://USER@HOST:PORT/DB.",
    });
  }
  const backend = new SqliteBackend({ path: location, allowNetworkFs: o.allowNetworkFs });
  const audit = o.auditLogPath === null ? undefined : (o.auditLogPath ?? fromEnv ?? defaultAuditLogPath(backend.location));
  return InventoryService.open(backend, { auditLogPath: audit ? path.resolve(audit) : undefined, now: o.now, warn: o.warn });
}
