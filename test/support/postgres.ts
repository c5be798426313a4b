/**
 * A throwaway PostgreSQL cluster per test file (test/support/pg-cluster.js): initdb into
 * test/.tmp, postgres on a loopback port, run as the `postgres` system user when the tests run
 * as root. Start it in beforeAll, stop it in afterAll; each test takes a fresh database.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const impl = require("./pg-cluster.js") as {
  startCluster(o?: { baseDir?: string }): Promise<PgCluster>;
  stopCluster(dir: string): void;
  createDatabase(c: PgCluster, name: string): Promise<string>;
};

export interface PgCluster {
  dir: string;
  host: string;
  port: number;
  user: string;
  /** The superuser's random password (also in pgpassFile). */
  password: string;
  pgpassFile: string;
  pid: number;
  /** postgres://user:password@127.0.0.1:port/db, or without the password. */
  url(db?: string, withPassword?: boolean): string;
  adminUrl: string;
}

export function startPostgres(): Promise<PgCluster> {
  return impl.startCluster();
}

export function stopPostgres(c: PgCluster | undefined): void {
  if (c) impl.stopCluster(c.dir);
}

let dbCounter = 0;
/** A new, empty database; returns its URL (with the password unless told otherwise). */
export async function freshDatabase(c: PgCluster, prefix = "t", withPassword = true): Promise<string> {
  const name = `${prefix}_${process.pid}_${++dbCounter}`.toLowerCase().replace(/[^a-z0-9_]/g, "_");
  await impl.createDatabase(c, name);
  return c.url(name, withPassword);
}
