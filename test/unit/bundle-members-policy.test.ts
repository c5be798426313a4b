/**
 * The signed statement carries what the workstation verified (issue 8 §2): per wheel the member
 * list digest (names, sizes, sha256 of every entry), and the start-up hook policy. Old
 * statements without them are refused clearly.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildWheel } from "../support/wheels";
import { assembleBundle, goodBundle, makeKeys, makeTrust, NOW, reseal, TARGET, TestKey } from "../support/bundles";
import { zwh } from "../support/cli";
import { createBundle } from "../../src/bundle/create";
import { verifyBundle } from "../../src/bundle/verify";
import { parseStatement, STATEMENT_FILE } from "../../src/bundle/statement";
import { memberListDigest } from "../../src/core/member-list";
import type { Trust } from "../../src/bundle/signing";

let root: string;
let keys: TestKey[];
let trust: Trust;
beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "zwh-members-"));
  keys = makeKeys(1);
  trust = makeTrust(keys);
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

let n = 0;
const codes = (v: Awaited<ReturnType<typeof verifyBundle>>) => v.findings.map((f) => f.error.code);
const HOOK_FILES = { "demo/__init__.py": "", "demo-hook.pth": "import sys\n" };

describe("member lists in the statement", () => {
  it("create records each wheel's member-list digest; it is the canonical form of names, sizes, sha256", async () => {
    const dir = await goodBundle(root, { keys });
    const st = parseStatement(fs.readFileSync(path.join(dir, STATEMENT_FILE)));
    for (const w of st.predicate.wheels) {
      expect(w.members.sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(w.members.count).toBe(4); // __init__.py, METADATA, WHEEL, RECORD
    }
    // The canonical form: sorted by UTF-8 bytes, "<sha256> <size> <name>\n".
    const a = memberListDigest([{ name: "b", size: 1, sha256: "00" }, { name: "a", size: 2, sha256: "11" }]);
    const b = memberListDigest([{ name: "a", size: 2, sha256: "11" }, { name: "b", size: 1, sha256: "00" }]);
    expect(a).toEqual(b);
    expect(a.sha256).toBe(require("node:crypto").createHash("sha256").update("11 2 a\n00 1 b\n").digest("hex"));
  });

  it("verify refuses a statement whose member list differs from the wheel's (ZWH-BUNDLE-WHEEL-FACTS)", async () => {
    const dir = await goodBundle(root, { keys });
    reseal(dir, { keys, mutate: (p) => { p.wheels[0].members = { count: p.wheels[0].members.count + 1, sha256: "a".repeat(64) }; } });
    const v = await verifyBundle(dir, { trust, now: NOW });
    expect(codes(v)).toEqual(["ZWH-BUNDLE-WHEEL-FACTS"]);
    expect(v.findings[0].error.details).toMatchObject({ field: "members" });
  });

  it("an older statement without member lists is refused with ZWH-BUNDLE-MALFORMED saying so", async () => {
    const dir = await goodBundle(root, { keys });
    const raw = JSON.parse(fs.readFileSync(path.join(dir, STATEMENT_FILE), "utf8"));
    for (const w of raw.predicate.wheels) delete w.members;
    delete raw.predicate.policy.startupHooks;
    const bytes = Buffer.from(JSON.stringify(raw, null, 2) + "\n");
    fs.writeFileSync(path.join(dir, STATEMENT_FILE), bytes);
    // Re-sign the old-format bytes so that only the format is at fault.
    const { signAll, envelopeBytes } = await import("../../src/bundle/create");
    fs.writeFileSync(path.join(dir, "manifest.dsse.json"), envelopeBytes(signAll(bytes, keys.map((k) => k.privateKey))!));
    const v = await verifyBundle(dir, { trust, now: NOW });
    expect(codes(v)).toEqual(["ZWH-BUNDLE-MALFORMED"]);
    expect(v.findings[0].error.message).toMatch(/members is missing: the bundle was made by an older Wheelhouse/);
    expect(v.findings[0].error.hint).toMatch(/Re-create the bundle/);
  });
});

describe("start-up hooks", () => {
  it("create refuses a wheel with a .pth hook, naming wheel and file; the signed policy can allow it", async () => {
    const wd = path.join(root, `in-${++n}`);
    await buildWheel(wd, { name: "demo", version: "1.0", files: HOOK_FILES });
    const base = { wheelDir: wd, bundleId: "h1", channel: "stable", sequence: 1, now: NOW, target: TARGET, signKeys: keys.map((k) => k.privateKey) };
    const err = await createBundle({ ...base, outDir: path.join(root, `out-${++n}`) }).catch((e) => e);
    expect(err.code).toBe("ZWH-WHEEL-STARTUP-HOOK");
    expect(err.message).toMatch(/^demo-1.0-py3-none-any.whl: demo-hook.pth is a start-up hook/);
    expect(err.hint).toMatch(/--allow-startup-hook demo:demo-hook.pth/);
    const ok = await createBundle({ ...base, outDir: path.join(root, `out-${++n}`), allowStartupHooks: ["Demo:demo-hook.pth"] });
    expect(ok.statement.predicate.policy.startupHooks).toEqual(["demo:demo-hook.pth"]);
    expect((await verifyBundle(ok.dir, { trust, now: NOW })).ok).toBe(true);
    // An allowance for another project or file does not cover it.
    await expect(createBundle({ ...base, outDir: path.join(root, `out-${++n}`), allowStartupHooks: ["other:demo-hook.pth"] })).rejects.toMatchObject({ code: "ZWH-WHEEL-STARTUP-HOOK" });
    await expect(createBundle({ ...base, outDir: path.join(root, `out-${++n}`), allowStartupHooks: ["demo-hook.pth"] })).rejects.toMatchObject({ code: "ZWH-BUNDLE-USAGE" });
  });

  it("verify refuses a signed bundle whose policy does not allow the hook", async () => {
    const wd = path.join(root, `in-${++n}`);
    const p = await buildWheel(wd, { name: "demo", version: "1.0", files: HOOK_FILES });
    const dir = await assembleBundle(root, "hook", [p], { keys });
    const v = await verifyBundle(dir, { trust, now: NOW });
    expect(codes(v)).toEqual(["ZWH-WHEEL-STARTUP-HOOK"]);
    const allowed = await assembleBundle(root, "hook-ok", [p], { keys, startupHooks: ["demo:demo-hook.pth"] });
    expect((await verifyBundle(allowed, { trust, now: NOW })).ok).toBe(true);
  });

  it("zwh bundle create --allow-startup-hook (built CLI)", async () => {
    const wd = path.join(root, `in-${++n}`);
    await buildWheel(wd, { name: "demo", version: "1.0", files: HOOK_FILES });
    const args = ["bundle", "create", wd, "--id", "c1", "--channel", "stable", "--sequence", "1", "--python", "3.12", "--platform", "os390-29.00-8561", "--json"];
    const refused = zwh([...args, "--out", path.join(root, `cli-${++n}`)]);
    expect(refused.code).toBe(3);
    expect(refused.json?.error).toMatchObject({ code: "ZWH-WHEEL-STARTUP-HOOK", subject: "demo-1.0-py3-none-any.whl" });
    const ok = zwh([...args, "--out", path.join(root, `cli-${++n}`), "--allow-startup-hook", "demo:demo-hook.pth"]);
    expect(ok.code, ok.stderr).toBe(0);
    const st = parseStatement(fs.readFileSync(path.join(String((ok.json as { data?: { dir?: string }; dir?: string }).dir ?? (ok.json as { data: { dir: string } }).data.dir), STATEMENT_FILE)));
    expect(st.predicate.policy.startupHooks).toEqual(["demo:demo-hook.pth"]);
  });
});
