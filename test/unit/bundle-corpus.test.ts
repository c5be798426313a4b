/**
 * The hostile bundle corpus: every case is generated (buildWheel + bundle internals, then
 * mutated), verified with loadAndVerifyBundle, and must be refused with its specific code,
 * naming the offending file or package. Table-driven; one positive control per table.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildWheel } from "../support/wheels";
import {
  assembleBundle, goodBundle, makeKeys, makeTrust, NOW, reseal, swapWheel, TARGET, TestKey,
} from "../support/bundles";
import { loadAndVerifyBundle, verifyBundle, VerifyBundleOptions } from "../../src/bundle/verify";
import { LOCK_FILE, STATEMENT_FILE, WHEELS_DIR, DSSE_FILE } from "../../src/bundle/statement";
import { MemorySequenceStore, statementDigest, Trust } from "../../src/bundle/signing";
import { ZwhError } from "../../src/core/errors";
import { zosTarget } from "../../src/bundle/target";

let root: string;
let keys: TestKey[];
let trust: Trust;
const LIB = "lib-1.0-py3-none-any.whl";

beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "zwh-bundle-corpus-"));
  keys = makeKeys(3);
  trust = makeTrust([keys[0], keys[1]]);
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

interface Built {
  dir: string;
  opts?: Partial<VerifyBundleOptions>;
}
interface Case {
  name: string;
  code: string;
  /** Must appear in the refusal (subject or message): the offending file or package. */
  names: string;
  build: () => Promise<Built>;
}

const signed = () => [keys[0]];
async function wheel(label: string, spec: Parameters<typeof buildWheel>[1]): Promise<string> {
  return buildWheel(path.join(root, "wheels", label), spec);
}
/** app → lib bundle, assembled without create's checks, with `lib` built from `libSpec`. */
async function withLib(label: string, libSpec: Partial<Parameters<typeof buildWheel>[1]>, o: Parameters<typeof assembleBundle>[3] = {}): Promise<string> {
  const app = await wheel(label, { name: "app", version: "1.0", requiresDist: ["lib>=1"] });
  const lib = await wheel(label, { name: "lib", version: "1.0", ...libSpec });
  return assembleBundle(root, label, [app, lib], { keys: signed(), requirements: ["app"], ...o });
}
async function hostileLib(label: string, mutate: NonNullable<Parameters<typeof buildWheel>[1]["mutate"]>): Promise<Built> {
  const dir = await goodBundle(root, { keys: signed() });
  const bad = await wheel(label, { name: "lib", version: "1.0", mutate });
  await swapWheel(dir, LIB, bad, signed());
  return { dir };
}

