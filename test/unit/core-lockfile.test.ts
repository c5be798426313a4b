import { describe, expect, it } from "vitest";
import { generateLockfile, verifyLockfile } from "../../src/core/lockfile";

const h1 = "a".repeat(64);
const h2 = "B".repeat(64);
const wheels = [
  { name: "Zeta_Pkg", version: "1.0.post1", sha256: h1 },
  { name: "alpha", version: "2.17.0+corp.1", sha256: h2 },
];

describe("generateLockfile", () => {
  it("writes sorted name==version --hash lines with LF and a trailing newline", () => {
    const text = generateLockfile(wheels);
    expect(text).toBe(`alpha==2.17.0+corp.1 --hash=sha256:${"b".repeat(64)}\nzeta-pkg==1.0.post1 --hash=sha256:${h1}\n`);
    expect(text).not.toContain("\r");
    expect(text).not.toMatch(/^-/m);
  });
  it("is deterministic regardless of input order", () => {
    expect(generateLockfile([...wheels].reverse())).toBe(generateLockfile(wheels));
    expect(generateLockfile([])).toBe("");
  });
  it("refuses bad input and duplicate projects", () => {
    expect(() => generateLockfile([{ name: "x", version: "1", sha256: "xyz" }])).toThrow(expect.objectContaining({ code: "ZWH-LOCK-INVALID" }));
    expect(() => generateLockfile([{ name: "x", version: "1 --index-url http://evil", sha256: h1 }])).toThrow(expect.objectContaining({ code: "ZWH-LOCK-INVALID" }));
    expect(() => generateLockfile([{ name: "--index-url", version: "1", sha256: h1 }])).toThrow(expect.objectContaining({ code: "ZWH-LOCK-INVALID" }));
    expect(() => generateLockfile([{ name: "x", version: "1", sha256: h1 }, { name: "X", version: "2", sha256: h1 }])).toThrow(expect.objectContaining({ code: "ZWH-POLICY-DUPLICATE-PROJECT" }));
  });
});

describe("verifyLockfile", () => {
  it("accepts the exact bytes and refuses any difference", () => {
    const good = Buffer.from(generateLockfile(wheels));
    expect(() => verifyLockfile(good, wheels)).not.toThrow();
    expect(() => verifyLockfile(good.toString().replace(/\n/g, "\r\n"), wheels)).toThrow(expect.objectContaining({ code: "ZWH-LOCK-MISMATCH" }));
    expect(() => verifyLockfile("--index-url http://evil\n" + good.toString(), wheels)).toThrow(expect.objectContaining({ code: "ZWH-LOCK-MISMATCH", details: expect.objectContaining({ line: 1 }) }));
    expect(() => verifyLockfile(good.toString().slice(0, -1), wheels)).toThrow(expect.objectContaining({ code: "ZWH-LOCK-MISMATCH" }));
  });
});
