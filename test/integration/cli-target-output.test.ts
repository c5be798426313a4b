/**
 * What the built zwh CLI does and says against a simulated LPAR (issue 8 §6): read-only commands
 * leave the target as it was and name a missing root, `target trust` never silently replaces
 * different keys at the same version, a failed smoke test shows its output, progress lines are
 * throttled. The Zowe plugin's side of the same items is in zowe-plugin.test.ts.
 */
import * as fs from "fs";
import * as path from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startUssHosts, type SimCluster, type SimHost } from "../sim";
import { addTrustKey, generateSigningKeyPair, publicKeyPem, saveTrust } from "../../src/bundle/signing";
import { makeBundle, makeSigner, sampleWheels, simTarget, tmp, type Signer } from "../support/deploy";
import { zwh, type CliResult } from "../support/cli";

let sim: SimCluster;
let h: SimHost;
let work: string;
let signer: Signer;
let bundleDir: string;

beforeAll(async () => {
  sim = await startUssHosts({ hosts: 1 });
  h = sim.hosts[0]!;
  work = tmp("zwh-cli-target-");
  signer = makeSigner(path.join(work, "keys"));
  const b = await makeBundle(work, { id: "app", sequence: 1, target: await simTarget(h), signer, wheels: sampleWheels() });
  bundleDir = b.dir;
}, 240_000);
afterAll(async () => {
  await sim?.stop();
});

function conn(root: string): string[] {
  return ["--host", h.host, "--port", String(h.port), "--user", h.user, "--identity", h.identityFile,
    "--known-hosts", h.knownHostsFile, "--python", h.pythonPath, "--root", root];
}

function run(args: string[], env: NodeJS.ProcessEnv = {}): CliResult {
  return zwh(args, { timeoutMs: 300_000, env: { ZWH_INVENTORY: path.join(work, "inventory.db"), ZWH_TRUST_STATE: path.join(work, "trust-state.json"), ...env } });
}

/** Every path under dir with its size and mtime (so any write shows). */
function snapshot(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = path.join(d, e.name);
      const st = fs.lstatSync(p);
      out.push(`${path.relative(dir, p)} ${e.isDirectory() ? "d" : st.size} ${st.mtimeMs}`);
      if (e.isDirectory()) walk(p);
    }
  };
  walk(dir);
  return out;
}

