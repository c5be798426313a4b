/**
 * Deploy failure modes against the USS simulator: AUTOCVT-hostile SFTP, tampering between upload
 * and install, failing installs, lock contention, host key mismatch, hostile root paths,
 * target-side signature refusal, and connections cut by the fault proxy (then re-runs converge).
 */
import { createHash } from "crypto";
import { existsSync, readFileSync, readdirSync, readlinkSync, writeFileSync } from "fs";
import { join } from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CreatedBundle } from "../../src/bundle/create";
import type { BundleTarget } from "../../src/bundle/statement";
import { ZwhError } from "../../src/core/errors";
import { deploy } from "../../src/deploy/deploy";
import { lockBreak, lockStatus } from "../../src/deploy/lock";
import { installTargetTrust } from "../../src/deploy/trust";
import type { TargetSpec } from "../../src/remote/target";
import { setSimSwitches, startUssHosts, simExec, type SimCluster, type SimHost } from "../sim";
import { startFaultProxy } from "../support/fault-proxy";
import { makeBundle, makeSigner, newInventory, recordingOutput, sampleWheels, simTarget, specFor, tmp, type Signer } from "../support/deploy";

let sim: SimCluster;
let h: SimHost;
let work: string;
let signer: Signer;
let target: BundleTarget;
// One inventory per root: channel sequences are per operator workspace, and these tests
// deploy v1 to fresh roots after v2 was accepted elsewhere.
const invs = new Map<string, ReturnType<typeof newInventory>>();
function invFor(root: string) {
  if (!invs.has(root)) invs.set(root, newInventory(work));
  return invs.get(root)!;
}
let v1: CreatedBundle;
let v2: CreatedBundle;
let big: CreatedBundle;

beforeAll(async () => {
  sim = await startUssHosts({ hosts: 1 });
  h = sim.hosts[0];
  work = tmp("zwh-deploy-faults-");
  signer = makeSigner(join(work, "keys"));
  target = await simTarget(h);
  v1 = await makeBundle(work, { id: "app", sequence: 1, target, signer, wheels: sampleWheels({ app: "1.0" }) });
  v2 = await makeBundle(work, { id: "app", sequence: 2, target, signer, wheels: sampleWheels({ app: "2.0" }) });
  big = await makeBundle(work, { id: "big", sequence: 1, channel: "stable", target, signer, wheels: sampleWheels({ app: "1.0" }, 3072) });
});

afterAll(async () => {
  for (const i of invs.values()) await i.close();
  await sim?.stop();
});

let n = 0;
function newRoot(name = "r"): string {
  return `${h.home}/${name}${++n}`;
}

function opts(root: string, extra: Record<string, unknown> = {}, spec: TargetSpec = specFor(h)) {
  const out = recordingOutput();
  return { spec, root, progress: out.progress, warn: out.warn, store: invFor(root), trustPath: signer.trustFile, ...extra };
}

async function trustRoot(root: string, trustFile = signer.trustFile): Promise<void> {
  await installTargetTrust({ spec: specFor(h), root, trustPath: trustFile, progress: recordingOutput().progress });
}

function storeIsClean(root: string): void {
  const base = join(root, "store", "sha256");
  if (!existsSync(base)) return;
  for (const hex of readdirSync(base)) {
    for (const f of readdirSync(join(base, hex))) {
      expect(createHash("sha256").update(readFileSync(join(base, hex, f))).digest("hex")).toBe(hex);
    }
  }
  const inc = join(root, "store", ".incoming");
  if (existsSync(inc)) expect(readdirSync(inc)).toEqual([]);
}

function current(root: string): string | null {
  try {
    return readlinkSync(join(root, "current"));
  } catch {
    return null;
  }
}