const cases: Case[] = [
  // --- step 3: subjects ---
  {
    name: "tampered wheel bytes", code: "ZWH-BUNDLE-SUBJECT-MISMATCH", names: `wheels/${LIB}`,
    build: async () => {
      const dir = await goodBundle(root, { keys: signed() });
      const f = path.join(dir, WHEELS_DIR, LIB);
      const b = fs.readFileSync(f);
      b[Math.floor(b.length / 2)] ^= 0xff;
      fs.writeFileSync(f, b);
      return { dir };
    },
  },
  {
    name: "unlisted extra file", code: "ZWH-BUNDLE-UNLISTED-FILE", names: "evil.pth",
    build: async () => {
      const dir = await goodBundle(root, { keys: signed() });
      fs.writeFileSync(path.join(dir, "evil.pth"), "import os\n");
      return { dir };
    },
  },
  {
    name: "altered lock file (not re-signed)", code: "ZWH-BUNDLE-SUBJECT-MISMATCH", names: LOCK_FILE,
    build: async () => {
      const dir = await goodBundle(root, { keys: signed() });
      fs.appendFileSync(path.join(dir, LOCK_FILE), "evil==6.6.6 --hash=sha256:" + "ab".repeat(32) + "\n");
      return { dir };
    },
  },
  {
    name: "wheel missing from the bundle", code: "ZWH-BUNDLE-SUBJECT-MISSING", names: `wheels/${LIB}`,
    build: async () => {
      const dir = await goodBundle(root, { keys: signed() });
      fs.rmSync(path.join(dir, WHEELS_DIR, LIB));
      return { dir };
    },
  },
  {
    name: "symlink inside the bundle", code: "ZWH-BUNDLE-SPECIAL-FILE", names: "wheels/passwd.whl",
    build: async () => {
      const dir = await goodBundle(root, { keys: signed() });
      fs.symlinkSync("/etc/passwd", path.join(dir, WHEELS_DIR, "passwd.whl"));
      return { dir };
    },
  },
  // --- step 4: wheels ---
  { name: "RECORD hash mismatch", code: "ZWH-WHEEL-RECORD-MISMATCH", names: LIB, build: () => hostileLib("rec", { tamperRecordHash: true }) },
  { name: "member missing from RECORD", code: "ZWH-WHEEL-RECORD-MISSING-ENTRY", names: LIB, build: () => hostileLib("omit", { omitFromRecord: true }) },
  { name: "path traversal member", code: "ZWH-WHEEL-PATH-TRAVERSAL", names: LIB, build: () => hostileLib("trav", { traversalEntry: true }) },
  { name: "absolute path member", code: "ZWH-WHEEL-ABSOLUTE-PATH", names: LIB, build: () => hostileLib("abs", { absoluteEntry: true }) },
  { name: "symlink member", code: "ZWH-WHEEL-SYMLINK", names: LIB, build: () => hostileLib("link", { symlinkEntry: true }) },
  { name: "zip bomb", code: "ZWH-WHEEL-BOMB", names: LIB, build: () => hostileLib("bomb", { bomb: true }) },
  { name: "duplicate member", code: "ZWH-WHEEL-DUPLICATE-ENTRY", names: LIB, build: () => hostileLib("dup", { duplicateEntry: true }) },
  { name: "filename/METADATA mismatch", code: "ZWH-WHEEL-METADATA-MISMATCH", names: LIB, build: () => hostileLib("meta", { metadataVersion: "9.9" }) },
  {
    name: "sdist in the bundle", code: "ZWH-WHEEL-NOT-WHEEL", names: "lib-1.0.tar.gz",
    build: async () => {
      const dir = await goodBundle(root, { keys: signed() });
      const sdist = path.join(root, "wheels", "lib-1.0.tar.gz");
      fs.mkdirSync(path.dirname(sdist), { recursive: true });
      fs.writeFileSync(sdist, Buffer.from("1f8b0800000000000003", "hex"));
      await swapWheel(dir, LIB, sdist, signed());
      return { dir };
    },
  },
  {
    name: "RECORD digest differs from the manifest's recordSha256", code: "ZWH-WHEEL-RECORD-DIGEST", names: LIB,
    build: async () => {
      const dir = await goodBundle(root, { keys: signed() });
      reseal(dir, { keys: signed(), mutate: (p) => { p.wheels.find((w) => w.filename === LIB)!.recordSha256 = "0".repeat(64); } });
      return { dir };
    },
  },
  {
    name: "manifest wheel facts differ from the wheel", code: "ZWH-BUNDLE-WHEEL-FACTS", names: "app-1.0-py3-none-any.whl",
    build: async () => {
      const dir = await goodBundle(root, { keys: signed() });
      reseal(dir, { keys: signed(), mutate: (p) => { p.wheels.find((w) => w.name === "app")!.requiresDist = []; } });
      return { dir };
    },
  },
  // --- step 5: platform ---
  {
    name: "manylinux wheel for a z/OS target", code: "ZWH-WHEEL-PLATFORM", names: "lib-1.0-cp312-cp312-manylinux_2_17_x86_64.whl",
    build: async () => ({ dir: await withLib("manylinux", { tags: "cp312-cp312-manylinux_2_17_x86_64" }) }),
  },
  {
    name: "probe of another target than the manifest's", code: "ZWH-BUNDLE-TARGET-MISMATCH", names: STATEMENT_FILE,
    build: async () => ({ dir: await goodBundle(root, { keys: signed() }), opts: { targetEnv: zosTarget("3.12", "os390-30.00-3931") } }),
  },
  // --- step 6: closure ---
  {
    name: "unresolved dependency", code: "ZWH-CLOSURE-UNRESOLVED", names: "ghostlib",
    build: async () => {
      const app = await wheel("unres", { name: "app", version: "1.0", requiresDist: ["ghostlib>=1"] });
      return { dir: await assembleBundle(root, "unres", [app], { keys: signed(), requirements: ["app"] }) };
    },
  },
  {
    name: "dependency only satisfiable outside the set", code: "ZWH-CLOSURE-VERSION-CONFLICT", names: "lib",
    build: async () => {
      const app = await wheel("outside", { name: "app", version: "1.0", requiresDist: ["lib>=2"] });
      const lib = await wheel("outside", { name: "lib", version: "1.0" });
      return { dir: await assembleBundle(root, "outside", [app, lib], { keys: signed(), requirements: ["app"] }) };
    },
  },
  {
    name: "marker-gated dependency needed on z/OS but missing", code: "ZWH-CLOSURE-UNRESOLVED", names: "zoshelper",
    build: async () => {
      const app = await wheel("marker", { name: "app", version: "1.0", requiresDist: ['zoshelper>=1; sys_platform == "zos"', 'colorama; sys_platform == "win32"'] });
      return { dir: await assembleBundle(root, "marker", [app], { keys: signed(), requirements: ["app"] }) };
    },
  },
  {
    name: "marker-gated dependency on the top-level requirement (platform_system)", code: "ZWH-CLOSURE-UNRESOLVED", names: "zosonly",
    build: async () => {
      const app = await wheel("marker2", { name: "app", version: "1.0" });
      return { dir: await assembleBundle(root, "marker2", [app], { keys: signed(), requirements: ["app", 'zosonly; platform_system == "OS/390"'] }) };
    },
  },
  // --- step 6/7: policy ---
  {
    name: "two versions of one project", code: "ZWH-POLICY-DUPLICATE-PROJECT", names: "lib",
    build: async () => {
      const a = await wheel("two", { name: "lib", version: "1.0" });
      const b = await wheel("two", { name: "lib", version: "2.0" });
      return { dir: await assembleBundle(root, "two", [a, b], { keys: signed() }) };
    },
  },
  {
    name: "deny-listed version", code: "ZWH-POLICY-DENIED", names: LIB,
    build: async () => ({ dir: await withLib("deny", {}, { denyRules: ["lib==1.0"] }) }),
  },
  {
    name: "deny-listed by a local deny list", code: "ZWH-POLICY-DENIED", names: LIB,
    build: async () => {
      const { parseDenyList } = await import("../../src/core/policy");
      return { dir: await goodBundle(root, { keys: signed() }), opts: { extraDenyList: parseDenyList("lib<2\n", "site-deny.txt") } };
    },
  },
  // --- step 8: lock ---
  {
    name: "altered lock file, re-signed", code: "ZWH-BUNDLE-LOCK-MISMATCH", names: LOCK_FILE,
    build: async () => {
      const dir = await goodBundle(root, { keys: signed() });
      fs.appendFileSync(path.join(dir, LOCK_FILE), "--index-url https://evil.example/simple\n");
      reseal(dir, { keys: signed(), keepLock: true });
      return { dir };
    },
  },
  // --- steps 0-2: manifest, signatures, freshness ---
  {
    name: "unsigned", code: "ZWH-SIG-MISSING", names: STATEMENT_FILE,
    build: async () => ({ dir: await goodBundle(root, { keys: [] }) }),
  },
  {
    name: "signature by an untrusted key", code: "ZWH-SIG-UNTRUSTED", names: STATEMENT_FILE,
    build: async () => ({ dir: await goodBundle(root, { keys: [keys[2]] }) }),
  },
  {
    name: "threshold not met (1 of 2)", code: "ZWH-SIG-THRESHOLD", names: STATEMENT_FILE,
    build: async () => ({ dir: await goodBundle(root, { keys: [keys[0], keys[2]] }), opts: { trust: makeTrust([keys[0], keys[1]], { threshold: 2 }) } }),
  },
  {
    name: "expired", code: "ZWH-SIG-EXPIRED", names: STATEMENT_FILE,
    build: async () => ({ dir: await goodBundle(root, { keys: signed() }), opts: { now: new Date(NOW.getTime() + 31 * 86400e3) } }),
  },
  {
    name: "replayed lower sequence", code: "ZWH-SEQ-ROLLBACK", names: "stable",
    build: async () => {
      const store = new MemorySequenceStore();
      store.accept("stable", 6, "sha256:" + "1".repeat(64));
      return { dir: await goodBundle(root, { keys: signed() }), opts: { sequenceStore: store } };
    },
  },
  {
    name: "same sequence, different statement", code: "ZWH-SEQ-REPLAY", names: "stable",
    build: async () => {
      const store = new MemorySequenceStore();
      store.accept("stable", 5, "sha256:" + "2".repeat(64));
      return { dir: await goodBundle(root, { keys: signed() }), opts: { sequenceStore: store } };
    },
  },
  {
    name: "statement altered after signing", code: "ZWH-SIG-INVALID", names: STATEMENT_FILE,
    build: async () => {
      const dir = await goodBundle(root, { keys: signed() });
      const f = path.join(dir, STATEMENT_FILE);
      fs.writeFileSync(f, fs.readFileSync(f, "utf8").replace('"sequence": 5', '"sequence": 50'));
      return { dir };
    },
  },
  {
    name: "wrong channel", code: "ZWH-SIG-CHANNEL", names: "beta",
    build: async () => ({ dir: await goodBundle(root, { keys: signed(), channel: "beta" }) }),
  },
  {
    name: "malformed JSON", code: "ZWH-BUNDLE-MALFORMED", names: STATEMENT_FILE,
    build: async () => {
      const dir = await goodBundle(root, { keys: signed() });
      const f = path.join(dir, STATEMENT_FILE);
      fs.writeFileSync(f, fs.readFileSync(f, "utf8").slice(0, 200));
      return { dir };
    },
  },
  {
    name: "signed statement with an invalid field", code: "ZWH-BUNDLE-MALFORMED", names: "predicate.sequence",
    build: async () => {
      const dir = await goodBundle(root, { keys: signed() });
      const { signAll, envelopeBytes } = await import("../../src/bundle/create");
      const f = path.join(dir, STATEMENT_FILE);
      const bytes = Buffer.from(fs.readFileSync(f, "utf8").replace('"sequence": 5', '"sequence": "5"'));
      fs.writeFileSync(f, bytes);
      fs.writeFileSync(path.join(dir, DSSE_FILE), envelopeBytes(signAll(bytes, [keys[0].privateKey])!));
      return { dir };
    },
  },
];

