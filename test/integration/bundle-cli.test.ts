/**
 * End to end through the built CLI: node bin/zwh.js bundle create / verify / inspect / pack /
 * unpack --json. Builds lib/ first (tsc) when it is missing or older than the bundle sources.
 */
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildWheel } from "../support/wheels";

const repo = path.resolve(__dirname, "..", "..");
let root: string;
let env: NodeJS.ProcessEnv;

function zwh(...args: string[]) {
  const r = spawnSync(process.execPath, [path.join(repo, "bin", "zwh.js"), ...args], { encoding: "utf8", env });
  let json: Record<string, unknown> | undefined;
  try {
    json = JSON.parse(r.stdout);
  } catch {
    json = undefined;
  }
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, json };
}

beforeAll(() => {
  const built = path.join(repo, "lib", "cli", "handlers", "bundle", "verify.js");
  const srcTime = Math.max(...fs.readdirSync(path.join(repo, "src", "bundle")).filter((f) => f.endsWith(".ts")).map((f) => fs.statSync(path.join(repo, "src", "bundle", f)).mtimeMs));
  if (!fs.existsSync(built) || fs.statSync(built).mtimeMs < srcTime) {
    execFileSync("npx", ["tsc", "-p", "tsconfig.json"], { cwd: repo, stdio: "inherit" });
    execFileSync(process.execPath, ["scripts/copy-assets.js"], { cwd: repo, stdio: "inherit" });
  }
  root = fs.mkdtempSync(path.join(os.tmpdir(), "zwh-bundle-cli-"));
  env = { ...process.env, HOME: root, ZWH_TRUST: path.join(root, "trust.json"), ZWH_TRUST_STATE: path.join(root, "state.json"), CI: "1" };
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

describe("zwh bundle (CLI)", () => {
  it("create → verify → inspect → pack → unpack → verify, and a refusal with all findings", async () => {
    const wd = path.join(root, "wheels");
    await buildWheel(wd, { name: "app", version: "2.0", requiresDist: ["lib>=1"] });
    await buildWheel(wd, { name: "lib", version: "1.5" });
    fs.writeFileSync(path.join(root, "top.txt"), "app\n");
    expect(zwh("keys", "generate", "--out", path.join(root, "rel"), "--json").status).toBe(0);
    expect(zwh("trust", "init", "--json").status).toBe(0);
    expect(zwh("trust", "add-key", "--key", path.join(root, "rel.pub"), "--name", "release", "--json").status).toBe(0);
    const probe = {
      formatVersion: 1, command: "target probe", ok: true,
      python: { version: "3.12.4", implementation: "cpython", sysPlatform: "zos", platformSystem: "OS/390", sysconfigPlatform: "os390-29.00-8561" },
      compatibleTags: ["cp312-cp312-os390_29_00_8561", "cp312-none-any", "py3-none-any"],
      markerEnv: {
        implementation_name: "cpython", implementation_version: "3.12.4", os_name: "posix", platform_machine: "8561", platform_python_implementation: "CPython",
        platform_release: "29.00", platform_system: "OS/390", platform_version: "04", python_full_version: "3.12.4", python_version: "3.12", sys_platform: "zos",
      },
    };
    fs.writeFileSync(path.join(root, "probe.json"), JSON.stringify(probe));
    const b = path.join(root, "b");
    const c = zwh("bundle", "create", wd, "--out", b, "--id", "cli-1", "--channel", "stable", "--sequence", "3", "--target-env", path.join(root, "probe.json"),
      "--requirements", path.join(root, "top.txt"), "--sign-key", path.join(root, "rel.key"), "--json");
    expect(c.status, c.stdout + c.stderr).toBe(0);
    expect(c.json).toMatchObject({ formatVersion: 1, command: "bundle create", ok: true, bundleId: "cli-1", sequence: 3 });

    const v = zwh("bundle", "verify", b, "--json");
    expect(v.status, v.stdout).toBe(0);
    expect(v.json).toMatchObject({ command: "bundle verify", ok: true, verified: true, findings: [], sequenceStatus: "new" });
    expect((v.json!.signers as Array<{ name: string }>)[0].name).toBe("release");

    const i = zwh("bundle", "inspect", b, "--json");
    expect(i.status).toBe(0);
    expect((i.json!.closure as { tree: string }).tree).toContain("lib 1.5");

    const tar = path.join(root, "b.tar");
    expect(zwh("bundle", "pack", b, "--out", tar, "--json").status).toBe(0);
    const u = path.join(root, "u");
    expect(zwh("bundle", "unpack", tar, "--out", u, "--json").status).toBe(0);
    expect(zwh("bundle", "verify", u, "--target-env", path.join(root, "probe.json"), "--json").status).toBe(0);

    // Two problems at once: an extra file and a tampered lock → exit 3, both findings listed.
    fs.writeFileSync(path.join(u, "evil.pth"), "import os\n");
    fs.appendFileSync(path.join(u, "requirements.lock.txt"), "\n");
    const bad = zwh("bundle", "verify", u, "--json");
    expect(bad.status).toBe(3);
    expect(bad.json!.ok).toBe(false);
    const codes = (bad.json!.findings as Array<{ code: string; subject: string }>).map((f) => `${f.code} ${f.subject}`);
    expect(codes).toEqual(expect.arrayContaining(["ZWH-BUNDLE-UNLISTED-FILE evil.pth", "ZWH-BUNDLE-SUBJECT-MISMATCH requirements.lock.txt"]));
    expect((bad.json!.error as { code: string }).code).toBe((bad.json!.findings as Array<{ code: string }>)[0].code);
    const human = zwh("bundle", "verify", u);
    expect(human.status).toBe(3);
    expect(human.stdout).toContain("REFUSED");

    // create refuses an sdist with exit 3 and writes nothing.
    fs.writeFileSync(path.join(wd, "lib-1.5.tar.gz"), "x");
    const r = zwh("bundle", "create", wd, "--out", path.join(root, "nope"), "--id", "x", "--channel", "stable", "--sequence", "4", "--python", "3.12", "--platform", "os390-29.00-8561", "--json");
    expect(r.status).toBe(3);
    expect((r.json!.error as { code: string; subject: string })).toMatchObject({ code: "ZWH-WHEEL-NOT-WHEEL", subject: "lib-1.5.tar.gz" });
    expect(fs.existsSync(path.join(root, "nope"))).toBe(false);
  });

  it("every bundle command has a summary, a description and examples in help", () => {
    for (const cmd of ["create", "sign", "verify", "inspect", "pack", "unpack"]) {
      const h = zwh("bundle", cmd, "--help");
      expect(h.status, cmd).toBe(0);
      expect(h.stdout.length).toBeGreaterThan(200);
      expect(h.stdout.toLowerCase()).toContain("example");
    }
  });
});
