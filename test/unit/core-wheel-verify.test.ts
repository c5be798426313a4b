import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHash, randomBytes } from "node:crypto";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildWheel, WheelSpec } from "../support/wheels";
import { inspectWheel, verifyWheel, verifyWheels, WheelVerifyResult } from "../../src/bundle/wheel-verify";

let dir: string;
let n = 0;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "zwh-core-verify-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Build a wheel in its own directory (names may repeat across tests). */
async function wheel(spec: Partial<WheelSpec> & { mutate?: WheelSpec["mutate"] } = {}): Promise<string> {
  return buildWheel(join(dir, String(n++)), { name: "demo", version: "1.0", ...spec });
}
function codes(r: WheelVerifyResult): string[] {
  return r.findings.map((f) => f.code);
}
/** Assert the wheel is refused with `code`, both in collect-all and in first-finding mode. */
async function expectRefused(path: string, code: string, opts: Parameters<typeof inspectWheel>[1] = {}) {
  const r = await inspectWheel(path, opts);
  expect(r.ok).toBe(false);
  expect(codes(r)).toContain(code);
  for (const f of r.findings) expect(f.exitCode).toBe(3);
  await expect(verifyWheel(path, opts)).rejects.toMatchObject({ code });
  return r;
}
function sha256File(p: string): string {
  return createHash("sha256").update(readFileSync(p)).digest("hex");
}
/** Independent reader (Python's zipfile) for cross-checking facts. */
function pyMemberSha256(whl: string, member: string): string {
  return execFileSync("python3", ["-c", "import sys,zipfile,hashlib;print(hashlib.sha256(zipfile.ZipFile(sys.argv[1]).read(sys.argv[2])).hexdigest())", whl, member]).toString().trim();
}

describe("verifyWheel: good wheels", () => {
  it("returns the facts of a well-formed wheel", async () => {
    const p = await wheel({ name: "Demo_Pkg", version: "1.0.post1", requiresDist: ["six>=1"], requiresPython: ">=3.8", license: "MIT", extras: { sec: ["cryptography>=3"] } });
    const facts = await verifyWheel(p, { listFiles: true });
    expect(facts).toMatchObject({
      filename: "demo_pkg-1.0.post1-py3-none-any.whl",
      name: "Demo_Pkg",
      normalizedName: "demo-pkg",
      version: "1.0.post1",
      tags: ["py3-none-any"],
      requiresPython: ">=3.8",
      requiresDist: ["six>=1", 'cryptography>=3; extra == "sec"'],
      providesExtra: ["sec"],
      license: "MIT",
      distInfo: "demo_pkg-1.0.post1.dist-info",
      entries: 4,
    });
    expect(facts.sha256).toBe(sha256File(p));
    expect(facts.size).toBe(readFileSync(p).length);
    expect(facts.recordSha256).toBe(pyMemberSha256(p, "demo_pkg-1.0.post1.dist-info/RECORD"));
    expect(facts.files?.map((f) => f.path)).toContain("demo_pkg/__init__.py");
  });
  it("verifies stored (uncompressed) wheels and large streamed members", async () => {
    expect((await inspectWheel(await wheel({ compress: false }))).ok).toBe(true);
    // > 8 MiB takes the streaming inflate path.
    const big = randomBytes(9 * 1024 * 1024).toString("base64");
    const p = await wheel({ files: { "demo/big.txt": big, "demo/__init__.py": "" } });
    const r = await inspectWheel(p);
    expect(r.findings).toEqual([]);
    expect(r.facts?.uncompressedSize).toBeGreaterThan(9 * 1024 * 1024);
    // and a tampered large member is caught on that path too
    const t = await wheel({ files: { "demo/big.txt": big }, mutate: { tamperRecordHash: "demo/big.txt" } });
    expect(codes(await inspectWheel(t))).toEqual(["ZWH-WHEEL-RECORD-MISMATCH"]);
  });
  it("accepts odd but legal member names, quoted in RECORD", async () => {
    const p = await wheel({ files: { "demo/__init__.py": "", 'demo/we"ird, name.txt': "x", "demo/ünï.txt": "u" } });
    expect((await inspectWheel(p)).findings).toEqual([]);
  });
  it("passes real third-party wheels (Debian's and ensurepip's)", async () => {
    const dirs = ["/usr/share/python-wheels"];
    try {
      const ep = execFileSync("python3", ["-c", "import ensurepip,os;print(os.path.dirname(ensurepip.__file__))"]).toString().trim();
      dirs.push(join(ep, "_bundled"));
    } catch {
      /* no ensurepip: the other directory must still provide wheels */
    }
    const found = dirs.filter((d) => existsSync(d)).flatMap((d) => readdirSync(d).filter((f) => f.endsWith(".whl")).map((f) => join(d, f)));
    expect(found.length, `no real wheels found in ${dirs.join(", ")}`).toBeGreaterThan(0);
    const results = await verifyWheels(found, { concurrency: 2 });
    for (const r of results) {
      expect(r.findings.map((f) => f.message), r.path).toEqual([]);
      expect(r.facts!.sha256).toBe(sha256File(r.path));
      expect(r.facts!.entries).toBeGreaterThan(10);
    }
    expect(results.map((r) => r.path)).toEqual(found); // input order kept
  });
});

