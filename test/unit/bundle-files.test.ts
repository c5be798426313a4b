import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { readOptional, readStatementFile, walkTree } from "../../src/bundle/files";
import { writeFileAtomic } from "../../src/io/atomic-write";

describe("bundle file helpers", () => {
  it("walkTree lists depth first, sorted, with links as special", () => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), "zwh-files-"));
    fs.mkdirSync(path.join(d, "wheels"));
    fs.writeFileSync(path.join(d, "wheels", "b.whl"), "bb");
    fs.writeFileSync(path.join(d, "a.txt"), "a");
    fs.symlinkSync("a.txt", path.join(d, "z-link"));
    expect(walkTree(d)).toEqual([
      { rel: "a.txt", kind: "file", size: 1 },
      { rel: "wheels", kind: "dir", size: 0 },
      { rel: "wheels/b.whl", kind: "file", size: 2 },
      { rel: "z-link", kind: "special", size: 0 },
    ]);
  });

  it("readOptional/readStatementFile distinguish missing files", () => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), "zwh-files-"));
    expect(readOptional(path.join(d, "nope"))).toBeUndefined();
    expect(() => readStatementFile(d)).toThrow(expect.objectContaining({ code: "ZWH-BUNDLE-IO", subject: d }));
  });

  it("writeFileAtomic replaces the file and leaves no temporary file", () => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), "zwh-files-"));
    const f = path.join(d, "sub", "state.json");
    writeFileAtomic(f, "one", { mode: 0o600, mkdirMode: 0o700 });
    writeFileAtomic(f, "two", { mode: 0o600 });
    expect(fs.readFileSync(f, "utf8")).toBe("two");
    expect(fs.readdirSync(path.dirname(f))).toEqual(["state.json"]);
  });
});
