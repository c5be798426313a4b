/** bundle create / sign / inspect / statement format. */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildWheel } from "../support/wheels";
import { goodBundle, makeKeys, makeTrust, NOW, TARGET, TestKey } from "../support/bundles";
import { createBundle, parseRequirementsText, resolveExpiry } from "../../src/bundle/create";
import { signBundle } from "../../src/bundle/sign";
import { inspectBundle } from "../../src/bundle/inspect";
import { loadAndVerifyBundle } from "../../src/bundle/verify";
import { parseStatement, serializeStatement, STATEMENT_FILE, LOCK_FILE, DSSE_FILE, SBOM_FILE } from "../../src/bundle/statement";
import { targetFromProbe, zosTarget } from "../../src/bundle/target";
import { parseEnvelope } from "../../src/bundle/signing";
import type { Trust } from "../../src/bundle/signing";

let root: string;
let keys: TestKey[];
let trust: Trust;
beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "zwh-bundle-create-"));
  keys = makeKeys(3);
  trust = makeTrust(keys.slice(0, 2));
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

let n = 0;
async function wheelDir(specs: Parameters<typeof buildWheel>[1][]): Promise<string> {
  const d = path.join(root, `in-${++n}`);
  for (const s of specs) await buildWheel(d, s);
  return d;
}
const base = (wd: string, out: string) => ({
  wheelDir: wd, outDir: out, bundleId: "b1", channel: "stable", sequence: 1, now: NOW, target: TARGET, expires: "10d",
});

describe("bundle create", () => {
  it("writes the layout, a deterministic statement and a lock of name==version --hash lines", async () => {
    const dir = await goodBundle(root, { keys: [keys[0]] });
    expect(fs.readdirSync(dir).sort()).toEqual([DSSE_FILE, STATEMENT_FILE, LOCK_FILE, SBOM_FILE, "wheels"].sort());
    const bytes = fs.readFileSync(path.join(dir, STATEMENT_FILE));
    const st = parseStatement(bytes);
    expect(serializeStatement(st).equals(bytes)).toBe(true);
    expect(bytes.toString().endsWith("}\n")).toBe(true);
    expect(st._type).toBe("https://in-toto.io/Statement/v1");
    expect(st.subject.map((s) => s.name)).toEqual([LOCK_FILE, SBOM_FILE, "wheels/app-1.0-py3-none-any.whl", "wheels/lib-1.0-py3-none-any.whl"]);
    expect(st.predicate.wheels.map((w) => w.name)).toEqual(["app", "lib"]);
    expect(st.predicate.target.markerEnv.sys_platform).toBe("zos");
    expect(st.predicate.expires).toBe("2026-07-01T00:00:00.000Z");
    const lock = fs.readFileSync(path.join(dir, LOCK_FILE), "utf8");
    expect(lock).toMatch(/^app==1\.0 --hash=sha256:[0-9a-f]{64}\nlib==1\.0 --hash=sha256:[0-9a-f]{64}\n$/);
    // Serialization does not depend on input order.
    const shuffled = { ...st, subject: [...st.subject].reverse(), predicate: { ...st.predicate, wheels: [...st.predicate.wheels].reverse() } };
    expect(serializeStatement(shuffled).equals(bytes)).toBe(true);
  });

  const refusals: Array<{ name: string; specs: Parameters<typeof buildWheel>[1][]; extra?: (wd: string) => void; opts?: Record<string, unknown>; code: string; names: string }> = [
    { name: "an sdist in WHEEL_DIR", specs: [{ name: "lib", version: "1.0" }], extra: (wd) => fs.writeFileSync(path.join(wd, "lib-1.0.tar.gz"), "x"), code: "ZWH-WHEEL-NOT-WHEEL", names: "lib-1.0.tar.gz" },
    { name: "a tampered wheel", specs: [{ name: "lib", version: "1.0", mutate: { tamperRecordHash: true } }], code: "ZWH-WHEEL-RECORD-MISMATCH", names: "lib-1.0-py3-none-any.whl" },
    { name: "an unresolved dependency", specs: [{ name: "app", version: "1.0", requiresDist: ["ghost"] }], code: "ZWH-CLOSURE-UNRESOLVED", names: "ghost" },
    { name: "a manylinux wheel", specs: [{ name: "lib", version: "1.0", tags: "cp312-cp312-manylinux2014_s390x" }], code: "ZWH-WHEEL-PLATFORM", names: "manylinux2014_s390x" },
    { name: "two versions of a project", specs: [{ name: "lib", version: "1.0" }, { name: "lib", version: "1.1" }], code: "ZWH-POLICY-DUPLICATE-PROJECT", names: "lib" },
    { name: "a denied wheel", specs: [{ name: "lib", version: "1.0" }], opts: { denyList: { text: "# site policy\nlib<1.5\n", source: "deny.txt" } }, code: "ZWH-POLICY-DENIED", names: "lib-1.0-py3-none-any.whl" },
  ];
  it.each(refusals)("refuses $name ($code) and writes nothing", async (c) => {
    const wd = await wheelDir(c.specs);
    c.extra?.(wd);
    const out = path.join(root, `out-${++n}`);
    const err = await createBundle({ ...base(wd, out), ...(c.opts ?? {}) }).then(() => undefined, (e) => e);
    expect(err?.code).toBe(c.code);
    expect(err.exitCode).toBe(3);
    expect(`${err.subject} ${err.message}`).toContain(c.names);
    expect(Array.isArray(err.details.findings)).toBe(true);
    expect(fs.existsSync(out)).toBe(false);
    expect(fs.readdirSync(root).filter((x) => x.startsWith(`.${path.basename(out)}`))).toEqual([]);
  });

  it("records the deny list and enforces it again at verify", async () => {
    const wd = await wheelDir([{ name: "lib", version: "1.0" }]);
    const r = await createBundle({ ...base(wd, path.join(root, "deny-ok")), denyList: { text: "evil\nlib==0.9\n", source: "deny.txt" }, signKeys: [keys[0].privateKey] });
    expect(r.statement.predicate.policy.denyList.rules).toEqual(["evil", "lib==0.9"]);
    expect(r.statement.predicate.policy.denyList.sha256).toMatch(/^[0-9a-f]{64}$/);
    await expect(loadAndVerifyBundle(r.dir, { trust, now: NOW })).resolves.toBeTruthy();
  });

  it("refuses an existing --out and bad arguments", async () => {
    const wd = await wheelDir([{ name: "lib", version: "1.0" }]);
    await expect(createBundle(base(wd, root))).rejects.toMatchObject({ code: "ZWH-BUNDLE-EXISTS" });
    await expect(createBundle({ ...base(wd, path.join(root, "x1")), bundleId: "../x" })).rejects.toMatchObject({ code: "ZWH-BUNDLE-USAGE" });
    expect(() => resolveExpiry("2020-01-01", NOW)).toThrow(/not in the future/);
    expect(resolveExpiry("12h", NOW)).toBe("2026-06-01T12:00:00.000Z");
    expect(() => parseRequirementsText("app\n--index-url https://x\n", "top.txt")).toThrow(/pip options/);
    expect(parseRequirementsText("# c\napp[extra]>=1 ; python_version >= '3.8'\n\n", "t")).toEqual(["app[extra]>=1 ; python_version >= '3.8'"]);
  });
});

