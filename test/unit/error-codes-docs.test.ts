/** Every ZWH- code that src/ can emit is listed in the docs (docs/error-codes.md is generated). */
import * as fs from "fs";
import * as path from "path";
import { describe, expect, it } from "vitest";

const REPO = path.resolve(__dirname, "..", "..");
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { codesInSrc } = require(path.join(REPO, "scripts", "list-error-codes.js")) as { codesInSrc(): Map<string, Set<string>> };

function docsText(): string {
  const dir = path.join(REPO, "docs");
  return [path.join(REPO, "README.md"), ...fs.readdirSync(dir).filter((f) => f.endsWith(".md")).map((f) => path.join(dir, f))]
    .map((f) => fs.readFileSync(f, "utf8"))
    .join("\n");
}

describe("error codes in the docs", () => {
  it("finds the codes in src (the scan works)", () => {
    const codes = codesInSrc();
    expect(codes.size).toBeGreaterThan(150);
    expect(codes.has("ZWH-INPUT-NOT-REGULAR")).toBe(true);
    expect(codes.get("ZWH-HELPER-USAGE")).toContain(path.join("remote", "helpers", "zwh_target.py"));
  });

  it("every code src/ can emit appears in README.md or docs/*.md", () => {
    const docs = docsText();
    const missing = [...codesInSrc().keys()].filter((c) => !new RegExp(`\`${c}\``).test(docs));
    expect(missing, "add them to docs: node scripts/list-error-codes.js --markdown regenerates docs/error-codes.md's table").toEqual([]);
  });
});
