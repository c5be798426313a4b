/**
 * Inventory: where every bundle, release and package is deployed, who did it, and a
 * tamper-evident audit trail (DB hash chain + NDJSON log next to the DB).
 */
import { SqliteStore, SqliteStoreOptions } from "./sqlite-store";

export * from "./types";
export { canonicalJson, chainHash, GENESIS_HASH } from "./chain";
export type { AuditLine, ChainBody } from "./chain";
export { appendAuditLine, readAuditTail, verifyAuditLog } from "./audit-log";
export type { VerifyAuditOptions } from "./audit-log";
export { MIGRATIONS, LATEST_SCHEMA_VERSION } from "./migrations";
export {
  SqliteStore,
  DEFAULT_BUSY_TIMEOUT_MS,
  classifyFsType,
  defaultAuditLogPath,
  defaultStorePath,
  detectNetworkFs,
} from "./sqlite-store";
/** PEP 503 project-name normalisation: the same function core uses everywhere. */
export { normalizeName } from "../core/names";
export type { SqliteStoreOptions } from "./sqlite-store";

/**
 * Open (creating and migrating as needed) the inventory store. Idempotent: opening an
 * up-to-date DB changes nothing. Path: argument, else $ZWH_INVENTORY, else ~/.zwh/inventory.db.
 */
export function openStore(pathOrOptions?: string | SqliteStoreOptions): SqliteStore {
  const opts = typeof pathOrOptions === "string" ? { path: pathOrOptions } : (pathOrOptions ?? {});
  return new SqliteStore(opts);
}
