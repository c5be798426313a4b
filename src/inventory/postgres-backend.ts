/**
 * PostgreSQL backend (`pg`): a store shared by several controllers (teams, CI, fleets).
 *
 * Writers are serialised by a transaction-scoped advisory lock taken as the first statement of
 * every write transaction: only one transaction at a time, on any controller, reads the chain
 * head and appends to it, so concurrent controllers keep one valid event chain, and the
 * release state machine's checks hold as they do under SQLite's single writer. The lock is
 * released by COMMIT or ROLLBACK, never left behind by a crashed controller.
 *
 * The password (URL or PGPASSWORD) is never printed: `location` is the URL without it and
 * driver errors are scrubbed of it.
 */
import { Pool, types, type PoolClient } from "pg";
import { ZwhError } from "../core/errors";
import { pgpassLookup } from "./pgpass";
import { redactUrl, scrubSecret, type Backend, type Row, type SqlExecutor, type SqlValue } from "./backend";

/** pg_advisory_xact_lock(ADVISORY_LOCK_CLASS, ADVISORY_LOCK_ID): "ZWH" and 1 = the inventory's writer lock. */
export const ADVISORY_LOCK_CLASS = 0x5a5748;
export const ADVISORY_LOCK_ID = 1;

/** COUNT(*), BIGINT: numbers, not strings (every value we store is a safe integer). */
const TYPES = {
  getTypeParser(oid: number, format?: "text" | "binary") {
    if (oid === 20) return (v: string) => Number(v);
    return types.getTypeParser(oid, format);
  },
};

export function isPostgresUrl(s: string): boolean {
  return /^postgres(ql)?:\/\//i.test(s.trim());
}

/** `?` → `$1, $2, …`, outside quoted literals and identifiers. */
export function numberPlaceholders(sql: string): string {
  let out = "";
  let n = 0;
  let quote: string | null = null;
  for (const ch of sql) {
    if (quote) {
      if (ch === quote) quote = null;
      out += ch;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
      out += ch;
    } else if (ch === "?") {
      out += `$${++n}`;
    } else {
      out += ch;
    }
  }
  return out;
}

function passwordOf(url: string): string | undefined {
  try {
    const p = new URL(url).password;
    return p ? decodeURIComponent(p) : undefined;
  } catch {
    return undefined;
  }
}

/** The URL the driver gets: with the resolved password (the driver's own file lookup warns on every use). */
function withPassword(url: string, secret: string | undefined): string {
  if (secret === undefined || passwordOf(url) !== undefined) return url;
  try {
    const u = new URL(url);
    u.password = encodeURIComponent(secret);
    return u.toString();
  } catch {
    return url;
  }
}

/** The URL's password, else $PGPASSWORD, else the libpq password file's entry. */
function resolvePassword(url: string): string | undefined {
  const fromUrl = passwordOf(url);
  if (fromUrl) return fromUrl;
  if (process.env.PGPASSWORD) return process.env.PGPASSWORD;
  try {
    const u = new URL(url);
    const user = decodeURIComponent(u.username) || process.env.PGUSER || process.env.USER || "";
    const database = decodeURIComponent(u.pathname.replace(/^\//, "")) || user;
    return pgpassLookup({ host: u.hostname || "localhost", port: u.port || "5432", database, user });
  } catch {
    return undefined;
  }
}

interface Queryable {
  query(text: string, values?: unknown[]): Promise<{ rows: unknown[]; rowCount: number | null }>;
}

class PgExecutor implements SqlExecutor {
  constructor(
    protected readonly q: Queryable,
    protected readonly fail: (e: unknown, sql: string) => never,
  ) {}

  async all<T extends object = Row>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
    try {
      return (await this.q.query(numberPlaceholders(sql), [...params])).rows as T[];
    } catch (e) {
      this.fail(e, sql);
    }
  }

  async get<T extends object = Row>(sql: string, params: readonly SqlValue[] = []): Promise<T | undefined> {
    return (await this.all<T>(sql, params))[0];
  }

  async run(sql: string, params: readonly SqlValue[] = []): Promise<number> {
    try {
      return (await this.q.query(numberPlaceholders(sql), [...params])).rowCount ?? 0;
    } catch (e) {
      this.fail(e, sql);
    }
  }

  async script(sql: string): Promise<void> {
    try {
      await this.q.query(sql);
    } catch (e) {
      this.fail(e, sql.slice(0, 200));
    }
  }
}

export class PostgresBackend extends PgExecutor implements Backend {
  readonly dialect = "postgres" as const;
  readonly location: string;
  private readonly pool: Pool;

  private constructor(pool: Pool, location: string, fail: (e: unknown, sql: string) => never) {
    super(pool as unknown as Queryable, fail);
    this.pool = pool;
    this.location = location;
  }

  /** Connect (and check the connection) to a postgres:// URL. */
  static async connect(url: string): Promise<PostgresBackend> {
    const location = redactUrl(url);
    const secret = resolvePassword(url);
    const scrub = (m: string) => scrubSecret(m, secret);
    const fail = (e: unknown, sql: string): never => {
      if (e instanceof ZwhError) throw e;
      const pe = e as { message?: string; code?: string; constraint?: string };
      const msg = scrub(String(pe.message ?? e));
      // Constraint violations are the store refusing bad data, as SQLite's CHECKs do.
      throw new ZwhError(pe.code?.startsWith("23") ? "ZWH-STORE-CONSTRAINT" : "ZWH-STORE-QUERY", `inventory store ${location}: ${msg}`, {
        subject: location,
        details: { sqlstate: pe.code ?? null, statement: sql.trim().split(/\s+/).slice(0, 4).join(" ") },
      });
    };
    const pool = new Pool({ connectionString: withPassword(url, secret), max: 4, connectionTimeoutMillis: 10_000, idleTimeoutMillis: 5_000, types: TYPES, application_name: "zwh" });
    // An idle client losing its connection must not crash the CLI; the next query reports it.
    pool.on("error", () => undefined);
    try {
      const c = await pool.connect();
      c.release();
    } catch (e) {
      await pool.end().catch(() => undefined);
      throw new ZwhError("ZWH-STORE-OPEN", `cannot connect to the inventory store ${location}: ${scrub(String((e as Error).message ?? e))}`, {
        subject: location,
        transient: true,
        cause: undefined,
        hint: "Check the URL (postgres://USER@HOST:PORT/DB), that the server accepts connections from here, and the password (PGPASSWORD or ~/.pgpass; never put it on the command line).",
      });
    }
    return new PostgresBackend(pool, location, fail);
  }

  writeTx<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    return this.tx(fn);
  }

  migrationTx<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    return this.tx(fn);
  }

  private async tx<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    let client: PoolClient;
    try {
      client = await this.pool.connect();
    } catch (e) {
      this.fail(e, "connect");
    }
    const ex = new PgExecutor(client as unknown as Queryable, this.fail);
    try {
      await ex.script("BEGIN");
      await ex.all("SELECT pg_advisory_xact_lock(?, ?)", [ADVISORY_LOCK_CLASS, ADVISORY_LOCK_ID]);
      const out = await fn(ex);
      await ex.script("COMMIT");
      return out;
    } catch (e) {
      await client.query("ROLLBACK").catch(() => undefined);
      throw e;
    } finally {
      client.release();
    }
  }

  async close(): Promise<void> {
    if (this.pool.ended || this.pool.ending) return;
    await this.pool.end();
  }
}
