import { describe, expect, it } from "vitest";
import { parseHeaderMessage, parseMetadata, parseWheelInfo } from "../../src/core/metadata";

const SAMPLE = [
  "Metadata-Version: 2.1",
  "Name: Demo_Pkg",
  "Version: 1.0.post1",
  "Summary: a demo",
  "License: Apache-2.0",
  "Requires-Python: >=3.8",
  "Requires-Dist: six>=1.0",
  "Requires-Dist: cryptography (>=3.3)",
  "  ; extra == 'security'",
  "Provides-Extra: security",
  "Classifier: License :: OSI Approved :: Apache Software License",
  "Classifier: Programming Language :: Python :: 3",
  "",
  "The long description.",
  "",
  "Second paragraph.",
  "",
].join("\r\n");

describe("parseHeaderMessage", () => {
  it("keeps multi-use fields in order and separates the body", () => {
    const m = parseHeaderMessage("A: 1\nb: 2\na: 3\n\nbody line\n");
    expect(m.headers.get("a")).toEqual(["1", "3"]);
    expect(m.headers.get("b")).toEqual(["2"]);
    expect(m.body).toBe("body line\n");
  });
  it("treats a non-header line as the start of the body (compat32 defect handling)", () => {
    const m = parseHeaderMessage("A: 1\nthis is not a header\nB: 2\n");
    expect(m.headers.has("b")).toBe(false);
    expect(m.body.startsWith("this is not a header")).toBe(true);
  });
});

describe("parseMetadata", () => {
  it("extracts the fields Wheelhouse needs", () => {
    const md = parseMetadata(Buffer.from(SAMPLE));
    expect(md).toMatchObject({
      metadataVersion: "2.1",
      name: "Demo_Pkg",
      normalizedName: "demo-pkg",
      version: "1.0.post1",
      summary: "a demo",
      license: "Apache-2.0",
      requiresPython: ">=3.8",
      providesExtra: ["security"],
      licenseClassifiers: ["License :: OSI Approved :: Apache Software License"],
    });
    // The continuation line is unfolded into the same Requires-Dist value.
    expect(md.requiresDist).toEqual(["six>=1.0", "cryptography (>=3.3) ; extra == 'security'"]);
    expect(md.description).toBe("The long description.\n\nSecond paragraph.\n");
  });
  it("prefers License-Expression and reads a Description header", () => {
    const md = parseMetadata("Metadata-Version: 2.4\nName: x\nVersion: 1\nLicense-Expression: MIT OR Apache-2.0\nLicense: ignored\nDescription: line one\n       |line two\n");
    expect(md.license).toBe("MIT OR Apache-2.0");
    expect(md.description).toBe("line one\nline two");
  });
  it("accepts a UTF-8 BOM and multi-line License text", () => {
    const md = parseMetadata("\ufeffMetadata-Version: 1.2\nName: x\nVersion: 1\nLicense: BSD\n        Copyright (c) someone\n");
    expect(md.license).toBe("BSD\nCopyright (c) someone");
  });
  it("fails on Metadata-Version major > 2", () => {
    expect(() => parseMetadata("Metadata-Version: 3.0\nName: x\nVersion: 1\n")).toThrow(expect.objectContaining({ code: "ZWH-METADATA-VERSION" }));
    expect(() => parseMetadata("Metadata-Version: 2.6\nName: x\nVersion: 1\n")).not.toThrow();
  });
  it("requires Metadata-Version, a valid Name and Version", () => {
    for (const bad of ["Name: x\nVersion: 1\n", "Metadata-Version: two\nName: x\nVersion: 1\n", "Metadata-Version: 2.1\nVersion: 1\n", "Metadata-Version: 2.1\nName: -x-\nVersion: 1\n", "Metadata-Version: 2.1\nName: x\nVersion: one\n", "Metadata-Version: 2.1\nName: x\n"]) {
      expect(() => parseMetadata(bad), bad).toThrow(expect.objectContaining({ code: "ZWH-METADATA-INVALID" }));
    }
  });
});

describe("parseWheelInfo", () => {
  it("reads Wheel-Version, purelib and tags", () => {
    const w = parseWheelInfo("Wheel-Version: 1.0\nGenerator: bdist_wheel (0.40.0)\nRoot-Is-Purelib: true\nTag: py2-none-any\nTag: py3-none-any\n\n");
    expect(w).toEqual({ wheelVersion: "1.0", generator: "bdist_wheel (0.40.0)", rootIsPurelib: true, tags: ["py2-none-any", "py3-none-any"], build: undefined });
  });
  it("refuses an unknown major Wheel-Version", () => {
    expect(() => parseWheelInfo("Wheel-Version: 2.0\n")).toThrow(expect.objectContaining({ code: "ZWH-WHEEL-VERSION-UNSUPPORTED" }));
    expect(() => parseWheelInfo("Generator: x\n")).toThrow(expect.objectContaining({ code: "ZWH-METADATA-INVALID" }));
  });
});
