import { describe, expect, it } from "vitest";
import { assertWheelTagsCompatible, checkWheelTags, defaultCompatibleTags, platformTag } from "../../src/core/tags";
import { parseWheelFilename } from "../../src/core/wheel-filename";

const t311 = { pythonVersion: "3.11", implementation: "cp", platform: "os390-29.00-8561" };
const t314 = { pythonVersion: "3.14.0", platform: "zos" };
const check = (filename: string, target: Parameters<typeof checkWheelTags>[1]) => checkWheelTags(parseWheelFilename(filename), target);

describe("defaultCompatibleTags", () => {
  it("derives the platform tag from sysconfig's platform", () => {
    expect(platformTag("os390-29.00-8561")).toBe("os390_29_00_8561");
    expect(platformTag("zos")).toBe("zos");
  });
  it("reproduces pip's order for 3.14 on zos: 48 tags, cp314-none-any at priority 32", () => {
    const tags = defaultCompatibleTags(t314);
    expect(tags).toHaveLength(48);
    expect(tags[0]).toBe("cp314-cp314-zos");
    expect(tags[1]).toBe("cp314-abi3-zos");
    expect(tags[2]).toBe("cp314-none-zos");
    expect(tags[3]).toBe("cp313-abi3-zos");
    expect(tags.indexOf("cp314-none-any") + 1).toBe(32);
    expect(tags.at(-1)).toBe("py30-none-any");
    expect(tags.indexOf("py3-none-any")).toBeGreaterThan(tags.indexOf("py314-none-any"));
    expect(new Set(tags).size).toBe(tags.length);
  });
  it("covers abi3 back to cp32 and py3X back to py30 for 3.11", () => {
    const tags = defaultCompatibleTags(t311);
    expect(tags).toContain("cp32-abi3-os390_29_00_8561");
    expect(tags).not.toContain("cp31-abi3-os390_29_00_8561");
    expect(tags).toContain("py30-none-any");
    expect(tags).not.toContain("py312-none-any");
    expect(tags).not.toContain("cp312-none-any");
  });
  it("refuses non-CPython or malformed targets", () => {
    expect(() => defaultCompatibleTags({ ...t311, implementation: "pp" })).toThrow(expect.objectContaining({ code: "ZWH-TARGET-INVALID" }));
    expect(() => defaultCompatibleTags({ ...t311, pythonVersion: "three" })).toThrow(expect.objectContaining({ code: "ZWH-TARGET-INVALID" }));
    expect(() => defaultCompatibleTags({ ...t311, pythonVersion: "2.7" })).toThrow(expect.objectContaining({ code: "ZWH-TARGET-INVALID" }));
  });
});

describe("checkWheelTags", () => {
  it("accepts pure and toolkit-style wheels", () => {
    expect(check("alembic-1.10.4-py3-none-any.whl", t311).compatible).toBe(true);
    expect(check("six-1.16.0-py2.py3-none-any.whl", t311)).toMatchObject({ compatible: true, best: "py3-none-any" });
    expect(check("numpy-1.26.0-cp311-none-any.whl", t311).compatible).toBe(true);
    expect(check("x-1.0-py311-none-any.whl", t311).compatible).toBe(true);
  });
  it("accepts native wheels only for the exact host platform", () => {
    expect(check("ibm_db-3.2.5-cp311-cp311-os390_29_00_8561.whl", t311)).toMatchObject({ compatible: true, priority: 0 });
    expect(check("x-1.0-cp39-abi3-os390_29_00_8561.whl", t311).compatible).toBe(true);
    const other = check("ibm_db-3.2.5-cp311-cp311-os390_29_00_3931.whl", t311);
    expect(other.compatible).toBe(false);
    expect(other.finding).toMatchObject({ code: "ZWH-WHEEL-PLATFORM", exitCode: 3 });
    expect(other.finding?.message).toMatch(/exact release and CPU model/);
    expect(check("watchfiles-1.2.0-cp314-cp314-zos.whl", t314).compatible).toBe(true);
    expect(check("watchfiles-1.2.0-cp314-cp314-zos.whl", t311).compatible).toBe(false);
  });
  it("refuses wrong Python versions", () => {
    const r = check("numpy-1.26.0-cp312-none-any.whl", t311);
    expect(r.finding?.code).toBe("ZWH-WHEEL-INCOMPATIBLE-TAG");
    expect(check("x-1.0-cp311-cp311-os390_29_00_8561.whl", { ...t311, pythonVersion: "3.12" }).compatible).toBe(false);
    expect(check("x-1.0-py2-none-any.whl", t311).compatible).toBe(false);
  });
  it("refuses Linux, macOS and Windows wheels with ZWH-WHEEL-PLATFORM", () => {
    for (const f of [
      "numpy-1.26.0-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
      "numpy-1.26.0-cp311-cp311-musllinux_1_1_x86_64.whl",
      "x-1.0-cp311-cp311-linux_s390x.whl",
      "x-1.0-cp311-cp311-macosx_11_0_arm64.whl",
      "x-1.0-cp311-cp311-win_amd64.whl",
    ]) {
      const r = check(f, t311);
      expect(r.compatible, f).toBe(false);
      expect(r.finding?.code, f).toBe("ZWH-WHEEL-PLATFORM");
    }
    expect(check("x-1.0-cp311-cp311-linux_s390x.whl", t311).finding?.message).toMatch(/built for Linux/);
  });
  it("also requires an intersection with pip's list when the probe provided it", () => {
    const pips = ["cp311-cp311-os390_29_00_8561", "cp311-none-any", "py3-none-any"];
    expect(check("x-1.0-py3-none-any.whl", { ...t311, compatibleTags: pips })).toMatchObject({ compatible: true, priority: 2 });
    const r = check("x-1.0-py311-none-any.whl", { ...t311, compatibleTags: pips });
    expect(r.compatible).toBe(false);
    expect(r.finding?.code).toBe("ZWH-WHEEL-INCOMPATIBLE-TAG");
    // pip's list alone can never widen the policy: a Linux tag in it is still refused.
    expect(check("x-1.0-cp311-cp311-linux_s390x.whl", { ...t311, compatibleTags: [...pips, "cp311-cp311-linux_s390x"] }).compatible).toBe(false);
  });
  it("has a throwing form", () => {
    expect(() => assertWheelTagsCompatible(["cp311-cp311-win_amd64"], t311)).toThrow(expect.objectContaining({ code: "ZWH-WHEEL-PLATFORM" }));
    expect(assertWheelTagsCompatible(["py3-none-any", "cp311-none-any"], t311).best).toBe("cp311-none-any");
  });
});