describe("verifyWheel: one refusal per hostile wheel", () => {
  it("ZWH-WHEEL-PATH-TRAVERSAL: .. segments, backslashes, NUL", async () => {
    await expectRefused(await wheel({ mutate: { traversalEntry: true } }), "ZWH-WHEEL-PATH-TRAVERSAL");
    await expectRefused(await wheel({ mutate: { traversalEntry: "demo/../../../etc/cron.d/x" } }), "ZWH-WHEEL-PATH-TRAVERSAL");
    await expectRefused(await wheel({ mutate: { backslashEntry: true } }), "ZWH-WHEEL-PATH-TRAVERSAL");
    await expectRefused(await wheel({ mutate: { traversalEntry: "demo/evil.py\0.txt" } }), "ZWH-WHEEL-PATH-TRAVERSAL");
  });
  it("ZWH-WHEEL-ABSOLUTE-PATH: leading slash and drive letters", async () => {
    await expectRefused(await wheel({ mutate: { absoluteEntry: true } }), "ZWH-WHEEL-ABSOLUTE-PATH");
    await expectRefused(await wheel({ mutate: { absoluteEntry: "C:/Windows/evil.py" } }), "ZWH-WHEEL-ABSOLUTE-PATH");
  });
  it("ZWH-WHEEL-ENTRY-NAME: non-canonical segments", async () => {
    await expectRefused(await wheel({ files: { "demo/./x.py": "x", "demo/__init__.py": "" } }), "ZWH-WHEEL-ENTRY-NAME");
  });
  it("ZWH-WHEEL-SYMLINK", async () => {
    const r = await expectRefused(await wheel({ mutate: { symlinkEntry: true } }), "ZWH-WHEEL-SYMLINK");
    expect(r.findings[0].details).toMatchObject({ entry: "demo/link_to_passwd" });
  });
  it("ZWH-WHEEL-SPECIAL-FILE: FIFO mode", async () => {
    await expectRefused(await wheel({ files: { "demo/__init__.py": "", "demo/pipe": "" }, modes: { "demo/pipe": 0o010644 } }), "ZWH-WHEEL-SPECIAL-FILE");
    // an executable regular file is fine
    expect((await inspectWheel(await wheel({ files: { "demo/run.sh": "#!/bin/sh\n" }, modes: { "demo/run.sh": 0o100755 } }))).ok).toBe(true);
  });
  it("ZWH-WHEEL-DUPLICATE-ENTRY", async () => {
    const r = await expectRefused(await wheel({ mutate: { duplicateEntry: true } }), "ZWH-WHEEL-DUPLICATE-ENTRY");
    expect(r.findings[0].code).toBe("ZWH-WHEEL-DUPLICATE-ENTRY");
  });
  it("ZWH-WHEEL-BOMB: compression ratio, entry count, total and per-entry size, metadata size", async () => {
    const bomb = await wheel({ mutate: { bomb: true } });
    const r = await expectRefused(bomb, "ZWH-WHEEL-BOMB");
    expect(r.findings[0].message).toMatch(/compression ratio/);
    // The same wheel passes when the ratio limit is raised: the refusal really is the ratio.
    expect((await inspectWheel(bomb, { limits: { maxCompressionRatio: 100_000 } })).ok).toBe(true);
    const plain = await wheel({ files: { "demo/a.py": "a = 1\n", "demo/b.py": "b = 2\n", "demo/c.py": "x".repeat(1000) } });
    expect((await inspectWheel(plain)).ok).toBe(true);
    await expectRefused(plain, "ZWH-WHEEL-BOMB", { limits: { maxEntries: 5 } });
    await expectRefused(plain, "ZWH-WHEEL-BOMB", { limits: { maxTotalUncompressed: 500 } });
    await expectRefused(plain, "ZWH-WHEEL-BOMB", { limits: { maxEntryUncompressed: 999 } });
    await expectRefused(plain, "ZWH-WHEEL-BOMB", { limits: { maxMetadataFileSize: 50 } });
  });
  it("ZWH-WHEEL-METADATA-MISMATCH: name, version, dist-info directory, WHEEL tags", async () => {
    await expectRefused(await wheel({ mutate: { metadataName: "other" } }), "ZWH-WHEEL-METADATA-MISMATCH");
    await expectRefused(await wheel({ mutate: { metadataVersion: "1.1" } }), "ZWH-WHEEL-METADATA-MISMATCH");
    await expectRefused(await wheel({ mutate: { distInfoName: "other-1.0.dist-info" } }), "ZWH-WHEEL-METADATA-MISMATCH");
    await expectRefused(await wheel({ mutate: { wheelTags: ["cp311-cp311-linux_x86_64"] } }), "ZWH-WHEEL-METADATA-MISMATCH");
    // Normalized names and PEP 440-equal versions are not mismatches.
    expect((await inspectWheel(await wheel({ name: "Demo.Pkg", mutate: { metadataName: "demo_pkg", metadataVersion: "1.0.0" } }))).ok).toBe(true);
  });
  it("ZWH-WHEEL-RECORD-MISMATCH: wrong hash, wrong size, no hash", async () => {
    const r = await expectRefused(await wheel({ mutate: { tamperRecordHash: true } }), "ZWH-WHEEL-RECORD-MISMATCH");
    expect(r.findings[0].details).toMatchObject({ entry: "demo/__init__.py" });
    await expectRefused(await wheel({ mutate: { tamperRecordSize: true } }), "ZWH-WHEEL-RECORD-MISMATCH");
    const rec = "demo/__init__.py,,\ndemo-1.0.dist-info/METADATA,,\ndemo-1.0.dist-info/WHEEL,,\ndemo-1.0.dist-info/RECORD,,\n";
    await expectRefused(await wheel({ mutate: { rawRecord: rec } }), "ZWH-WHEEL-RECORD-MISMATCH");
  });
  it("ZWH-WHEEL-RECORD-MISSING-ENTRY", async () => {
    await expectRefused(await wheel({ mutate: { omitFromRecord: true } }), "ZWH-WHEEL-RECORD-MISSING-ENTRY");
  });
  it("ZWH-WHEEL-RECORD-EXTRA-ENTRY: RECORD lists a file the archive lacks", async () => {
    await expectRefused(await wheel({ mutate: { extraRecordLine: true } }), "ZWH-WHEEL-RECORD-EXTRA-ENTRY");
  });
  it("ZWH-WHEEL-RECORD-WEAK-HASH", async () => {
    await expectRefused(await wheel({ mutate: { weakHash: true } }), "ZWH-WHEEL-RECORD-WEAK-HASH");
  });
  it("ZWH-WHEEL-RECORD-INVALID", async () => {
    await expectRefused(await wheel({ mutate: { rawRecord: "this,is\nnot a record\n" } }), "ZWH-WHEEL-RECORD-INVALID");
  });
  it("ZWH-WHEEL-DIST-INFO: missing RECORD, METADATA, WHEEL; two dist-info directories", async () => {
    await expectRefused(await wheel({ mutate: { noRecord: true } }), "ZWH-WHEEL-DIST-INFO");
    await expectRefused(await wheel({ mutate: { noMetadata: true } }), "ZWH-WHEEL-DIST-INFO");
    await expectRefused(await wheel({ mutate: { noWheelFile: true } }), "ZWH-WHEEL-DIST-INFO");
    await expectRefused(await wheel({ mutate: { secondDistInfo: true } }), "ZWH-WHEEL-DIST-INFO");
  });
  it("ZWH-METADATA-VERSION and ZWH-METADATA-INVALID from METADATA", async () => {
    await expectRefused(await wheel({ mutate: { metadataFormat: "3.0" } }), "ZWH-METADATA-VERSION");
    await expectRefused(await wheel({ mutate: { metadataVersion: "not-a-version" } }), "ZWH-METADATA-INVALID");
  });
  it("ZWH-WHEEL-CORRUPT: truncated, not a zip, damaged data (a differing local header name is ambiguous)", async () => {
    await expectRefused(await wheel({ mutate: { truncate: 60 } }), "ZWH-WHEEL-CORRUPT");
    const notZip = join(dir, "junk-1.0-py3-none-any.whl");
    writeFileSync(notZip, "this is not a zip file at all");
    await expectRefused(notZip, "ZWH-WHEEL-CORRUPT");
    // A local header that names another file than the central directory: readers disagree.
    await expectRefused(await wheel({ mutate: { localHeaderNameMismatch: true } }), "ZWH-WHEEL-ZIP-AMBIGUOUS");
    // Flip bytes inside a deflated member: either inflate fails or the content no longer matches.
    const text = Array.from({ length: 4000 }, (_, i) => `line ${i} ${i * 7919}\n`).join("");
    const p = await wheel({ files: { "demo/data.txt": text } });
    const bytes = readFileSync(p);
    for (let i = 200; i < 260; i++) bytes[i] ^= 0xff;
    writeFileSync(p, bytes);
    const r = await inspectWheel(p);
    expect(r.ok).toBe(false);
    expect(["ZWH-WHEEL-CORRUPT", "ZWH-WHEEL-RECORD-MISMATCH"]).toContain(r.findings[0].code);
  });
  it("ZWH-WHEEL-FILENAME / ZWH-WHEEL-NOT-WHEEL from the file name", async () => {
    await expectRefused(await wheel({ filename: "demo-1.0.whl" }), "ZWH-WHEEL-FILENAME");
    await expectRefused(await wheel({ filename: "demo-1.0.tar.gz" }), "ZWH-WHEEL-NOT-WHEEL");
    // A filename for another project than the content: METADATA mismatch.
    await expectRefused(await wheel({ filename: "other-1.0-py3-none-any.whl" }), "ZWH-WHEEL-METADATA-MISMATCH");
  });
  it("ZWH-WHEEL-READ for a missing file (an error, not a refusal)", async () => {
    const r = await inspectWheel(join(dir, "absent-1.0-py3-none-any.whl"));
    expect(codes(r)).toEqual(["ZWH-WHEEL-READ"]);
    expect(r.findings[0].exitCode).toBe(1);
  });
});