describe("targets", () => {
  it("derives a z/OS marker environment and pip's tag order from --python/--platform", () => {
    const t = zosTarget("3.12", "os390-29.00-8561");
    expect(t.markerEnv).toMatchObject({ sys_platform: "zos", platform_system: "OS/390", os_name: "posix", platform_release: "29.00", platform_machine: "8561", python_version: "3.12", implementation_name: "cpython" });
    expect(t.compatibleTags[0]).toBe("cp312-cp312-os390_29_00_8561");
    expect(t.compatibleTags).toContain("py3-none-any");
    expect(() => zosTarget("3.12", "linux-x86_64")).toThrow(/not a z\/OS platform/);
  });

  it("accepts probe JSON raw or wrapped by the runner", () => {
    const probe = {
      python: { version: "3.13.1", implementation: "cpython", sysPlatform: "zos", platformSystem: "OS/390", sysconfigPlatform: "os390-31.00-3931" },
      compatibleTags: ["cp313-cp313-os390_31_00_3931", "py3-none-any"],
      markerEnv: { ...zosTarget("3.13.1", "os390-31.00-3931").markerEnv },
    };
    const raw = targetFromProbe(probe);
    expect(raw).toMatchObject({ pythonVersion: "3.13", platform: "os390-31.00-3931" });
    expect(targetFromProbe({ formatVersion: 1, command: "target probe", ok: true, ...probe })).toEqual(raw);
    expect(() => targetFromProbe({ ...probe, compatibleTags: [] })).toThrow(/compatibleTags/);
  });
});

describe("bundle sign", () => {
  it("adds DSSE signatures one by one until a 2-of-n threshold is met", async () => {
    const dir = await goodBundle(root, { keys: [] });
    const t2 = makeTrust(keys.slice(0, 2), { threshold: 2 });
    await signBundle(dir, { key: keys[0].privateKey });
    await expect(loadAndVerifyBundle(dir, { trust: t2, now: NOW })).rejects.toMatchObject({ code: "ZWH-SIG-THRESHOLD" });
    await expect(signBundle(dir, { key: keys[0].privateKey })).rejects.toMatchObject({ code: "ZWH-KEY-ALREADY-SIGNED" });
    const r = await signBundle(dir, { key: keys[1].privateKey });
    expect(r.signatures).toBe(2);
    expect(parseEnvelope(fs.readFileSync(path.join(dir, DSSE_FILE))).signatures).toHaveLength(2);
    const v = await loadAndVerifyBundle(dir, { trust: t2, now: NOW });
    expect(v.signers.map((s) => s.name).sort()).toEqual(["signer-1", "signer-2"]);
  });

  it("refuses to sign a bundle whose files changed after creation", async () => {
    const dir = await goodBundle(root, { keys: [] });
    fs.appendFileSync(path.join(dir, LOCK_FILE), "x\n");
    await expect(signBundle(dir, { key: keys[0].privateKey })).rejects.toMatchObject({ code: "ZWH-BUNDLE-SUBJECT-MISMATCH", subject: LOCK_FILE });
  });

  it("writes SSHSIG with --ssh that verifies against the trust file", async () => {
    const dir = await goodBundle(root, { keys: [] });
    await signBundle(dir, { key: keys[0].privateKey, ssh: true });
    const v = await loadAndVerifyBundle(dir, { trust, now: NOW });
    expect(v.signers).toEqual([expect.objectContaining({ name: "signer-1", kind: "sshsig" })]);
  });
});

describe("bundle inspect", () => {
  it("shows signers (named with a trust file), the closure tree and the policy result without requiring trust", async () => {
    const dir = await goodBundle(root, { keys: [keys[0], keys[2]] });
    const plain = await inspectBundle(dir);
    expect(plain.signatures.map((s) => s.verified)).toEqual([null, null]);
    expect(plain.closureTree).toContain("app 1.0");
    expect(plain.closureTree).toContain("  lib 1.0");
    expect(plain.policy).toEqual([]);
    const named = await inspectBundle(dir, { trust });
    expect(named.signatures.map((s) => [s.name, s.verified])).toEqual([["signer-1", true], [null, false]]);
    expect(named.signatureRefusal).toBeNull();
  });
});
