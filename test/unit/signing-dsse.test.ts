import { execFileSync } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import {
  INTOTO_PAYLOAD_TYPE, addSignature, createEnvelope, decodeBase64Any, pae, parseEnvelope, rawVerify, signEnvelope, verifyEnvelope,
} from "../../src/bundle/signing/dsse";
import { keyIdOf } from "../../src/bundle/signing/keys";
import { ZwhError } from "../../src/core/errors";

const vk = (k: crypto.KeyObject) => ({ keyid: keyIdOf(k), key: k.type === "private" ? crypto.createPublicKey(k) : k });

describe("PAE", () => {
  it("matches the DSSE spec example byte for byte", () => {
    expect(pae("http://example.com/HelloWorld", Buffer.from("hello world")).toString("latin1"))
      .toBe("DSSEv1 29 http://example.com/HelloWorld 11 hello world");
  });

  it("uses byte lengths, not character counts", () => {
    const body = Buffer.from("é", "utf8"); // 2 bytes, 1 character
    const out = pae("t/ü", body);
    expect(out.equals(Buffer.concat([Buffer.from("DSSEv1 4 t/"), Buffer.from("ü"), Buffer.from(" 2 "), body]))).toBe(true);
  });

  it("handles empty type and body", () => {
    expect(pae("", Buffer.alloc(0)).toString()).toBe("DSSEv1 0  0 ");
  });
});

describe("DSSE spec test vector (ECDSA P-256, raw r||s signature)", () => {
  // From secure-systems-lab/dsse protocol.md "Test Vectors": public key X/Y as decimals.
  const X = 46950820868899156662930047687818585632848591499744589407958293238635476079160n;
  const Y = 5640078356564379163099075877009565129882514886557779369047442380624545832820n;
  const coord = (n: bigint) => Buffer.from(n.toString(16).padStart(64, "0"), "hex").toString("base64url");
  const key = crypto.createPublicKey({ key: { kty: "EC", crv: "P-256", x: coord(X), y: coord(Y) }, format: "jwk" });
  const envelope = {
    payload: "aGVsbG8gd29ybGQ=",
    payloadType: "http://example.com/HelloWorld",
    signatures: [{ sig: "A3JqsQGtVsJ2O2xqrI5IcnXip5GToJ3F+FnZ+O88SjtR6rDAajabZKciJTfUiHqJPcIAriEGAHTVeCUjW2JIZA==" }],
  };

  it("verifies", () => {
    const r = verifyEnvelope(envelope, [{ keyid: keyIdOf(key), key }]);
    expect(r.verifiedKeyIds).toEqual([keyIdOf(key)]);
    expect(r.payload.toString()).toBe("hello world");
  });

  it("fails for a changed payload or type", () => {
    expect(verifyEnvelope({ ...envelope, payload: Buffer.from("hello world!").toString("base64") }, [{ keyid: "k", key }]).verifiedKeyIds).toEqual([]);
    expect(verifyEnvelope({ ...envelope, payloadType: "http://example.com/Hello" }, [{ keyid: "k", key }]).verifiedKeyIds).toEqual([]);
  });
});