describe("collecting all findings", () => {
  it("lists every problem of a wheel with several, and verifyWheel throws the first", async () => {
    const p = await wheel({
      files: { "demo/__init__.py": "", "demo/a.py": "a", "demo/b.py": "b" },
      mutate: { traversalEntry: true, symlinkEntry: true, tamperRecordHash: "demo/a.py", omitFromRecord: "demo/b.py", extraRecordLine: true, metadataVersion: "2.0" },
    });
    const r = await inspectWheel(p);
    expect(new Set(codes(r))).toEqual(
      new Set(["ZWH-WHEEL-PATH-TRAVERSAL", "ZWH-WHEEL-SYMLINK", "ZWH-WHEEL-RECORD-MISMATCH", "ZWH-WHEEL-RECORD-MISSING-ENTRY", "ZWH-WHEEL-RECORD-EXTRA-ENTRY", "ZWH-WHEEL-METADATA-MISMATCH"]),
    );
    expect(r.facts?.name).toBe("demo"); // facts are still reported for --json
    expect(JSON.parse(JSON.stringify(r.findings))[0]).toHaveProperty("code");
    await expect(verifyWheel(p)).rejects.toMatchObject({ code: r.findings[0].code });
    const [first] = await verifyWheels([p], { collectAll: false });
    expect(first.findings).toHaveLength(1);
  });
  it("verifyWheels keeps order and isolates failures", async () => {
    const good = await wheel();
    const bad = await wheel({ mutate: { tamperRecordHash: true } });
    const rs = await verifyWheels([good, bad, good], { concurrency: 3 });
    expect(rs.map((r) => r.ok)).toEqual([true, false, true]);
    expect(rs.map((r) => r.path)).toEqual([good, bad, good]);
  });
});
