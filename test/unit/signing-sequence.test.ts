import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { ZwhError } from "../../src/core/errors";
import { errorCode } from "../support/unit";
import {
  FileSequenceStore, MemorySequenceStore, SequenceStore, checkExpiry, checkSequence, defaultSequenceStatePath, statementDigest, trustRootId,
} from "../../src/bundle/signing/sequence-state";

const d1 = statementDigest(Buffer.from("statement one"));
const d2 = statementDigest(Buffer.from("statement two"));

const code = errorCode;

function behaves(make: () => SequenceStore) {
  it("first sequence is new; higher is new; lower is ROLLBACK; equal needs the same digest", () => {
    const s = make();
    expect(checkSequence(s, "stable", 5, d1)).toBe("new");
    s.accept("stable", 5, d1);
    expect(s.get("stable")).toEqual({ sequence: 5, digest: d1 });
    expect(checkSequence(s, "stable", 5, d1)).toBe("same");
    expect(code(() => checkSequence(s, "stable", 5, d2))).toBe("ZWH-SEQ-REPLAY");
    expect(code(() => checkSequence(s, "stable", 4, d1))).toBe("ZWH-SEQ-ROLLBACK");
    expect(checkSequence(s, "stable", 6, d2)).toBe("new");
    // Channels are independent.
    expect(checkSequence(s, "test", 1, d2)).toBe("new");
    // accept itself refuses to move backwards.
    expect(code(() => s.accept("stable", 3, d1))).toBe("ZWH-SEQ-ROLLBACK");
    s.accept("stable", 5, d1); // identical re-deploy is fine
    s.accept("stable", 9, d2);
    expect(s.get("stable")).toEqual({ sequence: 9, digest: d2 });
  });
}

describe("MemorySequenceStore", () => behaves(() => new MemorySequenceStore()));

const TA = "sha256:" + "a".repeat(64);
const TB = "sha256:" + "b".repeat(64);
const tmpFile = () => path.join(fs.mkdtempSync(path.join(os.tmpdir(), "zwh-seq-")), "d", "trust-state.json");

