/**
 * The inventory contract: one suite, run unchanged against both backends (SQLite file and a
 * throwaway PostgreSQL cluster started for this file). The service holds the rules; these tests
 * prove each backend executes them the same way, down to identical event hashes.
 */
import Database from "better-sqlite3";
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Client } from "pg";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { checkSequence, statementDigest } from "../../src/bundle/signing/sequence-state";
import { ZwhError } from "../../src/core/errors";
import { GENESIS_HASH, LATEST_SCHEMA_VERSION, canonicalJson, openStore, verifyAuditLog, type Dialect, type InventoryService, type OpenStoreOptions } from "../../src/inventory";
import { REPO, ensureBuilt } from "../support/cli";
import { freshDatabase, startPostgres, stopPostgres, type PgCluster } from "../support/postgres";

let pg: PgCluster | undefined;
let work: string;

beforeAll(async () => {
  pg = await startPostgres();
  work = fs.mkdtempSync(path.join(os.tmpdir(), "zwh-contract-"));
});

afterAll(() => {
  stopPostgres(pg);
  fs.rmSync(work, { recursive: true, force: true });
});

interface Fixture {
  dialect: Dialect;
  /** A new, empty store location (and a fresh directory for its audit export). */
  reset(): Promise<void>;
  location: string;
  auditLog: string;
  open(o?: Partial<OpenStoreOptions>): Promise<InventoryService>;
  /** SQL on a separate connection, as an attacker with DB access would run it. */
  raw(sql: string, params?: unknown[]): Promise<Record<string, unknown>[]>;
  /** Remove the append-only protection of the events table (a deliberate attacker). */
  unprotect(): Promise<void>;
}

const opened: InventoryService[] = [];

function makeFixture(dialect: Dialect): Fixture {
  let n = 0;
  const fx: Fixture = {
    dialect,
    location: "",
    auditLog: "",
    async reset() {
      const dir = path.join(work, `${dialect}-${++n}`);
      fs.mkdirSync(dir, { recursive: true });
      fx.auditLog = path.join(dir, "audit.ndjson");
      fx.location = dialect === "sqlite" ? path.join(dir, "inventory.db") : await freshDatabase(pg!, "contract");
    },
    async open(o = {}) {
      const s = await openStore({ location: fx.location, auditLogPath: fx.auditLog, ...o });
      opened.push(s);
      return s;
    },
    async raw(sql, params = []) {
      if (dialect === "sqlite") {
        const db = new Database(fx.location);
        try {
          const st = db.prepare(sql);
          return st.reader ? (st.all(...params) as Record<string, unknown>[]) : (st.run(...params), []);
        } finally {
          db.close();
        }
      }
      const c = new Client({ connectionString: fx.location });
      await c.connect();
      try {
        let i = 0;
        // COUNT(*) is a bigint, which node-postgres returns as a string.
        return (await c.query(sql.replace(/\?/g, () => `$${++i}`), params)).rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, k === "n" ? Number(v) : v])));
      } finally {
        await c.end();
      }
    },
    async unprotect() {
      if (dialect === "sqlite") {
        await fx.raw("DROP TRIGGER events_no_update");
        await fx.raw("DROP TRIGGER events_no_delete");
      } else {
        await fx.raw("ALTER TABLE events DISABLE TRIGGER USER");
      }
    },
  };
  return fx;
}

afterEach(async () => {
  for (const s of opened.splice(0)) await s.close();
});

async function thrown(p: Promise<unknown> | (() => Promise<unknown>)): Promise<ZwhError> {
  try {
    await (typeof p === "function" ? p() : p);
  } catch (e) {
    expect(e).toBeInstanceOf(ZwhError);
    return e as ZwhError;
  }
  throw new Error("expected a ZwhError");
}

const sha = (s: string) => createHash("sha256").update(s).digest("hex");
const manifest1 = JSON.stringify({ predicate: { bundleId: "b-1", sequence: 1 } });
const manifest2 = JSON.stringify({ predicate: { bundleId: "b-2", sequence: 2 } });
const d1 = sha(manifest1);
const d2 = sha(manifest2);
const wheelSha = (n: string) => sha("wheel:" + n);
const signers = [{ keyId: "SHA256:abc", identity: "release@corp" }];
const ROOT = "/srv/zwh app";

