/**
 * The offline vulnerability gate: CVSS vector validation and scoring, OSV range evaluation under
 * PEP 440 (including IBM .postN rebuilds), every gate decision, waivers (expiry, aliases,
 * signatures, VEX), over OSV snapshots written as real all.zip files.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { calculateBaseScore, calculateBaseScoreV4 } from "cvss4";
import { cvssBaseScore, validateCvssVector } from "../../src/core/cvss";
import { affectsVersion, evaluateGate, gateRefusal, inOsvRange, refusedMatches, DEFAULT_GATE, GateSettings, OsvRecord, Waiver } from "../../src/core/osv-match";
import { parseVex, parseWaiverList } from "../../src/core/vuln-waivers";
import { loadOsvSnapshot } from "../../src/bundle/vuln-db";
import { loadSignedWaivers, loadVulnGate, runVulnGate, signWaiverDocument, parseMaxCvss, parseRefuseAt } from "../../src/bundle/vuln-gate";
import { ghsa, mal, pysec, writeOsvZip, SETUPTOOLS_CVE_2024_6345 } from "../support/osv";
import { makeKeys, makeTrust } from "../support/bundles";
import { tmpDir } from "../support/unit";

const root = tmpDir("zwh-vuln-");
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
const NOW = new Date("2026-06-01T00:00:00Z");

const V31_CRIT = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"; // 9.8
const V31_MED = "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:N/A:H"; // 5.9
const V31_SEVEN = "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:L/I:L/A:H"; // 7.0 exactly
const V4_CRIT = "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"; // 9.3
const V2_HIGH = "AV:N/AC:L/Au:N/C:P/I:P/A:P"; // 7.5

describe("CVSS vectors are validated before scoring", () => {
  it("scores v2, v3.0, v3.1 and v4.0 base vectors, agreeing with cvss4", () => {
    expect(cvssBaseScore(V31_CRIT, "CVSS_V3").base).toBe(9.8);
    expect(cvssBaseScore(V31_CRIT.replace("3.1", "3.0"), "CVSS_V3").base).toBe(9.8);
    expect(cvssBaseScore(V31_MED).base).toBe(5.9);
    expect(cvssBaseScore(V31_SEVEN).base).toBe(7.0);
    expect(cvssBaseScore(V4_CRIT, "CVSS_V4").base).toBe(9.3);
    expect(cvssBaseScore(V2_HIGH, "CVSS_V2").base).toBe(7.5);
    expect(cvssBaseScore(`(${V2_HIGH})`, "CVSS_V2").base).toBe(7.5);
    for (const v of [V31_CRIT, V31_MED, V31_SEVEN, "CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:N/I:L/A:N"]) expect(cvssBaseScore(v).base).toBe(calculateBaseScore(v));
    for (const v of [V4_CRIT, SETUPTOOLS_CVE_2024_6345.severity ? (SETUPTOOLS_CVE_2024_6345.severity as Array<{ score: string }>)[0].score : "", "CVSS:4.0/AV:L/AC:L/AT:N/PR:L/UI:N/VC:N/VI:H/VA:N/SC:N/SI:N/SA:N"]) {
      expect(cvssBaseScore(v).base).toBe(calculateBaseScoreV4(v));
    }
  });

  it("scores only the base metrics (temporal/threat metrics do not lower the base score)", () => {
    expect(cvssBaseScore(`${V31_CRIT}/E:U/RL:O/RC:U`).base).toBe(9.8);
    expect(cvssBaseScore(`${V4_CRIT}/E:U`).base).toBe(9.3);
  });

  it.each([
    ["truncated v3.1 (no A:)", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H", /missing required metric\(s\) A/],
    ["truncated v4 (no SA:)", "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N", /missing required metric\(s\) SA/],
    ["truncated v2", "AV:N/AC:L/Au:N/C:P/I:P", /missing required/],
    ["duplicate metric", "CVSS:3.1/AV:N/AV:L/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", /appears twice/],
    ["unknown metric", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/XX:Y", /unknown metric XX/],
    ["bad value", "CVSS:3.1/AV:Q/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", /AV:Q is not a valid value/],
    ["unknown version", "CVSS:5.0/AV:N", /unknown CVSS version/],
    ["garbage", "CVSS:3.1/AV:N//AC:L", /not KEY:VALUE/],
  ])("refuses a %s", (_l, v, re) => {
    expect(() => validateCvssVector(v)).toThrow(re);
  });

  it("refuses a vector whose version does not match the OSV severity type", () => {
    expect(() => cvssBaseScore(V31_CRIT, "CVSS_V4")).toThrow(/CVSS_V4 carries a CVSS 3.1 vector/);
    expect(() => cvssBaseScore(V2_HIGH, "CVSS_V3")).toThrow(/CVSS_V3 carries a CVSS 2.0 vector/);
  });
});

describe("OSV ranges under PEP 440", () => {
  const r = (events: Array<Record<string, string>>) => ({ type: "ECOSYSTEM", events });
  it("introduced/fixed, .postN rebuilds and epochs", () => {
    const range = r([{ introduced: "0" }, { fixed: "2.17.1" }]);
    expect(inOsvRange("2.17.0", range)).toBe(true);
    expect(inOsvRange("2.17.0.post0", range)).toBe(true); // IBM rebuild of 2.17.0: still vulnerable
    expect(inOsvRange("2.17.1", range)).toBe(false);
    expect(inOsvRange("2.17.1.post0", range)).toBe(false); // rebuild of the fixed release
    expect(inOsvRange("2.17.1rc1", range)).toBe(true);
    expect(inOsvRange("1!0.1", range)).toBe(false); // epoch 1 sorts after every epoch-0 version
    expect(inOsvRange("1.0+corp.1", range)).toBe(true);
  });
  it("last_affected closes above the version; several intervals; limit", () => {
    const la = r([{ introduced: "1.0" }, { last_affected: "1.4.2" }]);
    expect(inOsvRange("0.9", la)).toBe(false);
    expect(inOsvRange("1.4.2", la)).toBe(true);
    expect(inOsvRange("1.4.2.post3", la)).toBe(false);
    const two = r([{ introduced: "1.0" }, { fixed: "1.2" }, { introduced: "2.0" }, { fixed: "2.1.3" }]);
    expect([ "0.5", "1.1", "1.5", "2.0.0", "2.1.3"].map((v) => inOsvRange(v, two))).toEqual([false, true, false, true, false]);
    const lim = r([{ introduced: "0" }, { limit: "3.0" }]);
    expect(inOsvRange("2.9", lim)).toBe(true);
    expect(inOsvRange("3.0", lim)).toBe(false);
  });
  it("an unreadable event version can only widen the range", () => {
    expect(inOsvRange("5.0", r([{ introduced: "0" }, { fixed: "not a version" }]))).toBe(true);
    expect(inOsvRange("0.1", r([{ introduced: "garbage" }, { fixed: "1.0" }]))).toBe(true);
  });
  it("versions[] hits count, but a .postN that versions[] does not list is still caught by the range", () => {
    const a = { package: { ecosystem: "PyPI", name: "babel" }, versions: ["2.16.0", "2.17.0"], ranges: [r([{ introduced: "0" }, { fixed: "2.17.1" }])] };
    expect(affectsVersion(a, "2.17.0.post0")).toBe(true);
    expect(affectsVersion({ ...a, ranges: [] }, "2.17.0")).toBe(true);
    expect(affectsVersion({ ...a, ranges: [] }, "2.17.0.post0")).toBe(false);
  });
});

/** The snapshot every gate test uses. */
const RECORDS = [
  ghsa("GHSA-aaaa-v31c-0001", "critlib", [{ introduced: "0" }, { fixed: "2.0" }], { aliases: ["CVE-2026-0001", "PYSEC-2026-1"], severity: [{ type: "CVSS_V3", score: V31_CRIT }], label: "CRITICAL" }),
  pysec("PYSEC-2026-1", "critlib", [{ introduced: "0" }, { fixed: "2.0" }], ["1.0", "1.5"], ["CVE-2026-0001", "GHSA-aaaa-v31c-0001"]),
  ghsa("GHSA-bbbb-v4hi-0002", "fourlib", [{ introduced: "1.0" }, { last_affected: "1.3" }], { aliases: ["CVE-2026-0002"], severity: [{ type: "CVSS_V3", score: V31_MED }, { type: "CVSS_V4", score: V4_CRIT }] }),
  ghsa("GHSA-cccc-med0-0003", "medlib", [{ introduced: "0" }, { fixed: "3.1" }], { severity: [{ type: "CVSS_V3", score: V31_MED }], label: "MODERATE" }),
  ghsa("GHSA-dddd-seve-0004", "sevenlib", [{ introduced: "0" }, { fixed: "1.1" }], { severity: [{ type: "CVSS_V3", score: V31_SEVEN }] }),
  pysec("PYSEC-2026-5", "unscoredlib", [{ introduced: "0" }, { fixed: "0.9" }], ["0.8"], ["CVE-2026-0005"]),
  mal("MAL-2026-6", "evil-pkg"),
  ghsa("GHSA-eeee-wdrn-0007", "withdrawnlib", [{ introduced: "0" }], { severity: [{ type: "CVSS_V3", score: V31_CRIT }], withdrawn: "2026-02-01T00:00:00Z" }),
  ghsa("GHSA-ffff-trnc-0008", "trunclib", [{ introduced: "0" }], { severity: [{ type: "CVSS_V3", score: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H" }] }),
  ghsa("GHSA-gggg-labl-0009", "labellib", [{ introduced: "0" }], { label: "HIGH" }),
  ghsa("GHSA-hhhh-babl-0010", "Babel", [{ introduced: "0" }, { fixed: "2.17.1" }], { severity: [{ type: "CVSS_V4", score: V4_CRIT }], versions: ["2.17.0"], modified: "2026-05-20T08:00:00Z" }),
  ghsa("GHSA-iiii-v2hi-0011", "twolib", [{ introduced: "0" }], { severity: [{ type: "CVSS_V2", score: V2_HIGH }] }),
  SETUPTOOLS_CVE_2024_6345,
];

let snapshotFile: string;
async function snapshot(): Promise<string> {
  snapshotFile ??= await writeOsvZip(path.join(root, "all.zip"), RECORDS, { "README.txt": "not a record" });
  return snapshotFile;
}

function gate(pkgs: Array<[string, string]>, settings: Partial<GateSettings> = {}, waivers: Waiver[] = []) {
  return async () => {
    const snap = await loadOsvSnapshot(await snapshot());
    return evaluateGate(pkgs.map(([name, version]) => ({ name, version })), snap, { ...DEFAULT_GATE, ...settings }, waivers, NOW);
  };
}

describe("the snapshot", () => {
  it("is read with yauzl: sha256 of the file, date = newest modified, withdrawn counted, other entries ignored", async () => {
    const s = await loadOsvSnapshot(await snapshot());
    expect(s.info.sha256).toBe(require("node:crypto").createHash("sha256").update(fs.readFileSync(await snapshot())).digest("hex"));
    expect(s.info.date).toBe("2026-05-20T08:00:00Z");
    expect(s.info.records).toBe(RECORDS.length);
    expect(s.info.withdrawn).toBe(1);
    expect(s.recordsFor("withdrawnlib")).toEqual([]);
    expect(s.recordsFor("babel").map((r) => r.id)).toEqual(["GHSA-hhhh-babl-0010"]);
  });
  it("keeps only the asked-for projects when told to", async () => {
    const s = await loadOsvSnapshot(await snapshot(), { packages: ["CritLib"] });
    expect(s.recordsFor("critlib").length).toBe(2);
    expect(s.recordsFor("babel")).toEqual([]);
  });
  it("with an index directory: the first read writes the package index, later reads of the same bytes use it", async () => {
    const dir = path.join(root, "index");
    const file = await snapshot();
    const full = await loadOsvSnapshot(file, { packages: ["critlib", "babel"], indexDir: dir });
    const idx = fs.readdirSync(dir);
    expect(idx).toEqual([`osv-index-${full.info.sha256}.json`]);
    const again = await loadOsvSnapshot(file, { packages: ["critlib", "babel"], indexDir: dir });
    expect(again.info).toEqual(full.info);
    expect(again.recordsFor("critlib").map((r) => r.id).sort()).toEqual(full.recordsFor("critlib").map((r) => r.id).sort());
    expect(again.recordsFor("babel").map((r) => r.id)).toEqual(["GHSA-hhhh-babl-0010"]);
    expect(again.recordsFor("medlib")).toEqual([]);
    // An index that points a project at another project's record is refused, not trusted.
    const p = path.join(dir, idx[0]);
    const doc = JSON.parse(fs.readFileSync(p, "utf8"));
    doc.packages.critlib = doc.packages.medlib;
    fs.writeFileSync(p, JSON.stringify(doc));
    await expect(loadOsvSnapshot(file, { packages: ["critlib"], indexDir: dir })).rejects.toMatchObject({ code: "ZWH-VULN-DB", message: expect.stringContaining("does not name critlib") });
    // An index for other bytes is ignored (the snapshot is read in full again).
    const other = await writeOsvZip(path.join(root, "other.zip"), RECORDS.slice(0, 3));
    expect((await loadOsvSnapshot(other, { indexDir: dir })).info.records).toBe(3);
  });

  it("refuses a record whose bytes do not match the zip directory (CRC-32 / inflate)", async () => {
    const file = path.join(root, "crc.zip");
    await writeOsvZip(file, [ghsa("GHSA-crc0-test-0001", "crclib", [{ introduced: "0" }], { summary: "x".repeat(400) })]);
    const buf = fs.readFileSync(file);
    const at = buf.indexOf(Buffer.from("GHSA-crc0-test-0001.json")) + "GHSA-crc0-test-0001.json".length + 40; // inside the deflated data
    buf[at] ^= 0xff;
    fs.writeFileSync(file, buf);
    await expect(loadOsvSnapshot(file)).rejects.toMatchObject({ code: "ZWH-VULN-DB" });
  });

  it("refuses a damaged snapshot: a record that is not JSON, a non-zip file, a missing file", async () => {
    const bad = await writeOsvZip(path.join(root, "bad.zip"), RECORDS.slice(0, 2), { "GHSA-broken.json": "{ not json" });
    await expect(loadOsvSnapshot(bad)).rejects.toMatchObject({ code: "ZWH-VULN-DB", message: expect.stringContaining("GHSA-broken.json is not valid JSON") });
    const notRecord = await writeOsvZip(path.join(root, "norec.zip"), [], { "X.json": "[1,2]" });
    await expect(loadOsvSnapshot(notRecord)).rejects.toMatchObject({ code: "ZWH-VULN-DB", message: expect.stringContaining("not an OSV record") });
    fs.writeFileSync(path.join(root, "plain.zip"), "PK not really");
    await expect(loadOsvSnapshot(path.join(root, "plain.zip"))).rejects.toMatchObject({ code: "ZWH-VULN-DB" });
    await expect(loadOsvSnapshot(path.join(root, "missing.zip"))).rejects.toMatchObject({ code: "ZWH-VULN-DB" });
    await expect(loadOsvSnapshot(root)).rejects.toMatchObject({ code: "ZWH-VULN-DB", message: expect.stringContaining("not a regular file") });
  });
});

describe("gate decisions", () => {
  it("a CVSS v3.1 9.8 is high; the PYSEC twin without a score is unscored; fixed versions are not matched", async () => {
    const ms = await gate([["critlib", "1.5"], ["critlib", "2.0"]])();
    expect(ms.map((m) => [m.id, m.version, m.decision, m.score])).toEqual([
      ["GHSA-aaaa-v31c-0001", "1.5", "high", 9.8],
      ["PYSEC-2026-1", "1.5", "unscored", null],
    ]);
    const e = gateRefusal(ms[0], DEFAULT_GATE);
    expect(e.code).toBe("ZWH-VULN-HIGH");
    expect(e.exitCode).toBe(3);
    expect(e.message).toContain("critlib 1.5");
    expect(e.message).toContain("GHSA-aaaa-v31c-0001 (aliases CVE-2026-0001, PYSEC-2026-1)");
    expect(e.message).toContain("CVSS base score 9.8");
    expect(e.message).toContain("refused at >= 7.0");
    expect(e.hint).toContain("(2.0)");
  });

  it("CVSS v4 is preferred over v3 (last_affected range); 'max' picks the highest", async () => {
    const [m] = await gate([["fourlib", "1.3"]])();
    expect([m.decision, m.score, m.scoreSource]).toEqual(["high", 9.3, "CVSS_V4 4.0"]);
    expect(await gate([["fourlib", "1.3.1"]])()).toEqual([]);
    const [m2] = await gate([["fourlib", "1.0"]], { scoreChoice: "max" })();
    expect(m2.score).toBe(9.3);
  });

  it("a moderate score is reported below the threshold, not refused", async () => {
    const ms = await gate([["medlib", "3.0"]])();
    expect(ms.map((m) => [m.decision, m.score])).toEqual([["below", 5.9]]);
    expect(refusedMatches(ms, DEFAULT_GATE)).toEqual([]);
  });

  it("exactly 7.0: refused with ge (default), allowed with gt; --max-cvss moves the threshold", async () => {
    expect((await gate([["sevenlib", "1.0"]])())[0].decision).toBe("high");
    expect((await gate([["sevenlib", "1.0"]], { refuseAt: "gt" })())[0].decision).toBe("below");
    expect((await gate([["medlib", "1.0"]], { maxCvss: 5.0 })())[0].decision).toBe("high");
    expect((await gate([["critlib", "1.0"]], { maxCvss: 9.8, refuseAt: "gt" })())[0].decision).toBe("below");
    const [m] = await gate([["sevenlib", "1.0"]], { refuseAt: "gt", maxCvss: 6.9 })();
    expect(gateRefusal(m, { ...DEFAULT_GATE, refuseAt: "gt", maxCvss: 6.9 }).message).toContain("refused at > 6.9");
  });

  it("no score at all is refused as unscored by default and reported with allowUnscored", async () => {
    const ms = await gate([["unscoredlib", "0.8.post2"]])();
    expect(ms.map((m) => m.decision)).toEqual(["unscored"]);
    expect(refusedMatches(ms, DEFAULT_GATE).length).toBe(1);
    expect(refusedMatches(ms, { allowUnscored: true })).toEqual([]);
    expect(gateRefusal(ms[0], DEFAULT_GATE).code).toBe("ZWH-VULN-UNSCORED");
  });

  it("a truncated vector is not scored as 0: it is invalid and the match is unscored", async () => {
    const [m] = await gate([["trunclib", "1.0"]])();
    expect(m.decision).toBe("unscored");
    expect(m.invalidVectors[0].reason).toMatch(/missing required metric\(s\) A/);
    expect(gateRefusal(m, DEFAULT_GATE).message).toContain("invalid vector");
  });

  it("a GHSA severity label without a vector counts at the top of its band", async () => {
    const [m] = await gate([["labellib", "1.0"]])();
    expect([m.decision, m.score, m.scoreSource]).toEqual(["high", 8.9, "label HIGH"]);
  });

  it("CVSS v2 vectors are scored", async () => {
    expect((await gate([["twolib", "1.0"]])()).map((m) => [m.decision, m.score])).toEqual([["high", 7.5]]);
  });

  it("MAL-* is always refused, whatever the threshold and waivers", async () => {
    const w: Waiver = { id: "MAL-2026-6", reason: "we trust it", expires: "2027-01-01T00:00:00Z" };
    const ms = await gate([["Evil_Pkg", "0.0.1"]], { maxCvss: 10, refuseAt: "gt", allowUnscored: true }, [w])();
    expect(ms.map((m) => m.decision)).toEqual(["malicious"]);
    expect(refusedMatches(ms, { allowUnscored: true }).length).toBe(1);
    const e = gateRefusal(ms[0], DEFAULT_GATE);
    expect(e.code).toBe("ZWH-VULN-MALICIOUS");
    expect(e.message).toContain("evil-pkg 0.0.1 is a known malicious package: MAL-2026-6");
  });

  it("withdrawn records never match", async () => {
    expect(await gate([["withdrawnlib", "1.0"]])()).toEqual([]);
  });

  it("IBM .postN rebuilds are matched by range although versions[] lists only PyPI releases", async () => {
    expect((await gate([["babel", "2.17.0.post0"]])()).map((m) => m.decision)).toEqual(["high"]);
    expect(await gate([["babel", "2.17.1.post0"]])()).toEqual([]);
    expect(await gate([["babel", "1!0.1"]])()).toEqual([]);
  });

  it("the real GHSA-cx63-2mw6-8hw5 record refuses Debian's setuptools 66.1.1 wheel (CVSS v4 7.5)", async () => {
    const wheel = "/usr/share/python-wheels/setuptools-66.1.1-py3-none-any.whl";
    expect(fs.existsSync(wheel), `${wheel} (python3-setuptools-whl, installed by scripts/lib/setup.sh)`).toBe(true);
    const [m] = await gate([["setuptools", "66.1.1"]])();
    expect([m.id, m.aliases, m.decision, m.score, m.fixed]).toEqual(["GHSA-cx63-2mw6-8hw5", ["CVE-2024-6345"], "high", 7.5, ["70.0.0"]]);
    expect(await gate([["setuptools", "70.0.0"]])()).toEqual([]);
  });
});

describe("waivers", () => {
  const waiver = (id: string, expires: string, extra: Partial<Waiver> = {}): Waiver => ({ id, reason: "not reachable on z/OS", expires, ...extra });

  it("apply by id or by alias, in both directions, until they expire", async () => {
    // A waiver for the CVE covers the GHSA and the PYSEC record (both list it as an alias).
    const ms = await gate([["critlib", "1.5"]], {}, [waiver("CVE-2026-0001", "2026-07-01T00:00:00Z")])();
    expect(ms.map((m) => m.decision)).toEqual(["waived", "waived"]);
    expect(refusedMatches(ms, DEFAULT_GATE)).toEqual([]);
    // A waiver for the PYSEC id covers the GHSA that lists it as an alias, and the PYSEC itself.
    const ms2 = await gate([["critlib", "1.5"]], {}, [waiver("PYSEC-2026-1", "2026-07-01T00:00:00Z")])();
    expect(ms2.map((m) => m.decision)).toEqual(["waived", "waived"]);
  });

  it("an expired waiver no longer applies, and the refusal says so", async () => {
    const ms = await gate([["critlib", "1.5"]], {}, [waiver("CVE-2026-0001", "2026-05-31T23:59:59Z")])();
    expect(ms.map((m) => m.decision)).toEqual(["high", "unscored"]);
    expect(gateRefusal(ms[0], DEFAULT_GATE).message).toContain("A waiver for CVE-2026-0001 expired on 2026-05-31T23:59:59Z");
  });

  it("is limited to its package and version when it names them", async () => {
    const w = waiver("GHSA-aaaa-v31c-0001", "2027-01-01T00:00:00Z", { package: "critlib", version: "1.0" });
    expect((await gate([["critlib", "1.5"]], {}, [w])())[0].decision).toBe("high");
    expect((await gate([["critlib", "1.0"]], {}, [w])())[0].decision).toBe("waived");
    expect((await gate([["critlib", "1.0"]], {}, [{ ...w, package: "other" }])())[0].decision).toBe("high");
  });

  it("waiver lists are strict; VEX maps state, aliases, purl scope and the wheelhouse:expires property", () => {
    expect(() => parseWaiverList({ formatVersion: 1, waivers: [{ id: "GHSA-x-y", reason: "r", expires: "2026-01-01T00:00:00Z", scope: "all" }] }, "w.json")).toThrow(/unknown field scope/);
    expect(() => parseWaiverList({ formatVersion: 1, waivers: [{ id: "GHSA-x-y", reason: "r" }] }, "w.json")).toThrow(/expires must be an RFC 3339/);
    expect(() => parseWaiverList({ formatVersion: 1, waivers: [{ id: "GHSA-x-y", reason: " ", expires: "2026-01-01T00:00:00Z" }] }, "w.json")).toThrow(/reason is required/);
    const vex = {
      bomFormat: "CycloneDX", specVersion: "1.6", version: 1,
      vulnerabilities: [
        { id: "CVE-2026-0001", references: [{ id: "GHSA-aaaa-v31c-0001", source: { name: "GitHub" } }],
          analysis: { state: "not_affected", justification: "code_not_reachable", detail: "package_index is never used" },
          affects: [{ ref: "pkg:pypi/critlib@1.5?file_name=critlib-1.5-py3-none-any.whl" }],
          properties: [{ name: "wheelhouse:expires", value: "2026-12-31T00:00:00Z" }] },
        { id: "CVE-2026-0002", analysis: { state: "exploitable" }, properties: [{ name: "wheelhouse:expires", value: "2026-12-31T00:00:00Z" }] },
      ],
    };
    const ws = parseVex(vex, "vex.json");
    expect(ws.map((w) => [w.id, w.package, w.version, w.reason])).toEqual([
      ["CVE-2026-0001", "critlib", "1.5", "code_not_reachable: package_index is never used"],
      ["GHSA-aaaa-v31c-0001", "critlib", "1.5", "code_not_reachable: package_index is never used"],
    ]);
    const noExpiry = structuredClone(vex);
    noExpiry.vulnerabilities[0].properties = [];
    expect(() => parseVex(noExpiry, "vex.json")).toThrow(/wheelhouse:expires/);
  });

  it("signed documents: verified against the trust file's keys and threshold; VEX and lists both accepted", async () => {
    const keys = makeKeys(3);
    const trust = makeTrust(keys.slice(0, 2), { threshold: 2 });
    const list = Buffer.from(JSON.stringify({ formatVersion: 1, waivers: [{ id: "CVE-2026-0001", package: "critlib", reason: "mitigated", expires: "2026-12-01T00:00:00Z" }] }));
    const write = (name: string, env: unknown) => {
      const f = path.join(root, name);
      fs.writeFileSync(f, JSON.stringify(env));
      return f;
    };
    const both = write("both.dsse.json", signWaiverDocument(list, [keys[0].privateKey, keys[1].privateKey], "w.json"));
    const r = loadSignedWaivers(both, trust);
    expect(r.waivers.map((w) => w.id)).toEqual(["CVE-2026-0001"]);
    expect(r.source.signers).toEqual(["signer-1", "signer-2"]);
    const one = write("one.dsse.json", signWaiverDocument(list, [keys[0].privateKey], "w.json"));
    expect(() => loadSignedWaivers(one, trust)).toThrow(/signed by 1 trusted key\(s\); the trust file test trust requires 2/);
    const stranger = write("stranger.dsse.json", signWaiverDocument(list, [keys[2].privateKey, keys[0].privateKey], "w.json"));
    expect(() => loadSignedWaivers(stranger, trust)).toThrow(/signed by 1 trusted key/);
    // Tampered payload: the signatures no longer verify.
    const env = JSON.parse(fs.readFileSync(both, "utf8"));
    env.payload = Buffer.from(list.toString().replace("2026-12-01", "2099-12-01")).toString("base64");
    expect(() => loadSignedWaivers(write("tampered.dsse.json", env), trust)).toThrow(expect.objectContaining({ code: "ZWH-VULN-WAIVERS" }));
    // An unsigned plain list is refused.
    expect(() => loadSignedWaivers(write("plain.json", JSON.parse(list.toString())), trust)).toThrow(expect.objectContaining({ code: "ZWH-VULN-WAIVERS" }));
    // The loaded gate applies them.
    const g = await loadVulnGate({ dbFile: await snapshot(), waiverFiles: [both], trust, now: NOW });
    const out = runVulnGate([{ name: "critlib", version: "1.5" }], g);
    expect(out.matches.map((m) => m.decision)).toEqual(["waived", "waived"]);
    expect(out.refusals).toEqual([]);
  });
});

describe("gate options", () => {
  it("--max-cvss is a strict decimal 0-10; --cvss-compare is ge or gt", () => {
    expect(parseMaxCvss(undefined)).toBe(7.0);
    expect(parseMaxCvss("6.5")).toBe(6.5);
    expect(parseMaxCvss("10")).toBe(10);
    for (const bad of ["7.05", "11", "-1", "0x7", "7,0", " ", "1e1"]) expect(() => parseMaxCvss(bad), bad).toThrow(/not a CVSS score/);
    expect(parseRefuseAt("gt")).toBe("gt");
    expect(() => parseRefuseAt(">")).toThrow(/ge .* or gt/);
  });
});

export type { OsvRecord };
