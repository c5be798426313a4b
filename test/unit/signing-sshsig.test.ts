import { execFileSync, spawnSync } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { ZwhError } from "../../src/core/errors";
import { keyIdOf, loadPrivateKey, loadPublicKey } from "../../src/bundle/signing/keys";
import {
  BUNDLE_SSH_NAMESPACE, formatAllowedSigner, parseAllowedSigners, parseSshsig, signSshsig, verifySshsig,
} from "../../src/bundle/signing/sshsig";

const NS = BUNDLE_SSH_NAMESPACE;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "zwh-sshsig-"));
const message = Buffer.from('{"_type":"https://in-toto.io/Statement/v1","predicate":{"channel":"stable"}}\n');
const msgFile = path.join(dir, "manifest.intoto.json");
fs.writeFileSync(msgFile, message);

function sshKey(name: string, args: string[]): string {
  const f = path.join(dir, name);
  execFileSync("ssh-keygen", ["-q", ...args, "-N", "", "-C", `${name}@test`, "-f", f]);
  return f;
}

/** Real `ssh-keygen -Y sign`; returns the armoured signature. */
function sshSign(keyFile: string, file: string, ns = NS, extra: string[] = []): string {
  fs.rmSync(file + ".sig", { force: true });
  execFileSync("ssh-keygen", ["-Y", "sign", "-n", ns, "-f", keyFile, ...extra, file], { stdio: ["ignore", "ignore", "pipe"] });
  return fs.readFileSync(file + ".sig", "utf8");
}

function refusalCode(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    expect((e as ZwhError).exitCode).toBe(3);
    return (e as ZwhError).code;
  }
  return undefined;
}

const keys = {
  ed25519: sshKey("ed", ["-t", "ed25519"]),
  ecdsa: sshKey("ec", ["-t", "ecdsa", "-b", "256"]),
  rsa: sshKey("rsa", ["-t", "rsa", "-b", "3072"]),
};

describe("verify signatures made by ssh-keygen -Y sign", () => {
  for (const [kind, keyFile] of Object.entries(keys)) {
    it(`${kind}: valid signature verifies; tampered message and wrong namespace fail`, () => {
      const sig = sshSign(keyFile, msgFile);
      const pub = loadPublicKey(keyFile + ".pub");
      const trusted = new Set([keyIdOf(pub)]);
      const v = verifySshsig(message, sig, { namespace: NS, trustedKeyIds: trusted });
      expect(v.keyid).toBe(keyIdOf(pub));
      expect(v.hashAlg).toBe("sha512"); // ssh-keygen's default
      if (kind === "rsa") expect(v.sigAlg).toBe("rsa-sha2-512");

      const tampered = Buffer.from(message.toString().replace("stable", "stab1e"));
      expect(refusalCode(() => verifySshsig(tampered, sig, { namespace: NS }))).toBe("ZWH-SIG-INVALID");
      expect(refusalCode(() => verifySshsig(message, sig, { namespace: "git" }))).toBe("ZWH-SIG-INVALID");

      const otherSig = sshSign(keyFile, msgFile, "file");
      expect(() => verifySshsig(message, otherSig, { namespace: NS })).toThrow(/namespace 'file'/);
    });
  }

  it("sha256 hash algorithm (-O hashalg=sha256) is accepted", () => {
    const sig = sshSign(keys.ed25519, msgFile, NS, ["-O", "hashalg=sha256"]);
    expect(parseSshsig(sig).hashAlg).toBe("sha256");
    expect(verifySshsig(message, sig, { namespace: NS }).hashAlg).toBe("sha256");
  });

  it("an untrusted signer is refused with ZWH-SIG-UNTRUSTED", () => {
    const sig = sshSign(keys.ecdsa, msgFile);
    const other = loadPublicKey(keys.ed25519 + ".pub");
    expect(refusalCode(() => verifySshsig(message, sig, { namespace: NS, trustedKeyIds: new Set([keyIdOf(other)]) }))).toBe("ZWH-SIG-UNTRUSTED");
  });

  it("damaged armour, bad magic and unsupported versions are ZWH-SIG-INVALID", () => {
    const sig = sshSign(keys.ed25519, msgFile);
    expect(refusalCode(() => parseSshsig("hello"))).toBe("ZWH-SIG-INVALID");
    const b64 = sig.split("\n").filter((l) => !l.startsWith("-----")).join("");
    const blob = Buffer.from(b64, "base64");
    const arm = (b: Buffer) => `-----BEGIN SSH SIGNATURE-----\n${b.toString("base64")}\n-----END SSH SIGNATURE-----\n`;
    const badMagic = Buffer.from(blob); badMagic[0] = 0x58;
    expect(refusalCode(() => parseSshsig(arm(badMagic)))).toBe("ZWH-SIG-INVALID");
    const v2 = Buffer.from(blob); v2.writeUInt32BE(2, 6);
    expect(() => parseSshsig(arm(v2))).toThrow(/version 2/);
    expect(refusalCode(() => parseSshsig(arm(blob.subarray(0, blob.length - 5))))).toBe("ZWH-SIG-INVALID");
    // Flip one bit of the signature itself.
    const flipped = Buffer.from(blob); flipped[flipped.length - 3] ^= 1;
    expect(refusalCode(() => verifySshsig(message, arm(flipped), { namespace: NS }))).toBe("ZWH-SIG-INVALID");
  });
});

