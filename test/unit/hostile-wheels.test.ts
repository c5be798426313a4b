/**
 * Hostile-wheel suite, workstation side (issue 8 §2): zips that Python's zipfile (pip's reader)
 * reads differently from the verifier are refused by the layout check (src/core/zip-layout.ts),
 * by inspectWheel, and by `bundle create` and `bundle verify`.
 *
 * Each shape is first shown to be a REAL differential: Python's zipfile sees the hostile member
 * while yauzl (the library the verifier used alone before) does not, or the two see different
 * member lists. The target side (the same wheels deployed with the workstation check bypassed)
 * is in test/integration/deploy-hostile-wheels.test.ts.
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import * as yauzl from "yauzl";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inspectWheel } from "../../src/bundle/wheel-verify";
import { checkZipLayout, normalizedEntryKey } from "../../src/core/zip-layout";
import { createBundle } from "../../src/bundle/create";
import { verifyBundle } from "../../src/bundle/verify";
import { assembleBundle, makeKeys, makeTrust, NOW, TARGET } from "../support/bundles";
import { tmpDir } from "../support/unit";
import { ensureBuilt, REPO } from "../support/cli";
import { appendedMembers, concatenated, markerPth, RawEntry, wheelEntries, writeZip } from "../support/zips";

const PY = process.env.ZWH_TEST_PYTHON ?? "python3";
const NAME = "hostile";
const VERSION = "1.0";
const FILENAME = `${NAME}-${VERSION}-py3-none-any.whl`;
const FILES = { "hostile/__init__.py": "VALUE = 1\n" };
const HOOK = "zzz_hostile_hook.pth";
/** Hardly compressible text, so the benign wheel of the concatenation shape is the larger one. */
const PADDING = Array.from({ length: 100 }, (_, i) => createHash("sha256").update(String(i)).digest("hex")).join("\n");

