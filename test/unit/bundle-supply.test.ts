/**
 * Know what you ship: Toolkit requirements import (two-channel hash check), the SBOM inside the
 * bundle and from `bundle sbom`, the vulnerability gate at create and verify, the test-code
 * policy, and bundle diff. Real wheels (buildWheel), real createBundle / verifyBundle.
 */
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseHashedRequirements } from "../../src/core/requirements-file";
import { createBundle } from "../../src/bundle/create";
import { verifyBundle } from "../../src/bundle/verify";
import { parseStatement, SBOM_FILE, STATEMENT_FILE } from "../../src/bundle/statement";
import { cycloneDxJson, sbomInputFromPredicate } from "../../src/bundle/sbom";
import { diffSides, loadDiffSide, vulnDelta } from "../../src/bundle/diff";
import { loadVulnGate, runVulnGate } from "../../src/bundle/vuln-gate";
import { ZwhError } from "../../src/core/errors";
import { buildWheel, WheelSpec } from "../support/wheels";
import { makeKeys, makeTrust, NOW, TARGET } from "../support/bundles";
import { ghsa, mal, writeOsvZip } from "../support/osv";
import { validateCycloneDx16 } from "../support/cyclonedx";
import { handlerCtx, tmpDir } from "../support/unit";
import sbomHandler from "../../src/cli/handlers/bundle/sbom";
import diffHandler from "../../src/cli/handlers/bundle/diff";

const root = tmpDir("zwh-supply-");
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
const keys = makeKeys(1);
const trust = makeTrust(keys);
const sha = (f: string) => crypto.createHash("sha256").update(fs.readFileSync(f)).digest("hex");
let n = 0;

async function wheelDir(specs: WheelSpec[]): Promise<{ dir: string; files: Record<string, string> }> {
  const dir = path.join(root, `wheels-${++n}`);
  const files: Record<string, string> = {};
  for (const s of specs) files[s.name] = await buildWheel(dir, s);
  return { dir, files };
}

const SPECS: WheelSpec[] = [
  { name: "app", version: "1.0", requiresDist: ["lib>=1", "extra-only; extra == \"x\"", "win-only; sys_platform == \"win32\""] },
  { name: "lib", version: "1.0.post0" },
];

function toolkitFile(lines: string[], name = "pyaitoolkit_1.14.0.post0.txt"): { file: string; bytes: Buffer } {
  const text = [
    "--index-url https://downloads.pyaitoolkit.ibm.net/repository/python_ai_toolkit_zos/simple",
    "--trusted-host downloads.pyaitoolkit.ibm.net",
    "--require-hashes",
    "--only-binary :all:",
    ...lines,
  ].join("\n") + "\n";
  const file = path.join(root, `req-${++n}`, name);
  fs.mkdirSync(path.dirname(file));
  fs.writeFileSync(file, text);
  return { file, bytes: Buffer.from(text) };
}

async function create(dir: string, extra: Partial<Parameters<typeof createBundle>[0]> = {}) {
  return createBundle({
    wheelDir: dir, outDir: path.join(root, `bundle-${++n}`), bundleId: `b-${n}`, channel: "stable", sequence: n, expires: "30d",
    now: NOW, target: TARGET, signKeys: [keys[0].privateKey], ...extra,
  });
}

async function refusedCodes(p: Promise<unknown>): Promise<Array<{ code: string; subject?: string }>> {
  try {
    await p;
  } catch (e) {
    const err = e as ZwhError;
    return ((err.details?.findings as Array<{ code: string; subject?: string }>) ?? [{ code: err.code, subject: err.subject }]).map((f) => ({ code: f.code, subject: f.subject }));
  }
  throw new Error("expected a refusal");
}

