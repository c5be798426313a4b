"use strict";
// A throwaway PostgreSQL cluster for tests, benchmarks and the demo: initdb into a fresh
// directory, postgres on a loopback port with its socket in that directory, never a system
// service. PostgreSQL refuses to run as root, so as root the cluster runs as the `postgres`
// system user (created by Debian's postgresql package) through runuser.
//
// Used by test/support/postgres.ts (tests) and scripts/pg-sim (start|stop|status).
const { spawnSync } = require("node:child_process");
const crypto = require("node:crypto");
const fs = require("node:fs");
const net = require("node:net");
const path = require("node:path");

const REPO = path.resolve(__dirname, "..", "..");
const DEFAULT_BASE = path.join(REPO, "test", ".tmp");
const USER = "zwh";
const STATE = "cluster.json";

class PgSimError extends Error {
  constructor(message) {
    super(message);
    this.simUserError = true;
  }
}

/** The newest /usr/lib/postgresql/<v>/bin holding initdb, or $ZWH_PG_BIN. */
function pgBin() {
  if (process.env.ZWH_PG_BIN) return process.env.ZWH_PG_BIN;
  const base = "/usr/lib/postgresql";
  let versions = [];
  try {
    versions = fs.readdirSync(base).filter((v) => fs.existsSync(path.join(base, v, "bin", "initdb")));
  } catch {
    /* not installed */
  }
  versions.sort((a, b) => Number(b) - Number(a));
  if (versions.length === 0) {
    throw new PgSimError("PostgreSQL server binaries not found (/usr/lib/postgresql/*/bin/initdb). Run scripts/lib/setup.sh's zwh_setup (./scripts/test does), or: apt-get install -y postgresql");
  }
  return path.join(base, versions[0], "bin");
}

const isRoot = () => typeof process.getuid === "function" && process.getuid() === 0;

function run(bin, args, opts = {}) {
  const argv = isRoot() ? ["runuser", "-u", "postgres", "--", bin, ...args] : [bin, ...args];
  const r = spawnSync(argv[0], argv.slice(1), { encoding: "utf8", timeout: opts.timeout ?? 60_000, env: { ...process.env, LC_ALL: "C", PGTZ: "UTC" } });
  if (r.status !== 0 && !opts.allowFail) {
    throw new PgSimError(`${path.basename(bin)} ${args[0] ?? ""} failed (exit ${r.status}${r.error ? `, ${r.error.message}` : ""}): ${(r.stderr || r.stdout || "").trim().slice(-1500)}`);
  }
  return r;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.unref();
    s.on("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function chownToPostgres(dir) {
  if (!isRoot()) return;
  const r = spawnSync("chown", ["-R", "postgres:postgres", dir], { encoding: "utf8" });
  if (r.status !== 0) throw new PgSimError(`chown postgres ${dir} failed: ${r.stderr.trim()} (does the 'postgres' system user exist? apt-get install -y postgresql creates it)`);
}

/**
 * Start a cluster. Returns {dir, port, host, user, password, url(db), adminUrl, pid}. The
 * superuser `zwh` has a random password (scram over TCP); the socket in dir/sock trusts local use.
 */
async function startCluster(opts = {}) {
  const bin = pgBin();
  const base = path.resolve(opts.baseDir || DEFAULT_BASE);
  fs.mkdirSync(base, { recursive: true });
  const dir = opts.dir ? path.resolve(opts.dir) : fs.mkdtempSync(path.join(base, "pg-"));
  if (opts.dir) {
    if (fs.existsSync(path.join(dir, STATE))) stopCluster(dir);
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir, { recursive: true });
  }
  const data = path.join(dir, "data");
  const sock = path.join(dir, "sock");
  fs.mkdirSync(sock, { mode: 0o700 });
  const password = crypto.randomBytes(12).toString("hex");
  const pwfile = path.join(dir, "pwfile");
  fs.writeFileSync(pwfile, password + "\n", { mode: 0o600 });
  fs.chmodSync(dir, 0o755);
  chownToPostgres(dir);
  run(path.join(bin, "initdb"), ["-D", data, "-U", USER, `--pwfile=${pwfile}`, "--auth-local=trust", "--auth-host=scram-sha-256", "--encoding=UTF8", "--locale=C", "--no-sync", "--no-instructions"]);
  fs.rmSync(pwfile, { force: true });
  let port;
  let lastErr;
  for (let attempt = 0; attempt < 3; attempt++) {
    port = opts.port || (await freePort());
    const o = `-p ${port} -k ${sock} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=60`;
    const r = run(path.join(bin, "pg_ctl"), ["start", "-D", data, "-l", path.join(dir, "postgres.log"), "-w", "-t", "60", "-o", o], { allowFail: true, timeout: 90_000 });
    if (r.status === 0) {
      lastErr = undefined;
      break;
    }
    let log = "";
    try {
      log = fs.readFileSync(path.join(dir, "postgres.log"), "utf8").slice(-1500);
    } catch {
      /* no log */
    }
    lastErr = new PgSimError(`pg_ctl start failed (exit ${r.status}): ${(r.stderr || r.stdout).trim()}\n${log}`);
    if (opts.port) break;
  }
  if (lastErr) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw lastErr;
  }
  const pid = Number(fs.readFileSync(path.join(data, "postmaster.pid"), "utf8").split("\n")[0]);
  // A libpq password file, so clients can use URLs without the password (PGPASSFILE=<it>).
  const pgpass = path.join(dir, "pgpass");
  fs.writeFileSync(pgpass, `127.0.0.1:${port}:*:${USER}:${password}\n`, { mode: 0o600 });
  if (isRoot()) spawnSync("chown", ["root:root", pgpass]);
  const state = { dir, port, host: "127.0.0.1", user: USER, password, pid, bin, pgpassFile: pgpass };
  fs.writeFileSync(path.join(dir, STATE), JSON.stringify(state, null, 2) + "\n", { mode: 0o600 });
  return describe(state);
}

