import { describe, expect, it } from "vitest";
import { expandTags, parseWheelFilename } from "../../src/core/wheel-filename";
import { normalizeName, isValidProjectName } from "../../src/core/names";

describe("normalizeName", () => {
  it("implements PEP 503", () => {
    expect(normalizeName("Foo_Bar")).toBe("foo-bar");
    expect(normalizeName("foo.-_bar")).toBe("foo-bar");
    expect(normalizeName("FOO...BAR__baz")).toBe("foo-bar-baz");
    expect(isValidProjectName("-foo")).toBe(false);
    expect(isValidProjectName("zos_util")).toBe(true);
  });
});

describe("parseWheelFilename", () => {
  it("parses a plain wheel", () => {
    const w = parseWheelFilename("alembic-1.10.4-py3-none-any.whl");
    expect(w).toMatchObject({ name: "alembic", normalizedName: "alembic", version: "1.10.4", pythonTags: ["py3"], abiTags: ["none"], platformTags: ["any"], tags: ["py3-none-any"] });
    expect(w.build).toBeUndefined();
  });
  it("parses z/OS native and toolkit names", () => {
    expect(parseWheelFilename("ibm_db-3.2.5-cp313-cp313-os390_29_00_3931.whl").tags).toEqual(["cp313-cp313-os390_29_00_3931"]);
    expect(parseWheelFilename("watchfiles-1.2.0-cp314-cp314-zos.whl").platformTags).toEqual(["zos"]);
    const p = parseWheelFilename("pandas-1.5.1.post3-cp312-none-any.whl");
    expect(p.version).toBe("1.5.1.post3");
    expect(parseWheelFilename("Cython-3.0.9-cp312-none-any.whl").normalizedName).toBe("cython");
    expect(parseWheelFilename("zos_util-1.0.1-cp312-none-any.whl").normalizedName).toBe("zos-util");
  });
  it("expands compressed tag sets", () => {
    expect(parseWheelFilename("six-1.16.0-py2.py3-none-any.whl").tags).toEqual(["py2-none-any", "py3-none-any"]);
    expect(parseWheelFilename("x-1.0-cp311.cp312-abi3-os390_29_00_8561.zos.whl").tags).toEqual([
      "cp311-abi3-os390_29_00_8561",
      "cp311-abi3-zos",
      "cp312-abi3-os390_29_00_8561",
      "cp312-abi3-zos",
    ]);
    expect(expandTags("py2.py3-none-any")).toEqual(["py2-none-any", "py3-none-any"]);
    expect(() => expandTags("py3-none")).toThrow(/not a python-abi-platform tag/);
  });
  it("parses build tags, epochs and local versions", () => {
    const b = parseWheelFilename("foo-1.0-2b-py3-none-any.whl");
    expect(b.build).toEqual({ number: 2, tag: "b", raw: "2b" });
    expect(parseWheelFilename("foo-1!2.0+corp.1-py3-none-any.whl").normalizedVersion).toBe("1!2.0+corp.1");
  });
  it("refuses non-wheels with ZWH-WHEEL-NOT-WHEEL", () => {
    for (const f of ["foo-1.0.tar.gz", "foo-1.0.zip", "foo-1.0-py3.11.egg", "foo-1.0.WHL"]) {
      expect(() => parseWheelFilename(f), f).toThrow(expect.objectContaining({ code: "ZWH-WHEEL-NOT-WHEEL", exitCode: 3 }));
    }
  });
  it("refuses malformed wheel names with ZWH-WHEEL-FILENAME", () => {
    for (const f of ["foo-py3-none-any.whl", "foo-1.0-py3-none.whl", "foo-bar-1.0-x-py3-none-any.whl", "foo-notaversion-py3-none-any.whl", "foo-1.0-b1-py3-none-any.whl", "dir/foo-1.0-py3-none-any.whl", "-1.0-py3-none-any.whl", "foo-1.0-py3-none-an$y.whl", ".whl"]) {
      expect(() => parseWheelFilename(f), f).toThrow(expect.objectContaining({ code: "ZWH-WHEEL-FILENAME" }));
    }
  });
});