describe("Toolkit hashed requirements files", () => {
  it("parses the header, pins with several hashes, continuations, comments and markers", () => {
    const h1 = "a".repeat(64);
    const h2 = "B".repeat(64);
    const r = parseHashedRequirements([
      "# pyaitoolkit 1.14.0.post0 for cp312",
      "--index-url https://downloads.pyaitoolkit.ibm.net/repository/python_ai_toolkit_zos/simple",
      "--trusted-host downloads.pyaitoolkit.ibm.net",
      "--require-hashes",
      "--only-binary :all:",
      `alembic==1.18.1 --hash=sha256:${h1}`,
      `Babel==2.17.0.post0 \\`,
      `    --hash=sha256:${h1} \\`,
      `    --hash sha256:${h2}   # two platforms`,
      `tzdata==2025.1 ; sys_platform == "win32" --hash=sha256:${h1}`,
      "",
    ].join("\r\n"), "req.txt");
    expect(r.indexUrl).toBe("https://downloads.pyaitoolkit.ibm.net/repository/python_ai_toolkit_zos/simple");
    expect(r.trustedHosts).toEqual(["downloads.pyaitoolkit.ibm.net"]);
    expect([r.requireHashes, r.onlyBinaryAll]).toEqual([true, true]);
    expect(r.pins.map((p) => [p.name, p.version, p.hashes.length, p.line, p.marker ?? null])).toEqual([
      ["alembic", "1.18.1", 1, 6, null],
      ["babel", "2.17.0.post0", 2, 7, null],
      ["tzdata", "2025.1", 1, 10, 'sys_platform == "win32"'],
    ]);
    expect(r.pins[1].hashes[1]).toBe("b".repeat(64));
  });

  it.each([
    ["an unpinned requirement", "alembic>=1.0 --hash=sha256:" + "a".repeat(64), /not pinned with ==/],
    ["a pin without a hash", "alembic==1.0", /has no --hash/],
    ["an md5 hash", "alembic==1.0 --hash=md5:" + "a".repeat(32), /md5 hashes are not accepted/],
    ["a short sha256", "alembic==1.0 --hash=sha256:abc", /not a 64-digit sha256/],
    ["-r another file", "-r other.txt", /option -r is not supported/],
    ["--find-links", "--find-links /tmp", /option --find-links is not supported/],
    ["--only-binary for one package", "--only-binary numpy", /only --only-binary :all:/],
    ["a URL requirement", "alembic @ https://x/alembic.whl --hash=sha256:" + "a".repeat(64), /URL requirement/],
    ["a duplicate pin", `a==1 --hash=sha256:${"a".repeat(64)}\na==2 --hash=sha256:${"a".repeat(64)}`, /pinned twice \(also line 1\)/],
  ])("refuses %s with ZWH-REQ-SYNTAX naming the line", (_l, text, re) => {
    let err: ZwhError | undefined;
    try {
      parseHashedRequirements(text, "req.txt");
    } catch (e) {
      err = e as ZwhError;
    }
    expect(err?.code).toBe("ZWH-REQ-SYNTAX");
    expect(err?.message).toMatch(/^req\.txt line \d+: /);
    expect(err?.message).toMatch(re);
  });

  it("refuses a wrong hash, a missing wheel and an extra wheel, one code per case naming the package", async () => {
    const { dir, files } = await wheelDir([...SPECS, { name: "stowaway", version: "0.1" }]);
    const req = toolkitFile([
      `app==1.0 --hash=sha256:${sha(files.app)}`,
      `lib==1.0.post0 --hash=sha256:${"0".repeat(64)}`,
      `numpy==1.26.4 --hash=sha256:${"1".repeat(64)}`,
      `pywin32==306 ; sys_platform == "win32" --hash=sha256:${"2".repeat(64)}`, // not for z/OS: not required
    ]);
    const codes = await refusedCodes(create(dir, { fromRequirements: { bytes: req.bytes, source: req.file } }));
    expect(codes).toEqual(expect.arrayContaining([
      { code: "ZWH-REQ-HASH-MISMATCH", subject: "lib" },
      { code: "ZWH-REQ-EXTRA-WHEEL", subject: "stowaway" },
      { code: "ZWH-REQ-MISSING-WHEEL", subject: "numpy" },
    ]));
    expect(codes.length).toBe(3);
    expect(fs.readdirSync(root).filter((d) => d.startsWith(".bundle-"))).toEqual([]); // nothing left behind
  });

  it("refuses a wheel of another version than pinned", async () => {
    const { dir, files } = await wheelDir(SPECS);
    const req = toolkitFile([`app==1.0 --hash=sha256:${sha(files.app)}`, `lib==1.0.post1 --hash=sha256:${sha(files.lib)}`]);
    expect(await refusedCodes(create(dir, { fromRequirements: { bytes: req.bytes, source: req.file } }))).toEqual([{ code: "ZWH-REQ-VERSION-MISMATCH", subject: "lib" }]);
  });

  it("a correct file gives a bundle whose signed statement names the file and its sha256, and that verifies", async () => {
    const { dir, files } = await wheelDir(SPECS);
    const req = toolkitFile([`app==1.0 --hash=sha256:${"f".repeat(64)} --hash=sha256:${sha(files.app)}`, `lib==1.0.post0 --hash=sha256:${sha(files.lib)}`]);
    const r = await create(dir, { fromRequirements: { bytes: req.bytes, source: req.file } });
    const st = parseStatement(fs.readFileSync(path.join(r.dir, STATEMENT_FILE)));
    expect(st.predicate.source?.requirements).toEqual({
      name: "pyaitoolkit_1.14.0.post0.txt",
      sha256: crypto.createHash("sha256").update(req.bytes).digest("hex"),
      indexUrl: "https://downloads.pyaitoolkit.ibm.net/repository/python_ai_toolkit_zos/simple",
      trustedHosts: ["downloads.pyaitoolkit.ibm.net"],
      pins: 2,
    });
    expect(st.predicate.requirements).toEqual(["app==1.0", "lib==1.0.post0"]);
    const v = await verifyBundle(r.dir, { trust, now: NOW });
    expect(v.findings.map((f) => f.error.code)).toEqual([]);
    expect(v.ok).toBe(true);
  });
});