describe("hostile bundle corpus", () => {
  it("has at least 25 generated cases", () => {
    expect(cases.length).toBeGreaterThanOrEqual(25);
  });

  it("positive control: the untouched bundle verifies", async () => {
    const dir = await goodBundle(root, { keys: signed() });
    const v = await loadAndVerifyBundle(dir, { trust, now: NOW, sequenceStore: new MemorySequenceStore() });
    expect(v.wheels.map((w) => w.filename)).toEqual(["app-1.0-py3-none-any.whl", LIB]);
    expect(v.statementDigest).toBe(statementDigest(fs.readFileSync(path.join(dir, STATEMENT_FILE))));
  });

  it.each(cases)("refuses: $name → $code", async (c) => {
    const { dir, opts } = await c.build();
    let err: unknown;
    try {
      await loadAndVerifyBundle(dir, { trust, now: NOW, ...opts });
    } catch (e) {
      err = e;
    }
    expect(err, "bundle was accepted").toBeInstanceOf(ZwhError);
    const e = err as ZwhError;
    expect(e.code).toBe(c.code);
    expect(e.exitCode).toBe(3);
    expect(`${e.subject ?? ""} ${e.message}`).toContain(c.names);
    // The collected findings agree with the thrown one.
    const all = (e.details?.findings ?? []) as Array<{ code: string }>;
    expect(all[0]?.code).toBe(c.code);
  });
});

