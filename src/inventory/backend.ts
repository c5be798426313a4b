/**
 * What a storage backend does for the inventory service: execute statements, nothing else.
 * The rules (validation, the release state machine, the event chain) live in service.ts.
 *
 * Statements use `?` placeholders and the SQL both SQLite and PostgreSQL accept (RETURNING,
 * ON CONFLICT … DO UPDATE, partial unique indexes); the PostgreSQL backend renumbers `?` to
 * `$n`. Values are strings, numbers and null only: JSON goes in TEXT columns, timestamps are
 * ISO 8601 strings, booleans are 0/1, so both backends return the same rows.
 */
import type { Dialect } from "./types";

export type SqlValue = string | number | null;
export type Row = Record<string, SqlValue>;

export interface SqlExecutor {
  all<T extends object = Row>(sql: string, params?: readonly SqlValue[]): Promise<T[]>;
  get<T extends object = Row>(sql: string, params?: readonly SqlValue[]): Promise<T | undefined>;
  /** Returns the number of rows changed. */
  run(sql: string, params?: readonly SqlValue[]): Promise<number>;
  /** Several statements without parameters (migrations). */
  script(sql: string): Promise<void>;
}

export interface Backend extends SqlExecutor {
  readonly dialect: Dialect;
  /** Safe to print: a path, or a URL without its password. */
  readonly location: string;
  /**
   * Run fn in one transaction that excludes every other writer of this store, in this process
   * and in others (SQLite: BEGIN IMMEDIATE; PostgreSQL: a transaction-scoped advisory lock
   * taken first). Reads inside fn see every commit made before it started. Rolled back if fn throws.
   */
  writeTx<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T>;
  /**
   * The same, for schema changes. SQLite rebuilds tables to change constraints, which needs
   * foreign-key enforcement off for the duration (checked with foreign_key_check before commit).
   */
  migrationTx<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** "postgres://user:secret@host/db" → "postgres://user:***@host/db"; query-string passwords too. */
export function redactUrl(url: string): string {
  let out = url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@?#]*):[^@/?#]*@/i, "$1:***@");
  out = out.replace(/([?&](?:password|sslpassword|sslkey)=)[^&#]*/gi, "$1***");
  return out;
}

/** Remove every occurrence of a secret from a message (driver errors may quote the URL). */
export function scrubSecret(text: string, secret: string | undefined): string {
  if (!secret) return text;
  return text.split(secret).join("***");
}