describe("SBOM", () => {
  it("bundle create writes sbom.cdx.json as a signed subject: valid CycloneDX 1.6, purls with file_name, hashes, graph under the target markers", async () => {
    const { dir, files } = await wheelDir([...SPECS, { name: "extra-only", version: "1.0" }, { name: "win-only", version: "1.0" }]);
    const r = await create(dir, { requirements: ["app", "extra-only", "win-only"] });
    const text = fs.readFileSync(path.join(r.dir, SBOM_FILE), "utf8");
    expect(r.statement.subject.find((s) => s.name === SBOM_FILE)?.digest.sha256).toBe(sha(path.join(r.dir, SBOM_FILE)));
    expect(await validateCycloneDx16(text)).toBeNull();
    expect(await validateCycloneDx16(text.replace('"type": "library"', '"type": "no-such-type"'))).not.toBeNull(); // the validator can fail
    const bom = JSON.parse(text);
    expect(bom.specVersion).toBe("1.6");
    const lib = bom.components.find((c: { name: string }) => c.name === "lib");
    expect(lib.purl).toBe("pkg:pypi/lib@1.0.post0?file_name=lib-1.0.post0-py3-none-any.whl");
    expect(lib.hashes).toEqual([{ alg: "SHA-256", content: sha(files.lib) }]);
    expect(lib.properties).toEqual([{ name: "wheelhouse:wheel.filename", value: "lib-1.0.post0-py3-none-any.whl" }]);
    const deps = Object.fromEntries(bom.dependencies.map((d: { ref: string; dependsOn?: string[] }) => [d.ref, d.dependsOn ?? []]));
    // app -> lib only: the extra's and win32's requirements do not apply on z/OS.
    expect(deps["pkg:pypi/app@1.0?file_name=app-1.0-py3-none-any.whl"]).toEqual(["pkg:pypi/lib@1.0.post0?file_name=lib-1.0.post0-py3-none-any.whl"]);
    const main = bom.metadata.component;
    expect(main.name).toBe(r.statement.predicate.bundleId);
    expect(main.properties).toEqual(expect.arrayContaining([
      { name: "wheelhouse:bundle.channel", value: "stable" },
      { name: "wheelhouse:signer", value: r.signedBy[0] },
      { name: "wheelhouse:target.platform", value: "os390-29.00-8561" },
    ]));
    expect(JSON.stringify(bom)).not.toContain('"cdx:');
  });

  it("a changed sbom.cdx.json is refused by verify (it is covered by the statement)", async () => {
    const { dir } = await wheelDir(SPECS);
    const r = await create(dir);
    fs.appendFileSync(path.join(r.dir, SBOM_FILE), " ");
    const v = await verifyBundle(r.dir, { trust, now: NOW });
    expect(v.findings.map((f) => [f.step, f.error.code, f.error.subject])).toEqual([["subjects", "ZWH-BUNDLE-SUBJECT-MISMATCH", SBOM_FILE]]);
  });

  it("bundle sbom --out writes a valid SBOM with the statement digest and the trust file's signer names", async () => {
    const { dir } = await wheelDir(SPECS);
    const r = await create(dir);
    const trustFile = path.join(root, `trust-${++n}.json`);
    fs.writeFileSync(trustFile, JSON.stringify(trust.doc));
    const out = path.join(root, `sbom-${n}.cdx.json`);
    const res = await sbomHandler.run(handlerCtx({ dir: r.dir, out, trust: trustFile }));
    expect(res.exitCode).toBe(0);
    const text = fs.readFileSync(out, "utf8");
    expect(await validateCycloneDx16(text)).toBeNull();
    const props = JSON.parse(text).metadata.component.properties;
    expect(props).toEqual(expect.arrayContaining([
      { name: "wheelhouse:bundle.statementDigest", value: r.statementDigest },
      { name: "wheelhouse:signer", value: `signer-1 ${r.signedBy[0]}` },
    ]));
    await expect(sbomHandler.run(handlerCtx({ dir: r.dir, out }))).rejects.toMatchObject({ code: "ZWH-BUNDLE-EXISTS" });
  });

  it("the builder is deterministic and the Toolkit index becomes the purl repository_url", async () => {
    const { dir, files } = await wheelDir(SPECS);
    const req = toolkitFile([`app==1.0 --hash=sha256:${sha(files.app)}`, `lib==1.0.post0 --hash=sha256:${sha(files.lib)}`]);
    const r = await create(dir, { fromRequirements: { bytes: req.bytes, source: req.file } });
    const a = cycloneDxJson(sbomInputFromPredicate(r.statement.predicate));
    expect(cycloneDxJson(sbomInputFromPredicate(r.statement.predicate))).toBe(a);
    expect(await validateCycloneDx16(a)).toBeNull();
    expect(JSON.parse(a).components[0].purl).toBe("pkg:pypi/app@1.0?file_name=app-1.0-py3-none-any.whl&repository_url=downloads.pyaitoolkit.ibm.net%2Frepository%2Fpython_ai_toolkit_zos"); // packageurl-js percent-encodes "/" in qualifier values
  });
});

