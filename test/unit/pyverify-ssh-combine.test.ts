/**
 * dsse_verify.py combining DSSE signatures with the outcome of `ssh-keygen -Y verify` on the
 * target (--ssh-signatures / --ssh-verified / --ssh-failed): same t-of-n rule as the local
 * verifier (a key counts once, whichever carriers it signed), same codes.
 */
import { spawnSync } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { keyIdOf, publicKeyPem, toOpenSshPublicKey } from "../../src/bundle/signing/keys";
import { addTrustKey, createTrust, serializeTrust, type TrustDocument } from "../../src/bundle/signing/trust";
import { addSignature, signStatement } from "../../src/bundle/signing/verify";
import { sshPrincipal } from "../../src/deploy/trust";

const SCRIPT = path.resolve(__dirname, "../../src/remote/helpers/dsse_verify.py");
const statement = Buffer.from(JSON.stringify({ _type: "https://in-toto.io/Statement/v1", subject: [], predicate: { bundleId: "b", channel: "stable" } }, null, 2) + "\n");

type Pair = crypto.KeyPairKeyObjectResult;
const ed = (): Pair => crypto.generateKeyPairSync("ed25519");

function trustOf(threshold: number, keys: Array<{ pair: Pair; name: string; channels?: string[]; ssh?: boolean }>): TrustDocument {
  let doc = createTrust({ threshold, channels: ["stable", "test"] });
  for (const k of keys) {
    const pub = k.ssh ? toOpenSshPublicKey(k.pair.publicKey) : publicKeyPem(k.pair.publicKey);
    doc = addTrustKey(doc, { publicKey: pub, name: k.name, channels: k.channels, now: new Date(0) }).doc;
  }
  return doc;
}

function run(trust: TrustDocument, opts: { envelope?: unknown; args?: string[] } = {}): { status: number | null; out: { ok: boolean; signers: Array<{ name: string }>; error: null | { code: string } } } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "zwh-pyssh-"));
  const st = path.join(dir, "manifest.intoto.json");
  const tr = path.join(dir, "trust.json");
  fs.writeFileSync(st, statement);
  fs.writeFileSync(tr, serializeTrust(trust));
  const args = ["-I", SCRIPT, "--statement", st, "--trust", tr, "--channel", "stable"];
  if (opts.envelope !== undefined) {
    const env = path.join(dir, "manifest.dsse.json");
    fs.writeFileSync(env, JSON.stringify(opts.envelope));
    args.push("--envelope", env);
  }
  const r = spawnSync("python3", [...args, ...(opts.args ?? [])], { encoding: "utf8" });
  const lines = r.stdout.trim().split("\n");
  expect(lines, r.stderr).toHaveLength(1);
  return { status: r.status, out: JSON.parse(lines[0]) };
}

describe("dsse_verify.py with SSHSIG results from ssh-keygen", () => {
  const a = ed();
  const b = ed();

  it("accepts an SSHSIG-only bundle whose principal ssh-keygen verified", () => {
    const r = run(trustOf(1, [{ pair: a, name: "release-bot", ssh: true }]), { args: ["--ssh-signatures", "1", "--ssh-verified", "release-bot"] });
    expect(r.status).toBe(0);
    expect(r.out.ok).toBe(true);
    expect(r.out.signers.map((s) => s.name)).toEqual(["release-bot"]);
  });

  it("no envelope and no SSH signature → ZWH-SIG-MISSING; SSH signatures none verified → UNTRUSTED / INVALID", () => {
    const t = trustOf(1, [{ pair: a, name: "release-bot", ssh: true }]);
    expect(run(t).out.error?.code).toBe("ZWH-SIG-MISSING");
    // ssh-keygen refused a principal the trust file does not know: untrusted signer.
    const u = run(t, { args: ["--ssh-signatures", "1", "--ssh-failed", "someone-else"] });
    expect([u.status, u.out.error?.code]).toEqual([3, "ZWH-SIG-UNTRUSTED"]);
    // ssh-keygen refused a trusted principal's signature: tampering.
    const i = run(t, { args: ["--ssh-signatures", "1", "--ssh-failed", "release-bot"] });
    expect([i.status, i.out.error?.code]).toEqual([3, "ZWH-SIG-INVALID"]);
    // A verified principal that is not in the trust file counts for nothing.
    expect(run(t, { args: ["--ssh-signatures", "1", "--ssh-verified", "stranger"] }).out.error?.code).toBe("ZWH-SIG-UNTRUSTED");
  });

  it("counts a key once across DSSE and SSHSIG (2-of-n)", () => {
    const t = trustOf(2, [{ pair: a, name: "alice" }, { pair: b, name: "bob" }]);
    const env = signStatement(statement, a.privateKey);
    const same = run(t, { envelope: env, args: ["--ssh-signatures", "1", "--ssh-verified", "alice"] });
    expect([same.status, same.out.error?.code]).toEqual([3, "ZWH-SIG-THRESHOLD"]);
    const two = run(t, { envelope: env, args: ["--ssh-signatures", "1", "--ssh-verified", "bob"] });
    expect(two.status).toBe(0);
    expect(two.out.signers.map((s) => s.name).sort()).toEqual(["alice", "bob"]);
    // DSSE alone by both: SSH not needed.
    expect(run(t, { envelope: addSignature(env, b.privateKey) }).status).toBe(0);
  });

  it("an envelope with no signatures is fine when SSH signatures carry the threshold", () => {
    const t = trustOf(1, [{ pair: a, name: "alice" }]);
    const env = { ...signStatement(statement, a.privateKey), signatures: [] };
    expect(run(t, { envelope: env }).out.error?.code).toBe("ZWH-SIG-MISSING");
    expect(run(t, { envelope: env, args: ["--ssh-signatures", "1", "--ssh-verified", "alice"] }).status).toBe(0);
  });

  it("applies per-key channel restrictions to SSH signers", () => {
    const t = trustOf(1, [{ pair: a, name: "test-only", channels: ["test"], ssh: true }]);
    expect(run(t, { args: ["--ssh-signatures", "1", "--ssh-verified", "test-only"] }).out.error?.code).toBe("ZWH-SIG-CHANNEL");
  });

  it("maps principals like sshPrincipal: the name, or the keyid for names that are not plain tokens", () => {
    const t = trustOf(1, [{ pair: a, name: "Release Bot", ssh: true }]);
    const keyid = keyIdOf(a.publicKey);
    expect(sshPrincipal({ name: "Release Bot", keyid })).toBe(keyid);
    expect(sshPrincipal({ name: "release-bot@ci", keyid })).toBe("release-bot@ci");
    expect(run(t, { args: ["--ssh-signatures", "1", "--ssh-verified", "Release Bot"] }).out.error?.code).toBe("ZWH-SIG-UNTRUSTED");
    expect(run(t, { args: ["--ssh-signatures", "1", "--ssh-verified", keyid] }).status).toBe(0);
  });

  it("counts an RSA key (which cannot sign DSSE) through a verified SSHSIG", () => {
    const rsa = crypto.generateKeyPairSync("rsa", { modulusLength: 2048 });
    const t = trustOf(1, [{ pair: rsa, name: "rsa-bot", ssh: true }]);
    const r = run(t, { args: ["--ssh-signatures", "1", "--ssh-verified", "rsa-bot"] });
    expect(r.status).toBe(0);
    expect(r.out.signers.map((s) => s.name)).toEqual(["rsa-bot"]);
  });
});
