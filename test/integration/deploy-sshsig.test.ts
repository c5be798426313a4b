/**
 * SSHSIG bundle signatures checked on the target (simulator: real sshd, real ssh-keygen on the
 * target's PATH) against the allowed_signers file `zwh target trust` writes from the target's
 * trust file. Bundles are signed with the real `ssh-keygen -Y sign -n zos-wheelhouse-bundle`.
 * Also: --lock-ttl reaches the lock the target holds (owner.json ttl_seconds).
 */
import { execFileSync } from "child_process";
import { existsSync, lstatSync, mkdtempSync, readFileSync, readlinkSync, renameSync, rmSync, statSync, writeFileSync } from "fs";
import { join } from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createBundle, type CreatedBundle } from "../../src/bundle/create";
import type { BundleTarget } from "../../src/bundle/statement";
import { addTrustKey, createTrust, saveTrust } from "../../src/bundle/signing/trust";
import { generateSigningKeyPair, publicKeyPem, type GeneratedKeyPair } from "../../src/bundle/signing/keys";
import { ZwhError } from "../../src/core/errors";
import { deploy } from "../../src/deploy/deploy";
import { lockStatus } from "../../src/deploy/lock";
import { installTargetTrust } from "../../src/deploy/trust";
import { simExec, startUssHosts, type SimCluster, type SimHost } from "../sim";
import { newInventory, recordingOutput, sampleWheels, simTarget, specFor, tmp } from "../support/deploy";
import { buildWheel } from "../support/wheels";

let sim: SimCluster;
let h: SimHost;
let work: string;
let target: BundleTarget;
const NS = "zos-wheelhouse-bundle";

/** A real OpenSSH ed25519 key pair made by ssh-keygen. */
function sshKey(name: string): { priv: string; pubLine: string } {
  const priv = join(work, `${name}_ed25519`);
  execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", name, "-f", priv]);
  return { priv, pubLine: readFileSync(`${priv}.pub`, "utf8").trim() };
}

function trustFile(name: string, keys: Array<{ name: string; publicKey: string }>, threshold = 1): string {
  let doc = createTrust({ channels: ["stable"], threshold });
  for (const k of keys) doc = addTrustKey(doc, { publicKey: k.publicKey, name: k.name }).doc;
  const f = join(work, `${name}.json`);
  saveTrust(f, doc);
  return f;
}

let seq = 0;
/** A bundle with DSSE signatures by `dsse` (possibly none), then SSHSIG blocks by `ssh` appended with ssh-keygen -Y sign. */
async function bundle(id: string, opts: { dsse?: GeneratedKeyPair[]; ssh?: string[] } = {}): Promise<CreatedBundle> {
  const wheelDir = mkdtempSync(join(work, "wheels-"));
  for (const w of sampleWheels({ app: "1.0" })) await buildWheel(wheelDir, w);
  const b = await createBundle({
    wheelDir, outDir: join(work, `bundle-${id}-${++seq}`), bundleId: id, channel: "stable", sequence: 1, target,
    requirements: ["zwhdemo-app"], signKeys: (opts.dsse ?? []).map((k) => k.privateKey),
  });
  const stmt = join(b.dir, "manifest.intoto.json");
  const blocks: string[] = [];
  for (const priv of opts.ssh ?? []) {
    rmSync(`${stmt}.sig`, { force: true }); // ssh-keygen -Y sign writes <file>.sig and keeps an existing one
    execFileSync("ssh-keygen", ["-Y", "sign", "-n", NS, "-f", priv, stmt], { stdio: "ignore" });
    blocks.push(readFileSync(`${stmt}.sig`, "utf8"));
  }
  if (blocks.length) writeFileSync(`${stmt}.sig`, blocks.join(""));
  return b;
}

let n = 0;
function newRoot(name: string): string {
  return `${h.home}/${name}${++n}`;
}

const invs: Array<ReturnType<typeof newInventory>> = [];
function opts(root: string, trustPath: string, extra: Record<string, unknown> = {}) {
  const out = recordingOutput();
  const store = newInventory(work);
  invs.push(store);
  return { spec: specFor(h), root, progress: out.progress, warn: out.warn, store, trustPath, ...extra };
}

async function installTrust(root: string, file: string) {
  return installTargetTrust({ spec: specFor(h), root, trustPath: file, progress: recordingOutput().progress });
}

function current(root: string): string | null {
  try {
    return readlinkSync(join(root, "current"));
  } catch {
    return null;
  }
}

let bot: { priv: string; pubLine: string };
let botTrust: string;

beforeAll(async () => {
  sim = await startUssHosts({ hosts: 1 });
  h = sim.hosts[0];
  work = tmp("zwh-deploy-sshsig-");
  target = await simTarget(h);
  bot = sshKey("ssh-bot");
  botTrust = trustFile("bot-trust", [{ name: "ssh-bot", publicKey: bot.pubLine }]);
});

afterAll(async () => {
  for (const i of invs) await i.close();
  await sim?.stop();
});

