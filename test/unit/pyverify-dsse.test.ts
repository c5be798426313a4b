/**
 * The on-target verifier (src/remote/helpers/dsse_verify.py, pure-Python Ed25519/P-256) run by
 * the local python3 against envelopes made by Node (OpenSSL), i.e. two independent
 * implementations must agree.
 */
import { spawnSync } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { keyIdOf, publicKeyPem, toOpenSshPublicKey } from "../../src/bundle/signing/keys";
import { pae } from "../../src/bundle/signing/dsse";
import { addTrustKey, createTrust, serializeTrust, TrustDocument } from "../../src/bundle/signing/trust";
import { addSignature, signStatement } from "../../src/bundle/signing/verify";

const SCRIPT = path.resolve(__dirname, "../../src/remote/helpers/dsse_verify.py");
type Pair = crypto.KeyPairKeyObjectResult;
const ed = (): Pair => crypto.generateKeyPairSync("ed25519");
const p256 = (): Pair => crypto.generateKeyPairSync("ec", { namedCurve: "prime256v1" });

const statement = Buffer.from(JSON.stringify({
  _type: "https://in-toto.io/Statement/v1",
  subject: [{ name: "wheels/numpy-1.26.4-cp312-none-any.whl", digest: { sha256: "a".repeat(64) } }],
  predicateType: "https://example.com/wheelhouse/bundle/v1",
  predicate: { bundleId: "b-1", channel: "stable", sequence: 3, expires: "2099-01-01T00:00:00Z" },
}, null, 2) + "\n");

interface PyResult {
  status: number | null;
  out: { ok: boolean; verifiedKeyIds: string[]; threshold: number | null; channel: string | null; signers: Array<{ keyid: string; name: string }>; error: null | { code: string; message: string } };
}

function runPy(files: { envelope: unknown; statement?: Buffer; trust: TrustDocument | string }, args: string[] = ["--channel", "stable"]): PyResult {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "zwh-pyv-"));
  const env = path.join(dir, "manifest.dsse.json");
  const st = path.join(dir, "manifest.intoto.json");
  const tr = path.join(dir, "trust.json");
  fs.writeFileSync(env, typeof files.envelope === "string" ? files.envelope : JSON.stringify(files.envelope));
  fs.writeFileSync(st, files.statement ?? statement);
  fs.writeFileSync(tr, typeof files.trust === "string" ? files.trust : serializeTrust(files.trust));
  // -I: isolated mode, like the target runs it (no user site, no PYTHON* env influence).
  const r = spawnSync("python3", ["-I", SCRIPT, "--envelope", env, "--statement", st, "--trust", tr, ...args], { encoding: "utf8" });
  const lines = r.stdout.trim().split("\n");
  expect(lines, r.stderr).toHaveLength(1);
  return { status: r.status, out: JSON.parse(lines[0]) };
}

function trustOf(threshold: number, keys: Array<{ pair: Pair; name: string; channels?: string[]; ssh?: boolean }>, channels = ["stable", "test"]): TrustDocument {
  let doc = createTrust({ threshold, channels });
  for (const k of keys) {
    const pub = k.ssh ? toOpenSshPublicKey(k.pair.publicKey, "c@d") : publicKeyPem(k.pair.publicKey);
    doc = addTrustKey(doc, { publicKey: pub, name: k.name, channels: k.channels }).doc;
  }
  return doc;
}