function describe(state) {
  const url = (db = "postgres", withPassword = true) =>
    `postgres://${state.user}${withPassword ? ":" + state.password : ""}@${state.host}:${state.port}/${db}`;
  return { ...state, url, adminUrl: url("postgres") };
}

/** The running cluster in dir (from its state file), or undefined. */
function clusterStatus(dir) {
  let state;
  try {
    state = JSON.parse(fs.readFileSync(path.join(path.resolve(dir), STATE), "utf8"));
  } catch {
    return undefined;
  }
  let alive = false;
  try {
    process.kill(state.pid, 0);
    alive = true;
  } catch {
    alive = false;
  }
  return { ...describe(state), alive };
}

/** Stop the cluster (fast shutdown) and remove its directory. */
function stopCluster(dir, opts = {}) {
  const d = path.resolve(dir);
  const st = clusterStatus(d);
  if (st && st.alive) {
    run(path.join(st.bin, "pg_ctl"), ["stop", "-D", path.join(d, "data"), "-m", "fast", "-w", "-t", "60"], { allowFail: true });
  }
  if (!opts.keep) fs.rmSync(d, { recursive: true, force: true });
}

/** Create a database (through the pg client, as the cluster's superuser); returns its URL. */
async function createDatabase(cluster, name) {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new PgSimError(`bad database name ${name}`);
  const { Client } = require("pg");
  const c = new Client({ connectionString: cluster.adminUrl });
  await c.connect();
  try {
    await c.query(`CREATE DATABASE ${name}`);
  } finally {
    await c.end();
  }
  return cluster.url(name);
}

async function cli(argv) {
  const cmd = argv[0];
  const get = (flag) => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const dir = path.resolve(get("--dir") || path.join(REPO, ".pg-sim"));
  const asJson = argv.includes("--json");
  if (cmd === "start") {
    const c = await startCluster({ dir, port: get("--port") ? Number(get("--port")) : undefined });
    const db = get("--db") || "zwh";
    await createDatabase(c, db);
    // The URL without the password; clients read it from the cluster's password file.
    const url = c.url(db, false);
    const out = { dir: c.dir, host: c.host, port: c.port, user: c.user, database: db, url, pgpassFile: c.pgpassFile, pid: c.pid };
    process.stdout.write(asJson ? JSON.stringify(out) + "\n" : `PostgreSQL on ${c.host}:${c.port} (pid ${c.pid}), database ${db}\n  export PGPASSFILE=${c.pgpassFile}\n  zwh … --inventory ${url}\n  stop: scripts/pg-sim stop --dir ${c.dir}\n`);
    return 0;
  }
  if (cmd === "stop") {
    stopCluster(dir);
    return 0;
  }
  if (cmd === "status") {
    const st = clusterStatus(dir);
    if (asJson) process.stdout.write(JSON.stringify(st ? { dir: st.dir, port: st.port, pid: st.pid, alive: st.alive } : { dir, alive: false }) + "\n");
    else process.stdout.write(st && st.alive ? `running on 127.0.0.1:${st.port} (pid ${st.pid})\n` : "not running\n");
    return st && st.alive ? 0 : 3;
  }
  process.stderr.write("usage: scripts/pg-sim start [--dir D] [--port P] [--db NAME] [--json] | stop [--dir D] | status [--dir D] [--json]\n");
  return 2;
}

module.exports = { startCluster, stopCluster, clusterStatus, createDatabase, pgBin, cli, PgSimError };
