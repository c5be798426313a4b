import { execFileSync } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { ZwhError } from "../../src/core/errors";
import { keyIdOf, loadPublicKey, publicKeyPem, toOpenSshPublicKey } from "../../src/bundle/signing/keys";
import { addTrustKey, createTrust, parseTrust, Trust, TrustDocument } from "../../src/bundle/signing/trust";
import { addSignature, signStatement, signStatementSsh, verifyStatementSignatures } from "../../src/bundle/signing/verify";
import { signSshsig } from "../../src/bundle/signing/sshsig";

type Pair = crypto.KeyPairKeyObjectResult;
const ed = (): Pair => crypto.generateKeyPairSync("ed25519");
const p256 = (): Pair => crypto.generateKeyPairSync("ec", { namedCurve: "prime256v1" });

const statement = Buffer.from(JSON.stringify({
  _type: "https://in-toto.io/Statement/v1",
  subject: [{ name: "wheels/six-1.16.0-py2.py3-none-any.whl", digest: { sha256: "0".repeat(64) } }],
  predicateType: "https://example.com/wheelhouse/bundle/v1",
  predicate: { bundleId: "b1", channel: "stable", sequence: 7, expires: "2099-01-01T00:00:00Z" },
}, null, 2) + "\n");

function trustOf(threshold: number, keys: Array<{ pair: Pair; name: string; channels?: string[]; ssh?: boolean }>, channels = ["stable", "test"]): Trust {
  let doc: TrustDocument = createTrust({ threshold, channels });
  for (const k of keys) {
    const pub = k.ssh ? toOpenSshPublicKey(k.pair.publicKey) : publicKeyPem(k.pair.publicKey);
    doc = addTrustKey(doc, { publicKey: pub, name: k.name, channels: k.channels }).doc;
  }
  return parseTrust(doc, "trust.json");
}

function refusal(fn: () => unknown): ZwhError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ZwhError);
    expect((e as ZwhError).exitCode).toBe(3);
    return e as ZwhError;
  }
  throw new Error("expected a refusal");
}