describe("SSHSIG signing in Node verifies with ssh-keygen -Y verify", () => {
  for (const [kind, gen] of [
    ["ed25519", () => crypto.generateKeyPairSync("ed25519").privateKey],
    ["p256", () => crypto.generateKeyPairSync("ec", { namedCurve: "prime256v1" }).privateKey],
    ["ssh-keygen's own ed25519 key file", () => loadPrivateKey(keys.ed25519)],
    ["ssh-keygen's own ecdsa key file", () => loadPrivateKey(keys.ecdsa)],
  ] as const) {
    it(kind, () => {
      const priv = gen();
      const pub = crypto.createPublicKey(priv);
      for (const hash of ["sha512", "sha256"] as const) {
        const sig = signSshsig(message, priv, NS, hash);
        const sigFile = path.join(dir, "node.sig");
        fs.writeFileSync(sigFile, sig);
        const allowed = path.join(dir, "allowed_signers");
        fs.writeFileSync(allowed, formatAllowedSigner("release@example.com", pub, [NS]) + "\n");
        const ok = spawnSync("ssh-keygen", ["-Y", "verify", "-f", allowed, "-I", "release@example.com", "-n", NS, "-s", sigFile], { input: message });
        expect(ok.status, ok.stderr.toString()).toBe(0);
        expect(ok.stdout.toString()).toMatch(/Good "zos-wheelhouse-bundle" signature for release@example.com/);
        const bad = spawnSync("ssh-keygen", ["-Y", "verify", "-f", allowed, "-I", "release@example.com", "-n", NS, "-s", sigFile], { input: Buffer.concat([message, Buffer.from(" ")]) });
        expect(bad.status).not.toBe(0);
        // And our own verifier agrees.
        expect(verifySshsig(message, sig, { namespace: NS }).keyid).toBe(keyIdOf(pub));
      }
    });
  }

  it("ssh-keygen -Y check-novalidate accepts our ed25519 output format byte for byte in namespace", () => {
    const priv = crypto.generateKeyPairSync("ed25519").privateKey;
    const sigFile = path.join(dir, "nv.sig");
    fs.writeFileSync(sigFile, signSshsig(message, priv));
    const r = spawnSync("ssh-keygen", ["-Y", "check-novalidate", "-n", NS, "-s", sigFile], { input: message });
    expect(r.status, r.stderr.toString()).toBe(0);
  });
});

