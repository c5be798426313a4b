/**
 * Statement-only verification (used by deploy when the target's current release was built from
 * the same statement): the wheels are not re-read, but signatures, expiry and sequence still are.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { loadAndVerifyBundle, verifyFilesOnce } from "../../src/bundle/verify";
import { zosTarget } from "../../src/bundle/target";
import { MemorySequenceStore, statementDigest } from "../../src/bundle/signing/sequence-state";
import { NOW, TARGET, goodBundle, makeKeys, makeTrust } from "../support/bundles";

const root = fs.mkdtempSync(path.join(os.tmpdir(), "zwh-stmt-only-"));

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  try { await p; return undefined; } catch (e) { return (e as { code?: string }).code; }
}

describe("statement-only bundle verification", () => {
  it("does not read the wheels, but yields the signed wheel list and the regenerated lock", async () => {
    const keys = makeKeys(1);
    const dir = await goodBundle(root, { keys });
    const full = await loadAndVerifyBundle(dir, { trust: makeTrust(keys), targetEnv: TARGET, now: NOW });
    // Corrupt a wheel: a full verification refuses it, a statement-only one never opens it.
    const wheel = full.wheels[0].path;
    fs.appendFileSync(wheel, "garbage");
    expect(await codeOf(loadAndVerifyBundle(dir, { trust: makeTrust(keys), targetEnv: TARGET, now: NOW }))).toMatch(/^ZWH-/);
    const light = await loadAndVerifyBundle(dir, { trust: makeTrust(keys), targetEnv: TARGET, now: NOW, statementOnly: true });
    expect(light.scope).toBe("statement");
    expect(full.scope).toBe("full");
    expect(light.statementDigest).toBe(full.statementDigest);
    expect(light.wheels.map((w) => [w.filename, w.sha256, w.size])).toEqual(full.wheels.map((w) => [w.filename, w.sha256, w.size]));
    expect(light.lockBytes.equals(full.lockBytes)).toBe(true);
  });

  it("still refuses an untrusted signer, an altered statement, an expired bundle and a replayed sequence", async () => {
    const keys = makeKeys(1);
    const dir = await goodBundle(root, { keys });
    const opts = { targetEnv: TARGET, now: NOW, statementOnly: true };
    expect(await codeOf(loadAndVerifyBundle(dir, { ...opts, trust: makeTrust(makeKeys(1, "stranger")) }))).toBe("ZWH-SIG-UNTRUSTED");
    const later = new Date(NOW.getTime() + 400 * 24 * 3600 * 1000);
    expect(await codeOf(loadAndVerifyBundle(dir, { ...opts, trust: makeTrust(keys), now: later }))).toBe("ZWH-SIG-EXPIRED");
    const store = new MemorySequenceStore();
    store.accept("stable", 9, "sha256:" + "0".repeat(64));
    expect(await codeOf(loadAndVerifyBundle(dir, { ...opts, trust: makeTrust(keys), sequenceStore: store }))).toBe("ZWH-SEQ-ROLLBACK");
    const stmt = path.join(dir, "manifest.intoto.json");
    const bytes = fs.readFileSync(stmt);
    fs.writeFileSync(stmt, bytes.toString("utf8").replace('"sequence": 5', '"sequence": 6'));
    expect(statementDigest(fs.readFileSync(stmt))).not.toBe(statementDigest(bytes));
    expect(await codeOf(loadAndVerifyBundle(dir, { ...opts, trust: makeTrust(keys) }))).toBe("ZWH-SIG-INVALID");
  });
});

describe("a run's one file verification reused per target (filesVerified, fleets)", () => {
  it("re-checks each target's platform and sequence without re-reading the wheels", async () => {
    const keys = makeKeys(1);
    const dir = await goodBundle(root, { keys });
    const files = await verifyFilesOnce(dir, { trust: makeTrust(keys), now: NOW });
    expect(files.statementDigest).toMatch(/^sha256:/);
    // Wheels changed after the run's verification are not re-read (the target re-hashes them) ...
    fs.appendFileSync(path.join(dir, "wheels", fs.readdirSync(path.join(dir, "wheels"))[0]), "garbage");
    const v = await loadAndVerifyBundle(dir, { trust: makeTrust(keys), targetEnv: TARGET, now: NOW, filesVerified: files });
    expect(v.scope).toBe("full");
    expect(v.lockBytes.equals(files.lockBytes)).toBe(true);
    // ... but everything that depends on the target still is: an interpreter too old, a moved-on sequence.
    const other = zosTarget("3.8", "os390-29.00-8561");
    expect(await codeOf(loadAndVerifyBundle(dir, { trust: makeTrust(keys), targetEnv: other, now: NOW, filesVerified: files }))).toBe("ZWH-BUNDLE-TARGET-MISMATCH");
    const store = new MemorySequenceStore();
    store.accept("stable", 9, "sha256:" + "0".repeat(64));
    expect(await codeOf(loadAndVerifyBundle(dir, { trust: makeTrust(keys), targetEnv: TARGET, now: NOW, filesVerified: files, sequenceStore: store }))).toBe("ZWH-SEQ-ROLLBACK");
    // Without it (or for another statement) the files are read again, and the change is refused.
    expect(await codeOf(loadAndVerifyBundle(dir, { trust: makeTrust(keys), targetEnv: TARGET, now: NOW }))).toMatch(/^ZWH-/);
    expect(await codeOf(loadAndVerifyBundle(dir, { trust: makeTrust(keys), targetEnv: TARGET, now: NOW, filesVerified: { ...files, statementDigest: "sha256:" + "1".repeat(64) } }))).toMatch(/^ZWH-/);
  });

  it("is refused for a bundle whose files do not verify", async () => {
    const keys = makeKeys(1);
    const dir = await goodBundle(root, { keys });
    fs.appendFileSync(path.join(dir, "wheels", fs.readdirSync(path.join(dir, "wheels"))[0]), "garbage");
    expect(await codeOf(verifyFilesOnce(dir, { trust: makeTrust(keys), now: NOW }))).toMatch(/^ZWH-/);
  });
});