describe("marker-gated dependencies that must NOT be required", () => {
  it("a dependency gated to another platform is not needed on z/OS (bundle without it verifies)", async () => {
    const app = await wheel("notneeded", { name: "app", version: "1.0", requiresDist: ['pywin32>=300; sys_platform == "win32"', 'uvloop; platform_system == "Linux"'] });
    const dir = await assembleBundle(root, "notneeded", [app], { keys: signed(), requirements: ["app"] });
    const v = await loadAndVerifyBundle(dir, { trust, now: NOW });
    expect(v.closure.nodes.map((n) => n.project)).toEqual(["app"]);
  });

  it("a wheel only needed elsewhere is reported as unneeded (warning), not refused", async () => {
    const app = await wheel("unneeded", { name: "app", version: "1.0", requiresDist: ['lib; sys_platform == "linux"'] });
    const lib = await wheel("unneeded", { name: "lib", version: "1.0" });
    const dir = await assembleBundle(root, "unneeded", [app, lib], { keys: signed(), requirements: ["app"] });
    const r = await verifyBundle(dir, { trust, now: NOW });
    expect(r.ok).toBe(true);
    expect(r.warnings.join("\n")).toContain(LIB);
    expect(r.verified!.findings.map((f) => f.code)).toEqual(["ZWH-CLOSURE-UNNEEDED"]);
  });

  it("the same bundle is refused for a Linux-like target where the gated dependency applies", async () => {
    const app = await wheel("gated-linux", { name: "app", version: "1.0", requiresDist: ['lib; sys_platform == "linux"'] });
    const linuxish = { ...TARGET, markerEnv: { ...TARGET.markerEnv, sys_platform: "linux" } };
    const dir = await assembleBundle(root, "gated-linux", [app], { keys: signed(), requirements: ["app"], target: linuxish });
    await expect(loadAndVerifyBundle(dir, { trust, now: NOW })).rejects.toMatchObject({ code: "ZWH-CLOSURE-UNRESOLVED" });
  });
});

