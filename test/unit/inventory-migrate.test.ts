/**
 * An inventory written by release 0.1.0 (test/fixtures/inventory-0.1.0, produced by real zwh
 * runs against the simulator before the service existed) opens with today's code, upgrades in
 * place on first use and keeps every row, the event chain and its NDJSON export.
 */
import Database from "better-sqlite3";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { LATEST_SCHEMA_VERSION, openStore, type InventoryService } from "../../src/inventory";

const FIXTURE = path.resolve(__dirname, "..", "fixtures", "inventory-0.1.0");
const OLD_NAME = "127.0.0.1:35565";
const ROOT = "/work/wt/i10-inventory/test/.tmp/fixgen/sim/lpar1/root/u/wheelhouse";
const TABLES = ["hosts", "runs", "run_hosts", "bundles", "bundle_wheels", "releases", "installed_packages", "channel_state", "events"];

let dir: string;
let db: string;
let store: InventoryService | undefined;

function counts(file: string): Record<string, number> {
  const raw = new Database(file, { readonly: true });
  try {
    return Object.fromEntries(TABLES.map((t) => [t, (raw.prepare(`SELECT COUNT(*) AS n FROM ${t}`).get() as { n: number }).n]));
  } finally {
    raw.close();
  }
}

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "zwh-migrate-"));
  db = path.join(dir, "inventory.db");
  fs.copyFileSync(path.join(FIXTURE, "inventory.db"), db);
  fs.copyFileSync(path.join(FIXTURE, "audit.ndjson"), path.join(dir, "audit.ndjson"));
});

afterEach(async () => {
  await store?.close();
  store = undefined;
  fs.rmSync(dir, { recursive: true, force: true });
});

describe("an inventory from release 0.1.0", () => {
  it("is schema v1, as released", () => {
    const raw = new Database(db, { readonly: true });
    expect(raw.prepare("SELECT version FROM schema_migrations").all()).toEqual([{ version: 1 }]);
    raw.close();
  });

  it("upgrades in place on first open and keeps every row, the chain and the export", async () => {
    const before = counts(db);
    expect(before).toMatchObject({ hosts: 1, runs: 7, bundles: 2, releases: 2, events: 33 });
    store = await openStore(db);
    expect(await store.schemaVersions()).toEqual(Array.from({ length: LATEST_SCHEMA_VERSION }, (_, i) => i + 1));
    expect(counts(db)).toEqual(before);
    // Upgrading appends nothing: the chain and its export are the released ones, and verify.
    expect(await store.verifyAudit()).toMatchObject({ ok: true, db: { ok: true, count: 33 }, log: { ok: true, count: 33 } });

    const raw = new Database(db, { readonly: true });
    expect(raw.pragma("integrity_check", { simple: true })).toBe("ok");
    expect(raw.pragma("foreign_key_check")).toEqual([]);
    raw.close();

    // What the old release recorded reads back through the new service.
    const host = await store.getHost(OLD_NAME);
    expect(host).toMatchObject({ address: "127.0.0.1", port: 35565, sshUser: "root", nameSource: "address", sysname: "OS/390" });
    const st = await store.hostStatus(OLD_NAME, ROOT);
    expect([st.active?.releaseId, st.previous?.releaseId]).toEqual(["demo-f7b087f6db7f", "demo-b7d71f4991ae"]);
    expect(st.active?.packages.map((p) => `${p.name}==${p.version}`)).toEqual(["zwhdemo-app==1.0", "zwhdemo-lib==1.0", "zwhdemo-util==1.0"]);
    expect(st.lastRun).toMatchObject({ kind: "lock-break", status: "ok" });
    expect(await store.acceptedSequence("stable")).toMatchObject({ sequence: 2 });
    const runs = new Database(db, { readonly: true }).prepare("SELECT id, kind, status, error_code FROM runs ORDER BY started_at").all() as Array<{ id: string; kind: string; status: string; error_code: string | null }>;
    expect(runs.map((r) => r.kind)).toEqual(["deploy", "deploy", "deploy", "deploy", "rollback", "deploy", "lock-break"]);
    const refused = runs.find((r) => r.status === "refused")!;
    expect(await store.getRun(refused.id)).toMatchObject({ kind: "deploy", status: "refused", errorCode: "ZWH-SIG-ROLLBACK", exitCode: 3 });
  });

  it("then records what the new schema admits, and the host moves to its logical name", async () => {
    store = await openStore(db);
    // Rollback protection carried over: sequence 1 after 2 is still refused.
    await expect(store.acceptSequence("stable", 1, "sha256:" + "0".repeat(64))).rejects.toMatchObject({ code: "ZWH-SEQ-ROLLBACK" });
    await store.upsertHost({ name: "LPAR1", address: "127.0.0.1", port: 35565, nameSource: "nodename", nodename: "LPAR1" });
    expect(await store.getHost(OLD_NAME)).toBeUndefined();
    expect((await store.hostStatus("LPAR1", ROOT)).active?.releaseId).toBe("demo-f7b087f6db7f");
    const run = await store.startRun("drift");
    await store.recordRunHost(run, "LPAR1", { status: "drift", batchNo: 0 });
    await store.recordFindings(run, "LPAR1", [{ kind: "integrity", severity: "high", scope: "file", subject: "zwhdemo_app/__init__.py" }]);
    await store.finishRun(run, { status: "drift", exitCode: 2 });
    const fleet = await store.startRun("fleet", { strategy: { serial: [1] } });
    await store.finishRun(fleet, { status: "ok", exitCode: 0 });
    expect(await store.verifyAudit()).toMatchObject({ ok: true, db: { ok: true }, log: { ok: true } });
    expect((await store.verifyChain()).count).toBeGreaterThan(33);
    // A second open finds nothing to do.
    const again = await openStore(db);
    expect(await again.schemaVersions()).toEqual(await store.schemaVersions());
    await again.close();
  });
});
