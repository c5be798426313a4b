import { spawnSync } from "child_process";
import { describe, expect, it } from "vitest";
import { shCommand } from "../../src/remote/quote";
import {
  chtagBinaryArgv, chtagPrintArgv, chtagRemoveArgv, chtagTextArgv, ccsidOf, codesetName, formatTag, isBinaryTag,
  isTextTag, lsTagArgv, parseTagLine, parseTagOutput,
} from "../../src/remote/tags";

describe("tag line parser", () => {
  it("parses the fixed-width chtag -p / ls -T forms", () => {
    expect(parseTagLine("t ISO8859-1   T=on  stop.log")).toEqual({
      tag: { type: "t", codeset: "ISO8859-1", ccsid: 819, txtflag: true }, rest: "stop.log",
    });
    expect(parseTagLine("t IBM-1047    T=on  README.md")?.tag).toEqual({ type: "t", codeset: "IBM-1047", ccsid: 1047, txtflag: true });
    expect(parseTagLine("b binary      T=off a.png")?.tag).toEqual({ type: "b", codeset: "binary", ccsid: 65535, txtflag: false });
    expect(parseTagLine("m ISO8859-1   T=off /u/user1/file")).toMatchObject({ tag: { type: "m", ccsid: 819, txtflag: false }, rest: "/u/user1/file" });
    expect(parseTagLine("- untagged    T=off /SYSE/etc/sshd.pid")).toMatchObject({ tag: { type: "-", codeset: "untagged", ccsid: 0 }, rest: "/SYSE/etc/sshd.pid" });
    expect(parseTagLine("t UTF-8       T=on  f")?.tag?.ccsid).toBe(1208);
  });

  it("keeps paths with spaces (leading, inner, trailing) intact", () => {
    expect(parseTagLine("t ISO8859-1   T=on  /u/my dir/a b.txt")?.rest).toBe("/u/my dir/a b.txt");
    expect(parseTagLine("t ISO8859-1   T=on   lead")?.rest).toBe(" lead");
    expect(parseTagLine("b binary      T=off trail ")?.rest).toBe("trail ");
  });

  it("parses ls -lT lines, including the 20-blank directory prefix", () => {
    const out = [
      "total 370000",
      "                    drwxr-xr-x   3 BOSTIAN  SYS1        8192 Jun 26 21:59 .",
      "- untagged    T=off -rw-r--r--   1 BOSTIAN  SYS1     378132480 Jun 26 21:58 pyaitoolkit_06262024.pax",
      "t ISO8859-1   T=on  -rw-r--r--   1 BOSTIAN  SYS1       22690 Jun 26 14:25 pyaitoolkit_cp312_1.1.5_req.txt",
      "                    drwxr-xr-x   2 BOSTIAN  SYS1        8192 Jun 26 16:17 wheels",
      "",
    ].join("\n");
    const p = parseTagOutput(out);
    expect(p).toHaveLength(4);
    expect(p[0].tag).toBeUndefined();
    expect(p[0].rest).toMatch(/^drwxr-xr-x/);
    expect(p[1].tag?.type).toBe("-");
    expect(p[2].tag?.codeset).toBe("ISO8859-1");
    expect(p[2].rest).toMatch(/req\.txt$/);
  });

  it("tolerates the whitespace-collapsed web form", () => {
    expect(parseTagLine("b binary T=off path")).toMatchObject({ tag: { type: "b", codeset: "binary", txtflag: false }, rest: "path" });
    expect(parseTagLine("t ISO8859-1 T=on my file")?.rest).toBe("my file");
  });

  it("rejects non-tag lines", () => {
    for (const l of ["", "total 8", "chtag: FSUMF180 file \"x\": EDC5129I No such file or directory.", "x ISO8859-1   T=on  f"]) {
      expect(parseTagLine(l), l).toBeUndefined();
    }
  });

  it("matches output produced by the documented printf format for many paths", () => {
    const paths = ["/a", "/with space/x", "/u/ü", "/a\tb"];
    const lines = paths.map((p) => spawnSync("/bin/sh", ["-c", `printf '%c %-12sT=%-3s %s' t ISO8859-1 on "$1"`, "sh", p], { encoding: "utf8" }).stdout);
    lines.forEach((l, i) => {
      const t = parseTagLine(l)!;
      expect(t.rest).toBe(paths[i]);
      expect(formatTag(t.tag!)).toBe("t ISO8859-1   T=on");
      expect(isTextTag(t.tag)).toBe(true);
    });
  });

  it("formats and classifies tags", () => {
    expect(formatTag({ type: "b", codeset: "binary", txtflag: false })).toBe("b binary      T=off");
    expect(isBinaryTag(parseTagLine("b binary      T=off f")?.tag)).toBe(true);
    expect(isTextTag(parseTagLine("m ISO8859-1   T=off f")?.tag)).toBe(false);
    expect(isTextTag(parseTagLine("t IBM-1047    T=on  f")?.tag)).toBe(false);
    expect(isTextTag(parseTagLine("t IBM-1047    T=on  f")?.tag, "IBM-1047")).toBe(true);
    expect(ccsidOf("819")).toBe(819);
    expect(codesetName(1047)).toBe("IBM-1047");
    expect(codesetName(37)).toBe("37");
  });
});

describe("chtag builders", () => {
  it("build separated-flag argv that quote safely", () => {
    expect(chtagTextArgv(["/u/a b"])).toEqual(["chtag", "-t", "-c", "ISO8859-1", "/u/a b"]);
    expect(shCommand(chtagTextArgv(["/u/a b"], "IBM-1047", { recursive: true }))).toBe("chtag -t -c IBM-1047 -R '/u/a b'");
    expect(chtagBinaryArgv(["/x", "/y"], { noFollow: true })).toEqual(["chtag", "-b", "-h", "/x", "/y"]);
    expect(chtagRemoveArgv(["/x"])).toEqual(["chtag", "-r", "/x"]);
    expect(chtagPrintArgv(["/x"])).toEqual(["chtag", "-p", "/x"]);
    expect(lsTagArgv(["/x"])).toEqual(["ls", "-T", "/x"]);
  });

  it("refuse no paths, empty paths and paths that look like options", () => {
    expect(() => chtagBinaryArgv([])).toThrow(/at least one path/);
    expect(() => chtagBinaryArgv([""])).toThrow(/starts with '-'|empty/);
    expect(() => chtagTextArgv(["-R"])).toThrow(/ZWH|starts with/);
  });
});