describe("vulnerability gate in create and verify", () => {
  const HIGH = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H";
  it("create refuses a vulnerable wheel; a passing create records the snapshot's sha256 and date", async () => {
    const db = await writeOsvZip(path.join(root, "db1", "all.zip"), [
      ghsa("GHSA-lib0-high-0001", "lib", [{ introduced: "0" }, { fixed: "1.0.1" }], { aliases: ["CVE-2026-1111"], severity: [{ type: "CVSS_V3", score: HIGH }], modified: "2026-05-02T00:00:00Z" }),
    ]);
    const { dir } = await wheelDir(SPECS);
    const codes = await refusedCodes(create(dir, { vulnGate: { dbFile: db } }));
    expect(codes).toEqual([{ code: "ZWH-VULN-HIGH", subject: "lib" }]);
    const clean = await writeOsvZip(path.join(root, "db2", "all.zip"), [
      ghsa("GHSA-lib0-high-0001", "lib", [{ introduced: "0" }, { fixed: "1.0" }], { severity: [{ type: "CVSS_V3", score: HIGH }], modified: "2026-05-03T00:00:00Z" }),
    ]);
    const r = await create(dir, { vulnGate: { dbFile: clean, settings: { maxCvss: 8, refuseAt: "gt" } } });
    expect(r.statement.predicate.policy.vulnerability).toEqual({
      osvSnapshot: { ecosystem: "PyPI", file: "all.zip", sha256: sha(clean), date: "2026-05-03T00:00:00Z", records: 1 },
      maxCvss: 8, refuseAt: "gt", allowUnscored: false, waivers: [],
    });
    // A newer snapshot at verify time: the malicious-package report now refuses the bundle (step 9), also statement-only.
    const newer = await writeOsvZip(path.join(root, "db3", "all.zip"), [mal("MAL-2026-9", "app")]);
    for (const statementOnly of [false, true]) {
      const v = await verifyBundle(r.dir, { trust, now: NOW, vulnGate: { dbFile: newer }, statementOnly });
      expect(v.findings.map((f) => [f.step, f.error.code, f.error.subject])).toEqual([["vulnerabilities", "ZWH-VULN-MALICIOUS", "app"]]);
    }
    // The bundle's signed settings apply at verify unless overridden: 9.8 > 8 is refused either way.
    const v2 = await verifyBundle(r.dir, { trust, now: NOW, vulnGate: { dbFile: db } });
    expect(v2.findings.map((f) => f.error.code)).toEqual(["ZWH-VULN-HIGH"]);
    const v3 = await verifyBundle(r.dir, { trust, now: NOW, vulnGate: { dbFile: db, settings: { maxCvss: 9.8, refuseAt: "gt" } } });
    expect(v3.ok).toBe(true);
    expect(v3.vulnerabilities?.map((m) => m.decision)).toEqual(["below"]);
  });
});

