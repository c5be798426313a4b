import { describe, expect, it } from "vitest";
import { checkDenied, checkOneVersionPerProject, parseDenyList } from "../../src/core/policy";

const sha = "ab".repeat(32);
const wheel = (name: string, version: string, sha256 = "cd".repeat(32)) => ({ filename: `${name}-${version}-py3-none-any.whl`, name, version, sha256 });

describe("deny list", () => {
  const list = parseDenyList(
    ["# known bad", "evil_pkg", "requests==2.0.0   # one release", "urllib3<1.26.5", "", `SHA256:${sha.toUpperCase()}`, "  Lib.Name >=1,<2"].join("\n"),
    "deny.txt",
  );
  it("parses names, pins, specifiers, hashes and comments", () => {
    expect(list.rules.map((r) => r.kind)).toEqual(["project", "project", "project", "sha256", "project"]);
    expect(list.rules[4]).toMatchObject({ normalizedName: "lib-name", specifier: ">=1,<2", line: 7 });
  });
  it("denies by normalized name, any version", () => {
    const [f] = checkDenied(list, wheel("Evil.Pkg", "9.9"));
    expect(f).toMatchObject({ code: "ZWH-POLICY-DENIED", exitCode: 3, details: { line: 2 } });
  });
  it("denies by version and specifier, PEP 440 semantics", () => {
    expect(checkDenied(list, wheel("requests", "2.0.0"))).toHaveLength(1);
    expect(checkDenied(list, wheel("requests", "2.0"))).toHaveLength(1);
    expect(checkDenied(list, wheel("requests", "2.0.0+corp.1"))).toHaveLength(1);
    expect(checkDenied(list, wheel("requests", "2.0.1"))).toHaveLength(0);
    expect(checkDenied(list, wheel("urllib3", "1.26.4"))).toHaveLength(1);
    expect(checkDenied(list, wheel("urllib3", "1.26.5rc1"))).toHaveLength(1); // pre-releases do not dodge the rule
    expect(checkDenied(list, wheel("urllib3", "1.26.5"))).toHaveLength(0);
    expect(checkDenied(parseDenyList("x>1.0"), wheel("x", "1.0.post1"))).toHaveLength(1); // PEP 440 alone would say no
    expect(checkDenied(parseDenyList("x>1.0"), wheel("x", "1.0"))).toHaveLength(0);
    expect(checkDenied(list, wheel("lib_name", "1.5"))).toHaveLength(1);
    expect(checkDenied(list, wheel("lib_name", "2.0"))).toHaveLength(0);
  });
  it("denies by exact wheel sha256", () => {
    expect(checkDenied(list, wheel("anything", "1.0", sha))).toHaveLength(1);
    expect(checkDenied(list, wheel("anything", "1.0"))).toHaveLength(0);
  });
  it("refuses bad lines with their line number", () => {
    for (const bad of ["sha256:1234", "pkg[extra]", 'pkg; sys_platform == "zos"', "pkg >>1", "pkg @ https://x"]) {
      expect(() => parseDenyList(`ok\n${bad}\n`), bad).toThrow(expect.objectContaining({ code: "ZWH-POLICY-DENYLIST-INVALID", details: expect.objectContaining({ line: 2 }) }));
    }
  });
});

describe("one version per project", () => {
  it("flags projects that appear twice under any spelling", () => {
    const f = checkOneVersionPerProject([wheel("Foo_Bar", "2.0"), wheel("foo-bar", "1.0"), wheel("other", "1.0")]);
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({ code: "ZWH-POLICY-DUPLICATE-PROJECT", subject: "foo-bar", details: { wheels: ["foo-bar-1.0-py3-none-any.whl", "Foo_Bar-2.0-py3-none-any.whl"] } });
    expect(checkOneVersionPerProject([wheel("a", "1"), wheel("b", "1")])).toEqual([]);
  });
});