describe("verify reports all findings", () => {
  it("collects findings of several steps in order", async () => {
    const dir = await goodBundle(root, { keys: signed() });
    fs.writeFileSync(path.join(dir, "extra.txt"), "x");
    const f = path.join(dir, WHEELS_DIR, LIB);
    const b = fs.readFileSync(f);
    b[b.length - 30] ^= 1;
    fs.writeFileSync(f, b);
    const r = await verifyBundle(dir, { trust, now: new Date(NOW.getTime() + 60 * 86400e3) });
    const codes = r.findings.map((x) => x.error.code);
    expect(codes[0]).toBe("ZWH-SIG-EXPIRED");
    expect(codes).toContain("ZWH-BUNDLE-UNLISTED-FILE");
    expect(codes).toContain("ZWH-BUNDLE-SUBJECT-MISMATCH");
    expect(r.ok).toBe(false);
  });

  it("an identical re-deploy (same sequence, same statement) passes; acceptBundleSequence records it", async () => {
    const { acceptBundleSequence } = await import("../../src/bundle/verify");
    const dir = await goodBundle(root, { keys: signed() });
    const store = new MemorySequenceStore();
    const v1 = await loadAndVerifyBundle(dir, { trust, now: NOW, sequenceStore: store });
    expect(v1.sequenceStatus).toBe("new");
    acceptBundleSequence(store, v1);
    expect(store.get("stable")).toEqual({ sequence: 5, digest: v1.statementDigest });
    const v2 = await loadAndVerifyBundle(dir, { trust, now: NOW, sequenceStore: store });
    expect(v2.sequenceStatus).toBe("same");
  });
});