describe("test-code policy", () => {
  const specs: WheelSpec[] = [
    { name: "app", version: "1.0", files: { "app/__init__.py": "", "app/tests/test_core.py": "def test(): pass\n" } },
    { name: "lib", version: "1.0", files: { "lib/__init__.py": "", "lib/test_helpers.py": "x = 1\n" } },
    { name: "clean", version: "1.0" },
  ];
  it("refuse: wheels shipping tests are refused unless excepted; the rule is signed and re-checked at verify", async () => {
    const { dir } = await wheelDir(specs);
    expect(await refusedCodes(create(dir, { testCode: { mode: "refuse", exceptions: [] } }))).toEqual([
      { code: "ZWH-POLICY-TEST-CODE", subject: "app-1.0-py3-none-any.whl" },
      { code: "ZWH-POLICY-TEST-CODE", subject: "lib-1.0-py3-none-any.whl" },
    ]);
    const r = await create(dir, { testCode: { mode: "refuse", exceptions: ["app-1.0-py3-none-any.whl", "LIB"] } });
    expect(r.statement.predicate.policy.testCode).toEqual({ mode: "refuse", exceptions: ["LIB", "app-1.0-py3-none-any.whl"] });
    expect(r.testCode?.map((h) => [h.filename, h.excepted])).toEqual([["app-1.0-py3-none-any.whl", true], ["lib-1.0-py3-none-any.whl", true]]);
    expect((await verifyBundle(r.dir, { trust, now: NOW })).ok).toBe(true);
  });
  it("list: wheels shipping tests are listed as warnings, not refused", async () => {
    const { dir } = await wheelDir(specs);
    const r = await create(dir, { testCode: { mode: "list", exceptions: [] } });
    expect(r.warnings.filter((w) => w.includes("test code"))).toEqual([
      "app-1.0-py3-none-any.whl ships test code (1 file(s))",
      "lib-1.0-py3-none-any.whl ships test code (1 file(s))",
    ]);
  });
});

