import Database from "better-sqlite3";
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import ts from "typescript";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ZwhError } from "../../src/core/errors";
import {
  GENESIS_HASH,
  LATEST_SCHEMA_VERSION,
  SqliteStore,
  canonicalJson,
  classifyFsType,
  defaultAuditLogPath,
  defaultStorePath,
  detectNetworkFs,
  openStore,
  verifyAuditLog,
} from "../../src/inventory";
import type { SequenceStore } from "../../src/inventory";
import { checkSequence, statementDigest } from "../../src/bundle/signing/sequence-state";

let dir: string;
let dbPath: string;
const opened: SqliteStore[] = [];

function open(p = dbPath): SqliteStore {
  const s = openStore(p);
  opened.push(s);
  return s;
}

function sha(s: string): string {
  return createHash("sha256").update(s).digest("hex");
}

function thrown(fn: () => unknown): ZwhError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ZwhError);
    return e as ZwhError;
  }
  throw new Error("expected a ZwhError");
}

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "zwh-inv-"));
  dbPath = path.join(dir, "inventory.db");
});

afterEach(() => {
  for (const s of opened.splice(0)) s.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe("opening and migrations", () => {
  it("creates the schema once and re-opens idempotently", () => {
    const a = open();
    expect(a.schemaVersions()).toEqual([LATEST_SCHEMA_VERSION]);
    a.upsertHost({ name: "lpar1", address: "10.0.0.1" });
    a.close();
    const b = open();
    expect(b.schemaVersions()).toEqual([LATEST_SCHEMA_VERSION]);
    expect(b.getHost("lpar1")?.address).toBe("10.0.0.1");
    const raw = new Database(dbPath, { readonly: true });
    expect((raw.prepare("SELECT COUNT(*) AS n FROM schema_migrations").get() as { n: number }).n).toBe(1);
    raw.close();
  });

  it("two connections opening a fresh DB apply migrations exactly once", () => {
    const a = open();
    const b = open();
    expect(a.schemaVersions()).toEqual(b.schemaVersions());
  });

  it("enables WAL, foreign keys and a 5 s busy timeout", () => {
    const s = open();
    expect(s.pragmas()).toEqual({ journalMode: "wal", foreignKeys: 1, busyTimeout: 5000 });
    s.upsertHost({ name: "h", address: "a" });
    expect(fs.existsSync(dbPath + "-wal")).toBe(true);
  });

  it("refuses a DB written by a newer schema", () => {
    open().close();
    const raw = new Database(dbPath);
    raw.prepare("INSERT INTO schema_migrations (version, applied_at) VALUES (99, 'x')").run();
    raw.close();
    expect(thrown(() => open()).code).toBe("ZWH-STORE-SCHEMA-NEWER");
  });

  it("resolves the default path from ZWH_INVENTORY and puts the audit log next to it", () => {
    expect(defaultStorePath({ ZWH_INVENTORY: "/x/y.db" })).toBe("/x/y.db");
    expect(defaultStorePath({})).toBe(path.join(os.homedir(), ".zwh", "inventory.db"));
    expect(defaultAuditLogPath("/home/u/.zwh/inventory.db")).toBe("/home/u/.zwh/audit.ndjson");
    expect(defaultAuditLogPath("/tmp/ci.db")).toBe("/tmp/ci.audit.ndjson");
    const s = open();
    expect(s.auditLogPath).toBe(path.join(dir, "audit.ndjson"));
  });

  it("recognises network file systems by statfs magic, and the local temp dir is not one", () => {
    expect(classifyFsType(0x6969)).toBe("nfs");
    expect(classifyFsType(0xff534d42)).toBe("cifs");
    expect(classifyFsType(0xef53)).toBeUndefined(); // ext4
    expect(detectNetworkFs(dir)).toBeUndefined();
  });
});

describe("a host through two deployments, a rollback and a failed run", () => {
  const manifest1 = JSON.stringify({ predicate: { bundleId: "b-1", sequence: 1 } });
  const manifest2 = JSON.stringify({ predicate: { bundleId: "b-2", sequence: 2 } });
  const d1 = sha(manifest1);
  const d2 = sha(manifest2);
  const wheelSha = (n: string) => sha("wheel:" + n);

  it("keeps releases, packages, runs and the audit trail consistent", () => {
    const s = open();
    s.upsertHost({ name: "lpar1", address: "zos1.example", port: 2222, sshUser: "ZWH", sysname: "SYS1", pythonPath: "/usr/lpp/IBM/cyp/v3r12/pyz/bin/python3", pythonVersion: "3.12.3", platformTags: ["cp312-none-any", "py3-none-any"] });
    s.upsertHost({ name: "lpar2", address: "zos2.example" });
    // Re-registering with fewer facts keeps the known ones.
    s.upsertHost({ name: "lpar1", address: "zos1.example", port: 2222 });
    expect(s.getHost("lpar1")).toMatchObject({ sshUser: "ZWH", pythonVersion: "3.12.3", platformTags: ["cp312-none-any", "py3-none-any"] });

    const signers = [{ keyId: "SHA256:abc", identity: "release@corp" }];
    s.recordBundle({ bundleId: "b-1", channel: "prod", sequence: 1, digestSha256: d1, manifest: JSON.parse(manifest1), manifestBytes: Buffer.from(manifest1), signerIdentities: signers, wheels: [{ filename: "demo_pkg-1.0-py3-none-any.whl", name: "demo-pkg", version: "1.0", sha256: wheelSha("1.0"), size: 100 }] });
    // Idempotent for the same bundle.
    s.recordBundle({ bundleId: "b-1", channel: "prod", sequence: 1, digestSha256: d1, manifest: JSON.parse(manifest1), signerIdentities: signers, wheels: [] });
    s.accept("prod", 1, "sha256:" + d1);

    // --- deploy 1
    const run1 = s.startRun("deploy", { actorLocal: "alice", actorZos: "ZWHADM", cliVersion: "0.1.0", argv: ["deploy", "--bundle", "b-1"] });
    const r1 = s.recordRelease({ host: "lpar1", root: "/srv/zwh app", releaseId: "20250101-b1", path: "/srv/zwh app/releases/20250101-b1", bundleDigest: d1, runId: run1 });
    s.recordInstalled(r1, [
      { name: "Demo_Pkg", version: "1.0", wheelSha256: wheelSha("1.0"), installer: "pip" },
      { name: "pip", version: "23.2.1", installer: "pip" },
    ]);
    expect(s.setActiveRelease("lpar1", "/srv/zwh app", "20250101-b1", run1)).toEqual({ previousReleaseId: undefined });
    s.recordRunHost(run1, "lpar1", { status: "changed", releaseId: "20250101-b1" });
    s.finishRun(run1, { status: "changed", exitCode: 0 });

    // --- deploy 2 (newer bundle)
    s.recordBundle({ bundleId: "b-2", channel: "prod", sequence: 2, digestSha256: "sha256:" + d2, manifest: JSON.parse(manifest2), signerIdentities: signers, wheels: [] });
    s.accept("prod", 2, "sha256:" + d2);
    const run2 = s.startRun("deploy", { actorLocal: "bob" });
    const r2 = s.recordRelease({ host: "lpar1", root: "/srv/zwh app", releaseId: "20250201-b2", path: "/srv/zwh app/releases/20250201-b2", bundleDigest: d2, runId: run2 });
    s.recordInstalled(r2, [{ name: "demo-pkg", version: "2.0", wheelSha256: wheelSha("2.0"), installer: "pip" }]);
    expect(s.setActiveRelease("lpar1", "/srv/zwh app", "20250201-b2", run2)).toEqual({ previousReleaseId: "20250101-b1" });
    s.recordRunHost(run2, "lpar1", { status: "changed", releaseId: "20250201-b2" });
    s.finishRun(run2, { status: "changed", exitCode: 0 });

    let st = s.hostStatus("lpar1", "/srv/zwh app");
    expect(st.active?.releaseId).toBe("20250201-b2");
    expect(st.active?.packages.map((p) => `${p.name}==${p.version}`)).toEqual(["demo-pkg==2.0"]);
    expect(st.previous?.releaseId).toBe("20250101-b1");
    expect(st.lastRun).toMatchObject({ runId: run2, status: "changed" });

    // "Where is demo-pkg deployed?" — any spelling of the name.
    const where = s.listDeployments({ package: "DEMO.pkg" });
    expect(where.map((w) => [w.host, w.releaseId, w.state, w.version])).toEqual([
      ["lpar1", "20250101-b1", "previous", "1.0"],
      ["lpar1", "20250201-b2", "active", "2.0"],
    ]);
    expect(s.listDeployments({ package: "demo-pkg", version: "1.0", states: ["active"] })).toEqual([]);
    expect(s.listDeployments({ host: "lpar2" })).toEqual([]);

    // --- rollback: previous becomes active again, the rolled-back release becomes previous
    const run3 = s.startRun("rollback", { actorLocal: "alice" });
    expect(s.setActiveRelease("lpar1", "/srv/zwh app", "20250101-b1", run3)).toEqual({ previousReleaseId: "20250201-b2" });
    s.recordRunHost(run3, "lpar1", { status: "changed", releaseId: "20250101-b1" });
    s.finishRun(run3, { status: "changed", exitCode: 0 });
    st = s.hostStatus("lpar1", "/srv/zwh app");
    expect([st.active?.releaseId, st.previous?.releaseId]).toEqual(["20250101-b1", "20250201-b2"]);
    const act = s.listEvents().filter((e) => e.type === "release.activated").pop()!;
    expect(act.payload).toMatchObject({ rollback: true, release_id: "20250101-b1", previous_release_id: "20250201-b2", bundle_digest: d1, signer_identities: signers, actor_local: "alice" });

    // --- failed deploy: staged release fails at pip-install; active release untouched
    const run4 = s.startRun("deploy", { actorLocal: "carol" });
    s.recordRelease({ host: "lpar1", root: "/srv/zwh app", releaseId: "20250301-b2", path: "/srv/zwh app/releases/20250301-b2", bundleDigest: d2, runId: run4 });
    s.setReleaseState("lpar1", "/srv/zwh app", "20250301-b2", "failed", run4);
    s.recordRunHost(run4, "lpar1", { status: "failed", errorCode: "ZWH-PIP-HASH", errorText: "THESE PACKAGES DO NOT MATCH THE HASHES", failedStep: "pip-install" });
    expect(thrown(() => s.finishRun(run4, { status: "failed", exitCode: 2 })).code).toBe("ZWH-STORE-INVALID");
    s.finishRun(run4, { status: "failed", exitCode: 2, errorCode: "ZWH-PIP-HASH", errorText: "hash mismatch", failedStep: "pip-install" });
    expect(thrown(() => s.finishRun(run4, { status: "ok", exitCode: 0 })).code).toBe("ZWH-STORE-RUN-FINISHED");
    expect(s.getRun(run4)).toMatchObject({ kind: "deploy", status: "failed", exitCode: 2, errorCode: "ZWH-PIP-HASH", failedStep: "pip-install", actorLocal: "carol" });
    st = s.hostStatus("lpar1", "/srv/zwh app");
    expect(st.active?.releaseId).toBe("20250101-b1");
    expect(st.lastRun).toMatchObject({ runId: run4, status: "failed", errorCode: "ZWH-PIP-HASH", failedStep: "pip-install" });
    expect(st.releases.map((r) => [r.releaseId, r.state])).toEqual([
      ["20250301-b2", "failed"],
      ["20250201-b2", "previous"],
      ["20250101-b1", "active"],
    ]);
    // A failed release can never be activated; active/previous can never be pruned.
    expect(thrown(() => s.setActiveRelease("lpar1", "/srv/zwh app", "20250301-b2")).code).toBe("ZWH-STORE-RELEASE-STATE");
    expect(thrown(() => s.setReleaseState("lpar1", "/srv/zwh app", "20250101-b1", "pruned")).exitCode).toBe(3);
    expect(s.listDeployments({ package: "demo-pkg", states: ["active"] }).map((d) => d.version)).toEqual(["1.0"]);

    // Every change above is in both chains, and they agree.
    const v = s.verifyAudit();
    expect(v.ok).toBe(true);
    expect(v.db.count).toBeGreaterThan(20);
    expect(v.log.head).toEqual(v.db.head);
  });

  it("rejects unknown hosts, bundles and runs with stable codes", () => {
    const s = open();
    expect(thrown(() => s.recordRelease({ host: "nope", root: "/r", releaseId: "x", path: "/r/releases/x" })).code).toBe("ZWH-STORE-UNKNOWN-HOST");
    s.upsertHost({ name: "h", address: "a" });
    expect(thrown(() => s.recordRelease({ host: "h", root: "/r", releaseId: "x", path: "/p", bundleDigest: d1 })).code).toBe("ZWH-STORE-UNKNOWN-BUNDLE");
    expect(thrown(() => s.recordRelease({ host: "h", root: "/r", releaseId: "x", path: "/p", runId: "no-such-run" })).code).toBe("ZWH-STORE-UNKNOWN-RUN");
    expect(thrown(() => s.recordBundle({ bundleId: "b", channel: "c", sequence: 1, digestSha256: d1, manifest: {}, manifestBytes: Buffer.from("other"), signerIdentities: [], wheels: [] })).code).toBe("ZWH-STORE-DIGEST-MISMATCH");
    // A failed insert leaves no event and no audit line behind (rolled back together).
    expect(s.listEvents().map((e) => e.type)).toEqual(["host.registered"]);
    expect(verifyAuditLog(s.auditLogPath).count).toBe(1);
  });
});

describe("rollback protection (SequenceStore)", () => {
  it("behaves exactly like the signing layer's stores: ROLLBACK, REPLAY, identical re-deploy", () => {
    const s: SequenceStore = open();
    const a = statementDigest(Buffer.from("statement a"));
    const b = statementDigest(Buffer.from("statement b"));
    expect(s.get("prod")).toBeUndefined();
    expect(checkSequence(s, "prod", 5, a)).toBe("new");
    s.accept("prod", 5, a);
    expect(s.get("prod")).toEqual({ sequence: 5, digest: a });
    s.accept("prod", 5, a); // identical re-deploy
    const older = thrown(() => s.accept("prod", 4, b));
    expect([older.code, older.exitCode]).toEqual(["ZWH-SIG-ROLLBACK", 3]);
    expect(thrown(() => s.accept("prod", 5, b)).code).toBe("ZWH-SIG-REPLAY");
    s.accept("prod", 6, b);
    s.accept("test", 1, a); // channels are independent
    expect(s.get("prod")).toEqual({ sequence: 6, digest: b });
    expect((s as SqliteStore).listEvents().filter((e) => e.type === "channel.accepted")).toHaveLength(3);
    // Persisted: a second connection sees the same state and enforces it.
    const other = open();
    expect(thrown(() => other.accept("prod", 5, a)).code).toBe("ZWH-SIG-ROLLBACK");
  });
});

describe("tamper evidence", () => {
  function seeded(): SqliteStore {
    const s = open();
    s.upsertHost({ name: "h", address: "a" });
    const run = s.startRun("status");
    for (let i = 0; i < 5; i++) s.appendEvent({ type: "test", runId: run, host: "h", payload: { i, note: "n" + i } });
    s.finishRun(run, { status: "ok", exitCode: 0 });
    return s;
  }

  it("the events table refuses updates and deletes outright", () => {
    seeded().close();
    const raw = new Database(dbPath);
    expect(() => raw.prepare("UPDATE events SET type = 'x' WHERE seq = 2").run()).toThrow(/append-only/);
    expect(() => raw.prepare("DELETE FROM events WHERE seq = 2").run()).toThrow(/append-only/);
    raw.close();
  });

  it("detects an edited event in the DB chain", () => {
    const s = seeded();
    expect(s.verifyEventChain()).toMatchObject({ ok: true, count: 8 });
    const raw = new Database(dbPath);
    raw.exec("DROP TRIGGER events_no_update");
    raw.prepare("UPDATE events SET payload = ? WHERE seq = 4").run(JSON.stringify({ i: 1, note: "forged" }));
    raw.close();
    expect(s.verifyEventChain()).toMatchObject({ ok: false, brokenAt: 4, reason: expect.stringMatching(/hash mismatch/) });
  });

  it("detects a re-labelled event (type is covered by the hash, not just the payload)", () => {
    const s = seeded();
    const raw = new Database(dbPath);
    raw.exec("DROP TRIGGER events_no_update");
    raw.prepare("UPDATE events SET type = 'harmless' WHERE seq = 3").run();
    raw.close();
    expect(s.verifyEventChain()).toMatchObject({ ok: false, brokenAt: 3 });
  });

  it("detects a deleted event in the DB chain", () => {
    const s = seeded();
    const raw = new Database(dbPath);
    raw.exec("DROP TRIGGER events_no_delete");
    raw.prepare("DELETE FROM events WHERE seq = 5").run();
    raw.close();
    expect(s.verifyEventChain()).toMatchObject({ ok: false, brokenAt: 6, reason: expect.stringMatching(/gap/) });
  });

  it("the NDJSON log mirrors the DB chain and verifies", () => {
    const s = seeded();
    const lines = fs.readFileSync(s.auditLogPath, "utf8").trimEnd().split("\n");
    expect(lines).toHaveLength(8);
    const first = JSON.parse(lines[0]!);
    expect(first).toMatchObject({ seq: 1, prev_hash: GENESIS_HASH, type: "host.registered" });
    expect(lines[0]).toBe(canonicalJson(first));
    const dbEvents = s.listEvents();
    expect(lines.map((l) => JSON.parse(l).hash)).toEqual(dbEvents.map((e) => e.hash));
    expect(verifyAuditLog(s.auditLogPath)).toMatchObject({ ok: true, count: 8, head: { seq: 8, hash: dbEvents[7]!.hash } });
  });

  it("detects an edited line in the NDJSON log", () => {
    const s = seeded();
    const lines = fs.readFileSync(s.auditLogPath, "utf8").split("\n");
    lines[3] = lines[3]!.replace('"note":"n1"', '"note":"xx"');
    fs.writeFileSync(s.auditLogPath, lines.join("\n"));
    expect(verifyAuditLog(s.auditLogPath)).toMatchObject({ ok: false, brokenAt: 4, reason: expect.stringMatching(/hash mismatch/) });
  });

  it("detects deleted lines in the NDJSON log (middle, first, and — against the DB head — last)", () => {
    const s = seeded();
    const orig = fs.readFileSync(s.auditLogPath, "utf8").trimEnd().split("\n");
    const write = (ls: string[]) => fs.writeFileSync(s.auditLogPath, ls.join("\n") + "\n");

    write(orig.filter((_, i) => i !== 4));
    expect(verifyAuditLog(s.auditLogPath)).toMatchObject({ ok: false, brokenAt: 5 });

    write(orig.slice(1));
    expect(verifyAuditLog(s.auditLogPath)).toMatchObject({ ok: false, brokenAt: 1, reason: expect.stringMatching(/genesis/) });

    write(orig.slice(0, -1));
    // The file alone still looks like a valid (shorter) chain…
    expect(verifyAuditLog(s.auditLogPath).ok).toBe(true);
    // …but not against the DB head.
    const v = s.verifyAudit();
    expect(v.db.ok).toBe(true);
    expect(v.log).toMatchObject({ ok: false, reason: expect.stringMatching(/expected head is seq 8/) });
  });

  it("survives loss of the DB: a new DB continues the log's chain", () => {
    const s = seeded();
    const head = s.verifyEventChain().head!;
    s.close();
    for (const f of [dbPath, dbPath + "-wal", dbPath + "-shm"]) fs.rmSync(f, { force: true });
    const s2 = open();
    const ev = s2.appendEvent({ type: "after-loss", payload: { note: "db recreated" } });
    expect(ev.seq).toBe(head.seq + 1);
    expect(ev.prevHash).toBe(head.hash);
    expect(s2.verifyEventChain()).toMatchObject({ ok: true, count: 1 });
    expect(verifyAuditLog(s2.auditLogPath)).toMatchObject({ ok: true, count: 9 });
    expect(s2.verifyAudit().ok).toBe(true);
  });

  it("a crash fragment at the end of the log is reported, and later lines still append cleanly", () => {
    const s = seeded();
    fs.appendFileSync(s.auditLogPath, '{"seq":9,"ts":"2025-');
    s.appendEvent({ type: "after-crash" });
    const text = fs.readFileSync(s.auditLogPath, "utf8");
    expect(text.endsWith("\n")).toBe(true);
    const r = verifyAuditLog(s.auditLogPath);
    expect(r).toMatchObject({ ok: false, brokenAt: 9, reason: expect.stringMatching(/unparseable/) });
  });
});

describe("concurrency", () => {
  it("two connections in one process interleave writes without breaking the chain", () => {
    const a = open();
    const b = open();
    a.upsertHost({ name: "h", address: "a" });
    for (let i = 0; i < 20; i++) {
      (i % 2 ? a : b).appendEvent({ type: "tick", host: "h", payload: { i } });
    }
    expect(a.verifyAudit()).toMatchObject({ ok: true, db: { count: 21 } });
    expect(b.listEvents().map((e) => e.seq)).toEqual(Array.from({ length: 21 }, (_, i) => i + 1));
  });

  it("several processes writing at once keep one valid chain in the DB and the log", async () => {
    // Transpile the store to plain JS so child processes can load the real code.
    const out = path.join(dir, "js");
    const srcRoot = path.resolve(__dirname, "../../src");
    for (const rel of ["core/errors.ts", "core/names.ts", "io/atomic-write.ts", "io/input-file.ts", "bundle/signing/sequence-state.ts", "bundle/signing/codes.ts", ...fs.readdirSync(path.join(srcRoot, "inventory")).filter((f) => f.endsWith(".ts")).map((f) => `inventory/${f}`)]) {
      const js = ts.transpileModule(fs.readFileSync(path.join(srcRoot, rel), "utf8"), {
        compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
      }).outputText;
      const dest = path.join(out, rel.replace(/\.ts$/, ".js"));
      fs.mkdirSync(path.dirname(dest), { recursive: true });
      fs.writeFileSync(dest, js);
    }
    const child = `
      const { openStore } = require(${JSON.stringify(path.join(out, "inventory", "index.js"))});
      const [dbPath, tag, n] = process.argv.slice(1);
      const s = openStore(dbPath);
      for (let i = 0; i < Number(n); i++) {
        const id = s.startRun("status", { argv: [tag, String(i)] });
        s.appendEvent({ type: "tick", runId: id, payload: { tag, i } });
        s.finishRun(id, { status: "ok", exitCode: 0 });
      }
      s.close();
    `;
    const nodeModules = path.resolve(__dirname, "../../node_modules");
    const run = (tag: string) =>
      new Promise<{ code: number | null; stderr: string }>((resolve) => {
        const p = spawn(process.execPath, ["-e", child, dbPath, tag, "25"], { env: { ...process.env, NODE_PATH: nodeModules } });
        let stderr = "";
        p.stderr.on("data", (d) => (stderr += d));
        p.on("close", (code) => resolve({ code, stderr }));
      });
    const results = await Promise.all(["p1", "p2", "p3"].map(run));
    for (const r of results) expect(r, r.stderr).toMatchObject({ code: 0 });
    const s = open();
    const v = s.verifyAudit();
    expect(v).toMatchObject({ ok: true, db: { count: 225 }, log: { count: 225 } });
    const raw = new Database(dbPath, { readonly: true });
    expect(raw.pragma("integrity_check", { simple: true })).toBe("ok");
    expect((raw.prepare("SELECT COUNT(*) AS n FROM runs WHERE status = 'ok'").get() as { n: number }).n).toBe(75);
    raw.close();
  });
});