describe("SSHSIG bundles verified on the target", () => {
  it("target trust writes allowed_signers next to trust.json: read-only, tagged ISO8859-1, principal = key name", async () => {
    const root = newRoot("as");
    const r = await installTrust(root, botTrust);
    expect(r.allowedSigners).toEqual({ path: `${root}/.wheelhouse/allowed_signers`, principals: ["ssh-bot"] });
    const file = join(root, ".wheelhouse", "allowed_signers");
    expect(statSync(file).mode & 0o777).toBe(0o444);
    const lines = readFileSync(file, "utf8").split("\n").filter((l) => l && !l.startsWith("#"));
    expect(lines).toEqual([`ssh-bot namespaces="${NS}" ${bot.pubLine.split(" ").slice(0, 2).join(" ")}`]);
    const ls = await simExec(h, `ls -T '${file}'`);
    expect(ls.stdout).toMatch(/^t ISO8859-1\s+T=on/);
    // Re-running with the same trust file changes nothing.
    expect((await installTrust(root, botTrust)).changed).toBe(false);
  });

  it("deploys a bundle signed only with ssh-keygen -Y sign (the target checks it with ssh-keygen); --lock-ttl reaches the lock", async () => {
    const root = newRoot("ok");
    await installTrust(root, botTrust);
    const b = await bundle("sshonly", { ssh: [bot.priv] });
    expect(existsSync(join(b.dir, "manifest.dsse.json"))).toBe(false);
    let ttlOnTarget: unknown;
    const r = await deploy({
      ...opts(root, botTrust, { lockTtlSeconds: 123 }), bundleDir: b.dir,
      hooks: {
        beforeStep: (s) => {
          if (s === "install") ttlOnTarget = JSON.parse(readFileSync(join(root, ".wheelhouse", "lock", "owner.json"), "utf8")).ttl_seconds;
        },
      },
    });
    expect(r.changed).toBe(true);
    expect(r.bundle.signers.map((s) => s.name)).toEqual(["ssh-bot"]);
    expect(current(root)).toBe(`releases/${r.releaseId}`);
    expect(ttlOnTarget).toBe(123);
    expect(readFileSync(join(root, "releases", r.releaseId, "manifest.intoto.json.sig"), "utf8")).toContain("BEGIN SSH SIGNATURE");
  });

  it("refuses on the target an SSHSIG by a key the target's allowed_signers does not have (local trust accepts it)", async () => {
    const root = newRoot("untrusted");
    const other = sshKey("other-bot");
    await installTrust(root, trustFile("other-trust", [{ name: "other-bot", publicKey: other.pubLine }]));
    const b = await bundle("foreign", { ssh: [bot.priv] });
    const e = await deploy({ ...opts(root, botTrust), bundleDir: b.dir }).catch((x: unknown) => x as ZwhError);
    expect(e).toBeInstanceOf(ZwhError);
    expect(e.code).toBe("ZWH-DEPLOY-TARGET-SIGNATURE");
    expect(e.exitCode).toBe(3);
    expect(e.details?.step).toBe("verify-target");
    expect(e.message).toMatch(/ZWH-SIG-UNTRUSTED/);
    // ssh-keygen on the target was asked (under the local name) and refused it.
    expect(e.details?.ssh).toMatchObject({ available: true, asked: ["ssh-bot"], verified: [] });
    expect(current(root)).toBe(null);
    expect((await lockStatus(opts(root, botTrust))).held).toBe(false);
  });

  it("combines DSSE and SSHSIG over unique keys (2-of-2); a .sig with several blocks is split on the target", async () => {
    const root = newRoot("mixed");
    const pem = generateSigningKeyPair("ed25519");
    const stranger = sshKey("stranger");
    const two = trustFile("two-trust", [{ name: "pem-bot", publicKey: publicKeyPem(pem.publicKey) }, { name: "ssh-bot", publicKey: bot.pubLine }], 2);
    await installTrust(root, two);
    // DSSE by pem-bot; SSHSIG by a stranger (counts for nothing) and by ssh-bot.
    const b = await bundle("mixed", { dsse: [pem], ssh: [stranger.priv, bot.priv] });
    const r = await deploy({ ...opts(root, two), bundleDir: b.dir });
    expect(r.changed).toBe(true);
    expect(r.bundle.signers.map((s) => s.name).sort()).toEqual(["pem-bot", "ssh-bot"]);
    // The same DSSE signature alone is one key short of the target's threshold.
    const root2 = newRoot("mixed-short");
    await installTrust(root2, two);
    const dsseOnly = await bundle("mixed", { dsse: [pem] });
    const twoLocal = trustFile("two-local", [{ name: "pem-bot", publicKey: publicKeyPem(pem.publicKey) }]);
    const e = await deploy({ ...opts(root2, twoLocal), bundleDir: dsseOnly.dir }).catch((x: unknown) => x as ZwhError);
    expect(e.code).toBe("ZWH-DEPLOY-TARGET-SIGNATURE");
    expect(e.message).toMatch(/ZWH-SIG-THRESHOLD/);
  });

  it("a target without ssh-keygen refuses an SSHSIG-only bundle clearly", async () => {
    const root = newRoot("nokeygen");
    await installTrust(root, botTrust);
    const b = await bundle("nokeygen", { ssh: [bot.priv] });
    const link = join(h.root, "bin", "ssh-keygen");
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    const dest = readlinkSync(link);
    renameSync(link, `${link}.hidden`);
    try {
      const e = await deploy({ ...opts(root, botTrust), bundleDir: b.dir }).catch((x: unknown) => x as ZwhError);
      expect(e.code).toBe("ZWH-DEPLOY-TARGET-SIGNATURE");
      expect(e.message).toMatch(/no ssh-keygen/);
      expect(e.hint).toMatch(/zwh bundle sign/);
      expect(current(root)).toBe(null);
    } finally {
      renameSync(`${link}.hidden`, link);
    }
    expect(readlinkSync(link)).toBe(dest);
  });
});