/** Two deploys, a rollback and a failed deploy; returns the run ids. */
async function lifecycle(s: InventoryService, ids?: string[]): Promise<string[]> {
  const id = (i: number) => (ids ? { id: ids[i] } : {});
  await s.upsertHost({ name: "lpar1", address: "zos1.example", port: 2222, sshUser: "ZWH", nameSource: "name", nodename: "SYS1", sysname: "OS/390", pythonPath: "/usr/lpp/IBM/cyp/v3r12/pyz/bin/python3", pythonVersion: "3.12.3", platformTags: ["cp312-none-any", "py3-none-any"] });
  await s.upsertHost({ name: "lpar2", address: "zos2.example", nameSource: "profile", zoweProfile: "lpar2" });
  await s.upsertHost({ name: "lpar1", address: "zos1.example", port: 2222 });
  await s.recordBundle({ bundleId: "b-1", channel: "prod", sequence: 1, digestSha256: d1, manifest: JSON.parse(manifest1), manifestBytes: Buffer.from(manifest1), signerIdentities: signers, wheels: [{ filename: "demo_pkg-1.0-py3-none-any.whl", name: "demo-pkg", version: "1.0", sha256: wheelSha("1.0"), size: 100 }] });
  await s.recordBundle({ bundleId: "b-1", channel: "prod", sequence: 1, digestSha256: d1, manifest: JSON.parse(manifest1), signerIdentities: signers, wheels: [] });
  await s.acceptSequence("prod", 1, "sha256:" + d1);

  const run1 = await s.startRun("deploy", { ...id(0), actorLocal: "alice", actorZos: "ZWHADM", controllerHost: "ctl", cliVersion: "0.1.0", argv: ["deploy", "b-1"] });
  const r1 = await s.recordRelease({ host: "lpar1", root: ROOT, releaseId: "20250101-b1", path: `${ROOT}/releases/20250101-b1`, bundleDigest: d1, runId: run1 });
  await s.recordInstalled(r1, [
    { name: "Demo_Pkg", version: "1.0", wheelSha256: wheelSha("1.0"), installer: "pip" },
    { name: "pip", version: "23.2.1", installer: "pip" },
  ]);
  expect(await s.setActiveRelease("lpar1", ROOT, "20250101-b1", run1)).toEqual({ previousReleaseId: undefined });
  await s.recordRunHost(run1, "lpar1", { status: "changed", releaseId: "20250101-b1" });
  await s.finishRun(run1, { status: "changed", exitCode: 0 });

  await s.recordBundle({ bundleId: "b-2", channel: "prod", sequence: 2, digestSha256: "sha256:" + d2, manifest: JSON.parse(manifest2), signerIdentities: signers, wheels: [] });
  await s.acceptSequence("prod", 2, "sha256:" + d2);
  const run2 = await s.startRun("deploy", { ...id(1), actorLocal: "bob", controllerHost: "ctl" });
  const r2 = await s.recordRelease({ host: "lpar1", root: ROOT, releaseId: "20250201-b2", path: `${ROOT}/releases/20250201-b2`, bundleDigest: d2, runId: run2 });
  await s.recordInstalled(r2, [{ name: "demo-pkg", version: "2.0", wheelSha256: wheelSha("2.0"), installer: "pip" }]);
  expect(await s.setActiveRelease("lpar1", ROOT, "20250201-b2", run2)).toEqual({ previousReleaseId: "20250101-b1" });
  await s.recordRunHost(run2, "lpar1", { status: "changed", releaseId: "20250201-b2", previousReleaseId: "20250101-b1" });
  await s.finishRun(run2, { status: "changed", exitCode: 0 });

  const run3 = await s.startRun("rollback", { ...id(2), actorLocal: "alice", controllerHost: "ctl" });
  expect(await s.setActiveRelease("lpar1", ROOT, "20250101-b1", run3)).toEqual({ previousReleaseId: "20250201-b2" });
  await s.recordRunHost(run3, "lpar1", { status: "changed", releaseId: "20250101-b1" });
  await s.finishRun(run3, { status: "changed", exitCode: 0 });

  const run4 = await s.startRun("deploy", { ...id(3), actorLocal: "carol", controllerHost: "ctl" });
  await s.recordRelease({ host: "lpar1", root: ROOT, releaseId: "20250301-b2", path: `${ROOT}/releases/20250301-b2`, bundleDigest: d2, runId: run4 });
  await s.setReleaseState("lpar1", ROOT, "20250301-b2", "failed", run4);
  await s.recordRunHost(run4, "lpar1", { status: "failed", errorCode: "ZWH-PIP-HASH", errorText: "THESE PACKAGES DO NOT MATCH THE HASHES", failedStep: "pip-install" });
  await s.finishRun(run4, { status: "failed", exitCode: 2, errorCode: "ZWH-PIP-HASH", errorText: "hash mismatch", failedStep: "pip-install" });
  return [run1, run2, run3, run4];
}

