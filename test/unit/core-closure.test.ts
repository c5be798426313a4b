import { describe, expect, it } from "vitest";
import { ClosureWheel, assertClosure, formatClosureTree, resolveClosure } from "../../src/core/closure";
import { ZOS_EXAMPLE_ENV } from "../../src/core/pep508";

const env = { ...ZOS_EXAMPLE_ENV };
const w = (name: string, version: string, requiresDist: string[] = [], extra: Partial<ClosureWheel> = {}): ClosureWheel => ({
  filename: `${name.replace(/-/g, "_")}-${version}-py3-none-any.whl`,
  name,
  version,
  requiresDist,
  ...extra,
});

describe("resolveClosure", () => {
  it("resolves a transitive closure with markers evaluated for z/OS", () => {
    const set = [
      w("app", "1.0", ["requests>=2", 'colorama; sys_platform == "win32"', 'zos-util>=1; sys_platform == "zos"']),
      w("requests", "2.31.0", ["urllib3<3,>=1.21.1", "idna (>=2.5,<4)"]),
      w("urllib3", "2.0.7"),
      w("idna", "3.4"),
      w("zos_util", "1.0.1"),
    ];
    const r = resolveClosure(set, ["app"], env);
    expect(r.findings).toEqual([]);
    expect(r.ok).toBe(true);
    expect(r.nodes.map((n) => n.project)).toEqual(["app", "idna", "requests", "urllib3", "zos-util"]);
    expect(r.unneeded).toEqual([]);
    const req = r.nodes.find((n) => n.project === "requests")!;
    expect(req.requiredBy).toEqual(["app-1.0-py3-none-any.whl"]);
    expect(req.requires.map((e) => e.wheel)).toEqual(["urllib3-2.0.7-py3-none-any.whl", "idna-3.4-py3-none-any.whl"]);
    const tree = formatClosureTree(r);
    expect(tree).toContain("app 1.0");
    expect(tree).toMatch(/\n  requests 2\.31\.0 .*<- requests>=2/);
    expect(tree).toMatch(/\n    urllib3 2\.0\.7/);
  });
  it("reports unresolved requirements and who needs them", () => {
    const r = resolveClosure([w("app", "1.0", ["missing-dep>=1"])], ["app"], env);
    expect(r.ok).toBe(false);
    expect(r.findings[0]).toMatchObject({ code: "ZWH-CLOSURE-UNRESOLVED", exitCode: 3, details: { requirement: "missing-dep>=1", requiredBy: "app-1.0-py3-none-any.whl" } });
    expect(formatClosureTree(r)).toContain("[UNRESOLVED]");
  });
  it("says when the project exists but at the wrong version", () => {
    const r = resolveClosure([w("app", "1.0", ["lib>=2"]), w("lib", "1.5")], ["app"], env);
    expect(r.findings.map((f) => f.code)).toEqual(["ZWH-CLOSURE-VERSION-CONFLICT"]);
    expect(r.findings[0].message).toMatch(/only has lib 1\.5/);
  });
  it("detects conflicts between two requirements on the same project", () => {
    const r = resolveClosure([w("a", "1", ["lib>=1"]), w("b", "1", ["lib<1.5"]), w("lib", "1.6")], ["a", "b"], env);
    expect(r.findings.map((f) => f.code)).toEqual(["ZWH-CLOSURE-VERSION-CONFLICT"]);
    expect(r.findings[0].message).toContain("b-1-py3-none-any.whl requires lib<1.5");
  });
  it("refuses ambiguity when two wheels satisfy one requirement", () => {
    const r = resolveClosure([w("app", "1", ["lib"]), w("lib", "1.0"), w("lib", "2.0")], ["app"], env);
    expect(r.findings[0].code).toBe("ZWH-CLOSURE-AMBIGUOUS");
  });
  it("activates extras, including nested and self-referencing ones", () => {
    const set = [
      w("app", "1", ["lib[Security]>=1"]),
      w("lib", "1.2", ['crypto; extra == "security"', 'lib[speed]; extra == "security"', 'fast; extra == "speed"', 'docs; extra == "docs"'], { providesExtra: ["security", "speed", "docs"] }),
      w("crypto", "3"),
      w("fast", "1"),
      w("docs", "1"),
    ];
    const r = resolveClosure(set, ["app"], env);
    expect(r.findings).toEqual([]);
    expect(r.nodes.find((n) => n.project === "lib")!.extras).toEqual(["security", "speed"]);
    expect(r.unneeded).toEqual(["docs-1-py3-none-any.whl"]);
    expect(r.warnings.join("\n")).toContain("docs-1-py3-none-any.whl is not needed");
    expect(r.nodes.find((n) => n.project === "crypto")!.requiredBy).toEqual(["lib-1.2-py3-none-any.whl"]);
  });
  it("warns about an extra the wheel does not provide", () => {
    const r = resolveClosure([w("lib", "1", [], { providesExtra: [] })], ["lib[nope]"], env);
    expect(r.ok).toBe(true);
    expect(r.warnings[0]).toMatch(/does not provide the extra "nope"/);
  });
  it("treats every wheel as top-level when no requirements are given", () => {
    const r = resolveClosure([w("a", "1", ["b"]), w("b", "1"), w("c", "1")], undefined, env);
    expect(r.roots).toEqual(["a", "b", "c"]);
    expect(r.unneeded).toEqual([]);
  });
  it("skips top-level requirements whose marker is false on the target", () => {
    const r = resolveClosure([w("a", "1")], ["a", 'pywin32; sys_platform == "win32"'], env);
    expect(r.ok).toBe(true);
    expect(r.roots).toEqual(["a"]);
  });
  it("checks Requires-Python against python_full_version", () => {
    const r = resolveClosure([w("a", "1", [], { requiresPython: ">=3.12" }), w("b", "1", [], { requiresPython: ">=3.8,!=3.11.*" }), w("c", "1", [], { requiresPython: ">=3.11.7" })], undefined, env);
    expect(r.findings.map((f) => `${f.code} ${f.subject}`)).toEqual(["ZWH-WHEEL-REQUIRES-PYTHON a-1-py3-none-any.whl", "ZWH-WHEEL-REQUIRES-PYTHON b-1-py3-none-any.whl"]);
  });
  it("accepts pinned pre-releases and post/local versions", () => {
    const r = resolveClosure([w("app", "1", ["lib>=1.0"]), w("lib", "2.0rc1"), w("babel", "2.17.0.post0")], ["app", "babel==2.17.0.post0"], env);
    expect(r.findings).toEqual([]);
    const l = resolveClosure([w("x", "1.0+corp.1")], ["x==1.0"], env);
    expect(l.ok).toBe(true);
  });
  it("reports unparseable requirements", () => {
    const r = resolveClosure([w("a", "1", ["b @ https://evil.example/b.whl"])], undefined, env);
    expect(r.findings[0].code).toBe("ZWH-CLOSURE-BAD-REQUIREMENT");
    expect(() => assertClosure([w("a", "1", ["nothere"])], undefined, env)).toThrow(expect.objectContaining({ code: "ZWH-CLOSURE-UNRESOLVED" }));
  });
  it("handles dependency cycles", () => {
    const r = resolveClosure([w("a", "1", ["b"]), w("b", "1", ["a"])], ["a"], env);
    expect(r.ok).toBe(true);
    expect(formatClosureTree(r)).toContain("(see above)");
  });
});
