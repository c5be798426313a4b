/**
 * SQLite backend (better-sqlite3): one DB file per operator workspace, default
 * ~/.zwh/inventory.db. WAL so readers never block the writer, busy_timeout so concurrent CLI
 * runs wait instead of failing, foreign keys on, synchronous=FULL (an audit store).
 */
import type Database from "better-sqlite3";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ZwhError } from "../core/errors";
import type { Backend, Row, SqlExecutor, SqlValue } from "./backend";
import { openDatabase } from "./native-binding";

export const DEFAULT_BUSY_TIMEOUT_MS = 5000;

export interface SqliteBackendOptions {
  path: string;
  /** Open even when the DB is on a network file system (SQLite locking is unreliable there). */
  allowNetworkFs?: boolean;
}

export function expandHome(p: string): string {
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

class SqliteExecutor implements SqlExecutor {
  constructor(protected readonly db: Database.Database) {}

  async all<T extends object = Row>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
    return this.db.prepare(sql).all(...params) as T[];
  }

  async get<T extends object = Row>(sql: string, params: readonly SqlValue[] = []): Promise<T | undefined> {
    return this.db.prepare(sql).get(...params) as T | undefined;
  }

  async run(sql: string, params: readonly SqlValue[] = []): Promise<number> {
    const st = this.db.prepare(sql);
    // RETURNING statements are readers in better-sqlite3's eyes.
    if (st.reader) return st.all(...params).length;
    return st.run(...params).changes;
  }

  async script(sql: string): Promise<void> {
    this.db.exec(sql);
  }
}

/**
 * Write transactions on one DB file, one after the other, for every connection of this process.
 * A transaction's statements are synchronous but the service awaits between them; a second
 * connection of the same process starting BEGIN IMMEDIATE meanwhile would wait in SQLite's busy
 * handler, which sleeps the one thread that could finish the first transaction (a deadlock until
 * busy_timeout). Other processes simply wait for the file lock.
 */
const fileQueues = new Map<string, Promise<unknown>>();

export class SqliteBackend extends SqliteExecutor implements Backend {
  readonly dialect = "sqlite" as const;
  readonly location: string;
  private closed = false;

  constructor(opts: SqliteBackendOptions) {
    const file = path.resolve(expandHome(opts.path));
    const dir = path.dirname(file);
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const allowNet = opts.allowNetworkFs ?? process.env.ZWH_INVENTORY_ALLOW_NETWORK_FS === "1";
    const netFs = detectNetworkFs(dir);
    if (netFs && !allowNet) {
      throw new ZwhError("ZWH-STORE-NETWORK-FS", `the inventory DB directory is on a network file system (${netFs})`, {
        subject: dir,
        hint: "SQLite locking and WAL are unreliable on network mounts. Put the DB on a local disk (ZWH_INVENTORY=/local/path.db), use a shared PostgreSQL store (--inventory postgres://…), or set ZWH_INVENTORY_ALLOW_NETWORK_FS=1 if only one machine ever uses it.",
      });
    }
    let db: Database.Database;
    try {
      db = openDatabase(file, { timeout: DEFAULT_BUSY_TIMEOUT_MS });
    } catch (e) {
      throw new ZwhError("ZWH-STORE-OPEN", `cannot open inventory DB: ${(e as Error).message}`, { subject: file, cause: e });
    }
    super(db);
    this.location = file;
    try {
      db.pragma(`busy_timeout = ${DEFAULT_BUSY_TIMEOUT_MS}`);
      const mode = String(db.pragma("journal_mode = WAL", { simple: true })).toLowerCase();
      if (mode !== "wal") throw new ZwhError("ZWH-STORE-WAL", `could not enable WAL journal mode (got ${mode})`, { subject: file });
      db.pragma("foreign_keys = ON");
      db.pragma("synchronous = FULL");
    } catch (e) {
      db.close();
      if (e instanceof ZwhError) throw e;
      throw new ZwhError("ZWH-STORE-OPEN", `cannot initialise inventory DB: ${(e as Error).message}`, { subject: file, cause: e });
    }
  }

  /** Effective PRAGMA values, for diagnostics and tests. */
  pragmas(): { journalMode: string; foreignKeys: number; busyTimeout: number } {
    return {
      journalMode: String(this.db.pragma("journal_mode", { simple: true })),
      foreignKeys: Number(this.db.pragma("foreign_keys", { simple: true })),
      busyTimeout: Number(this.db.pragma("busy_timeout", { simple: true })),
    };
  }

  writeTx<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    return this.serial(() => this.tx(fn));
  }

  migrationTx<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    return this.serial(async () => {
      // PRAGMA foreign_keys is a no-op inside a transaction: switch it around the transaction.
      this.db.pragma("foreign_keys = OFF");
      try {
        return await this.tx(async (tx) => {
          const out = await fn(tx);
          const bad = this.db.pragma("foreign_key_check") as unknown[];
          if (bad.length > 0) throw new ZwhError("ZWH-STORE-MIGRATION", `a migration left ${bad.length} broken foreign key reference(s)`, { subject: this.location, details: { first: bad[0] } });
          return out;
        });
      } finally {
        this.db.pragma("foreign_keys = ON");
      }
    });
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const prev = fileQueues.get(this.location) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    const settled = next.catch(() => undefined);
    fileQueues.set(this.location, settled);
    void settled.then(() => {
      if (fileQueues.get(this.location) === settled) fileQueues.delete(this.location);
    });
    return next;
  }

  private async tx<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    this.db.exec("BEGIN IMMEDIATE");
    try {
      const out = await fn(this);
      this.db.exec("COMMIT");
      return out;
    } catch (e) {
      if (this.db.inTransaction) this.db.exec("ROLLBACK");
      throw e;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Let this process's pending transactions on the file finish first.
    await (fileQueues.get(this.location) ?? Promise.resolve());
    if (this.db.open) this.db.close();
  }
}