let dir: string;
beforeAll(() => {
  dir = tmpDir("zwh-hostile-");
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

let seq = 0;
function save(bytes: Buffer): string {
  const d = path.join(dir, `w${++seq}`);
  fs.mkdirSync(d);
  const p = path.join(d, FILENAME);
  fs.writeFileSync(p, bytes);
  return p;
}

/** Names Python's zipfile reads (namelist order), or the error it raises. */
function pythonNames(file: string): string[] | string {
  const code = "import sys,zipfile,json\ntry:\n z=zipfile.ZipFile(sys.argv[1]); print(json.dumps(z.namelist()))\nexcept Exception as e:\n print(json.dumps('ERR '+type(e).__name__))";
  return JSON.parse(execFileSync(PY, ["-c", code, file], { encoding: "utf8" }));
}

/** Names yauzl reads (the counted entries from the stated offset), or its error. */
async function yauzlNames(file: string): Promise<string[] | string> {
  try {
    const z = await yauzl.openPromise(file, { lazyEntries: true });
    const names: string[] = [];
    await new Promise<void>((resolve, reject) => {
      z.on("entry", (e: yauzl.Entry) => {
        names.push(e.fileName);
        z.readEntry();
      });
      z.on("end", () => resolve());
      z.on("error", reject);
      z.readEntry();
    });
    z.close();
    return names;
  } catch (e) {
    return `ERR ${(e as Error).message}`;
  }
}

const evilExtra = () => ({ [HOOK]: markerPth("/tmp/zwh-hostile-never-written") });

/** The hostile shapes: name → wheel bytes, and whether pip's reader sees the hook. */
function shapes(): Array<{ label: string; bytes: Buffer; hookVisibleToPython: boolean }> {
  const good = wheelEntries(NAME, VERSION, FILES);
  const evil = wheelEntries(NAME, VERSION, { ...FILES, [HOOK]: markerPth("/tmp/zwh-hostile-never-written") });
  const big = wheelEntries(NAME, VERSION, { ...FILES, "hostile/padding.txt": PADDING });
  const withHook: RawEntry[] = [...good.slice(0, -1), { name: HOOK, data: markerPth("/tmp/x") }, good[good.length - 1]];
  return [
    { label: "member + second RECORD after the counted central entries", bytes: appendedMembers(NAME, VERSION, FILES, evilExtra(), true), hookVisibleToPython: true },
    { label: "member after the counted central entries (no second RECORD)", bytes: appendedMembers(NAME, VERSION, FILES, evilExtra(), false), hookVisibleToPython: true },
    { label: "benign wheel followed by an evil one with an equal-size central directory", bytes: concatenated(big, evil), hookVisibleToPython: true },
    { label: "end record counts more entries than the directory holds", bytes: writeZip(good, { countOverride: good.length + 1 }), hookVisibleToPython: false },
    { label: "stated directory offset too small (zipfile relocates)", bytes: writeZip(withHook, { cdOffsetDelta: -1 }), hookVisibleToPython: true },
    { label: "prepended data, offsets not adjusted", bytes: writeZip(withHook, { prepend: Buffer.from("#!/bin/sh\nexit 0\n") }), hookVisibleToPython: true },
    { label: "data appended after the end record", bytes: writeZip(good, { append: Buffer.from("trailing bytes") }), hookVisibleToPython: false },
    { label: "bytes between two members", bytes: writeZip(good, { gapAfter: { index: 0, bytes: Buffer.from("PK\x03\x04 smuggled") } }), hookVisibleToPython: false },
    { label: "duplicate name (the later copy carries the hook)", bytes: writeZip([...good.slice(0, -1), { name: good[0].name, data: Buffer.from("import os\n") }, good[good.length - 1]]), hookVisibleToPython: false },
    { label: "duplicate after normalisation (./ form)", bytes: writeZip([...good.slice(0, -1), { name: `./${good[0].name}`, data: Buffer.from("import os\n") }, good[good.length - 1]]), hookVisibleToPython: false },
    { label: "local header names another file", bytes: writeZip(good.map((e, i) => (i === 0 ? { ...e, local: { name: e.name.replace("__init__", "__evil__") } } : e))), hookVisibleToPython: false },
    { label: "local header method differs", bytes: writeZip(good.map((e, i) => (i === 0 ? { ...e, method: 0 as const, local: { method: 8 } } : e))), hookVisibleToPython: false },
    { label: "local header sizes differ", bytes: writeZip(good.map((e, i) => (i === 0 ? { ...e, local: { usize: 1 } } : e))), hookVisibleToPython: false },
    { label: "local header CRC differs", bytes: writeZip(good.map((e, i) => (i === 0 ? { ...e, local: { crc: 1234 } } : e))), hookVisibleToPython: false },
    { label: "local header flags differ", bytes: writeZip(good.map((e, i) => (i === 0 ? { ...e, local: { flags: 0 } } : e))), hookVisibleToPython: false },
  ];
}

describe("the hostile shapes are real reader differentials", () => {
  it("Python's zipfile sees the hook member that yauzl does not (the three shapes of issue 8)", async () => {
    for (const s of shapes().slice(0, 3)) {
      const p = save(s.bytes);
      const py = pythonNames(p);
      const yz = await yauzlNames(p);
      expect(py, s.label).toContain(HOOK);
      expect(Array.isArray(yz) ? yz : [], s.label).not.toContain(HOOK);
      expect(Array.isArray(yz), `${s.label}: ${String(yz)}`).toBe(true);
    }
  });
});

describe("workstation: refused by the layout check", () => {
  it("accepts a well-formed wheel, with and without data descriptors", async () => {
    const good = wheelEntries(NAME, VERSION, FILES);
    for (const bytes of [writeZip(good), writeZip(good.map((e) => ({ ...e, descriptor: true })))]) {
      const p = save(bytes);
      const r = await inspectWheel(p);
      expect(r.findings.map((f) => f.code)).toEqual([]);
      expect(r.facts!.members.count).toBe(good.length);
    }
  });

  it("refuses every hostile shape with a coded error naming the wheel", async () => {
    for (const s of shapes()) {
      const p = save(s.bytes);
      const r = await inspectWheel(p);
      expect(r.ok, s.label).toBe(false);
      const code = r.findings[0].code;
      expect(["ZWH-WHEEL-ZIP-AMBIGUOUS", "ZWH-WHEEL-DUPLICATE-ENTRY"], `${s.label}: ${code} ${r.findings[0].message}`).toContain(code);
      expect(r.findings[0].message.startsWith(`${FILENAME}: `), s.label).toBe(true);
      expect(r.findings[0].subject).toBe(FILENAME);
      expect(r.findings[0].exitCode).toBe(3);
    }
  });

  it("names the reason: counts, relocation, gaps, local/central disagreement", async () => {
    const why = async (b: Buffer) => (await inspectWheel(save(b))).findings[0].message;
    const s = shapes();
    expect(await why(s[0].bytes)).toMatch(/holds 6 entries but the end record counts 4/);
    expect(await why(s[2].bytes)).toMatch(/does not end where the end record begins/);
    expect(await why(s[5].bytes)).toMatch(/before the first member|does not end where/);
    expect(await why(s[6].bytes)).toMatch(/comment length/);
    expect(await why(s[7].bytes)).toMatch(/after the data of hostile\/__init__.py/);
    expect(await why(s[10].bytes)).toMatch(/local header names/);
    expect(await why(s[12].bytes)).toMatch(/CRC-32 or sizes/);
  });

  it("zip64: a locator Python would follow but yauzl would not is checked for agreement", () => {
    const good = writeZip(wheelEntries(NAME, VERSION, FILES));
    // Insert a zip64 end record + locator that state another directory offset.
    const eocdAt = good.length - 22;
    const cdSize = good.readUInt32LE(eocdAt + 12);
    const cdOffset = good.readUInt32LE(eocdAt + 16);
    const rec = Buffer.alloc(56);
    rec.writeUInt32LE(0x06064b50, 0);
    rec.writeBigUInt64LE(44n, 4);
    rec.writeBigUInt64LE(4n, 24);
    rec.writeBigUInt64LE(4n, 32);
    rec.writeBigUInt64LE(BigInt(cdSize), 40);
    rec.writeBigUInt64LE(BigInt(cdOffset + 1), 48);
    const loc = Buffer.alloc(20);
    loc.writeUInt32LE(0x07064b50, 0);
    loc.writeBigUInt64LE(BigInt(cdOffset + cdSize), 8);
    loc.writeUInt32LE(1, 16);
    const bytes = Buffer.concat([good.subarray(0, eocdAt), rec, loc, good.subarray(eocdAt)]);
    const r = checkZipLayout((p, l) => bytes.subarray(p, p + l), bytes.length);
    expect(r.problems[0]?.code).toBe("ZWH-WHEEL-ZIP-AMBIGUOUS");
    expect(r.problems[0]?.why).toMatch(/zip64/);
  });

  it("normalises names for the duplicate check", () => {
    expect(normalizedEntryKey("./a//b/")).toBe("a/b");
    expect(normalizedEntryKey("a\\b")).toBe("a/b");
    expect(normalizedEntryKey("e\u0301.py")).toBe(normalizedEntryKey("\u00e9.py"));
  });
});

describe("workstation: bundle create and bundle verify refuse them", () => {
  it("create refuses each shape and leaves nothing behind; verify refuses a signed bundle holding it", async () => {
    const keys = makeKeys(1);
    const trust = makeTrust(keys);
    for (const s of shapes().slice(0, 8)) {
      const p = save(s.bytes);
      const out = path.join(path.dirname(p), "bundle");
      await expect(
        createBundle({ wheelDir: path.dirname(p), outDir: out, bundleId: "h-1", channel: "stable", sequence: 1, now: NOW, target: TARGET, signKeys: [keys[0].privateKey] }),
        s.label,
      ).rejects.toMatchObject({ code: "ZWH-WHEEL-ZIP-AMBIGUOUS", subject: FILENAME });
      expect(fs.existsSync(out)).toBe(false);
      // A bundle signed by a signer that never ran the check (assembled without create's checks).
      const b = await assembleBundle(dir, "signed-hostile", [p], { keys });
      const v = await verifyBundle(b, { trust, now: NOW });
      expect(v.ok, s.label).toBe(false);
      expect(v.findings.map((f) => f.error.code), s.label).toContain("ZWH-WHEEL-ZIP-AMBIGUOUS");
    }
  });
});

describe("workstation: the worker-thread path (compiled lib/) applies the same check", () => {
  it("verifyWheelSet with worker threads refuses the shapes and accepts a good wheel", async () => {
    ensureBuilt();
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const pool = require(path.join(REPO, "lib", "bundle", "wheel-pool.js")) as typeof import("../../src/bundle/wheel-pool");
    expect(pool.workerScript()).toBeDefined();
    const files = [save(writeZip(wheelEntries(NAME, VERSION, FILES))), ...shapes().slice(0, 3).map((s) => save(s.bytes))];
    const r = await pool.verifyWheelSet(files, { workers: 2, minBytesForWorkers: 0 });
    expect(r.map((x) => x.findings[0]?.code ?? "ok")).toEqual(["ok", "ZWH-WHEEL-ZIP-AMBIGUOUS", "ZWH-WHEEL-ZIP-AMBIGUOUS", "ZWH-WHEEL-ZIP-AMBIGUOUS"]);
  });

  it("verifyWheelSet with worker threads stops when its signal aborts (a speculative pass no longer needed)", async () => {
    ensureBuilt();
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const pool = require(path.join(REPO, "lib", "bundle", "wheel-pool.js")) as typeof import("../../src/bundle/wheel-pool");
    const files = Array.from({ length: 6 }, () => save(writeZip(wheelEntries(NAME, VERSION, FILES))));
    const before = new AbortController();
    before.abort();
    await expect(pool.verifyWheelSet(files, { workers: 2, minBytesForWorkers: 0, signal: before.signal })).rejects.toMatchObject({ message: "wheel verification was stopped" });
    const during = new AbortController();
    const p = pool.verifyWheelSet(files, { workers: 2, minBytesForWorkers: 0, signal: during.signal });
    during.abort();
    await expect(p).rejects.toMatchObject({ message: "wheel verification was stopped" });
    // Not aborted: the same set verifies.
    expect((await pool.verifyWheelSet(files, { workers: 2, minBytesForWorkers: 0 })).every((x) => x.ok)).toBe(true);
  });
});
