import { describe, expect, it } from "vitest";
import { evaluateMarker, formatRequirement, MarkerEnvironment, parseMarker, parseRequirement, ZOS_EXAMPLE_ENV } from "../../src/core/pep508";

const zos: MarkerEnvironment = { ...ZOS_EXAMPLE_ENV };
const linux: MarkerEnvironment = { ...ZOS_EXAMPLE_ENV, sys_platform: "linux", platform_system: "Linux", platform_machine: "x86_64", platform_release: "6.1.0" };

describe("parseRequirement", () => {
  it("parses names, extras, parenthesised and bare specifiers, markers", () => {
    const r = parseRequirement('Foo_Bar[Security , tests] (>=1.0, <2) ; python_version >= "3.8"');
    expect(r).toMatchObject({ name: "Foo_Bar", normalizedName: "foo-bar", extras: ["security", "tests"], specifier: ">=1.0,<2" });
    expect(r.marker).toBeDefined();
    expect(formatRequirement(r)).toBe('Foo_Bar[security,tests]>=1.0,<2; python_version >= "3.8"');
    const bare = parseRequirement("requests>=2.8.1,==2.8.*;sys_platform=='zos'");
    expect(bare.specifier).toBe(">=2.8.1,==2.8.*");
    expect(parseRequirement("six").specifier).toBe("");
    expect(parseRequirement("name[]").extras).toEqual([]);
    expect(parseRequirement("pkg==1.0+corp.1").clauses).toEqual([{ operator: "==", version: "1.0+corp.1" }]);
  });
  it("refuses URL requirements", () => {
    expect(() => parseRequirement("pip @ https://example.com/pip-23.0-py3-none-any.whl")).toThrow(expect.objectContaining({ code: "ZWH-PEP508-URL" }));
    expect(() => parseRequirement("pip[x] @ file:///tmp/x.whl")).toThrow(expect.objectContaining({ code: "ZWH-PEP508-URL" }));
  });
  it("rejects malformed requirements", () => {
    for (const bad of ["", ">=1.0", "foo[bar", "foo >=1.0 <2", "foo (>=1.0", "foo ; unknown_var == 'x'", "foo ; python_version >=", "foo ; python_version >= '3' and", "foo==1.0 trailing", "foo ; (python_version > '3'"]) {
      expect(() => parseRequirement(bad), bad).toThrow(expect.objectContaining({ code: "ZWH-PEP508-INVALID" }));
    }
  });
});

describe("evaluateMarker", () => {
  it("evaluates z/OS platform markers", () => {
    expect(evaluateMarker('sys_platform == "zos"', zos)).toBe(true);
    expect(evaluateMarker('sys_platform == "zos"', linux)).toBe(false);
    expect(evaluateMarker('platform_system == "OS/390" and os_name == "posix"', zos)).toBe(true);
    expect(evaluateMarker('sys_platform == "win32" or platform_machine == "8561"', zos)).toBe(true);
    expect(evaluateMarker('platform_system != "Windows" and (sys_platform == "linux" or sys_platform == "darwin")', zos)).toBe(false);
  });
  it("uses PEP 440 for versions and strings otherwise", () => {
    expect(evaluateMarker('python_version >= "3.8"', zos)).toBe(true);
    expect(evaluateMarker('python_version < "3.10"', zos)).toBe(false);
    expect(evaluateMarker('python_version > "3.9"', zos)).toBe(true); // string compare "3.11" > "3.9" is false
    expect(evaluateMarker('python_full_version >= "3.11.7"', zos)).toBe(true);
    expect(evaluateMarker('python_full_version == "3.11.*"', zos)).toBe(true);
    expect(evaluateMarker('python_version ~= "3.8"', zos)).toBe(true);
    expect(evaluateMarker('platform_release >= "29.00"', zos)).toBe(true);
    expect(evaluateMarker('platform_release > "3"', zos)).toBe(true); // version semantics: 29.00 > 3
    expect(evaluateMarker('platform_version > "3"', { ...zos, platform_version: "#1 SMP" })).toBe(false); // string: "#" < "3"
    expect(evaluateMarker('implementation_name === "cpython"', zos)).toBe(true);
    expect(() => evaluateMarker('platform_version ~= "x y"', zos)).toThrow(expect.objectContaining({ code: "ZWH-PEP508-MARKER" }));
  });
  it("supports in / not in and reversed operands", () => {
    expect(evaluateMarker('"zos" in sys_platform', zos)).toBe(true);
    expect(evaluateMarker('sys_platform in "linux darwin"', zos)).toBe(false);
    expect(evaluateMarker('sys_platform not in "linux darwin"', zos)).toBe(true);
    expect(evaluateMarker('"3.8" <= python_version', zos)).toBe(true);
  });
  it("normalizes extras and defaults extra to empty", () => {
    expect(evaluateMarker('extra == "Security_Extra"', { ...zos, extra: "security-extra" })).toBe(true);
    expect(evaluateMarker('extra == "security"', zos)).toBe(false);
  });
  it("and binds tighter than or; keywords need word boundaries", () => {
    expect(evaluateMarker('sys_platform == "zos" or sys_platform == "linux" and os_name == "nt"', zos)).toBe(true);
    expect(evaluateMarker('(sys_platform == "zos" or sys_platform == "linux") and os_name == "nt"', zos)).toBe(false);
    expect(evaluateMarker('sys_platform=="zos"and os_name=="posix"', zos)).toBe(true);
  });
  it("errors on a variable missing from the environment", () => {
    expect(() => evaluateMarker('platform_machine == "x"', { sys_platform: "zos" })).toThrow(expect.objectContaining({ code: "ZWH-PEP508-MARKER-ENV" }));
    expect(() => parseMarker('os.name == "posix"')).toThrow(expect.objectContaining({ code: "ZWH-PEP508-INVALID" }));
  });
});