/** Everything a --json command could show from the store, for cross-backend comparison. */
async function snapshot(s: InventoryService, runs: string[]): Promise<unknown> {
  return {
    hosts: await s.listHosts(),
    status: await s.hostStatus("lpar1", ROOT),
    deployments: await s.listDeployments({ package: "demo-pkg" }),
    runs: await Promise.all(runs.map((r) => s.getRun(r))),
    runHosts: await Promise.all(runs.map((r) => s.listRunHosts(r))),
    events: await s.listEvents(),
    chain: await s.verifyChain(),
    sequence: await s.acceptedSequence("prod"),
  };
}

const fixtures = { sqlite: makeFixture("sqlite"), postgres: makeFixture("postgres") };

describe.each(["sqlite", "postgres"] as const)("inventory contract: %s", (dialect) => {
  const fx = fixtures[dialect];
  beforeEach(async () => {
    await fx.reset();
  });

  describe("opening and migrations", () => {
    it("creates the schema once and re-opens idempotently", async () => {
      const a = await fx.open();
      expect(a.dialect).toBe(dialect);
      expect(await a.schemaVersions()).toEqual(Array.from({ length: LATEST_SCHEMA_VERSION }, (_, i) => i + 1));
      await a.upsertHost({ name: "lpar1", address: "10.0.0.1" });
      await a.close();
      const b = await fx.open();
      expect(await b.schemaVersions()).toEqual(Array.from({ length: LATEST_SCHEMA_VERSION }, (_, i) => i + 1));
      expect((await b.getHost("lpar1"))?.address).toBe("10.0.0.1");
      expect((await fx.raw("SELECT COUNT(*) AS n FROM schema_migrations"))[0]!.n).toBe(LATEST_SCHEMA_VERSION);
    });

    it("stores opened at the same time on a fresh location apply each migration exactly once", async () => {
      const all = await Promise.all([fx.open(), fx.open(), fx.open()]);
      for (const s of all) expect(await s.schemaVersions()).toEqual(await all[0]!.schemaVersions());
      expect((await fx.raw("SELECT COUNT(*) AS n FROM schema_migrations"))[0]!.n).toBe(LATEST_SCHEMA_VERSION);
    });

    it("refuses a store written by a newer schema", async () => {
      await (await fx.open()).close();
      opened.length = 0;
      await fx.raw("INSERT INTO schema_migrations (version, applied_at) VALUES (99, 'x')");
      expect((await thrown(fx.open())).code).toBe("ZWH-STORE-SCHEMA-NEWER");
    });
  });

  describe("a host through two deployments, a rollback and a failed run", () => {
    it("keeps releases, packages, runs and the audit trail consistent", async () => {
      const s = await fx.open();
      const [run1, run2, , run4] = await lifecycle(s);
      expect(await s.getHost("lpar1")).toMatchObject({ sshUser: "ZWH", pythonVersion: "3.12.3", nodename: "SYS1", nameSource: "name", platformTags: ["cp312-none-any", "py3-none-any"] });
      expect(await s.getHost("lpar2")).toMatchObject({ nameSource: "profile", zoweProfile: "lpar2", port: 22 });

      const st = await s.hostStatus("lpar1", ROOT);
      expect(st.active?.releaseId).toBe("20250101-b1");
      expect(st.active?.packages.map((p) => `${p.name}==${p.version}`)).toEqual(["demo-pkg==1.0", "pip==23.2.1"]);
      expect(st.previous?.releaseId).toBe("20250201-b2");
      expect(st.lastRun).toMatchObject({ runId: run4, status: "failed", errorCode: "ZWH-PIP-HASH", failedStep: "pip-install" });
      expect(st.releases.map((r) => [r.releaseId, r.state])).toEqual([
        ["20250301-b2", "failed"],
        ["20250201-b2", "previous"],
        ["20250101-b1", "active"],
      ]);
      expect((await s.listDeployments({ package: "DEMO.pkg" })).map((w) => [w.host, w.releaseId, w.state, w.version])).toEqual([
        ["lpar1", "20250101-b1", "active", "1.0"],
        ["lpar1", "20250201-b2", "previous", "2.0"],
      ]);
      expect(await s.listDeployments({ package: "demo-pkg", version: "1.0", states: ["previous"] })).toEqual([]);
      expect(await s.listDeployments({ host: "lpar2" })).toEqual([]);
      expect(await s.listRunHosts(run2)).toEqual([expect.objectContaining({ host: "lpar1", status: "changed", releaseId: "20250201-b2", previousReleaseId: "20250101-b1", batchNo: null })]);

      const act = (await s.listEvents()).filter((e) => e.type === "release.activated").pop()!;
      expect(act.payload).toMatchObject({ rollback: true, release_id: "20250101-b1", previous_release_id: "20250201-b2", bundle_digest: d1, signer_identities: signers, actor_local: "alice" });
      expect(await s.getRun(run1)).toMatchObject({ kind: "deploy", status: "changed", exitCode: 0, actorLocal: "alice", actorZos: "ZWHADM", argv: ["deploy", "b-1"] });
      expect(await s.getRun(run4)).toMatchObject({ kind: "deploy", status: "failed", exitCode: 2, errorCode: "ZWH-PIP-HASH", failedStep: "pip-install", actorLocal: "carol" });

      // The state machine's refusals.
      expect((await thrown(s.finishRun(run4, { status: "ok", exitCode: 0 }))).code).toBe("ZWH-STORE-RUN-FINISHED");
      const run5 = await s.startRun("deploy");
      expect((await thrown(s.finishRun(run5, { status: "failed", exitCode: 2 }))).code).toBe("ZWH-STORE-INVALID");
      expect((await thrown(s.setActiveRelease("lpar1", ROOT, "20250301-b2"))).code).toBe("ZWH-STORE-RELEASE-STATE");
      expect((await thrown(s.setReleaseState("lpar1", ROOT, "20250101-b1", "pruned"))).exitCode).toBe(3);
      expect((await thrown(s.recordRelease({ host: "lpar1", root: ROOT, releaseId: "20250101-b1", path: "/x" }))).code).toBe("ZWH-STORE-CONFLICT");
      expect((await s.listDeployments({ package: "demo-pkg", states: ["active"] })).map((d) => d.version)).toEqual(["1.0"]);

      // Every change is in the chain, and the export mirrors it.
      const v = await s.verifyAudit();
      expect(v.ok).toBe(true);
      expect(v.db.count).toBeGreaterThan(20);
      expect(v.log.head).toEqual(v.db.head);
    });

    it("rejects unknown hosts, bundles and runs with stable codes, leaving nothing behind", async () => {
      const s = await fx.open();
      expect((await thrown(s.recordRelease({ host: "nope", root: "/r", releaseId: "x", path: "/r/releases/x" }))).code).toBe("ZWH-STORE-UNKNOWN-HOST");
      await s.upsertHost({ name: "h", address: "a" });
      expect((await thrown(s.recordRelease({ host: "h", root: "/r", releaseId: "x", path: "/p", bundleDigest: d1 }))).code).toBe("ZWH-STORE-UNKNOWN-BUNDLE");
      expect((await thrown(s.recordRelease({ host: "h", root: "/r", releaseId: "x", path: "/p", runId: "no-such-run" }))).code).toBe("ZWH-STORE-UNKNOWN-RUN");
      expect((await thrown(s.recordBundle({ bundleId: "b", channel: "c", sequence: 1, digestSha256: d1, manifest: {}, manifestBytes: Buffer.from("other"), signerIdentities: [], wheels: [] }))).code).toBe("ZWH-STORE-DIGEST-MISMATCH");
      expect((await thrown(s.startRun("nonsense" as never))).code).toBe("ZWH-STORE-INVALID");
      expect((await thrown(s.upsertHost({ name: "bad name; rm", address: "a" }))).code).toBe("ZWH-STORE-INVALID");
      expect((await s.listEvents()).map((e) => e.type)).toEqual(["host.registered"]);
      expect(verifyAuditLog(fx.auditLog).count).toBe(1);
    });
  });

  describe("rollback protection", () => {
    it("behaves exactly like the signing layer's stores: ROLLBACK, REPLAY, identical re-deploy", async () => {
      const s = await fx.open();
      const a = statementDigest(Buffer.from("statement a"));
      const b = statementDigest(Buffer.from("statement b"));
      expect(await s.acceptedSequence("prod")).toBeUndefined();
      expect(checkSequence(await s.sequenceSnapshot(), "prod", 5, a)).toBe("new");
      await s.acceptSequence("prod", 5, a);
      expect(await s.acceptedSequence("prod")).toEqual({ sequence: 5, digest: a });
      await s.acceptSequence("prod", 5, a);
      const older = await thrown(s.acceptSequence("prod", 4, b));
      expect([older.code, older.exitCode]).toEqual(["ZWH-SEQ-ROLLBACK", 3]);
      expect((await thrown(s.acceptSequence("prod", 5, b))).code).toBe("ZWH-SEQ-REPLAY");
      const snap = await s.sequenceSnapshot();
      expect(() => checkSequence(snap, "prod", 4, b)).toThrow(/sequence 4 for channel 'prod' is lower than sequence 5 accepted/);
      await s.acceptSequence("prod", 6, b);
      await s.acceptSequence("test", 1, a);
      expect(await s.acceptedSequence("prod")).toEqual({ sequence: 6, digest: b });
      expect((await s.listEvents()).filter((e) => e.type === "channel.accepted")).toHaveLength(3);
      const other = await fx.open();
      expect((await thrown(other.acceptSequence("prod", 5, a))).code).toBe("ZWH-SEQ-ROLLBACK");
    });
  });

  describe("logical host identity", () => {
    it("keys hosts on their logical name, with address, port and user as attributes", async () => {
      const s = await fx.open();
      await s.upsertHost({ name: "LPAR1", address: "127.0.0.1", port: 2201, sshUser: "IBMUSER", nameSource: "nodename", nodename: "LPAR1" });
      await s.upsertHost({ name: "LPAR2", address: "127.0.0.1", port: 2202, sshUser: "IBMUSER", nameSource: "nodename", nodename: "LPAR2" });
      // The same LPAR reached on another address stays one host.
      await s.upsertHost({ name: "LPAR1", address: "10.1.1.1", port: 22, nameSource: "nodename" });
      const hosts = await s.listHosts();
      expect(hosts.map((h) => [h.name, h.address, h.port, h.sshUser])).toEqual([
        ["LPAR1", "10.1.1.1", 22, "IBMUSER"],
        ["LPAR2", "127.0.0.1", 2202, "IBMUSER"],
      ]);
      const upd = (await s.listEvents()).filter((e) => e.type === "host.updated");
      expect(upd.map((e) => [e.host, e.payload])).toEqual([["LPAR1", { address: "10.1.1.1", port: 22 }]]);
    });

    it("moves a host recorded under its address (release 0.1.0) to its logical name on first sight", async () => {
      const s = await fx.open();
      await s.upsertHost({ name: "127.0.0.1:2201", address: "127.0.0.1", port: 2201, nameSource: "address" });
      const run = await s.startRun("deploy");
      await s.recordRunHost(run, "127.0.0.1:2201", { status: "ok" });
      await s.upsertHost({ name: "prodplex1", address: "127.0.0.1", port: 2201, nameSource: "profile", zoweProfile: "prodplex1" });
      expect(await s.getHost("127.0.0.1:2201")).toBeUndefined();
      expect(await s.getHost("prodplex1")).toMatchObject({ nameSource: "profile", zoweProfile: "prodplex1", port: 2201 });
      expect(await s.listRunHosts(run)).toEqual([expect.objectContaining({ host: "prodplex1", status: "ok" })]);
      expect((await s.listEvents()).find((e) => e.type === "host.renamed")).toMatchObject({ host: "prodplex1", payload: { from: "127.0.0.1:2201", to: "prodplex1", source: "profile" } });
      // Only address-named rows move: a second logical name for that endpoint is a new host.
      await s.upsertHost({ name: "other", address: "127.0.0.1", port: 2201, nameSource: "name" });
      expect((await s.listHosts()).map((h) => h.name)).toEqual(["other", "prodplex1"]);
    });

    it("groups hosts that share one USS file system", async () => {
      const s = await fx.open();
      await s.upsertHost({ name: "sysa", address: "a", fsGroup: "plexfs" });
      await s.upsertHost({ name: "sysb", address: "b" });
      await s.upsertHost({ name: "sysc", address: "c" });
      await s.setFsGroup("sysb", "plexfs", "zfs:OMVS.PLEX.ROOT");
      await s.setFsGroup("sysc", "other");
      await s.setFsGroup("sysc", null);
      expect(await s.listFsGroups()).toEqual([
        { name: "other", fsIdentifier: null, hosts: [] },
        { name: "plexfs", fsIdentifier: "zfs:OMVS.PLEX.ROOT", hosts: ["sysa", "sysb"] },
      ]);
      expect((await s.getHost("sysa"))?.fsGroup).toBe("plexfs");
      expect((await s.getHost("sysc"))?.fsGroup).toBeNull();
    });
  });

  describe("drift and fleet runs", () => {
    it("records fleet runs with batches and per-host progress", async () => {
      const s = await fx.open();
      for (const h of ["a", "b", "c"]) await s.upsertHost({ name: h, address: h });
      const run = await s.startRun("fleet", { strategy: { serial: [1, "50%"], maxFailPercentage: 0 } });
      await s.recordRunHost(run, "a", { status: "running", batchNo: 0 });
      await s.recordRunHost(run, "b", { status: "pending", batchNo: 1 });
      await s.recordRunHost(run, "c", { status: "pending", batchNo: 1 });
      await s.recordRunHost(run, "a", { status: "changed", releaseId: "r1" });
      await s.recordRunHost(run, "b", { status: "unreachable", errorCode: "ZWH-SSH-CONNECT" });
      await s.recordRunHost(run, "c", { status: "skipped", errorCode: "ZWH-FLEET-THRESHOLD" });
      expect((await thrown(s.recordRunHost(run, "c", { status: "unreachable" }))).code).toBe("ZWH-STORE-INVALID");
      expect((await thrown(s.recordRunHost(run, "c", { status: "ok", batchNo: -1 }))).code).toBe("ZWH-STORE-INVALID");
      await s.finishRun(run, { status: "partial", exitCode: 4 });
      expect((await s.listRunHosts(run)).map((r) => [r.host, r.batchNo, r.status])).toEqual([
        ["a", 0, "changed"],
        ["b", 1, "unreachable"],
        ["c", 1, "skipped"],
      ]);
      expect(await s.getRun(run)).toMatchObject({ kind: "fleet", status: "partial", strategy: { serial: [1, "50%"], maxFailPercentage: 0 } });
    });

    it("a host's status shows the last run of the root asked about, not of another root", async () => {
      const s = await fx.open();
      await s.upsertHost({ name: "lpar7", address: "10.0.0.7" });
      const a = await s.startRun("deploy");
      await s.recordRunHost(a, "lpar7", { status: "changed", root: "/u/a", releaseId: "ra" });
      await s.finishRun(a, { status: "changed", exitCode: 0 });
      const b = await s.startRun("deploy");
      await s.recordRunHost(b, "lpar7", { status: "failed", root: "/u/b", errorCode: "ZWH-DEPLOY-SMOKE" });
      await s.finishRun(b, { status: "failed", exitCode: 1, errorCode: "ZWH-DEPLOY-SMOKE" });
      expect((await s.hostStatus("lpar7", "/u/a")).lastRun).toMatchObject({ runId: a, status: "changed" });
      expect((await s.hostStatus("lpar7", "/u/b")).lastRun).toMatchObject({ runId: b, status: "failed", errorCode: "ZWH-DEPLOY-SMOKE" });
      expect((await s.hostStatus("lpar7", "/u/c")).lastRun).toBeUndefined();
    });

    it("keeps observations and tracks findings from first seen to resolved", async () => {
      const s = await fx.open();
      await s.upsertHost({ name: "lpar1", address: "x" });
      const r1 = await s.startRun("drift");
      const obs = await s.recordObservation({ runId: r1, host: "lpar1", method: "pip-inspect", data: { installed: [{ name: "six", version: "1.16.0" }] } });
      expect(obs.sha256).toBe(sha(canonicalJson({ installed: [{ name: "six", version: "1.16.0" }] })));
      const f1 = await s.recordFindings(r1, "lpar1", [
        { kind: "integrity", severity: "high", scope: "file", subject: "six.py", recorded: "sha256:aa", observed: "sha256:bb" },
        { kind: "out-of-band", severity: "medium", scope: "package", subject: "requests" },
      ]);
      expect(f1.open.map((f) => [f.subject, f.firstSeenRun, f.lastSeenRun])).toEqual([["six.py", r1, r1], ["requests", r1, r1]]);
      const r2 = await s.startRun("drift");
      const f2 = await s.recordFindings(r2, "lpar1", [{ kind: "integrity", severity: "critical", scope: "file", subject: "six.py" }]);
      expect(f2.open).toEqual([expect.objectContaining({ subject: "six.py", severity: "critical", firstSeenRun: r1, lastSeenRun: r2, resolvedRun: null })]);
      expect(f2.resolved).toEqual([expect.objectContaining({ subject: "requests", resolvedRun: r2 })]);
      const r3 = await s.startRun("drift");
      const f3 = await s.recordFindings(r3, "lpar1", [{ kind: "out-of-band", severity: "medium", scope: "package", subject: "requests" }]);
      // A finding that comes back after being resolved is a new finding.
      expect(f3.open).toEqual([expect.objectContaining({ subject: "requests", firstSeenRun: r3 })]);
      expect((await s.listFindings({ host: "lpar1", open: true })).map((f) => f.subject)).toEqual(["requests"]);
      expect((await s.listFindings({ open: false })).map((f) => f.subject)).toEqual(["six.py", "requests"]);
      expect((await thrown(s.recordFindings(r3, "lpar1", [{ kind: "x", severity: "severe" as never, scope: "file", subject: "y" }]))).code).toBe("ZWH-STORE-INVALID");
    });
  });

  describe("tamper evidence", () => {
    async function seeded(): Promise<InventoryService> {
      const s = await fx.open();
      await s.upsertHost({ name: "h", address: "a" });
      const run = await s.startRun("status");
      for (let i = 0; i < 5; i++) await s.appendEvent({ type: "test", runId: run, host: "h", payload: { i, note: "n" + i } });
      await s.finishRun(run, { status: "ok", exitCode: 0 });
      return s;
    }

    it("the events table refuses updates and deletes outright", async () => {
      await seeded();
      await expect(fx.raw("UPDATE events SET type = 'x' WHERE seq = 2")).rejects.toThrow(/append-only/);
      await expect(fx.raw("DELETE FROM events WHERE seq = 2")).rejects.toThrow(/append-only/);
    });

    it("verifyChain names the first broken entry: an edited payload", async () => {
      const s = await seeded();
      expect(await s.verifyChain()).toMatchObject({ ok: true, count: 8 });
      await fx.unprotect();
      await fx.raw("UPDATE events SET payload = ? WHERE seq = 4", [JSON.stringify({ i: 1, note: "forged" })]);
      await fx.raw("UPDATE events SET payload = ? WHERE seq = 6", [JSON.stringify({ i: 3, note: "forged too" })]);
      const v = await s.verifyChain();
      expect(v).toMatchObject({ ok: false, count: 3, brokenAt: 4, reason: expect.stringMatching(/hash mismatch/) });
      expect(v.entry).toMatchObject({ seq: 4, type: "test", host: "h", payload: { i: 1, note: "forged" } });
    });

    it("detects a re-labelled event (type is covered by the hash, not just the payload)", async () => {
      const s = await seeded();
      await fx.unprotect();
      await fx.raw("UPDATE events SET type = 'harmless' WHERE seq = 3");
      expect(await s.verifyChain()).toMatchObject({ ok: false, brokenAt: 3, entry: { type: "harmless" } });
    });

    it("detects a deleted event", async () => {
      const s = await seeded();
      await fx.unprotect();
      await fx.raw("DELETE FROM events WHERE seq = 5");
      expect(await s.verifyChain()).toMatchObject({ ok: false, brokenAt: 6, reason: expect.stringMatching(/gap/) });
    });
  });

  describe("the NDJSON audit file is an export of the chain", () => {
    async function seeded(): Promise<InventoryService> {
      const s = await fx.open();
      await s.upsertHost({ name: "h", address: "a" });
      for (let i = 0; i < 7; i++) await s.appendEvent({ type: "tick", host: "h", payload: { i } });
      return s;
    }

    it("holds every event of the chain, line for line, in canonical form", async () => {
      const s = await seeded();
      const lines = fs.readFileSync(fx.auditLog, "utf8").trimEnd().split("\n");
      expect(lines).toHaveLength(8);
      const first = JSON.parse(lines[0]!);
      expect(first).toMatchObject({ seq: 1, prev_hash: GENESIS_HASH, type: "host.registered" });
      expect(lines[0]).toBe(canonicalJson(first));
      const events = await s.listEvents();
      expect(lines.map((l) => JSON.parse(l).hash)).toEqual(events.map((e) => e.hash));
      expect(verifyAuditLog(fx.auditLog)).toMatchObject({ ok: true, count: 8, head: { seq: 8, hash: events[7]!.hash } });
    });

    it("is written from the chain: a lagging export catches up, and the store stays the source of truth", async () => {
      const s = await seeded();
      const orig = fs.readFileSync(fx.auditLog, "utf8").trimEnd().split("\n");
      fs.writeFileSync(fx.auditLog, orig.slice(0, 3).join("\n") + "\n");
      // A lagging export is a prefix: not broken, just behind.
      expect((await s.verifyAudit()).log.ok).toBe(true);
      expect(await s.exportAuditLog()).toEqual({ appended: 5 });
      expect(fs.readFileSync(fx.auditLog, "utf8").trimEnd().split("\n")).toEqual(orig);
      expect(await s.exportAuditLog()).toEqual({ appended: 0 });
    });

    it("detects an edited line and a replaced log, and never appends to a log of another chain", async () => {
      const s = await seeded();
      const orig = fs.readFileSync(fx.auditLog, "utf8").trimEnd().split("\n");
      const edited = [...orig];
      edited[3] = edited[3]!.replace('"i":2', '"i":9');
      fs.writeFileSync(fx.auditLog, edited.join("\n") + "\n");
      expect(await s.verifyAudit()).toMatchObject({ ok: false, db: { ok: true }, log: { ok: false, brokenAt: 4, reason: expect.stringMatching(/hash mismatch/) } });

      // A log of another chain: its tail is not the store's event at that seq.
      const other = JSON.parse(orig[7]!);
      fs.writeFileSync(fx.auditLog, orig.slice(0, 7).join("\n") + "\n" + canonicalJson({ ...other, hash: "f".repeat(64) }) + "\n");
      const warnings: string[] = [];
      const w = await fx.open({ warn: (m) => warnings.push(m) });
      await w.appendEvent({ type: "after" });
      expect(warnings.join("\n")).toMatch(/audit log export .* was not updated: the audit log ends at seq 8, which is not the store's event 8/);
      expect(fs.readFileSync(fx.auditLog, "utf8").trimEnd().split("\n")).toHaveLength(8);
      expect((await thrown(w.exportAuditLog())).code).toBe("ZWH-STORE-AUDIT-DIVERGED");
      // The store itself is intact and has the new event.
      expect(await w.verifyChain()).toMatchObject({ ok: true, count: 9 });
    });

    it("survives the loss of the store: a new store continues the export's chain", async () => {
      const s = await seeded();
      const head = (await s.verifyChain()).head!;
      await s.close();
      opened.length = 0;
      const keepLog = fx.auditLog;
      await fx.reset();
      fx.auditLog = keepLog;
      const s2 = await fx.open();
      const ev = await s2.appendEvent({ type: "after-loss", payload: { note: "store recreated" } });
      expect(ev.seq).toBe(head.seq + 1);
      expect(ev.prevHash).toBe(head.hash);
      expect(await s2.verifyChain()).toMatchObject({ ok: true, count: 1 });
      expect(verifyAuditLog(fx.auditLog)).toMatchObject({ ok: true, count: 9 });
      expect((await s2.verifyAudit()).ok).toBe(true);
    });
  });

  describe("concurrency", () => {
    it("interleaved writes through two handles keep one chain", async () => {
      const a = await fx.open();
      const b = await fx.open();
      await a.upsertHost({ name: "h", address: "a" });
      await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).appendEvent({ type: "tick", host: "h", payload: { i } })));
      expect(await a.verifyAudit()).toMatchObject({ ok: true, db: { count: 21 } });
      expect((await b.listEvents()).map((e) => e.seq)).toEqual(Array.from({ length: 21 }, (_, i) => i + 1));
    });

    it("several processes writing at once keep one valid chain in the store and the export", async () => {
      ensureBuilt();
      const child = `
        const { openStore } = require(${JSON.stringify(path.join(REPO, "lib", "inventory", "index.js"))});
        const [location, audit, tag, n] = process.argv.slice(1);
        (async () => {
          const s = await openStore({ location, auditLogPath: audit });
          for (let i = 0; i < Number(n); i++) {
            const id = await s.startRun("status", { argv: [tag, String(i)] });
            await s.appendEvent({ type: "tick", runId: id, payload: { tag, i } });
            await s.finishRun(id, { status: "ok", exitCode: 0 });
          }
          await s.close();
        })().catch((e) => { console.error(e); process.exit(1); });
      `;
      const run = (tag: string) =>
        new Promise<{ code: number | null; stderr: string }>((resolve) => {
          const p = spawn(process.execPath, ["-e", child, fx.location, fx.auditLog, tag, "10"]);
          let stderr = "";
          p.stderr.on("data", (d) => (stderr += d));
          p.on("close", (code) => resolve({ code, stderr }));
        });
      const results = await Promise.all(["p1", "p2", "p3"].map(run));
      for (const r of results) expect(r, r.stderr).toMatchObject({ code: 0 });
      const s = await fx.open();
      expect(await s.verifyAudit()).toMatchObject({ ok: true, db: { count: 90 }, log: { ok: true, count: 90 } });
      expect((await fx.raw("SELECT COUNT(*) AS n FROM runs WHERE status = 'ok'"))[0]!.n).toBe(30);
    });
  });
});

describe("both backends give the same results", () => {
  it("the same operations with the same clock and ids produce identical records and event hashes", async () => {
    const results: unknown[] = [];
    const runIds = ["11111111-1111-4111-8111-111111111111", "22222222-2222-4222-8222-222222222222", "33333333-3333-4333-8333-333333333333", "44444444-4444-4444-8444-444444444444"];
    for (const fx of [fixtures.sqlite, fixtures.postgres]) {
      await fx.reset();
      let t = Date.parse("2026-01-01T00:00:00Z");
      const s = await fx.open({ now: () => new Date((t += 1000)) });
      await lifecycle(s, runIds);
      results.push(JSON.parse(JSON.stringify(await snapshot(s, runIds))));
    }
    expect((results[0] as { events: unknown[] }).events.length).toBeGreaterThan(20);
    expect(results[1]).toEqual(results[0]);
  });
});
