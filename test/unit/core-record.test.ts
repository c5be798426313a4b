import { describe, expect, it } from "vitest";
import { createHash } from "node:crypto";
import { csvField, isWeakAlgorithm, parseCsv, parseRecord, parseRecordHash, recordHashOf } from "../../src/core/record";

describe("parseCsv", () => {
  it("handles quotes, doubled quotes, CRLF and blank lines", () => {
    expect(parseCsv('a,b,c\r\n"x,y","say ""hi""",3\n\nlast,,\n').map((r) => r.fields)).toEqual([
      ["a", "b", "c"],
      ["x,y", 'say "hi"', "3"],
      ["last", "", ""],
    ]);
    expect(parseCsv('"multi\nline",h,1\nnext,,').map((r) => r.line)).toEqual([1, 3]);
    expect(() => parseCsv('"open,,')).toThrow(/unterminated/);
  });
  it("round-trips csvField", () => {
    const odd = 'we"ird,name\n.py';
    expect(parseCsv(`${csvField(odd)},${csvField("h")},1`)[0].fields[0]).toBe(odd);
  });
});

describe("parseRecord", () => {
  const h = recordHashOf("print(1)\n");
  it("parses rows and hashes", () => {
    const rows = parseRecord(`pkg/__init__.py,${h},9\npkg-1.0.dist-info/RECORD,,\n`);
    expect(rows).toHaveLength(2);
    expect(rows[0].hash?.algorithm).toBe("sha256");
    expect(rows[0].hash?.digest.equals(createHash("sha256").update("print(1)\n").digest())).toBe(true);
    expect(rows[0].size).toBe(9);
    expect(rows[1]).toMatchObject({ path: "pkg-1.0.dist-info/RECORD", hash: undefined, size: undefined });
  });
  it("knows strong and weak algorithms", () => {
    expect(parseRecordHash(recordHashOf("x", "sha512"))?.nodeAlgorithm).toBe("sha512");
    expect(parseRecordHash(`md5=${createHash("md5").update("x").digest("base64url")}`)?.nodeAlgorithm).toBeUndefined();
    expect(isWeakAlgorithm("md5")).toBe(true);
    expect(isWeakAlgorithm("sha1")).toBe(true);
    expect(isWeakAlgorithm("sha256")).toBe(false);
    expect(isWeakAlgorithm("whirlpool")).toBe(true);
  });
  it("refuses malformed RECORD files", () => {
    const cases = [
      "a,b\n", // 2 fields
      `a,${h},9,extra\n`,
      `,${h},9\n`,
      "a,sha256,9\n", // no '='
      "a,sha256=!!!,9\n",
      "a,sha256=AAAA,9\n", // wrong digest length
      `a,${h},nine\n`,
      `a,${h},9\na,${h},9\n`, // duplicate path
      '"a,,\n',
    ];
    for (const c of cases) expect(() => parseRecord(c), c).toThrow(expect.objectContaining({ code: "ZWH-WHEEL-RECORD-INVALID" }));
  });
});
