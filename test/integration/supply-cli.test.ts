/**
 * Issue 13 through the built zwh CLI: bundle create --from-requirements / --vuln-db / --waivers
 * (argv parsing, exit codes, JSON), bundle verify --vuln-db, bundle sbom, bundle diff --format,
 * vuln sign and vuln scan (exit 2) against a real SQLite inventory.
 */
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildWheel } from "../support/wheels";
import { ghsa, mal, writeOsvZip } from "../support/osv";
import { validateCycloneDx16 } from "../support/cyclonedx";
import { zwh as runZwh } from "../support/cli";
import { tmpDir } from "../support/unit";
import { openStore } from "../../src/inventory";

const root = tmpDir("zwh-supply-cli-");
const env = { HOME: root, ZWH_TRUST: path.join(root, "trust.json"), ZWH_TRUST_STATE: path.join(root, "state.json"), ZWH_CACHE: path.join(root, "cache") };
const zwh = (...args: string[]) => runZwh(args, { env });
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
const sha = (f: string) => crypto.createHash("sha256").update(fs.readFileSync(f)).digest("hex");
const HIGH = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H";
let wheels: Record<string, string>;
let db: string;

beforeAll(async () => {
  wheels = {
    app: await buildWheel(path.join(root, "wheels"), { name: "app", version: "1.0", requiresDist: ["lib"] }),
    lib: await buildWheel(path.join(root, "wheels"), { name: "lib", version: "2.17.0.post0" }),
  };
  expect(zwh("keys", "generate", "--out", path.join(root, "rel"), "--json").code).toBe(0);
  expect(zwh("trust", "init", "--json").code).toBe(0);
  expect(zwh("trust", "add-key", "--key", path.join(root, "rel.pub"), "--name", "release", "--json").code).toBe(0);
  db = await writeOsvZip(path.join(root, "all.zip"), [
    ghsa("GHSA-lib0-post-0001", "lib", [{ introduced: "0" }, { fixed: "2.17.1" }], { aliases: ["CVE-2026-4242"], severity: [{ type: "CVSS_V3", score: HIGH }], versions: ["2.17.0"] }),
  ]);
});

function req(lines: string[]): string {
  const f = path.join(root, `pyaitoolkit_${crypto.randomBytes(3).toString("hex")}.txt`);
  fs.writeFileSync(f, ["--index-url https://downloads.pyaitoolkit.ibm.net/repository/python_ai_toolkit_zos/simple", "--trusted-host downloads.pyaitoolkit.ibm.net", "--require-hashes", "--only-binary :all:", ...lines].join("\n") + "\n");
  return f;
}
const create = (out: string, ...extra: string[]) =>
  zwh("bundle", "create", path.join(root, "wheels"), "--out", path.join(root, out), "--id", out, "--channel", "stable", "--sequence", "1",
    "--python", "3.12", "--platform", "os390-29.00-8561", "--sign-key", path.join(root, "rel.key"), ...extra, "--json");