describe("verifyStatementSignatures", () => {
  const A = ed(), B = p256(), C = ed(), X = ed();

  it("1-of-1 DSSE Ed25519 and P-256", () => {
    for (const k of [A, B]) {
      const trust = trustOf(1, [{ pair: k, name: "k" }]);
      const r = verifyStatementSignatures({ statementBytes: statement, dsseEnvelope: signStatement(statement, k.privateKey), trust, channel: "stable" });
      expect(r).toMatchObject({ thresholdMet: true, threshold: 1, verifiedKeyIds: [keyIdOf(k.publicKey)], signers: [{ name: "k", kind: "dsse" }] });
    }
  });

  it("accepts the envelope as JSON text and bytes", () => {
    const trust = trustOf(1, [{ pair: A, name: "a" }]);
    const env = JSON.stringify(signStatement(statement, A.privateKey));
    expect(verifyStatementSignatures({ statementBytes: statement, dsseEnvelope: env, trust, channel: "stable" }).thresholdMet).toBe(true);
    expect(verifyStatementSignatures({ statementBytes: statement, dsseEnvelope: Buffer.from(env), trust, channel: "stable" }).thresholdMet).toBe(true);
  });

  it("ZWH-SIG-MISSING without any carrier or with an empty envelope", () => {
    const trust = trustOf(1, [{ pair: A, name: "a" }]);
    expect(refusal(() => verifyStatementSignatures({ statementBytes: statement, trust, channel: "stable" })).code).toBe("ZWH-SIG-MISSING");
    const empty = { payloadType: "application/vnd.in-toto+json", payload: statement.toString("base64"), signatures: [] };
    expect(refusal(() => verifyStatementSignatures({ statementBytes: statement, dsseEnvelope: empty, trust, channel: "stable", sshsig: [] })).code).toBe("ZWH-SIG-MISSING");
  });

  it("ZWH-SIG-INVALID when the payload is not byte-identical (even whitespace), or payloadType is wrong", () => {
    const trust = trustOf(1, [{ pair: A, name: "a" }]);
    const env = signStatement(statement, A.privateKey);
    const reformatted = Buffer.from(JSON.stringify(JSON.parse(statement.toString())));
    const e = refusal(() => verifyStatementSignatures({ statementBytes: reformatted, dsseEnvelope: env, trust, channel: "stable" }));
    expect(e.code).toBe("ZWH-SIG-INVALID");
    expect(e.message).toMatch(/not byte-identical to manifest.intoto.json/);
    const wrongType = { ...env, payloadType: "application/json" };
    expect(refusal(() => verifyStatementSignatures({ statementBytes: statement, dsseEnvelope: wrongType, trust, channel: "stable" })).code).toBe("ZWH-SIG-INVALID");
  });

  it("ZWH-SIG-INVALID when payload and statement were both changed (signature by a trusted key fails)", () => {
    const trust = trustOf(1, [{ pair: A, name: "a" }]);
    const env = signStatement(statement, A.privateKey);
    const evil = Buffer.from(statement.toString().replace('"sequence": 7', '"sequence": 8'));
    const forged = { ...env, payload: evil.toString("base64") };
    expect(refusal(() => verifyStatementSignatures({ statementBytes: evil, dsseEnvelope: forged, trust, channel: "stable" })).code).toBe("ZWH-SIG-INVALID");
  });

  it("ZWH-SIG-UNTRUSTED when only unknown keys signed", () => {
    const trust = trustOf(1, [{ pair: A, name: "a" }]);
    const e = refusal(() => verifyStatementSignatures({ statementBytes: statement, dsseEnvelope: signStatement(statement, X.privateKey), trust, channel: "stable" }));
    expect(e.code).toBe("ZWH-SIG-UNTRUSTED");
    expect(e.hint).toMatch(/zwh trust add-key/);
  });

  it("2-of-3: met with two signers; one signer twice does not count twice; extra untrusted signer ignored", () => {
    const trust = trustOf(2, [{ pair: A, name: "a" }, { pair: B, name: "b" }, { pair: C, name: "c" }]);
    let env = signStatement(statement, A.privateKey);
    const e = refusal(() => verifyStatementSignatures({ statementBytes: statement, dsseEnvelope: env, trust, channel: "stable" }));
    expect(e.code).toBe("ZWH-SIG-THRESHOLD");
    expect(e.message).toMatch(/1 of the required 2/);

    // Same key again (a second P1363 signature slipped in by hand) still counts once.
    const dup = { ...env, signatures: [...env.signatures, { sig: crypto.sign(null, Buffer.concat([Buffer.from("DSSEv1 28 application/vnd.in-toto+json " + statement.length + " "), statement]), A.privateKey).toString("base64") }] };
    expect(refusal(() => verifyStatementSignatures({ statementBytes: statement, dsseEnvelope: dup, trust, channel: "stable" })).code).toBe("ZWH-SIG-THRESHOLD");

    env = addSignature(addSignature(env, X.privateKey), B.privateKey);
    const r = verifyStatementSignatures({ statementBytes: statement, dsseEnvelope: env, trust, channel: "stable" });
    expect(r.verifiedKeyIds).toEqual([keyIdOf(A.publicKey), keyIdOf(B.publicKey)]);
    expect(r.signers.map((s) => s.name)).toEqual(["a", "b"]);
    expect(r.rejected).toEqual([{ kind: "dsse", index: 1, keyid: keyIdOf(X.publicKey), reason: "unknown-key" }]);
  });

  it("a bad signature by one trusted key is skipped when others meet the threshold (DSSE t-of-n)", () => {
    const trust = trustOf(1, [{ pair: A, name: "a" }, { pair: B, name: "b" }]);
    let env = signStatement(statement, A.privateKey);
    env = addSignature(env, B.privateKey);
    env.signatures[1].sig = Buffer.alloc(64, 1).toString("base64");
    const r = verifyStatementSignatures({ statementBytes: statement, dsseEnvelope: env, trust, channel: "stable" });
    expect(r.verifiedKeyIds).toEqual([keyIdOf(A.publicKey)]);
    expect(r.rejected[0].reason).toBe("bad-signature");
  });

  it("ZWH-SIG-CHANNEL: channel not in trust file, statement for another channel, key restricted to another channel", () => {
    const trust = trustOf(1, [{ pair: A, name: "a", channels: ["test"] }, { pair: B, name: "b" }], ["stable", "test"]);
    const envA = signStatement(statement, A.privateKey);
    // Statement says stable, key a is test-only.
    const e1 = refusal(() => verifyStatementSignatures({ statementBytes: statement, dsseEnvelope: envA, trust, channel: "stable" }));
    expect(e1.code).toBe("ZWH-SIG-CHANNEL");
    expect(e1.message).toMatch(/not allowed for it: a/);
    // Caller claims another channel than the statement.
    const e2 = refusal(() => verifyStatementSignatures({ statementBytes: statement, dsseEnvelope: envA, trust, channel: "test" }));
    expect(e2.code).toBe("ZWH-SIG-CHANNEL");
    expect(e2.message).toMatch(/signed for channel 'stable'/);
    const e3 = refusal(() => verifyStatementSignatures({ statementBytes: statement, dsseEnvelope: signStatement(statement, B.privateKey), trust, channel: "prod" }));
    expect(e3.code).toBe("ZWH-SIG-CHANNEL");
    expect(verifyStatementSignatures({ statementBytes: statement, dsseEnvelope: signStatement(statement, B.privateKey), trust, channel: "stable" }).thresholdMet).toBe(true);
  });

  it("threshold is checked before channel (spec order)", () => {
    const trust = trustOf(2, [{ pair: A, name: "a" }, { pair: B, name: "b" }]);
    const e = refusal(() => verifyStatementSignatures({ statementBytes: statement, dsseEnvelope: signStatement(statement, A.privateKey), trust, channel: "prod" }));
    expect(e.code).toBe("ZWH-SIG-THRESHOLD");
  });

  it("enforce:false returns the refusal instead of throwing", () => {
    const trust = trustOf(2, [{ pair: A, name: "a" }, { pair: B, name: "b" }]);
    const r = verifyStatementSignatures({ statementBytes: statement, dsseEnvelope: signStatement(statement, A.privateKey), trust, channel: "stable", enforce: false });
    expect(r.thresholdMet).toBe(false);
    expect(r.refusal?.code).toBe("ZWH-SIG-THRESHOLD");
    expect(r.verifiedKeyIds).toEqual([keyIdOf(A.publicKey)]);
  });

  describe("SSHSIG carrier", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "zwh-verify-"));
    const stmtFile = path.join(dir, "manifest.intoto.json");
    fs.writeFileSync(stmtFile, statement);
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", path.join(dir, "ops")]);
    const opsPub = loadPublicKey(path.join(dir, "ops.pub"));
    const sshSign = (ns: string) => {
      fs.rmSync(stmtFile + ".sig", { force: true });
      execFileSync("ssh-keygen", ["-Y", "sign", "-n", ns, "-f", path.join(dir, "ops"), stmtFile], { stdio: "ignore" });
      return fs.readFileSync(stmtFile + ".sig", "utf8");
    };

    it("ssh-keygen signature by a trusted OpenSSH key meets the threshold alone", () => {
      let doc = createTrust({ threshold: 1, channels: ["stable"] });
      doc = addTrustKey(doc, { publicKey: fs.readFileSync(path.join(dir, "ops.pub"), "utf8"), name: "ops" }).doc;
      const trust = parseTrust(doc);
      const r = verifyStatementSignatures({ statementBytes: statement, sshsig: sshSign("zos-wheelhouse-bundle"), trust, channel: "stable" });
      expect(r.signers).toEqual([{ keyid: keyIdOf(opsPub), name: "ops", kind: "sshsig" }]);
    });

    it("wrong namespace → ZWH-SIG-INVALID; the trust file's namespace is used", () => {
      let doc = createTrust({ threshold: 1, channels: ["stable"], sshNamespace: "wheelhouse-bundle@example.com" });
      doc = addTrustKey(doc, { publicKey: fs.readFileSync(path.join(dir, "ops.pub"), "utf8"), name: "ops" }).doc;
      const trust = parseTrust(doc);
      expect(refusal(() => verifyStatementSignatures({ statementBytes: statement, sshsig: sshSign("zos-wheelhouse-bundle"), trust, channel: "stable" })).code).toBe("ZWH-SIG-INVALID");
      expect(verifyStatementSignatures({ statementBytes: statement, sshsig: sshSign("wheelhouse-bundle@example.com"), trust, channel: "stable" }).thresholdMet).toBe(true);
    });

    it("DSSE + SSHSIG from different keys combine to 2-of-2; the same key via both carriers counts once", () => {
      const trust = trustOf(2, [{ pair: A, name: "a" }, { pair: B, name: "b", ssh: true }]);
      const r = verifyStatementSignatures({
        statementBytes: statement, dsseEnvelope: signStatement(statement, A.privateKey),
        sshsig: signStatementSsh(statement, B.privateKey), trust, channel: "stable",
      });
      expect(r.signers.map((s) => [s.name, s.kind])).toEqual([["a", "dsse"], ["b", "sshsig"]]);
      const once = () => verifyStatementSignatures({
        statementBytes: statement, dsseEnvelope: signStatement(statement, A.privateKey),
        sshsig: [signSshsig(statement, A.privateKey), signSshsig(statement, A.privateKey, undefined, "sha256")], trust, channel: "stable",
      });
      expect(refusal(once).code).toBe("ZWH-SIG-THRESHOLD");
    });

    it("SSHSIG over a tampered statement → ZWH-SIG-INVALID; by an unknown key → ZWH-SIG-UNTRUSTED", () => {
      const trust = trustOf(1, [{ pair: A, name: "a" }]);
      const sig = signStatementSsh(statement, A.privateKey);
      const evil = Buffer.from(statement.toString().replace("b1", "b2"));
      expect(refusal(() => verifyStatementSignatures({ statementBytes: evil, sshsig: sig, trust, channel: "stable" })).code).toBe("ZWH-SIG-INVALID");
      expect(refusal(() => verifyStatementSignatures({ statementBytes: statement, sshsig: signStatementSsh(statement, X.privateKey), trust, channel: "stable" })).code).toBe("ZWH-SIG-UNTRUSTED");
    });
  });
});
