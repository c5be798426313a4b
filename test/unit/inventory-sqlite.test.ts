/** What only the SQLite backend does: local-file pragmas, network file systems, default paths. */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { SqliteBackend, classifyFsType, defaultAuditLogPath, defaultStorePath, detectNetworkFs, openStore, redactUrl } from "../../src/inventory";

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "zwh-inv-"));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

describe("SQLite backend", () => {
  it("enables WAL, foreign keys and a 5 s busy timeout", async () => {
    const s = await openStore(path.join(dir, "inventory.db"));
    try {
      expect((s.backend as SqliteBackend).pragmas()).toEqual({ journalMode: "wal", foreignKeys: 1, busyTimeout: 5000 });
      await s.upsertHost({ name: "h", address: "a" });
      expect(fs.existsSync(path.join(dir, "inventory.db-wal"))).toBe(true);
    } finally {
      await s.close();
    }
  });

  it("resolves the default path from ZWH_INVENTORY and keeps the audit export next to the DB", async () => {
    expect(defaultStorePath({ ZWH_INVENTORY: "/x/y.db" })).toBe("/x/y.db");
    expect(defaultStorePath({ ZWH_INVENTORY: "postgres://u@h:5432/d" })).toBe("postgres://u@h:5432/d");
    expect(defaultStorePath({})).toBe(path.join(os.homedir(), ".zwh", "inventory.db"));
    expect(defaultAuditLogPath("/home/u/.zwh/inventory.db")).toBe("/home/u/.zwh/audit.ndjson");
    expect(defaultAuditLogPath("/tmp/ci.db")).toBe("/tmp/ci.audit.ndjson");
    const s = await openStore(path.join(dir, "inventory.db"));
    expect(s.auditLogPath).toBe(path.join(dir, "audit.ndjson"));
    expect(s.location).toBe(path.join(dir, "inventory.db"));
    await s.close();
  });

  it("recognises network file systems by statfs magic, and the local temp dir is not one", () => {
    expect(classifyFsType(0x6969)).toBe("nfs");
    expect(classifyFsType(0xff534d42)).toBe("cifs");
    expect(classifyFsType(0xef53)).toBeUndefined(); // ext4
    expect(detectNetworkFs(dir)).toBeUndefined();
  });

  it("refuses other URL schemes, naming them without their secrets", async () => {
    await expect(openStore("mysql://u:hunter2@h/db")).rejects.toMatchObject({ code: "ZWH-ARGS-INVALID", message: expect.not.stringContaining("hunter2") });
    expect(redactUrl("postgres://alice:s3cr%40t@db.example:5432/inv?sslmode=require&password=x")).toBe("postgres://alice:***@db.example:5432/inv?sslmode=require&password=***");
    expect(redactUrl("postgres://alice@db.example/inv")).toBe("postgres://alice@db.example/inv");
  });
});