describe("sign and verify", () => {
  const ed = crypto.generateKeyPairSync("ed25519");
  const ec = crypto.generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  const body = Buffer.from('{"_type":"https://in-toto.io/Statement/v1"}\n');

  it("Ed25519 and P-256 envelopes verify; keyid is the signer's key id", () => {
    for (const k of [ed, ec]) {
      const env = signEnvelope(body, k.privateKey);
      expect(env.payloadType).toBe(INTOTO_PAYLOAD_TYPE);
      expect(env.signatures[0].keyid).toBe(keyIdOf(k.publicKey));
      expect(Buffer.from(env.payload, "base64").equals(body)).toBe(true);
      expect(verifyEnvelope(env, [vk(k.publicKey)]).verifiedKeyIds).toEqual([keyIdOf(k.publicKey)]);
      expect(verifyEnvelope(JSON.stringify(env), [vk(k.publicKey)]).verifiedKeyIds).toHaveLength(1);
    }
  });

  it("P-256 signatures are DER, and IEEE-P1363 signatures are accepted too", () => {
    const env = signEnvelope(body, ec.privateKey);
    const der = Buffer.from(env.signatures[0].sig, "base64");
    expect(der[0]).toBe(0x30);
    const p1363 = crypto.sign("sha256", pae(INTOTO_PAYLOAD_TYPE, body), { key: ec.privateKey, dsaEncoding: "ieee-p1363" });
    expect(p1363).toHaveLength(64);
    const env2 = { ...env, signatures: [{ sig: p1363.toString("base64") }] };
    expect(verifyEnvelope(env2, [vk(ec.publicKey)]).verifiedKeyIds).toHaveLength(1);
  });

  it("accepts URL-safe and unpadded base64 for payload and signature", () => {
    // Find a body whose base64 contains '+' or '/' so URL-safe really differs.
    let b = body;
    for (let i = 0; !/[+/]/.test(b.toString("base64")); i++) b = Buffer.concat([body, Buffer.from([0xfb, 0xff, i & 0xff])]);
    const env = signEnvelope(b, ed.privateKey);
    const urlsafe = {
      ...env,
      payload: Buffer.from(env.payload, "base64").toString("base64url"),
      signatures: env.signatures.map((s) => ({ ...s, sig: Buffer.from(s.sig, "base64").toString("base64url") })),
    };
    expect(urlsafe.payload).not.toBe(env.payload);
    const r = verifyEnvelope(urlsafe, [vk(ed.publicKey)]);
    expect(r.verifiedKeyIds).toHaveLength(1);
    expect(r.payload.equals(b)).toBe(true);
  });

  it("rejects base64 with foreign characters instead of silently skipping them", () => {
    expect(() => decodeBase64Any("aGVs bG8=", "x")).toThrow(ZwhError);
    expect(() => decodeBase64Any("aGVsbG8*", "x")).toThrow(/not valid base64/);
    expect(decodeBase64Any("aGVsbG8", "x").toString()).toBe("hello");
  });

  it("tampered payload or wrong key does not verify", () => {
    const env = signEnvelope(body, ed.privateKey);
    const tampered = { ...env, payload: Buffer.from(body.toString().replace("v1", "v2")).toString("base64") };
    const r = verifyEnvelope(tampered, [vk(ed.publicKey)]);
    expect(r.verifiedKeyIds).toEqual([]);
    expect(r.rejected).toEqual([{ index: 0, keyid: keyIdOf(ed.publicKey), reason: "bad-signature" }]);
    const other = crypto.generateKeyPairSync("ed25519");
    expect(verifyEnvelope(env, [vk(other.publicKey)]).rejected[0].reason).toBe("unknown-key");
  });

  it("keyid is only a hint: a wrong hint still finds the right key", () => {
    const env = signEnvelope(body, ed.privateKey);
    const env2 = { ...env, signatures: [{ keyid: "sha256:nonsense", sig: env.signatures[0].sig }] };
    expect(verifyEnvelope(env2, [vk(ec.publicKey), vk(ed.publicKey)]).verifiedKeyIds).toEqual([keyIdOf(ed.publicKey)]);
  });

  it("multiple signers: addSignature appends; a key counts once even if it signed twice", () => {
    const third = crypto.generateKeyPairSync("ed25519");
    let env = signEnvelope(body, ed.privateKey);
    env = addSignature(env, ec.privateKey);
    expect(env.signatures).toHaveLength(2);
    expect(() => addSignature(env, ed.privateKey)).toThrow(/already signed/);
    // Smuggle a duplicate (a second, different-looking ECDSA signature by the same key).
    const dup = crypto.sign("sha256", pae(env.payloadType, body), { key: ec.privateKey, dsaEncoding: "ieee-p1363" });
    const withDup = { ...env, signatures: [...env.signatures, { sig: dup.toString("base64") }] };
    const r = verifyEnvelope(withDup, [vk(ed.publicKey), vk(ec.publicKey), vk(third.publicKey)]);
    expect(r.verifiedKeyIds.sort()).toEqual([keyIdOf(ed.publicKey), keyIdOf(ec.publicKey)].sort());
  });

  it("malformed envelopes are refused with ZWH-SIG-INVALID (exit 3)", () => {
    for (const bad of ["not json", "[]", '{"payload":"","signatures":[]}', '{"payloadType":"t","payload":"","signatures":{}}',
      '{"payloadType":"t","payload":"","signatures":[{"keyid":1,"sig":""}]}']) {
      try {
        parseEnvelope(bad);
        expect.unreachable();
      } catch (e) {
        expect((e as ZwhError).code).toBe("ZWH-SIG-INVALID");
        expect((e as ZwhError).exitCode).toBe(3);
      }
    }
  });

  it("signing with a public key is refused", () => {
    expect(() => addSignature(createEnvelope(body), ed.publicKey)).toThrow(/private key/);
  });
});

