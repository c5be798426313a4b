/**
 * Drift against simulated LPARs through the built zwh CLI: a clean host exits 0; a modified
 * file, a deleted module, an added package and a planted .pth each give exit 2 with the right
 * finding (and the .pth did not run); an unreachable host is unknown (exit 4); drift and
 * unknown together exit 6; --desired with a newer bundle reports unapplied; the reports in
 * every format are written in one run.
 */
import { createHash } from "crypto";
import { existsSync, mkdirSync, readFileSync, readdirSync, readlinkSync, rmSync, writeFileSync } from "fs";
import { join } from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CreatedBundle } from "../../src/bundle/create";
import { deploy } from "../../src/deploy/deploy";
import { installTargetTrust } from "../../src/deploy/trust";
import { startUssHosts, type SimCluster, type SimHost } from "../sim";
import { zwh, zwhAsync } from "../support/cli";
import { startFaultProxy, type FaultProxy } from "../support/fault-proxy";
import { makeBundle, makeSigner, recordingOutput, sampleWheels, simTarget, specFor, tmp, type Signer } from "../support/deploy";
import { openStore } from "../../src/inventory";
import { freshDatabase, startPostgres, stopPostgres, type PgCluster } from "../support/postgres";

let sim: SimCluster;
let a: SimHost;
let b: SimHost;
let proxy: FaultProxy;
let work: string;
let signer: Signer;
let inventory: string;
let knownHosts: string;
let v1: CreatedBundle;
let v2: CreatedBundle;
let pg: PgCluster;
/** The inventory under test; each backend's block gets its own install roots on the hosts. */
let backendTag = "sqlite";
const rootOf = (h: SimHost) => `${h.home}/wh-drift-${backendTag}`;

interface Report {
  exitCode: number;
  hosts: Array<{ host: string; status: string; release: string | null; errorCode?: string }>;
  findings: Array<{ host: string; kind: string; severity: string; subject: string; message: string; remediation: string; firstSeen?: string }>;
}

function driftCli(h: SimHost, extra: string[] = []): { code: number; report: Report; stderr: string } {
  const r = zwh(["drift", "--host", h.host, "--port", String(h.port), "--user", h.user, "--identity", h.identityFile, "--known-hosts", h.knownHostsFile, "--python", h.pythonPath, "--root", rootOf(h), "--inventory", inventory, "--json", ...extra]);
  return { code: r.code, report: r.json as unknown as Report, stderr: r.stderr };
}

function sitePackages(h: SimHost): string {
  const cur = join(rootOf(h), "current", "venv", "lib");
  const py = readdirSync(cur).find((n) => n.startsWith("python3"))!;
  return join(cur, py, "site-packages");
}

beforeAll(async () => {
  sim = await startUssHosts({ hosts: 2 });
  [a, b] = sim.hosts;
  work = tmp("zwh-drift-");
  signer = makeSigner(join(work, "keys"));
  const target = await simTarget(a);
  v1 = await makeBundle(work, { id: "drift", sequence: 1, target, signer, wheels: sampleWheels({ app: "1.0" }) });
  v2 = await makeBundle(work, { id: "drift", sequence: 2, target, signer, wheels: sampleWheels({ app: "1.1" }) });
  // Host b is reached through a proxy, so it can be made unreachable later.
  proxy = await startFaultProxy({ targetHost: b.host, targetPort: b.port, mode: "pass" });
  knownHosts = join(work, "known_hosts");
  writeFileSync(knownHosts, readFileSync(a.knownHostsFile, "utf8") + readFileSync(b.knownHostsFile, "utf8").replace(`]:${b.port} `, `]:${proxy.port} `));
  pg = await startPostgres();
  // The CLI and in-process stores find the PostgreSQL password in a libpq password file.
  process.env.PGPASSFILE = pg.pgpassFile;
}, 600_000);

/** Deploy v1 to both hosts into this backend's roots, recorded in `inventory`. */
async function deployBoth(): Promise<void> {
  const store = await openStore(inventory);
  try {
    for (const [h, port] of [[a, a.port], [b, proxy.port]] as const) {
      const out = recordingOutput();
      const spec = specFor(h, { port, knownHostsFile: knownHosts });
      await installTargetTrust({ spec, root: rootOf(h), trustPath: signer.trustFile, progress: out.progress });
      await deploy({ spec, root: rootOf(h), progress: out.progress, warn: out.warn, store, trustPath: signer.trustFile, bundleDir: v1.dir });
    }
  } finally {
    await store.close();
  }
}

