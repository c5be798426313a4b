import { describe, expect, it } from "vitest";
import { compareVersions, formatSpecifierSet, isValidSpecifierSet, isValidVersion, normalizeVersion, parseSpecifierSet, satisfies, versionsEqual } from "../../src/core/pep440";

describe("pep440 versions", () => {
  it("validates and normalizes", () => {
    expect(isValidVersion("1.0")).toBe(true);
    expect(isValidVersion(" 1.0 ")).toBe(true);
    expect(isValidVersion("not-a-version")).toBe(false);
    expect(normalizeVersion("1.0RC1")).toBe("1.0rc1");
    expect(normalizeVersion("1!2.0-post3+Corp_1")).toBe("1!2.0.post3+corp.1");
    expect(normalizeVersion("1.0-dev")).toBe("1.0.dev0");
    expect(normalizeVersion("v2.17.0.POST0")).toBe("2.17.0.post0");
    expect(() => normalizeVersion("x.y")).toThrow(/not a valid PEP 440 version/);
  });
  it("orders post, local and epoch versions", () => {
    expect(compareVersions("1.0", "1.0.post1")).toBe(-1);
    expect(compareVersions("1.0.post1", "1.0+zzz")).toBe(1);
    expect(compareVersions("1!0.1", "2.0")).toBe(1);
    expect(compareVersions("1.0+corp.2", "1.0+corp.10")).toBe(-1);
    expect(compareVersions("1.0rc1", "1.0")).toBe(-1);
    expect(versionsEqual("1.0", "1.0.0")).toBe(true);
    expect(versionsEqual("1.0+a", "1.0")).toBe(false);
    expect(versionsEqual("bad", "bad")).toBe(false);
  });
});

describe("pep440 specifiers", () => {
  it("parses and formats clause sets", () => {
    expect(parseSpecifierSet(" >=1.0 , <2 ")).toEqual([
      { operator: ">=", version: "1.0" },
      { operator: "<", version: "2" },
    ]);
    expect(formatSpecifierSet(parseSpecifierSet(">= 1.0,<2"))).toBe(">=1.0,<2");
    expect(parseSpecifierSet("")).toEqual([]);
    for (const bad of [">=1.0;", "foo", ">=1.*", "~=1", ">1.0+local", "==1.0+local.*", ">=1.0 <2"]) {
      expect(isValidSpecifierSet(bad), bad).toBe(false);
    }
    expect(() => parseSpecifierSet("=>1")).toThrow(expect.objectContaining({ code: "ZWH-PEP440-SPECIFIER" }));
  });
  it("matches basic operators", () => {
    expect(satisfies("1.5", ">=1,<2")).toBe(true);
    expect(satisfies("2.0", ">=1,<2")).toBe(false);
    expect(satisfies("1.5", "~=1.4")).toBe(true);
    expect(satisfies("2.0", "~=1.4")).toBe(false);
    expect(satisfies("1.5.3", "==1.5.*")).toBe(true);
    expect(satisfies("1.6", "!=1.5.*")).toBe(true);
    expect(satisfies("1.5", "")).toBe(true);
  });
  it("handles .postN (IBM rebuilds) as PEP 440 says", () => {
    expect(satisfies("2.17.0.post0", "<2.17.1")).toBe(true);
    expect(satisfies("2.17.1.post0", "<2.17.1")).toBe(false);
    expect(satisfies("1.0.post1", ">1.0")).toBe(false); // >V excludes post-releases of V
    expect(satisfies("1.0.post1", ">=1.0")).toBe(true);
    expect(satisfies("1.0.post1", "==1.0")).toBe(false);
  });
  it("handles local versions (+corp.1), including the library's == bug", () => {
    expect(satisfies("1.0+corp.1", "==1.0")).toBe(true); // local ignored when the clause has none
    expect(satisfies("1.0+corp.1", "==1.0+corp.1")).toBe(true);
    expect(satisfies("1.0+corp.2", "==1.0+corp.1")).toBe(false);
    expect(satisfies("1.0+corp.2", "!=1.0+corp.1")).toBe(true);
    expect(satisfies("1.0+corp.1", "!=1.0+corp.1")).toBe(false);
    expect(satisfies("1.0", "==1.0+corp.1")).toBe(false);
  });
  it("handles epochs", () => {
    expect(satisfies("1!0.1", "<2")).toBe(false);
    expect(satisfies("1!0.1", ">=1!0")).toBe(true);
  });
  it("applies pre-release rules per set, overridable", () => {
    expect(satisfies("1.0rc1", ">=0.9")).toBe(false);
    expect(satisfies("1.0rc1", ">=0.9", { prereleases: true })).toBe(true);
    expect(satisfies("1.0rc1", ">=1.0rc1,<2")).toBe(true); // the set names a pre-release
    expect(satisfies("1.0", ">=0.9", { prereleases: false })).toBe(true);
    expect(satisfies("1.0a1", "<1.0", { prereleases: true })).toBe(false); // <V excludes V's pre-releases
  });
  it("=== is case-insensitive string equality", () => {
    expect(satisfies("1.0", "===1.0")).toBe(true);
    expect(satisfies("1.0.0", "===1.0")).toBe(false);
    expect(satisfies("Foo", "===foo")).toBe(true);
    expect(satisfies("not-a-version", ">=1")).toBe(false);
  });
});