describe("zwh: know what you ship", () => {
  it("--from-requirements refuses a wrong hash (exit 3, the code names the package)", () => {
    const r = create("bad", "--from-requirements", req([`app==1.0 --hash=sha256:${sha(wheels.app)}`, `lib==2.17.0.post0 --hash=sha256:${"0".repeat(64)}`]));
    expect(r.code).toBe(3);
    expect(r.json).toMatchObject({ ok: false, error: { code: "ZWH-REQ-HASH-MISMATCH", subject: "lib" } });
    expect(fs.existsSync(path.join(root, "bad"))).toBe(false);
  });

  it("the gate refuses the IBM .postN rebuild of a vulnerable release; a signed waiver for the CVE lets it through and is recorded", async () => {
    const good = req([`app==1.0 --hash=sha256:${sha(wheels.app)}`, `lib==2.17.0.post0 --hash=sha256:${sha(wheels.lib)}`]);
    const r = create("gated", "--from-requirements", good, "--vuln-db", db);
    expect(r.code).toBe(3);
    expect(r.json).toMatchObject({ error: { code: "ZWH-VULN-HIGH", subject: "lib", details: { id: "GHSA-lib0-post-0001", aliases: ["CVE-2026-4242"], score: 9.8 } } });
    expect(r.stderr + r.stdout).toContain("refused at >= 7.0");

    fs.writeFileSync(path.join(root, "waivers.json"), JSON.stringify({ formatVersion: 1, waivers: [{ id: "CVE-2026-4242", package: "lib", reason: "IBM backported the fix into .post0", expires: "2099-01-01T00:00:00Z" }] }));
    const s = zwh("vuln", "sign", path.join(root, "waivers.json"), "--key", path.join(root, "rel.key"), "--out", path.join(root, "waivers.dsse.json"), "--json");
    expect(s.code, s.stderr).toBe(0);
    const ok = create("ok", "--from-requirements", good, "--vuln-db", db, "--max-cvss", "9.0", "--cvss-compare", "gt", "--waivers", path.join(root, "waivers.dsse.json"));
    expect(ok.code, ok.stdout + ok.stderr).toBe(0);
    const st = JSON.parse(fs.readFileSync(path.join(root, "ok", "manifest.intoto.json"), "utf8")).predicate;
    expect(st.source.requirements).toMatchObject({ name: path.basename(good), sha256: sha(good) });
    expect(st.policy.vulnerability).toMatchObject({ osvSnapshot: { sha256: sha(db), file: "all.zip" }, maxCvss: 9, refuseAt: "gt", waivers: [{ id: "GHSA-lib0-post-0001", package: "lib", reason: "IBM backported the fix into .post0" }] });

    // verify with the snapshot: the bundle's signed settings apply; without the waiver it is refused at step 9.
    const v = zwh("bundle", "verify", path.join(root, "ok"), "--vuln-db", db, "--json");
    expect(v.code).toBe(3);
    expect(v.json).toMatchObject({ verified: false, error: { stepName: "vulnerabilities", code: "ZWH-VULN-HIGH" } });
    const v2 = zwh("bundle", "verify", path.join(root, "ok"), "--vuln-db", db, "--waivers", path.join(root, "waivers.dsse.json"), "--json");
    expect(v2.code, v2.stdout).toBe(0);
    expect(v2.json).toMatchObject({ verified: true, vulnerability: { matches: [{ id: "GHSA-lib0-post-0001", decision: "waived" }] } });
    expect(zwh("bundle", "verify", path.join(root, "ok"), "--vuln-db", db, "--max-cvss", "7.05", "--json").code).toBe(1);

    // sbom and diff
    const out = path.join(root, "ok.cdx.json");
    expect(zwh("bundle", "sbom", path.join(root, "ok"), "--out", out, "--trust", env.ZWH_TRUST, "--json").code).toBe(0);
    expect(await validateCycloneDx16(fs.readFileSync(out, "utf8"))).toBeNull();
    const d = zwh("bundle", "diff", path.join(root, "ok"), req([`app==1.1 --hash=sha256:${"1".repeat(64)}`, `lib==2.17.1.post0 --hash=sha256:${"2".repeat(64)}`]), "--vuln-db", db, "--format", "markdown");
    expect(d.code, d.stderr).toBe(0);
    expect(d.stdout).toContain("| lib | 2.17.0.post0 | 2.17.1.post0 |");
    expect(d.stdout).toMatch(/### Vulnerabilities fixed by B \(1\)\n\n\| package .*\n.*\n\| lib \| 2\.17\.0\.post0 \| GHSA-lib0-post-0001 \|/);
  });

  it("vuln scan exits 2 when a deployed host runs a malicious package, 0 otherwise", async () => {
    const inv = path.join(root, "inv.db");
    const s = await openStore(inv);
    await s.upsertHost({ name: "lpar9", address: "lpar9.example" });
    const run = await s.startRun("deploy", {});
    const row = await s.recordRelease({ host: "lpar9", root: "/u/zwh", releaseId: "r1", path: "/u/zwh/releases/r1", runId: run });
    await s.recordInstalled(row, [{ name: "totally-legit", version: "1.0", installer: "pip" }]);
    await s.setActiveRelease("lpar9", "/u/zwh", "r1", run);
    await s.close();
    const bad = await writeOsvZip(path.join(root, "mal.zip"), [mal("MAL-2026-1234", "totally-legit")]);
    const r = zwh("vuln", "scan", "--vuln-db", bad, "--inventory", inv, "--json");
    expect(r.code, r.stderr).toBe(2);
    expect(r.json).toMatchObject({ vulnerableHosts: ["lpar9"], findings: [{ host: "lpar9", id: "MAL-2026-1234", decision: "malicious", refused: true }] });
    expect(zwh("vuln", "scan", "--vuln-db", db, "--inventory", inv, "--json").code).toBe(0);
  });
});
