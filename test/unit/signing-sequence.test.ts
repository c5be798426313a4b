import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { ZwhError } from "../../src/core/errors";
import { errorCode } from "../support/unit";
import {
  FileSequenceStore, MemorySequenceStore, SequenceStore, checkExpiry, checkSequence, defaultSequenceStatePath, statementDigest,
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
    expect(code(() => checkSequence(s, "stable", 5, d2))).toBe("ZWH-SIG-REPLAY");
    expect(code(() => checkSequence(s, "stable", 4, d1))).toBe("ZWH-SIG-ROLLBACK");
    expect(checkSequence(s, "stable", 6, d2)).toBe("new");
    // Channels are independent.
    expect(checkSequence(s, "test", 1, d2)).toBe("new");
    // accept itself refuses to move backwards.
    expect(code(() => s.accept("stable", 3, d1))).toBe("ZWH-SIG-ROLLBACK");
    s.accept("stable", 5, d1); // identical re-deploy is fine
    s.accept("stable", 9, d2);
    expect(s.get("stable")).toEqual({ sequence: 9, digest: d2 });
  });
}

describe("MemorySequenceStore", () => behaves(() => new MemorySequenceStore()));

describe("FileSequenceStore", () => {
  behaves(() => new FileSequenceStore(path.join(fs.mkdtempSync(path.join(os.tmpdir(), "zwh-seq-")), "d", "trust-state.json")));

  it("persists across instances, file is 0600 JSON", () => {
    const f = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "zwh-seq-")), "trust-state.json");
    new FileSequenceStore(f).accept("stable", 3, d1);
    expect(new FileSequenceStore(f).get("stable")).toEqual({ sequence: 3, digest: d1 });
    expect(fs.statSync(f).mode & 0o777).toBe(0o600);
    const j = JSON.parse(fs.readFileSync(f, "utf8"));
    expect(j).toMatchObject({ formatVersion: 1, channels: { stable: { sequence: 3, digest: d1 } } });
  });

  it("a damaged state file fails closed (ZWH-TRUST-STATE), never resets", () => {
    const f = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "zwh-seq-")), "trust-state.json");
    fs.writeFileSync(f, "{not json");
    expect(code(() => new FileSequenceStore(f).get("stable"))).toBe("ZWH-TRUST-STATE");
    fs.writeFileSync(f, JSON.stringify({ formatVersion: 1, channels: { stable: { sequence: "x" } } }));
    expect(code(() => checkSequence(new FileSequenceStore(f), "stable", 1, d1))).toBe("ZWH-TRUST-STATE");
  });

  it("default path honours $ZWH_TRUST_STATE and HOME", () => {
    expect(defaultSequenceStatePath({ ZWH_TRUST_STATE: "/x/s.json" })).toBe("/x/s.json");
    expect(defaultSequenceStatePath({ HOME: "/home/u" })).toBe("/home/u/.zwh/trust-state.json");
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