describe("deploy failure modes", () => {
  it("survives an AUTOCVT-hostile SFTP server: every byte lands in a pre-tagged file", async () => {
    const root = newRoot("cvt");
    await trustRoot(root);
    setSimSwitches(h, { hostileAutocvt: "a2e" });
    try {
      const r = await deploy({ ...opts(root), bundleDir: v1.dir });
      expect(r.changed).toBe(true);
    } finally {
      setSimSwitches(h, { hostileAutocvt: false });
    }
    storeIsClean(root);
    const ls = await simExec(h, `ls -T '${root}/store/sha256/'*/*`);
    expect(ls.stdout.trim().split("\n").every((l) => l.startsWith("b binary"))).toBe(true);
  });

  it("catches a wheel tampered on the target between upload and install; current untouched; a re-run converges", async () => {
    const root = newRoot("tamper");
    await trustRoot(root);
    const first = await deploy({ ...opts(root), bundleDir: v1.dir });
    const w = v2.statement.predicate.wheels.find((x) => x.name === "zwhdemo-app")!;
    const err = await deploy({
      ...opts(root), bundleDir: v2.dir,
      hooks: {
        beforeStep: (s) => {
          if (s !== "install") return;
          const p = join(root, "store", "sha256", w.sha256, w.filename);
          const b = readFileSync(p);
          b[b.length - 30] ^= 0xff; // same size, different bytes
          writeFileSync(p, b);
        },
      },
    }).catch((e: unknown) => e as ZwhError);
    expect(err).toBeInstanceOf(ZwhError);
    expect((err as ZwhError).code).toBe("ZWH-DEPLOY-PIP-HASH");
    expect((err as ZwhError).exitCode).toBe(3);
    expect(current(root)).toBe(`releases/${first.releaseId}`);
    expect((await lockStatus(opts(root))).held).toBe(false);
    storeIsClean(root); // the corrupt entry was removed from the store
    const again = await deploy({ ...opts(root), bundleDir: v2.dir });
    expect(again.changed).toBe(true);
    expect(again.upload.files).toBe(1);
    storeIsClean(root);
  });

  it("a failing install (smoke test) leaves current untouched and is recorded with its step", async () => {
    const root = newRoot("smoke");
    await trustRoot(root);
    const first = await deploy({ ...opts(root), bundleDir: v1.dir });
    const e = await deploy({ ...opts(root, { smoke: "raise SystemExit(7)" }), bundleDir: v2.dir }).catch((x: unknown) => x as ZwhError);
    expect((e as ZwhError).code).toBe("ZWH-DEPLOY-SMOKE");
    expect((e as ZwhError).details?.step).toBe("verify-install");
    expect(current(root)).toBe(`releases/${first.releaseId}`);
    // Hosts are keyed by their logical name: here the LPAR's nodename.
    const st = await invFor(root).hostStatus(first.host, root);
    expect(first.host).toBe("LPAR1");
    expect(st.lastRun).toMatchObject({ status: "failed", errorCode: "ZWH-DEPLOY-SMOKE", failedStep: "verify-install" });
    const audit = readFileSync(join(root, ".wheelhouse", "audit.log"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
    expect(audit.at(-1)).toMatchObject({ event: "deploy", ok: false, error: "ZWH-DEPLOY-SMOKE" });
  }, 300_000); // two full deploys (install, then a failing upgrade)

  it("a concurrent deploy gets the lock error with the owner", async () => {
    const root = newRoot("lock");
    await trustRoot(root);
    let inner: unknown;
    await deploy({
      ...opts(root), bundleDir: v1.dir,
      hooks: {
        beforeStep: async (s) => {
          if (s !== "upload") return;
          inner = await deploy({ ...opts(root), bundleDir: v2.dir }).catch((x: unknown) => x);
        },
      },
    });
    expect(inner).toBeInstanceOf(ZwhError);
    const z = inner as ZwhError;
    expect(z.code).toBe("ZWH-LOCK-HELD");
    expect(z.exitCode).toBe(3);
    expect(z.message).toMatch(/pid \d+/);
    expect((z.details?.owner as Record<string, unknown>).operation).toBe("deploy");
    expect((z.details?.owner as Record<string, unknown>).bundle).toBe("app");
  });

  it("refuses a host whose key does not match the pin", async () => {
    const spec: TargetSpec = { ...specFor(h), knownHostsFile: undefined, hostKey: "SHA256:" + "A".repeat(43) };
    await expect(deploy({ ...opts(newRoot(), {}, spec), bundleDir: v1.dir })).rejects.toMatchObject({ code: "ZWH-SSH-HOSTKEY-MISMATCH" });
  });

  it("takes hostile root paths literally (spaces, quotes, $(...), ;)", async () => {
    const root = `${h.home}/we ird 'q' "d" $(touch PWNED) ;x`;
    await trustRoot(root);
    const r = await deploy({ ...opts(root, { smoke: "import zwhdemo_app" }), bundleDir: v1.dir });
    expect(r.changed).toBe(true);
    expect(current(root)).toBe(`releases/${r.releaseId}`);
    expect(existsSync(join(h.home, "PWNED"))).toBe(false);
    storeIsClean(root);
  });

  it("refuses a root with a newline clearly", async () => {
    await expect(deploy({ ...opts(`${h.home}/bad\nroot`), bundleDir: v1.dir })).rejects.toMatchObject({ code: "ZWH-DEPLOY-ROOT-INVALID" });
  });

  it("the target refuses the signature when its trust anchors do not include the signer", async () => {
    const root = newRoot("sig");
    const other = makeSigner(join(work, "other"), "someone-else");
    await trustRoot(root, other.trustFile);
    const e = await deploy({ ...opts(root), bundleDir: v1.dir }).catch((x: unknown) => x as ZwhError);
    expect((e as ZwhError).code).toBe("ZWH-DEPLOY-TARGET-SIGNATURE");
    expect((e as ZwhError).message).toMatch(/ZWH-SIG-UNTRUSTED/);
    expect(current(root)).toBe(null);
    expect((await lockStatus(opts(root))).held).toBe(false);
  });

  it("connection cut during upload: nothing partial in the store, lock released, re-run converges", async () => {
    const root = newRoot("cut-up");
    await trustRoot(root);
    const proxy = await startFaultProxy({ targetHost: h.host, targetPort: h.port, mode: "cutAfterBytes", bytes: 1_500_000, direction: "up" });
    try {
      const spec: TargetSpec = { ...specFor(h), port: proxy.port, knownHostsFile: undefined, hostKey: h.hostKeyFingerprint };
      const e = await deploy({ ...opts(root, {}, spec), bundleDir: big.dir }).catch((x: unknown) => x as ZwhError);
      expect(e).toBeInstanceOf(ZwhError);
      expect((e as ZwhError).details?.step).toBe("upload");
      expect(proxy.cuts).toBeGreaterThan(0);
      expect(current(root)).toBe(null);
      storeIsClean(root);
      expect((await lockStatus(opts(root))).held).toBe(false); // released over a fresh connection
      proxy.setMode({ mode: "pass" });
      const r = await deploy({ ...opts(root, {}, spec), bundleDir: big.dir });
      expect(r.changed).toBe(true);
      storeIsClean(root);
    } finally {
      await proxy.stop();
    }
  }, 300_000); // a cut deploy, then a full one of the large bundle

  for (const at of ["install", "activate"] as const) {
    it(`connection cut ${at === "install" ? "during pip" : "right before activation"}: current untouched, the lock names the run, re-run converges`, async () => {
      const root = newRoot(`cut-${at}`);
      await trustRoot(root);
      const first = await deploy({ ...opts(root), bundleDir: v1.dir });
      const proxy = await startFaultProxy({ targetHost: h.host, targetPort: h.port, mode: "pass" });
      const spec: TargetSpec = { ...specFor(h), port: proxy.port, knownHostsFile: undefined, hostKey: h.hostKeyFingerprint };
      const e = await deploy({
        ...opts(root, {}, spec), bundleDir: v2.dir,
        hooks: {
          beforeStep: (s) => {
            if (s !== at) return;
            if (at === "install") setTimeout(() => void proxy.stop(), 400); // while pip runs
            else return proxy.stop();
          },
        },
      }).catch((x: unknown) => x as ZwhError);
      expect(e).toBeInstanceOf(ZwhError);
      expect(current(root)).toBe(`releases/${first.releaseId}`);
      const ls = await lockStatus(opts(root));
      if (ls.held) {
        // The controller could not reach the host to unlock: the lock says who, and is broken explicitly.
        expect((e as ZwhError).hint).toMatch(/zwh lock break --lock-id/);
        // Its owner (this test process) is alive and the lock not stale: breaking it takes --force.
        const b = await lockBreak({ ...opts(root), lockId: String(ls.owner?.lock_id), force: true });
        expect(b.broken).toBe(true);
      }
      const r = await deploy({ ...opts(root), bundleDir: v2.dir });
      expect(r.changed).toBe(true);
      expect(current(root)).toBe(`releases/${r.releaseId}`);
      storeIsClean(root);
    });
  }
});