describe("dsse_verify.py CLI", () => {
  const A = ed(), B = p256(), C = ed(), X = ed();

  it("valid Ed25519 envelope → ok, exit 0, one JSON line", () => {
    const r = runPy({ envelope: signStatement(statement, A.privateKey), trust: trustOf(1, [{ pair: A, name: "alice" }]) });
    expect(r.status).toBe(0);
    expect(r.out).toEqual({ ok: true, verifiedKeyIds: [keyIdOf(A.publicKey)], threshold: 1, channel: "stable",
      signers: [{ keyid: keyIdOf(A.publicKey), name: "alice" }], error: null });
  });

  it("valid P-256 envelope (DER) and raw r||s signature → ok", () => {
    const trust = trustOf(1, [{ pair: B, name: "bob" }]);
    expect(runPy({ envelope: signStatement(statement, B.privateKey), trust }).out.ok).toBe(true);
    const raw = crypto.sign("sha256", pae("application/vnd.in-toto+json", statement), { key: B.privateKey, dsaEncoding: "ieee-p1363" });
    const env = { payloadType: "application/vnd.in-toto+json", payload: statement.toString("base64url"), signatures: [{ sig: raw.toString("base64url") }] };
    const r = runPy({ envelope: env, trust });
    expect(r.status).toBe(0);
    expect(r.out.verifiedKeyIds).toEqual([keyIdOf(B.publicKey)]);
  });

  it("trust keys given as OpenSSH lines work and get the same key ids", () => {
    const r = runPy({ envelope: addSignature(signStatement(statement, A.privateKey), B.privateKey),
      trust: trustOf(2, [{ pair: A, name: "a", ssh: true }, { pair: B, name: "b", ssh: true }]) });
    expect(r.status).toBe(0);
    expect(r.out.verifiedKeyIds).toEqual([keyIdOf(A.publicKey), keyIdOf(B.publicKey)]);
  });

  it("tampered statement → ZWH-SIG-INVALID, exit 3", () => {
    const evil = Buffer.from(statement.toString().replace('"sequence": 3', '"sequence": 4'));
    const r = runPy({ envelope: signStatement(statement, A.privateKey), statement: evil, trust: trustOf(1, [{ pair: A, name: "a" }]) });
    expect(r.status).toBe(3);
    expect(r.out.ok).toBe(false);
    expect(r.out.error?.code).toBe("ZWH-SIG-INVALID");
    expect(r.out.error?.message).toMatch(/not byte-identical/);
    // Payload changed to match: the signature no longer verifies.
    const env = { ...signStatement(statement, A.privateKey), payload: evil.toString("base64") };
    const r2 = runPy({ envelope: env, statement: evil, trust: trustOf(1, [{ pair: A, name: "a" }]) });
    expect([r2.status, r2.out.error?.code]).toEqual([3, "ZWH-SIG-INVALID"]);
  });

  it("untrusted key → ZWH-SIG-UNTRUSTED", () => {
    const r = runPy({ envelope: signStatement(statement, X.privateKey), trust: trustOf(1, [{ pair: A, name: "a" }]) });
    expect([r.status, r.out.error?.code]).toEqual([3, "ZWH-SIG-UNTRUSTED"]);
  });

  it("threshold 2-of-3: met with A+C, not met with A alone or A twice", () => {
    const trust = trustOf(2, [{ pair: A, name: "a" }, { pair: B, name: "b" }, { pair: C, name: "c" }]);
    const one = signStatement(statement, A.privateKey);
    const r1 = runPy({ envelope: one, trust });
    expect([r1.status, r1.out.error?.code, r1.out.threshold]).toEqual([3, "ZWH-SIG-THRESHOLD", 2]);
    expect(r1.out.verifiedKeyIds).toEqual([keyIdOf(A.publicKey)]);
    const twice = { ...one, signatures: [one.signatures[0], { sig: one.signatures[0].sig }] };
    expect(runPy({ envelope: twice, trust }).out.error?.code).toBe("ZWH-SIG-THRESHOLD");
    const two = addSignature(addSignature(one, X.privateKey), C.privateKey);
    const r2 = runPy({ envelope: two, trust });
    expect(r2.status).toBe(0);
    expect(r2.out.signers.map((s) => s.name)).toEqual(["a", "c"]);
  });

  it("wrong channel → ZWH-SIG-CHANNEL (not in trust file, statement says otherwise, key restricted)", () => {
    const env = signStatement(statement, A.privateKey);
    const r1 = runPy({ envelope: env, trust: trustOf(1, [{ pair: A, name: "a" }], ["test"]) });
    expect([r1.status, r1.out.error?.code]).toEqual([3, "ZWH-SIG-CHANNEL"]);
    const r2 = runPy({ envelope: env, trust: trustOf(1, [{ pair: A, name: "a" }]) }, ["--channel", "test"]);
    expect(r2.out.error?.code).toBe("ZWH-SIG-CHANNEL");
    const r3 = runPy({ envelope: env, trust: trustOf(1, [{ pair: A, name: "a", channels: ["test"] }]) });
    expect(r3.out.error?.code).toBe("ZWH-SIG-CHANNEL");
    // Without --channel the statement's own channel is used.
    expect(runPy({ envelope: env, trust: trustOf(1, [{ pair: A, name: "a" }]) }, []).out).toMatchObject({ ok: true, channel: "stable" });
  });

  it("missing signatures → ZWH-SIG-MISSING; broken trust file → exit 1", () => {
    const env = { ...signStatement(statement, A.privateKey), signatures: [] };
    const r = runPy({ envelope: env, trust: trustOf(1, [{ pair: A, name: "a" }]) });
    expect([r.status, r.out.error?.code]).toEqual([3, "ZWH-SIG-MISSING"]);
    const t = trustOf(1, [{ pair: A, name: "a" }]);
    t.keys[0].keyid = keyIdOf(B.publicKey);
    const r2 = runPy({ envelope: signStatement(statement, A.privateKey), trust: t });
    expect([r2.status, r2.out.error?.code]).toEqual([1, "ZWH-TRUST-KEYID-MISMATCH"]);
    const r3 = runPy({ envelope: signStatement(statement, A.privateKey), trust: "{" });
    expect([r3.status, r3.out.error?.code]).toEqual([1, "ZWH-TRUST-READ"]);
    const r4 = runPy({ envelope: "not json", trust: trustOf(1, [{ pair: A, name: "a" }]) });
    expect([r4.status, r4.out.error?.code]).toEqual([3, "ZWH-SIG-INVALID"]);
  });

  it("usage errors are one JSON line with exit 1", () => {
    const r = spawnSync("python3", ["-I", SCRIPT, "--envelope", "x"], { encoding: "utf8" });
    expect(r.status).toBe(1);
    expect(JSON.parse(r.stdout).error.code).toBe("ZWH-USAGE");
  });

  it("uses only the standard library and no subprocess", () => {
    const src = fs.readFileSync(SCRIPT, "utf8");
    const imports = [...src.matchAll(/^\s*(?:import|from)\s+([\w.]+)/gm)].map((m) => m[1]).sort();
    expect(imports).toEqual(["argparse", "base64", "binascii", "hashlib", "json", "re", "sys"]);
  });
});

