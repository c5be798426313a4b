/**
 * `vuln scan`: which hosts run a refused package, from a real SQLite inventory, without
 * connecting. Exit 2 when something is found, 0 otherwise; rollback releases only with
 * --all-releases; waivers and the threshold apply as in the gate.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openStore } from "../../src/inventory";
import scan from "../../src/cli/handlers/vuln/scan";
import sign from "../../src/cli/handlers/vuln/sign";
import { ghsa, mal, writeOsvZip, SETUPTOOLS_CVE_2024_6345 } from "../support/osv";
import { makeKeys, makeTrust } from "../support/bundles";
import { handlerCtx, tmpDir } from "../support/unit";

const root = tmpDir("zwh-scan-");
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
const inv = path.join(root, "inventory.db");
let db: string;
let clean: string;

beforeAll(async () => {
  const s = await openStore(inv);
  const deploy = async (host: string, releaseId: string, pkgs: Array<[string, string]>) => {
    await s.upsertHost({ name: host, address: `${host}.example` });
    const run = await s.startRun("deploy", {});
    const row = await s.recordRelease({ host, root: "/srv/zwh", releaseId, path: `/srv/zwh/releases/${releaseId}`, runId: run });
    await s.recordInstalled(row, pkgs.map(([name, version]) => ({ name, version, installer: "pip" })));
    await s.setActiveRelease(host, "/srv/zwh", releaseId, run);
    await s.finishRun(run, { status: "changed", exitCode: 0 });
  };
  await deploy("lpar1", "r1", [["setuptools", "66.1.1"], ["app", "1.0"]]);
  await deploy("lpar1", "r2", [["setuptools", "70.0.0"], ["app", "1.0"]]); // r1 becomes "previous"
  await deploy("lpar2", "r1", [["Evil_Pkg", "0.1"], ["app", "1.0"]]);
  await deploy("lpar3", "r1", [["app", "1.0"]]);
  await s.close();
  db = await writeOsvZip(path.join(root, "all.zip"), [
    SETUPTOOLS_CVE_2024_6345,
    mal("MAL-2026-7", "evil-pkg"),
    ghsa("GHSA-app0-lowx-0001", "app", [{ introduced: "0" }, { fixed: "1.1" }], { label: "LOW" }),
  ]);
  clean = await writeOsvZip(path.join(root, "clean.zip"), [ghsa("GHSA-app0-lowx-0001", "app", [{ introduced: "0" }, { fixed: "0.5" }], { label: "LOW" })]);
});

describe("vuln scan", () => {
  it("finds the hosts whose active release runs a refused package: exit 2", async () => {
    const r = await scan.run(handlerCtx({ vulnDb: db, inventory: inv, format: "table" }, { env: { ZWH_CACHE: path.join(root, "cache") } }));
    expect(r.exitCode).toBe(2);
    expect(r.data.vulnerableHosts).toEqual(["lpar2"]);
    const f = r.data.findings as Array<{ host: string; package: string; id: string; decision: string; refused: boolean }>;
    expect(f.filter((x) => x.refused).map((x) => [x.host, x.package, x.id, x.decision])).toEqual([["lpar2", "evil-pkg", "MAL-2026-7", "malicious"]]);
    // Below the threshold: listed on every host running app 1.0, not counted.
    expect(f.filter((x) => !x.refused).map((x) => x.host).sort()).toEqual(["lpar1", "lpar2", "lpar3"]);
    expect(r.text).toContain("1 host(s) run refused packages (lpar2)");
    expect(r.text).toMatch(/Refused \(1\)\n\s+host.*\n\s+lpar2\s+\/srv\/zwh\s+r1 \(active\)\s+evil-pkg\s+0\.1\s+MAL-2026-7/);
  });

  it("--all-releases also checks rollback targets (lpar1's previous release has setuptools 66.1.1)", async () => {
    const r = await scan.run(handlerCtx({ vulnDb: db, inventory: inv, allReleases: true, format: "markdown" }, { env: { ZWH_CACHE: path.join(root, "cache") } }));
    expect(r.exitCode).toBe(2);
    expect(r.data.vulnerableHosts).toEqual(["lpar1", "lpar2"]);
    expect(r.text).toContain("| lpar1 | /srv/zwh | r1 (previous) | setuptools | 66.1.1 | GHSA-cx63-2mw6-8hw5 | CVE-2024-6345 | 7.5 | high |");
  });

  it("a signed waiver for the CVE alias clears setuptools; a threshold above 7.5 does too", async () => {
    const keys = makeKeys(1);
    const trust = makeTrust(keys);
    const trustFile = path.join(root, "trust.json");
    fs.writeFileSync(trustFile, JSON.stringify(trust.doc));
    const keyFile = path.join(root, "k.pem");
    fs.writeFileSync(keyFile, keys[0].privateKey.export({ type: "pkcs8", format: "pem" }));
    const list = path.join(root, "waivers.json");
    fs.writeFileSync(list, JSON.stringify({ formatVersion: 1, waivers: [{ id: "CVE-2024-6345", package: "setuptools", reason: "package_index is not used by the application", expires: "2099-01-01T00:00:00Z" }] }));
    const signed = path.join(root, "waivers.dsse.json");
    expect((await sign.run(handlerCtx({ file: list, key: [keyFile], out: signed }))).exitCode).toBe(0);
    await expect(sign.run(handlerCtx({ file: list, key: [keyFile], out: signed }))).rejects.toMatchObject({ code: "ZWH-VULN-USAGE" });
    const r = await scan.run(handlerCtx({ vulnDb: db, inventory: inv, allReleases: true, waivers: [signed], trust: trustFile, format: "json" }, { env: { ZWH_CACHE: path.join(root, "cache") } }));
    expect(r.data.vulnerableHosts).toEqual(["lpar2"]);
    const st = (r.data.findings as Array<{ package: string; decision: string; waiver: { reason: string } | null }>).find((x) => x.package === "setuptools")!;
    expect([st.decision, st.waiver?.reason]).toEqual(["waived", "package_index is not used by the application"]);
  });

  it("exit 0 when nothing is refused; a missing inventory is an error and is not created", async () => {
    const r = await scan.run(handlerCtx({ vulnDb: clean, inventory: inv, format: "table" }, { env: { ZWH_CACHE: path.join(root, "cache") } }));
    expect(r.exitCode).toBe(0);
    expect(r.data.vulnerableHosts).toEqual([]);
    expect(r.text).toContain("no deployed package is refused");
    const missing = path.join(root, "nope.db");
    await expect(scan.run(handlerCtx({ vulnDb: db, inventory: missing }, { env: { ZWH_CACHE: path.join(root, "cache") } }))).rejects.toMatchObject({ code: "ZWH-VULN-USAGE" });
    expect(fs.existsSync(missing)).toBe(false);
    await expect(scan.run(handlerCtx({ inventory: inv }, { env: { ZWH_CACHE: path.join(root, "cache") } }))).rejects.toMatchObject({ code: "ZWH-VULN-USAGE" });
  });
});
