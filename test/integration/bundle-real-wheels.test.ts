/**
 * Wheels nobody here wrote: Debian's /usr/share/python-wheels and CPython's ensurepip wheels
 * must bundle and verify for a z/OS target (they are py3-none-any). Fails (not skips) when
 * none are found. Also: SSHSIG made by the real ssh-keygen verifies; a tampered statement fails.
 */
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createBundle } from "../../src/bundle/create";
import { loadAndVerifyBundle, verifyBundle } from "../../src/bundle/verify";
import { zosTarget } from "../../src/bundle/target";
import { STATEMENT_FILE, SSHSIG_FILE } from "../../src/bundle/statement";
import { makeKeys, makeTrust } from "../support/bundles";

let root: string;
beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "zwh-bundle-real-"));
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

function ensurepipDir(): string | undefined {
  const r = spawnSync("python3", ["-c", "import ensurepip,os;print(os.path.dirname(ensurepip.__file__))"], { encoding: "utf8" });
  return r.status === 0 ? path.join(r.stdout.trim(), "_bundled") : undefined;
}
function wheelsIn(dir: string | undefined): string[] {
  if (!dir || !fs.existsSync(dir)) return [];
  return fs.readdirSync(dir).filter((f) => f.endsWith(".whl")).map((f) => path.join(dir, f));
}

const sets: Array<[string, () => string[]]> = [
  ["Debian /usr/share/python-wheels", () => wheelsIn("/usr/share/python-wheels")],
  ["CPython ensurepip _bundled", () => wheelsIn(ensurepipDir())],
];

describe("real third-party wheels", () => {
  it("finds real wheels on this machine", () => {
    const all = sets.flatMap(([, f]) => f());
    expect(all.length, "no real wheels found in /usr/share/python-wheels or ensurepip/_bundled").toBeGreaterThan(0);
  });

  it.each(sets)("bundles and verifies %s", async (label, find) => {
    const wheels = find();
    expect(wheels.length, `no wheels found for ${label}`).toBeGreaterThan(0);
    const keys = makeKeys(1);
    const trust = makeTrust(keys);
    const wd = path.join(root, label.replace(/\W+/g, "_"));
    fs.mkdirSync(wd);
    for (const w of wheels) fs.copyFileSync(w, path.join(wd, path.basename(w)));
    const python = execFileSync("python3", ["-c", "import sys;print('%d.%d' % sys.version_info[:2])"], { encoding: "utf8" }).trim();
    const opts = {
      wheelDir: wd, outDir: path.join(root, `${path.basename(wd)}-bundle`), bundleId: "real", channel: "stable", sequence: 1,
      target: zosTarget(python, "os390-29.00-8561"), signKeys: [keys[0].privateKey],
    };
    // setuptools ships a start-up hook (distutils-precedence.pth): refused unless the policy allows it.
    const hooks = wheels.filter((w) => path.basename(w).startsWith("setuptools-")).length ? ["setuptools:distutils-precedence.pth"] : [];
    if (hooks.length) await expect(createBundle(opts)).rejects.toMatchObject({ code: "ZWH-WHEEL-STARTUP-HOOK", message: expect.stringMatching(/distutils-precedence\.pth/) });
    const r = await createBundle({ ...opts, allowStartupHooks: hooks });
    const v = await loadAndVerifyBundle(r.dir, { trust });
    expect(v.wheels.map((w) => w.filename).sort()).toEqual(wheels.map((w) => path.basename(w)).sort());
    for (const w of v.wheels) expect(w.sha256).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe("SSHSIG interoperability with ssh-keygen", () => {
  it("a bundle signed by ssh-keygen -Y sign verifies; a tampered statement fails", async () => {
    const keyFile = path.join(root, "id_ed25519");
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "release@example", "-f", keyFile]);
    const wd = path.join(root, "ssh-in");
    fs.mkdirSync(wd);
    const real = [...wheelsIn("/usr/share/python-wheels"), ...wheelsIn(ensurepipDir())][0];
    expect(real, "no real wheel found").toBeTruthy();
    fs.copyFileSync(real, path.join(wd, path.basename(real)));
    const r = await createBundle({
      wheelDir: wd, outDir: path.join(root, "ssh-bundle"), bundleId: "ssh", channel: "stable", sequence: 1, target: zosTarget("3.12", "os390-29.00-8561"),
    });
    execFileSync("ssh-keygen", ["-Y", "sign", "-n", "zos-wheelhouse-bundle", "-f", keyFile, STATEMENT_FILE], { cwd: r.dir, stdio: "ignore" });
    expect(fs.existsSync(path.join(r.dir, SSHSIG_FILE))).toBe(true);
    const trust = makeTrust([], { sshKeys: [{ name: "release-ssh", line: fs.readFileSync(`${keyFile}.pub`, "utf8").trim() }] });
    const v = await loadAndVerifyBundle(r.dir, { trust });
    expect(v.signers).toEqual([expect.objectContaining({ name: "release-ssh", kind: "sshsig" })]);

    // Wrong namespace: refused.
    const wrong = path.join(root, "wrong-ns");
    fs.cpSync(r.dir, wrong, { recursive: true });
    fs.rmSync(path.join(wrong, SSHSIG_FILE));
    execFileSync("ssh-keygen", ["-Y", "sign", "-n", "file", "-f", keyFile, STATEMENT_FILE], { cwd: wrong, stdio: "ignore" });
    expect((await verifyBundle(wrong, { trust })).findings[0].error.code).toBe("ZWH-SIG-INVALID");

    // Tampered statement: refused.
    const f = path.join(r.dir, STATEMENT_FILE);
    fs.writeFileSync(f, fs.readFileSync(f, "utf8").replace('"sequence": 1', '"sequence": 2'));
    const bad = await verifyBundle(r.dir, { trust });
    expect(bad.ok).toBe(false);
    expect(bad.findings[0].error.code).toBe("ZWH-SIG-INVALID");
  });
});