describe("pure-Python primitives agree with OpenSSL", () => {
  function py(code: string, input: unknown): unknown {
    const r = spawnSync("python3", ["-I", "-c", `import sys, json; sys.path.insert(0, ${JSON.stringify(path.dirname(SCRIPT))}); import dsse_verify as d\n${code}`],
      { input: JSON.stringify(input), encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    return JSON.parse(r.stdout);
  }

  it("RFC 8032 test 1, the DSSE spec P-256 vector, and their tampered forms", () => {
    const res = py(`
ok1 = d.ed25519_verify(bytes.fromhex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"), b"",
  bytes.fromhex("e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"))
bad1 = d.ed25519_verify(bytes.fromhex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"), b"x",
  bytes.fromhex("e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"))
X = 46950820868899156662930047687818585632848591499744589407958293238635476079160
Y = 5640078356564379163099075877009565129882514886557779369047442380624545832820
pt = b"\\x04" + X.to_bytes(32, "big") + Y.to_bytes(32, "big")
sig = d.b64decode_any("A3JqsQGtVsJ2O2xqrI5IcnXip5GToJ3F+FnZ+O88SjtR6rDAajabZKciJTfUiHqJPcIAriEGAHTVeCUjW2JIZA==", "sig")
ok2 = d.p256_verify(pt, d.pae("http://example.com/HelloWorld", b"hello world"), sig)
bad2 = d.p256_verify(pt, d.pae("http://example.com/HelloWorld", b"hello world!"), sig)
print(json.dumps([ok1, bad1, ok2, bad2, d.pae("http://example.com/HelloWorld", b"hello world").decode()]))`, null);
    expect(res).toEqual([true, false, true, false, "DSSEv1 29 http://example.com/HelloWorld 11 hello world"]);
  });

  it("random keys and messages: Python accepts every OpenSSL signature and rejects every flipped bit", () => {
    const cases: Array<{ alg: string; pub: string; msg: string; sig: string; expect: boolean }> = [];
    for (let i = 0; i < 16; i++) {
      const msg = crypto.randomBytes(i * 37);
      const e = ed();
      const edSig = crypto.sign(null, msg, e.privateKey);
      const edRaw = Buffer.from(e.publicKey.export({ format: "jwk" }).x!, "base64url");
      cases.push({ alg: "ed25519", pub: edRaw.toString("hex"), msg: msg.toString("hex"), sig: edSig.toString("hex"), expect: true });
      const flipped = Buffer.from(edSig); flipped[i % 64] ^= 1 << (i % 8);
      cases.push({ alg: "ed25519", pub: edRaw.toString("hex"), msg: msg.toString("hex"), sig: flipped.toString("hex"), expect: false });
      const p = p256();
      const jwk = p.publicKey.export({ format: "jwk" });
      const point = Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x!, "base64url"), Buffer.from(jwk.y!, "base64url")]);
      const der = crypto.sign("sha256", msg, { key: p.privateKey, dsaEncoding: "der" });
      cases.push({ alg: "p256", pub: point.toString("hex"), msg: msg.toString("hex"), sig: der.toString("hex"), expect: true });
      const otherMsg = Buffer.concat([msg, Buffer.from([i])]);
      cases.push({ alg: "p256", pub: point.toString("hex"), msg: otherMsg.toString("hex"), sig: der.toString("hex"), expect: false });
    }
    // Ed25519 malleability: S + L must be rejected (OpenSSL rejects it too).
    const e = ed();
    const m = Buffer.from("malleable");
    const s = crypto.sign(null, m, e.privateKey);
    const L = 2n ** 252n + 27742317777372353535851937790883648493n;
    const S = BigInt("0x" + Buffer.from(s.subarray(32)).reverse().toString("hex")) + L;
    const sPlusL = Buffer.from(S.toString(16).padStart(64, "0"), "hex").reverse();
    const mall = Buffer.concat([s.subarray(0, 32), sPlusL]);
    const ePub = Buffer.from(e.publicKey.export({ format: "jwk" }).x!, "base64url");
    expect(crypto.verify(null, m, e.publicKey, mall)).toBe(false);
    cases.push({ alg: "ed25519", pub: ePub.toString("hex"), msg: m.toString("hex"), sig: mall.toString("hex"), expect: false });

    const results = py(`
import time
cases = json.load(sys.stdin)
out = []
t = {"ed25519": [], "p256": []}
for c in cases:
    f = d.ed25519_verify if c["alg"] == "ed25519" else d.p256_verify
    t0 = time.time()
    out.append(f(bytes.fromhex(c["pub"]), bytes.fromhex(c["msg"]), bytes.fromhex(c["sig"])))
    t[c["alg"]].append(time.time() - t0)
print(json.dumps({"results": out, "maxSeconds": {k: max(v) for k, v in t.items()}}))`, cases) as { results: boolean[]; maxSeconds: Record<string, number> };
    expect(results.results).toEqual(cases.map((c) => c.expect));
    // Informational only (the suite asserts no timings): typically a few milliseconds.
    console.log(`pure-Python verify, slowest single signature: ${JSON.stringify(results.maxSeconds)}`);
  });
});