describe("interop with the openssl CLI (independent implementation)", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "zwh-dsse-"));
  const body = Buffer.from('{"predicate":{"channel":"stable"}}');
  const paeFile = path.join(dir, "pae.bin");
  fs.writeFileSync(paeFile, pae(INTOTO_PAYLOAD_TYPE, body));

  it("an Ed25519 signature made by openssl pkeyutl verifies in Node", () => {
    const keyFile = path.join(dir, "ed.pem");
    execFileSync("openssl", ["genpkey", "-algorithm", "ed25519", "-out", keyFile]);
    const sigFile = path.join(dir, "ed.sig");
    execFileSync("openssl", ["pkeyutl", "-sign", "-rawin", "-inkey", keyFile, "-in", paeFile, "-out", sigFile]);
    const pub = crypto.createPublicKey(fs.readFileSync(keyFile));
    const env = { payloadType: INTOTO_PAYLOAD_TYPE, payload: body.toString("base64"), signatures: [{ sig: fs.readFileSync(sigFile).toString("base64") }] };
    expect(verifyEnvelope(env, [vk(pub)]).verifiedKeyIds).toEqual([keyIdOf(pub)]);
  });

  it("a P-256 DER signature made by openssl dgst verifies in Node, and Node's verifies in openssl", () => {
    const keyFile = path.join(dir, "ec.pem");
    execFileSync("openssl", ["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", keyFile]);
    const sigFile = path.join(dir, "ec.sig");
    execFileSync("openssl", ["dgst", "-sha256", "-sign", keyFile, "-out", sigFile, paeFile]);
    const priv = crypto.createPrivateKey(fs.readFileSync(keyFile));
    const pub = crypto.createPublicKey(priv);
    const env = { payloadType: INTOTO_PAYLOAD_TYPE, payload: body.toString("base64"), signatures: [{ sig: fs.readFileSync(sigFile).toString("base64") }] };
    expect(verifyEnvelope(env, [vk(pub)]).verifiedKeyIds).toHaveLength(1);

    const ours = signEnvelope(body, priv);
    fs.writeFileSync(path.join(dir, "node.sig"), Buffer.from(ours.signatures[0].sig, "base64"));
    fs.writeFileSync(path.join(dir, "ec.pub"), pub.export({ type: "spki", format: "pem" }));
    const out = execFileSync("openssl", ["dgst", "-sha256", "-verify", path.join(dir, "ec.pub"), "-signature", path.join(dir, "node.sig"), paeFile]).toString();
    expect(out).toMatch(/Verified OK/);
  });

  it("rawVerify never throws on garbage", () => {
    const { publicKey } = crypto.generateKeyPairSync("ec", { namedCurve: "prime256v1" });
    expect(rawVerify(publicKey, Buffer.from("x"), Buffer.from("garbage"))).toBe(false);
    expect(rawVerify(publicKey, Buffer.from("x"), Buffer.alloc(64))).toBe(false);
  });
});
