/**
 * Probe facts are cached per root AND per host (the session user's
 * $HOME/.wheelhouse/host-env-<interpreter>.json): a first deploy to a NEW root on a host already
 * probed with the same interpreter uses the host cache instead of probing again (issue 10: fewer
 * round trips). A changed interpreter fingerprint makes it probe again.
 *
 * Also here (same deploys): the bundle's files are verified while the deploy connects and
 * observes (early-verify.ts), except when the inventory records this statement as the root's
 * active release.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from "fs";
import { join } from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deploy } from "../../src/deploy/deploy";
import { startEarlyVerify } from "../../src/deploy/early-verify";
import { loadTrust } from "../../src/bundle/signing/trust";
import { openStore } from "../../src/inventory";
import type { InventoryService } from "../../src/inventory/service";
import { installTargetTrust } from "../../src/deploy/trust";
import { simExec, startUssHosts, type SimCluster, type SimHost } from "../sim";
import { makeBundle, makeSigner, recordingOutput, sampleWheels, simTarget, specFor, tmp, type Signer } from "../support/deploy";

let sim: SimCluster;
let h: SimHost;
let work: string;
let signer: Signer;
let bundleDir: string;
let store: InventoryService;

beforeAll(async () => {
  sim = await startUssHosts({ hosts: 1 });
  h = sim.hosts[0];
  work = tmp("zwh-probe-cache-");
  signer = makeSigner(join(work, "keys"));
  bundleDir = (await makeBundle(work, { id: "pc", sequence: 1, target: await simTarget(h), signer, wheels: sampleWheels() })).dir;
  store = await openStore(join(work, "inventory.db"));
}, 300_000);

afterAll(async () => {
  await store?.close();
  await sim?.stop();
});

async function deployTo(name: string) {
  const root = `${h.home}/${name}`;
  await installTargetTrust({ spec: specFor(h), root, trustPath: signer.trustFile, progress: recordingOutput().progress });
  const out = recordingOutput();
  const r = await deploy({ spec: specFor(h), root, progress: out.progress, warn: out.warn, trustPath: signer.trustFile, bundleDir, store });
  return { root, r, out };
}

const hostCacheDir = () => join(h.home, ".wheelhouse");
const hostCaches = () => (existsSync(hostCacheDir()) ? readdirSync(hostCacheDir()).filter((n) => /^host-env-[0-9a-f]{16}\.json$/.test(n)) : []);

describe("probe cache per host", () => {
  it("the first root probes and fills both caches; a second root uses the host cache (no probe, fewer execs)", async () => {
    expect(hostCaches()).toEqual([]);
    const a = await deployTo("root-a");
    expect(a.r.targetFactsCached).toBe(false);
    expect(hostCaches()).toHaveLength(1);
    const cacheFile = join(hostCacheDir(), hostCaches()[0]);
    const ls = await simExec(h, `ls -T ${cacheFile} ${a.root}/.wheelhouse/target-env.json`);
    expect(ls.stdout.split("\n").filter(Boolean).map((l) => l.slice(0, 19))).toEqual(["t ISO8859-1   T=on ", "t ISO8859-1   T=on "]);
    expect(JSON.parse(readFileSync(cacheFile, "utf8"))).toEqual(JSON.parse(readFileSync(join(a.root, ".wheelhouse/target-env.json"), "utf8")));

    const b = await deployTo("root-b");
    expect(b.r.targetFactsCached).toBe(true);
    expect(b.r.roundTrips.execs).toBeLessThan(a.r.roundTrips.execs);
    expect(existsSync(join(b.root, ".wheelhouse/target-env.json"))).toBe(false); // nothing written for it
    expect(b.r.current).toBe(a.r.current);
  }, 300_000);

  it("the files are verified while connecting, unless the inventory records this statement as the root's active release", async () => {
    const d = await deployTo("root-early");
    expect(JSON.stringify(d.out)).toContain("(wheels verified while connecting)");
    const trust = loadTrust(signer.trustFile);
    const again = await startEarlyVerify({ bundleDir, trust, spec: specFor(h), root: d.root, store });
    expect(again).toBeUndefined(); // a re-deploy of the current bundle: no file pass
    const other = await startEarlyVerify({ bundleDir, trust, spec: specFor(h), root: `${h.home}/never-deployed`, store });
    expect(other).toBeDefined();
    const files = await other!.result;
    expect(files?.statementDigest).toBe(d.r.bundle.statementDigest);
    const stopped = await startEarlyVerify({ bundleDir, trust, spec: specFor(h), root: `${h.home}/never-deployed`, store });
    stopped!.stop();
    expect(await stopped!.result).toBeUndefined();
    const redeploy = await deployTo("root-early");
    expect(redeploy.r.bundle.verification).toBe("statement");
  }, 300_000);

  it("a host cache of another interpreter fingerprint is not used: the next new root probes again", async () => {
    const cacheFile = join(hostCacheDir(), hostCaches()[0]);
    const data = JSON.parse(readFileSync(cacheFile, "utf8"));
    writeFileSync(cacheFile, JSON.stringify({ ...data, fingerprint: "another interpreter" }));
    const c = await deployTo("root-c");
    expect(c.r.targetFactsCached).toBe(false);
    expect(JSON.parse(readFileSync(cacheFile, "utf8")).fingerprint).toBe(data.fingerprint); // rewritten by the probe
  }, 300_000);
});