describe("allowed_signers", () => {
  const edPub = fs.readFileSync(keys.ed25519 + ".pub", "utf8").trim();
  const ecPub = fs.readFileSync(keys.ecdsa + ".pub", "utf8").trim();

  it("parses principals, options and keys; comments and blank lines are skipped", () => {
    const text = [
      "# release signers",
      "",
      `alice@example.com,bob@example.com namespaces="${NS},file" ${edPub}`,
      `"*@ci.example.com,!evil@ci.example.com" valid-after="20200101",valid-before="20991231Z" ${ecPub}`,
    ].join("\n");
    const list = parseAllowedSigners(text);
    expect(list).toHaveLength(2);
    expect(list[0].principals).toEqual(["alice@example.com", "bob@example.com"]);
    expect(list[0].namespaces).toEqual([NS, "file"]);
    expect(list[0].line).toBe(3);
    expect(list[1].principals).toEqual(["*@ci.example.com", "!evil@ci.example.com"]);
    expect(list[1].validAfter?.getFullYear()).toBe(2020);
    expect(list[1].validBefore?.toISOString()).toBe("2099-12-31T00:00:00.000Z");
    expect(list[1].keyid).toBe(keyIdOf(loadPublicKey(keys.ecdsa + ".pub")));
  });

  it("enforces key, principal patterns, namespaces and validity", () => {
    const edSig = sshSign(keys.ed25519, msgFile);
    const ecSig = sshSign(keys.ecdsa, msgFile);
    const list = parseAllowedSigners([
      `alice@example.com namespaces="file" ${edPub}`,
      `"*@ci.example.com,!evil@ci.example.com" ${ecPub}`,
    ].join("\n"));
    // ed25519 key is only allowed for namespace "file".
    expect(refusalCode(() => verifySshsig(message, edSig, { namespace: NS, allowedSigners: list }))).toBe("ZWH-SIG-UNTRUSTED");
    expect(verifySshsig(message, ecSig, { namespace: NS, allowedSigners: list, principal: "bot@ci.example.com" }).principals)
      .toEqual(["*@ci.example.com", "!evil@ci.example.com"]);
    expect(refusalCode(() => verifySshsig(message, ecSig, { namespace: NS, allowedSigners: list, principal: "evil@ci.example.com" }))).toBe("ZWH-SIG-UNTRUSTED");
    expect(refusalCode(() => verifySshsig(message, ecSig, { namespace: NS, allowedSigners: list, principal: "x@example.org" }))).toBe("ZWH-SIG-UNTRUSTED");
    const expired = parseAllowedSigners(`* valid-before="20200101" ${ecPub}`);
    expect(refusalCode(() => verifySshsig(message, ecSig, { namespace: NS, allowedSigners: expired }))).toBe("ZWH-SIG-UNTRUSTED");
  });

  it("malformed lines are errors with the line number", () => {
    expect(() => parseAllowedSigners(`ok@x ${edPub}\nbroken-line`)).toThrow(/allowed_signers:2/);
    expect(() => parseAllowedSigners(`a@x bogus-option ${edPub}`)).toThrow(/unknown option/);
  });

  it("a file we format is accepted by ssh-keygen and by our parser", () => {
    const line = formatAllowedSigner("ops@example.com", loadPublicKey(keys.rsa + ".pub"), [NS]);
    expect(parseAllowedSigners(line)[0].namespaces).toEqual([NS]);
    const sig = sshSign(keys.rsa, msgFile);
    const allowed = path.join(dir, "allowed_rsa");
    fs.writeFileSync(allowed, line + "\n");
    const r = spawnSync("ssh-keygen", ["-Y", "verify", "-f", allowed, "-I", "ops@example.com", "-n", NS, "-s", msgFile + ".sig"], { input: message });
    expect(r.status, r.stderr.toString()).toBe(0);
    expect(verifySshsig(message, sig, { namespace: NS, allowedSigners: parseAllowedSigners(line), principal: "ops@example.com" }).keyid)
      .toBe(keyIdOf(loadPublicKey(keys.rsa + ".pub")));
  });
});