describe("FileSequenceStore", () => {
  behaves(() => new FileSequenceStore(tmpFile()).forTrustRoot(TA));

  it("is keyed by (trust root, channel): another trust root's bound does not apply", () => {
    const f = tmpFile();
    new FileSequenceStore(f).accept(TA, "stable", 7, d1);
    expect(new FileSequenceStore(f).get(TA, "stable")).toEqual({ sequence: 7, digest: d1 });
    expect(new FileSequenceStore(f).get(TB, "stable")).toBeUndefined();
    expect(checkSequence(new FileSequenceStore(f).forTrustRoot(TB), "stable", 1, d2)).toBe("new");
    expect(fs.statSync(f).mode & 0o777).toBe(0o600);
    expect(JSON.parse(fs.readFileSync(f, "utf8"))).toMatchObject({ formatVersion: 2, trustRoots: { [TA]: { channels: { stable: { sequence: 7, digest: d1 } } } } });
  });

  it("refresh takes the target's bound: never lowers, the target wins an equal sequence, and says where it came from", () => {
    const f = tmpFile();
    const s = new FileSequenceStore(f);
    s.accept(TA, "stable", 3, d1);
    expect(s.refresh(TA, "stable", { sequence: 2, digest: d2, source: "lpar1 /u/wh" })).toBe(false);
    expect(s.refresh(TA, "stable", { sequence: 3, digest: d2, source: "lpar1 /u/wh" })).toBe(true);
    expect(s.refresh(TA, "stable", { sequence: 5, digest: d1, source: "lpar1 /u/wh" })).toBe(true);
    expect(s.get(TA, "stable")).toEqual({ sequence: 5, digest: d1, source: "lpar1 /u/wh" });
    try {
      checkSequence(s.forTrustRoot(TA), "stable", 4, d2);
      expect.unreachable();
    } catch (e) {
      expect((e as ZwhError).message).toMatch(/lower than sequence 5 accepted by lpar1 \/u\/wh/);
      expect((e as ZwhError).details).toMatchObject({ offered: 4, accepted: 5, acceptedBy: "lpar1 /u/wh" });
    }
  });

  it("migrates a formatVersion 1 file: its per-channel-name bounds still bind until a trust root has its own", () => {
    const f = tmpFile();
    fs.mkdirSync(path.dirname(f), { recursive: true });
    fs.writeFileSync(f, JSON.stringify({ formatVersion: 1, channels: { stable: { sequence: 4, digest: d1, acceptedAt: "2026-01-01T00:00:00Z" } } }));
    const s = new FileSequenceStore(f);
    expect(s.get(TA, "stable")).toEqual({ sequence: 4, digest: d1 });
    expect(code(() => checkSequence(s.forTrustRoot(TB), "stable", 3, d2))).toBe("ZWH-SEQ-ROLLBACK");
    s.refresh(TA, "stable", { sequence: 2, digest: d2, source: "lpar1 /u/wh" }); // the target's own word for TA
    expect(s.get(TA, "stable")).toMatchObject({ sequence: 2 });
    expect(s.get(TB, "stable")).toMatchObject({ sequence: 4 });
    expect(JSON.parse(fs.readFileSync(f, "utf8"))).toMatchObject({ formatVersion: 2, legacy: { channels: { stable: { sequence: 4 } } } });
  });

  it("a damaged state file fails closed (ZWH-TRUST-STATE), never resets", () => {
    const f = tmpFile();
    fs.mkdirSync(path.dirname(f), { recursive: true });
    fs.writeFileSync(f, "{not json");
    expect(code(() => new FileSequenceStore(f).get(TA, "stable"))).toBe("ZWH-TRUST-STATE");
    fs.writeFileSync(f, JSON.stringify({ formatVersion: 1, channels: { stable: { sequence: "x" } } }));
    expect(code(() => checkSequence(new FileSequenceStore(f).forTrustRoot(TA), "stable", 1, d1))).toBe("ZWH-TRUST-STATE");
    fs.writeFileSync(f, JSON.stringify({ formatVersion: 2, trustRoots: { [TA]: { channels: { stable: { sequence: 1 } } } } }));
    expect(code(() => new FileSequenceStore(f).get(TA, "stable"))).toBe("ZWH-TRUST-STATE");
  });

  it("default path honours $ZWH_TRUST_STATE and HOME", () => {
    expect(defaultSequenceStatePath({ ZWH_TRUST_STATE: "/x/s.json" })).toBe("/x/s.json");
    expect(defaultSequenceStatePath({ HOME: "/home/u" })).toBe("/home/u/.zwh/trust-state.json");
  });

  it("the trust root is the sha256 of the trust file's exact bytes (what target trust installs)", () => {
    expect(trustRootId(Buffer.from("abc"))).toBe("sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  });
});

describe("checkExpiry", () => {
  const now = new Date("2026-03-01T00:00:00Z");
  it("future passes, past / now / garbage is ZWH-SIG-EXPIRED (exit 3)", () => {
    expect(checkExpiry("2026-03-02T00:00:00Z", now).toISOString()).toBe("2026-03-02T00:00:00.000Z");
    for (const bad of ["2026-02-28T23:59:59Z", "2026-03-01T00:00:00Z", "tomorrow", undefined, 12345]) {
      try {
        checkExpiry(bad, now);
        expect.unreachable();
      } catch (e) {
        expect((e as ZwhError).code).toBe("ZWH-SIG-EXPIRED");
        expect((e as ZwhError).exitCode).toBe(3);
      }
    }
  });
  it("statement digest is sha256:<hex> of the exact bytes", () => {
    expect(statementDigest(Buffer.from("abc"))).toBe("sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  });
});
