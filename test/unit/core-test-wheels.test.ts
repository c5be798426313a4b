/**
 * The test helper must produce wheels that real pip installs; checked here with the machine's
 * python3/pip, together with the lock file generator (hash mode without --no-deps proves the
 * closure, as the target-side install does).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildWheel, escapeDistName, wheelFilenameFor } from "../support/wheels";
import { verifyWheels } from "../../src/bundle/wheel-verify";
import { generateLockfile } from "../../src/core/lockfile";
import { resolveClosure } from "../../src/core/closure";
import { ZOS_EXAMPLE_ENV } from "../../src/core/pep508";

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "zwh-core-helper-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function pip(args: string[]): string {
  return execFileSync("python3", ["-m", "pip", ...args, "--isolated", "--no-index", "--disable-pip-version-check", "--no-cache-dir", "--no-input"], {
    env: { ...process.env, PIP_CONFIG_FILE: "/dev/null" },
    stdio: ["ignore", "pipe", "pipe"],
  }).toString();
}

describe("test/support/wheels.ts", () => {
  it("names files and dist-info like the wheel spec", () => {
    expect(escapeDistName("Foo.Bar-baz")).toBe("foo_bar_baz");
    expect(wheelFilenameFor({ name: "Foo-Bar", version: "1.0", tags: "cp311-cp311-os390_29_00_8561" })).toBe("foo_bar-1.0-cp311-cp311-os390_29_00_8561.whl");
  });
  it("is deterministic", async () => {
    const a = await buildWheel(join(dir, "d1"), { name: "same", version: "1.0" });
    const b = await buildWheel(join(dir, "d2"), { name: "same", version: "1.0" });
    expect(readFileSync(a).equals(readFileSync(b))).toBe(true);
  });
  it("builds wheels that pip installs in hash mode from a generated lock", async () => {
    const wheels = join(dir, "wheels");
    const paths = [
      await buildWheel(wheels, { name: "zwh-app", version: "1.0", requiresDist: ["zwh-lib[fast]>=2"], files: { "zwh_app/__init__.py": "from zwh_lib import VALUE\n" } }),
      await buildWheel(wheels, { name: "zwh_lib", version: "2.1.post1", extras: { fast: ["zwh-speedup"] }, files: { "zwh_lib/__init__.py": "VALUE = 42\n" } }),
      await buildWheel(wheels, { name: "zwh.speedup", version: "0.1" }),
    ];
    const results = await verifyWheels(paths);
    expect(results.flatMap((r) => r.findings)).toEqual([]);
    const facts = results.map((r) => r.facts!);
    const closure = resolveClosure(facts, ["zwh-app"], { ...ZOS_EXAMPLE_ENV });
    expect(closure.findings).toEqual([]);
    expect(closure.unneeded).toEqual([]);
    const lock = join(dir, "requirements.lock.txt");
    writeFileSync(lock, generateLockfile(facts));
    const target = join(dir, "site");
    pip(["install", "--find-links", wheels, "--only-binary=:all:", "--require-hashes", "--target", target, "-r", lock]);
    const out = execFileSync("python3", ["-c", "import zwh_app; print(zwh_app.VALUE)"], { env: { ...process.env, PYTHONPATH: target } }).toString().trim();
    expect(out).toBe("42");
    // pip wrote its own RECORD from ours; the installed metadata is ours.
    const installed = readFileSync(join(target, "zwh_lib-2.1.post1.dist-info", "METADATA"), "utf8");
    expect(installed).toContain("Provides-Extra: fast");
  });
  it("a lock missing a dependency fails pip's hash mode (so the lock test above is meaningful)", async () => {
    const wheels = join(dir, "wheels2");
    const paths = [await buildWheel(wheels, { name: "zwh-top", version: "1.0", requiresDist: ["zwh-dep"] }), await buildWheel(wheels, { name: "zwh-dep", version: "1.0" })];
    const facts = (await verifyWheels(paths)).map((r) => r.facts!);
    const lock = join(dir, "partial.lock.txt");
    writeFileSync(lock, generateLockfile(facts.slice(0, 1)));
    expect(() => pip(["install", "--find-links", wheels, "--only-binary=:all:", "--require-hashes", "--target", join(dir, "site2"), "-r", lock])).toThrow();
  });
});