afterAll(async () => {
  stopPostgres(pg);
  await proxy?.stop();
  await sim?.stop();
});

describe.each(["sqlite", "postgres"] as const)("zwh drift, %s inventory", (backend) => {
  beforeAll(async () => {
    backendTag = backend;
    inventory = backend === "sqlite" ? join(work, "inventory.db") : await freshDatabase(pg, "drift", false);
    await deployBoth();
  }, 600_000);

  it("a freshly deployed host is clean: exit 0, no findings, every installed file checked", () => {
    const r = driftCli(a);
    expect(r.stderr).not.toMatch(/ZWH-/);
    expect(r.code).toBe(0);
    expect(r.report.exitCode).toBe(0);
    expect(r.report.findings).toEqual([]);
    expect(r.report.hosts[0].status).toBe("clean");
  });

  it("a modified installed file is integrity drift (high), exit 2", () => {
    const f = join(sitePackages(a), "zwhdemo_lib", "__init__.py");
    writeFileSync(f, readFileSync(f, "utf8") + "# edited on the LPAR\n");
    const r = driftCli(a);
    expect(r.code).toBe(2);
    const hit = r.report.findings.find((x) => x.subject.endsWith("zwhdemo_lib/__init__.py"));
    expect(hit).toMatchObject({ kind: "integrity", severity: "high" });
    expect(hit!.remediation).toMatch(/^zwh deploy --repair /);
  });

  it("a deleted module is integrity drift (missing, high)", () => {
    rmSync(join(sitePackages(a), "zwhdemo_util", "__init__.py"));
    const r = driftCli(a);
    expect(r.code).toBe(2);
    expect(r.report.findings.find((x) => x.subject.endsWith("zwhdemo_util/__init__.py") && /missing/.test(x.message))).toMatchObject({ kind: "integrity", severity: "high" });
  });

  it("a package added behind our back is out-of-band drift (medium)", () => {
    const sp = sitePackages(a);
    const di = join(sp, "rogue-9.9.dist-info");
    mkdirSync(di);
    const meta = "Metadata-Version: 2.1\nName: rogue\nVersion: 9.9\n\n";
    writeFileSync(join(di, "METADATA"), meta);
    const h = createHash("sha256").update(meta).digest("base64url");
    writeFileSync(join(di, "RECORD"), `rogue-9.9.dist-info/METADATA,sha256=${h},${meta.length}\nrogue-9.9.dist-info/RECORD,,\n`);
    const r = driftCli(a);
    expect(r.code).toBe(2);
    expect(r.report.findings.find((x) => x.subject === "rogue")).toMatchObject({ kind: "out-of-band", severity: "medium" });
  });

  it("a planted .pth is high-severity integrity drift, and it did not run during the check", () => {
    const marker = join(work, `pth-ran-${backend}`);
    writeFileSync(join(sitePackages(a), "zz-evil.pth"), `import os; open(${JSON.stringify(marker)}, "w").write("ran")\n`);
    const r = driftCli(a);
    expect(r.code).toBe(2);
    expect(r.report.findings.find((x) => x.subject === "zz-evil.pth")).toMatchObject({ kind: "integrity", severity: "high" });
    expect(existsSync(marker)).toBe(false);
  });

  it("keeps each finding's first sighting across runs", () => {
    const one = driftCli(a).report.findings.find((x) => x.subject === "zz-evil.pth")!;
    const two = driftCli(a).report.findings.find((x) => x.subject === "zz-evil.pth")!;
    expect(one.firstSeen).toBeTruthy();
    expect(two.firstSeen).toBe(one.firstSeen);
  });

  it("--desired with a newer bundle reports unapplied", async () => {
    const r = await zwhAsync(["drift", "--host", b.host, "--port", String(proxy.port), "--user", b.user, "--identity", b.identityFile, "--known-hosts", knownHosts, "--python", b.pythonPath, "--root", rootOf(b), "--inventory", inventory, "--desired", v2.dir, "--trust", signer.trustFile, "--json"]);
    const f = (r.json as unknown as Report).findings;
    expect(f.map((x) => x.message)).toEqual([expect.stringMatching(/desired bundle/)]);
    expect(r.code).toBe(2);
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({ kind: "unapplied", severity: "high", subject: "drift" });
    expect(f[0].remediation).toContain(v2.dir);
  });

  it("an unreachable host is unknown (exit 4), never clean; with drift elsewhere the exit is 6; reports in every format", async () => {
    proxy.setMode({ mode: "refuse" });
    try {
      const one = await zwhAsync(["drift", "--host", b.host, "--port", String(proxy.port), "--user", b.user, "--identity", b.identityFile, "--known-hosts", knownHosts, "--python", b.pythonPath, "--root", rootOf(b), "--inventory", inventory, "--json"]);
      expect(one.code).toBe(4);
      const rep = one.json as unknown as Report;
      expect(rep.hosts[0]).toMatchObject({ status: "unknown" });
      expect(rep.findings[0]).toMatchObject({ kind: "unknown" });

      const out = join(work, `reports-${backend}`);
      mkdirSync(out, { recursive: true });
      const all = await zwhAsync(["drift", "--all-recorded", "--user", a.user, "--identity", a.identityFile, "--known-hosts", knownHosts, "--python", a.pythonPath, "--inventory", inventory,
        "--format", "table", "--report", `html=${join(out, "d.html")}`, `junit=${join(out, "d.xml")}`, `sarif=${join(out, "d.sarif")}`, `markdown=${join(out, "d.md")}`, `json=${join(out, "d.json")}`], { env: { NO_COLOR: "1" } });
      expect(all.code).toBe(6);
      expect(all.stdout).toMatch(/2 host\(s\): 0 clean, 1 drifted, 1 unknown/);
      for (const l of all.stdout.split("\n")) expect(l.length).toBeLessThanOrEqual(100);
      const json = JSON.parse(readFileSync(join(out, "d.json"), "utf8")) as Report & { formatVersion: string };
      expect(json.formatVersion).toBe("1.0");
      expect(json.exitCode).toBe(6);
      const junit = readFileSync(join(out, "d.xml"), "utf8");
      expect(junit).toMatch(/<testsuite name="[^"]+" tests="6" failures="2"/);
      expect(junit).toMatch(/<error type="ZWH-/);
      const sarif = JSON.parse(readFileSync(join(out, "d.sarif"), "utf8")) as { version: string; runs: Array<{ results: Array<{ ruleId: string; level: string }> }> };
      expect(sarif.version).toBe("2.1.0");
      expect(sarif.runs[0].results.some((x) => x.ruleId === "zwh-drift/integrity" && x.level === "error")).toBe(true);
      expect(readFileSync(join(out, "d.md"), "utf8")).toMatch(/^# Drift report /);
      expect(readFileSync(join(out, "d.html"), "utf8")).toMatch(/<title>Wheelhouse drift report/);
    } finally {
      proxy.setMode({ mode: "pass" });
    }
  });
  it("deploy --repair reinstalls the damaged release into a fresh one; drift is then clean", () => {
    const before = readlinkSync(join(rootOf(a), "current"));
    const r = zwh(["deploy", v1.dir, "--host", a.host, "--port", String(a.port), "--user", a.user, "--identity", a.identityFile, "--known-hosts", a.knownHostsFile, "--python", a.pythonPath, "--root", rootOf(a), "--trust", signer.trustFile, "--inventory", inventory, "--repair", "--json"]);
    expect(r.stderr).not.toMatch(/ZWH-/);
    expect(r.code).toBe(0);
    expect(r.json).toMatchObject({ action: "install", changed: true });
    expect(String((r.json as { releaseId: string }).releaseId)).toMatch(/\+r1$/);
    expect(readlinkSync(join(rootOf(a), "current"))).not.toBe(before);
    const d = driftCli(a);
    expect(d.report.findings).toEqual([]);
    expect(d.code).toBe(0);
    // An ordinary re-deploy of the same bundle now keeps the repaired release: nothing to do.
    const again = zwh(["deploy", v1.dir, "--host", a.host, "--port", String(a.port), "--user", a.user, "--identity", a.identityFile, "--known-hosts", a.knownHostsFile, "--python", a.pythonPath, "--root", rootOf(a), "--trust", signer.trustFile, "--inventory", inventory, "--json"]);
    expect(again.json).toMatchObject({ action: "noop", changed: false });
  }, 600_000);

});