describe("bundle diff", () => {
  it("added, removed, upgraded, downgraded, rehashed; bundle against a requirements file; vulnerability delta", async () => {
    const a = await wheelDir([{ name: "keep", version: "1.0" }, { name: "up", version: "1.0" }, { name: "down", version: "2.0" }, { name: "gone", version: "1.0" }, { name: "rebuilt", version: "1.0" }]);
    const b = await wheelDir([{ name: "keep", version: "1.0" }, { name: "up", version: "1.0.post1" }, { name: "down", version: "1.9" }, { name: "new", version: "0.1" }, { name: "rebuilt", version: "1.0", files: { "rebuilt/__init__.py": "# rebuilt\n" } }]);
    // `keep` is byte-identical in both directories (deterministic builds).
    const ba = await create(a.dir);
    const bb = await create(b.dir);
    const d = diffSides(loadDiffSide(ba.dir), loadDiffSide(bb.dir));
    expect(d.added).toEqual([{ name: "new", version: "0.1" }]);
    expect(d.removed).toEqual([{ name: "gone", version: "1.0" }]);
    expect(d.upgraded).toEqual([{ name: "up", from: "1.0", to: "1.0.post1" }]);
    expect(d.downgraded).toEqual([{ name: "down", from: "2.0", to: "1.9" }]);
    expect(d.rehashed.map((x) => [x.name, x.version, x.from, x.to])).toEqual([["rebuilt", "1.0", [sha(a.files.rebuilt)], [sha(b.files.rebuilt)]]]);
    expect(d.unchanged).toBe(1);

    const req = toolkitFile([`keep==1.0 --hash=sha256:${sha(a.files.keep)}`, `up==1.1 --hash=sha256:${"3".repeat(64)}`, `rebuilt==1.0 --hash=sha256:${sha(a.files.rebuilt)}`]);
    const d2 = diffSides(loadDiffSide(ba.dir), loadDiffSide(req.file));
    expect([d2.unchanged, d2.upgraded, d2.rehashed, d2.removed.map((x) => x.name)]).toEqual([2, [{ name: "up", from: "1.0", to: "1.1" }], [], ["down", "gone"]]);
    expect(d2.b.label).toBe("pyaitoolkit_1.14.0.post0.txt");

    const db = await writeOsvZip(path.join(root, "dbdiff", "all.zip"), [
      ghsa("GHSA-up00-fixd-0001", "up", [{ introduced: "0" }, { fixed: "1.0.post1" }], { severity: [{ type: "CVSS_V3", score: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H" }] }),
      ghsa("GHSA-new0-intr-0002", "new", [{ introduced: "0" }], { severity: [{ type: "CVSS_V3", score: "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:N/A:H" }] }),
      ghsa("GHSA-keep-both-0003", "keep", [{ introduced: "0" }], { label: "LOW" }),
    ]);
    const gate = await loadVulnGate({ dbFile: db });
    const delta = vulnDelta(runVulnGate(loadDiffSide(ba.dir).packages, gate).matches, runVulnGate(loadDiffSide(bb.dir).packages, gate).matches);
    expect([delta.fixed.map((m) => m.id), delta.introduced.map((m) => m.id), delta.remaining.map((m) => m.id)]).toEqual([["GHSA-up00-fixd-0001"], ["GHSA-new0-intr-0002"], ["GHSA-keep-both-0003"]]);

    // The command: JSON data and Markdown text carry the same facts.
    const res = await diffHandler.run(handlerCtx({ a: ba.dir, b: bb.dir, format: "markdown", vulnDb: db }, { env: { ZWH_CACHE: path.join(root, "cache") } }));
    expect(res.exitCode).toBe(0);
    expect((res.data.vulnerabilities as { introduced: Array<{ id: string }> }).introduced.map((m) => m.id)).toEqual(["GHSA-new0-intr-0002"]);
    expect(res.text).toContain("### Upgraded (1)");
    expect(res.text).toContain("| up | 1.0 | 1.0.post1 |");
    expect(res.text).toContain("### Vulnerabilities fixed by B (1)");
    const tbl = await diffHandler.run(handlerCtx({ a: ba.dir, b: bb.dir, format: "table" }, { env: { ZWH_CACHE: path.join(root, "cache") } }));
    expect(tbl.text).toMatch(/Downgraded \(1\)\n\s+package\s+from\s+to\n\s+down\s+2\.0\s+1\.9/);
    expect(tbl.data.vulnerabilities).toBeNull();
  });
});