describe("read-only commands never write to the target", () => {
  it("status and lock status of a missing root: ZWH-ROOT-NOT-FOUND, and the root is still missing", () => {
    const root = `${h.home}/no-such-root`;
    for (const cmd of [["status"], ["lock", "status"]]) {
      const r = run([...cmd, ...conn(root), "--json"]);
      expect({ exit: r.code, code: (r.json as any)?.error?.code }, r.stdout + r.stderr).toEqual({ exit: 1, code: "ZWH-ROOT-NOT-FOUND" });
      expect((r.json as any).error.message).toContain(root);
      expect(fs.existsSync(root)).toBe(false);
    }
  });

  it("status and lock status of an existing root without helpers leave it byte for byte as it was", () => {
    const root = `${h.home}/empty-root`;
    fs.mkdirSync(root);
    fs.writeFileSync(path.join(root, "keep.txt"), "x");
    const before = snapshot(h.home);
    const s = run(["status", ...conn(root), "--json"]);
    expect(s.code, s.stdout + s.stderr).toBe(0);
    expect((s.json as any).current).toBeNull();
    const l = run(["lock", "status", ...conn(root), "--json"]);
    expect(l.code, l.stdout + l.stderr).toBe(0);
    expect((l.json as any).held).toBe(false);
    expect(snapshot(h.home)).toEqual(before);
  });

  it("target probe leaves nothing: not under the root, not under $HOME, and its /tmp directory is gone", () => {
    const before = snapshot(h.home);
    const r = run(["target", "probe", ...conn(`${h.home}/empty-root`), "--json"]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const j = r.json as any;
    expect(j.helper.path).toMatch(/^\/tmp\/zwh-probe-[^/]+\/probe-[0-9a-f]{12}\.py$/);
    expect(fs.existsSync(path.dirname(j.helper.path))).toBe(false);
    expect(j.tagging.works).toBe(true);
    expect(snapshot(h.home)).toEqual(before);
  });
});

describe("target trust at the same version", () => {
  it("refuses different keys at the same version without --replace, and says what --replace replaced", () => {
    const root = `${h.home}/trust-root`;
    const first = run(["target", "trust", ...conn(root), "--trust", signer.trustFile, "--json"]);
    expect(first.code, first.stdout + first.stderr).toBe(0);
    const installed = fs.readFileSync(path.join(root, ".wheelhouse", "trust.json"));

    // Same version, another key: a rotation without a version bump (or the wrong file).
    const other = generateSigningKeyPair("ed25519");
    const otherTrust = path.join(work, "other-trust.json");
    const otherDoc = addTrustKey({ ...signer.trust, keys: [] }, { publicKey: publicKeyPem(other.publicKey), name: "intruder" }).doc;
    saveTrust(otherTrust, { ...otherDoc, version: signer.trust.version });
    const refused = run(["target", "trust", ...conn(root), "--trust", otherTrust, "--json"]);
    expect({ exit: refused.code, code: (refused.json as any)?.error?.code }, refused.stdout + refused.stderr).toEqual({ exit: 3, code: "ZWH-TRUST-REPLACE" });
    expect((refused.json as any).error.message).toContain("release-bot");
    expect((refused.json as any).error.message).toContain("intruder");
    expect(fs.readFileSync(path.join(root, ".wheelhouse", "trust.json"))).toEqual(installed);

    const replaced = run(["target", "trust", ...conn(root), "--trust", otherTrust, "--replace"]);
    expect(replaced.code, replaced.stdout + replaced.stderr).toBe(0);
    expect(replaced.stdout).toContain("REPLACED the different trust file of the same version");
    expect(replaced.stdout).toMatch(/removed keys: release-bot /);
    expect(replaced.stdout).toMatch(/added keys: +intruder /);
    expect(fs.readFileSync(path.join(root, ".wheelhouse", "trust.json"), "utf8")).toContain("intruder");
  });
});

describe("deploy's local inputs", () => {
  it("are checked before connecting: a tampered statement is refused without a connection (port 9: nothing listens)", () => {
    const bad = path.join(work, "bundle-bad-statement");
    fs.cpSync(bundleDir, bad, { recursive: true });
    const st = path.join(bad, "manifest.intoto.json");
    const statement = JSON.parse(fs.readFileSync(st, "utf8"));
    statement.predicate.sequence = 99; // the signatures no longer match
    fs.writeFileSync(st, JSON.stringify(statement));
    const r = run(["deploy", bad, "--host", "127.0.0.1", "--port", "9", "--user", "u", "--root", "/u/wh", "--trust", signer.trustFile, "--json"]);
    expect(r.code, r.stdout + r.stderr).toBe(3);
    expect((r.json as any).error.code).toMatch(/^ZWH-SIG-/);
    const missing = run(["deploy", path.join(work, "no-such-bundle"), "--host", "127.0.0.1", "--port", "9", "--user", "u", "--root", "/u/wh", "--trust", signer.trustFile, "--json"]);
    expect((missing.json as any).error.code).toBe("ZWH-BUNDLE-IO");
  });

  it("a 'bundle pack' archive deploys directly", () => {
    const root = `${h.home}/tar-root`;
    const tar = path.join(work, "app-1.tar");
    expect(run(["bundle", "pack", bundleDir, "--out", tar]).code).toBe(0);
    expect(run(["target", "trust", ...conn(root), "--trust", signer.trustFile]).code).toBe(0);
    const r = run(["deploy", tar, ...conn(root), "--trust", signer.trustFile, "--json"]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.json).toMatchObject({ ok: true, action: "install", changed: true });
    expect(fs.readlinkSync(path.join(root, "current"))).toMatch(/^releases\//);
  }, 400_000);
});

describe("deploy output", () => {
  it("--keep N is said in the plan as it is applied: current, previous and N other releases", () => {
    const root = `${h.home}/keep-root`;
    expect(run(["target", "trust", ...conn(root), "--trust", signer.trustFile]).code).toBe(0);
    const r = run(["deploy", bundleDir, ...conn(root), "--trust", signer.trustFile, "--keep", "3", "--dry-run", "--json"]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const prune = (r.json as any).plan.steps.find((s: any) => s.id === "prune");
    expect(prune.title).toBe("Prune: keep current, previous and the 3 newest other release(s)");
  }, 400_000);

  it("a failed smoke test shows the tail of its output in the message and in the JSON details", () => {
    const root = `${h.home}/smoke-root`;
    expect(run(["target", "trust", ...conn(root), "--trust", signer.trustFile]).code).toBe(0);
    const smoke = "import sys; print('smoke says hello'); import zwhdemo_no_such_module";
    const j = run(["deploy", bundleDir, ...conn(root), "--trust", signer.trustFile, "--smoke", smoke, "--json"]);
    expect(j.code, j.stdout + j.stderr).toBe(1);
    const err = (j.json as any).error;
    expect(err.code).toBe("ZWH-DEPLOY-SMOKE");
    expect(err.message).toContain("ModuleNotFoundError: No module named 'zwhdemo_no_such_module'");
    expect(err.details.output).toContain("smoke says hello");
    expect(err.details.output).toContain("ModuleNotFoundError");
    expect(fs.existsSync(path.join(root, "current"))).toBe(false);
  }, 400_000);

  it("plain (non-TTY) progress prints at most one status line per step every 5 s", async () => {
    const root = `${h.home}/progress-root`;
    expect(run(["target", "trust", ...conn(root), "--trust", signer.trustFile]).code).toBe(0);
    // A bundle with ~12 MiB of wheel data: its upload reports progress many times a second.
    const big = await makeBundle(work, { id: "big", sequence: 2, target: await simTarget(h), signer, wheels: sampleWheels({}, 12 * 1024) });
    const r = run(["deploy", big.dir, ...conn(root), "--trust", signer.trustFile]);
    expect(r.code, r.stderr).toBe(0);
    const lastUpdate = new Map<string, number>();
    let updates = 0;
    for (const line of r.stderr.split("\n")) {
      const m = /^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) {9}([^:]+): /.exec(line);
      if (!m) continue;
      updates++;
      const t = Date.parse(m[1]!.replace(" ", "T") + "Z");
      const prev = lastUpdate.get(m[2]!);
      // Stamps have whole seconds: 5 s apart can show as 4.
      if (prev !== undefined) expect({ step: m[2], gap: (t - prev) / 1000 >= 4 }).toEqual({ step: m[2], gap: true });
      lastUpdate.set(m[2]!, t);
    }
    expect(r.stderr).toMatch(/\[done \] /);
    expect(updates).toBeLessThan(40);
  }, 400_000);
});

describe("output names the LPAR, not only its address (issue 8 §6)", () => {
  it("progress, results and remediation commands say the --name (else the nodename), with the address as an attribute", () => {
    const root = `${h.home}/named-root`;
    const addr = `${h.host}:${h.port}`;
    // Its own inventory (the name the store knows for this address is LPARX's alone) and its own
    // workstation trust state (other cases here accepted a later sequence of this signer's channel).
    const inv = { ZWH_INVENTORY: path.join(work, "named-inventory.db"), ZWH_TRUST_STATE: path.join(work, "named-trust-state.json") };
    expect(run(["target", "trust", ...conn(root), "--name", "LPARX", "--trust", signer.trustFile], inv).code).toBe(0);
    const d = run(["deploy", bundleDir, ...conn(root), "--name", "LPARX", "--trust", signer.trustFile], inv);
    expect(d.code, d.stdout + d.stderr).toBe(0);
    expect(d.stderr).toContain(`[start] Connect to LPARX (${h.user}@${addr})`);
    expect(d.stdout).toMatch(new RegExp(`^LPARX ${root}: \\S+ is now current`, "m"));

    const s = run(["status", ...conn(root), "--name", "LPARX"], inv);
    expect(s.code, s.stdout + s.stderr).toBe(0);
    expect(s.stderr).toContain(`[start] Connect to LPARX (${h.user}@${addr})`);
    expect(s.stdout.split("\n")[0]).toBe(`LPARX ${root}`);
    // No --name: the result names the LPAR by its nodename (uname -n; the simulator upper-cases the host name), not by its address.
    const n = run(["status", ...conn(root)], inv);
    expect(n.code, n.stdout + n.stderr).toBe(0);
    expect(n.stderr).toContain(`[start] Connect to ${h.user}@${addr}`);
    expect(n.stdout.split("\n")[0]).toBe(`${h.name.toUpperCase()} ${root}`);

    // Drift with an empty inventory: the step names the LPAR, and the fix repeats --name so it
    // records under the same LPAR.
    const dr = run(["drift", ...conn(root), "--name", "LPARX", "--fail-on", "high"], { ZWH_INVENTORY: path.join(work, "drift-empty.db") });
    expect(dr.code, dr.stdout + dr.stderr).toBe(0);
    expect(dr.stderr).toContain(`[start] Observe LPARX (${addr})`);
    expect(dr.stdout).toContain("LPARX");
    expect(dr.stdout).toMatch(/^LPARX +drift /m);
    const dj = run(["drift", ...conn(root), "--name", "LPARX", "--fail-on", "high", "--json"], { ZWH_INVENTORY: path.join(work, "drift-empty.db") });
    expect((dj.json as any).findings.map((f: any) => f.remediation)).toEqual([`zwh inventory sync --host ${h.host} --port ${h.port} --user ${h.user} --root ${root} --name LPARX`]);
  }, 400_000);
});

describe("rollback --dry-run (issue 10: rollback is a plan)", () => {
  it("prints the plan (lock, inspect, activate, record; from and to) and leaves the target byte for byte as it was", async () => {
    const root = `${h.home}/rollback-dry-root`;
    // Its own inventory and sequence cache (other cases here deploy sequence 2 of the same channel).
    const inv = { ZWH_INVENTORY: path.join(work, "rollback-dry.db"), ZWH_TRUST_STATE: path.join(work, "rollback-dry-trust-state.json") };
    expect(run(["target", "trust", ...conn(root), "--trust", signer.trustFile]).code).toBe(0);
    const v2 = await makeBundle(work, { id: "app", sequence: 2, target: await simTarget(h), signer, wheels: sampleWheels({ app: "2.0" }) });
    const d1 = run(["deploy", bundleDir, ...conn(root), "--trust", signer.trustFile, "--json"], inv);
    expect(d1.code, d1.stdout + d1.stderr).toBe(0);
    const d2 = run(["deploy", v2.dir, ...conn(root), "--trust", signer.trustFile, "--json"], inv);
    expect(d2.code, d2.stdout + d2.stderr).toBe(0);
    const [r1, r2] = [(d1.json as any).releaseId as string, (d2.json as any).releaseId as string];
    expect(fs.readlinkSync(path.join(root, "current"))).toBe(`releases/${r2}`);

    const before = snapshot(root);
    const human = run(["rollback", ...conn(root), "--dry-run"], inv);
    expect(human.code, human.stdout + human.stderr).toBe(0);
    expect(human.stdout).toContain(`Plan: roll back ${h.name.toUpperCase()} ${root} from ${r2} to ${r1}`);
    expect(human.stdout).toMatch(/1\. Acquire the deployment lock[\s\S]*2\. Check release \S+ is intact[\s\S]*3\. Activate \S+[\s\S]*4\. Record/);
    expect(human.stdout).toContain("(dry run: nothing was changed on");
    expect(human.stderr).not.toMatch(/\[start\] (Acquire|Check release|Activate)/);

    const j = run(["rollback", ...conn(root), "--dry-run", "--json"], inv);
    expect(j.code, j.stdout + j.stderr).toBe(0);
    expect(j.json).toMatchObject({ ok: true, dryRun: true, changed: false, from: r2, to: r1, downgrade: null, plan: { action: "activate", from: r2, to: r1, blockers: [] } });
    expect((j.json as any).plan.steps.map((s: any) => s.id)).toEqual(["lock", "inspect", "activate", "record"]);
    // No lock, no helper, no audit line, no link moved: every path, size and mtime as before.
    expect(snapshot(root)).toEqual(before);
    // The inventory recorded no activation: its active release is still r2.
    const st = run(["status", ...conn(root), "--json"], inv);
    expect((st.json as any).inventory.releases.filter((x: any) => x.state === "active").map((x: any) => x.releaseId)).toEqual([r2]);

    // The plan was the truth: the real rollback does what it said.
    const real = run(["rollback", ...conn(root), "--json"], inv);
    expect(real.code, real.stdout + real.stderr).toBe(0);
    expect(real.json).toMatchObject({ dryRun: false, changed: true, from: r2, to: r1 });
    expect(fs.readlinkSync(path.join(root, "current"))).toBe(`releases/${r1}`);
  }, 400_000);
});
