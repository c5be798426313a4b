import { spawnSync } from "child_process";
import { describe, expect, it } from "vitest";
import { ZwhError } from "../../src/core/errors";
import { shAssign, shCommand, shJoin, shQuote } from "../../src/remote/quote";

/** Run a command string through a real POSIX shell and get back the argv it produced. */
function argvFromShell(command: string): string[] {
  // printf '%s\0' prints each argument NUL-terminated, so any byte sequence round-trips.
  const r = spawnSync("/bin/sh", ["-c", `printf '%s\\0' ${command.replace(/^printf /, "")}`], { encoding: "utf8" });
  expect(r.status).toBe(0);
  const parts = r.stdout.split("\0");
  parts.pop();
  return parts;
}

const HOSTILE = [
  "plain",
  "with space",
  "  leading and trailing  ",
  "it's",
  `"double"`,
  "'",
  "''",
  "$HOME",
  "${PATH}",
  "$(touch /tmp/zwh-should-not-exist)",
  "`id`",
  "a\nb",
  "\n",
  "tab\there",
  "*",
  "/tmp/*.whl",
  "?",
  "[a-z]",
  "~",
  "~root",
  "a;b",
  "a&&b",
  "a|b",
  "<in",
  ">out",
  "#comment",
  "\\",
  "back\\slash",
  "-n",
  "é ü ß",
  "!",
  "{a,b}",
  "",
];

describe("shQuote", () => {
  it("leaves safe words alone and single-quotes everything else", () => {
    expect(shQuote("/usr/lpp/IBM/cyp/v3r12/pyz/bin/python3")).toBe("/usr/lpp/IBM/cyp/v3r12/pyz/bin/python3");
    expect(shQuote("with space")).toBe("'with space'");
    expect(shQuote("it's")).toBe("'it'\\''s'");
    expect(shQuote("$HOME")).toBe("'$HOME'");
    expect(shQuote("`id`")).toBe("'`id`'");
    expect(shQuote("a\nb")).toBe("'a\nb'");
    expect(shQuote("*.whl")).toBe("'*.whl'");
  });

  it("quotes the empty string as ''", () => {
    expect(shQuote("")).toBe("''");
  });

  it("refuses NUL with a coded error", () => {
    expect(() => shQuote("a\0b")).toThrow(ZwhError);
    try {
      shQuote("a\0b");
    } catch (e) {
      expect((e as ZwhError).code).toBe("ZWH-QUOTE-NUL");
    }
  });

  it("round-trips every hostile string through a real /bin/sh -c", () => {
    const got = argvFromShell(shCommand(["printf", ...HOSTILE]));
    expect(got).toEqual(HOSTILE);
  });

  it("does not execute command substitutions", () => {
    const marker = `/tmp/zwh-quote-${process.pid}`;
    argvFromShell(shCommand(["printf", `$(touch ${marker})`, `\`touch ${marker}\``]));
    expect(spawnSync("test", ["-e", marker]).status).not.toBe(0);
  });
});

describe("shCommand / shJoin / shAssign", () => {
  it("refuses an empty argv", () => {
    expect(() => shCommand([])).toThrow(/empty command/);
  });

  it("joins commands with a fixed operator", () => {
    expect(shJoin([shCommand(["true"]), shCommand(["echo", "a b"])], "&&")).toBe("true && echo 'a b'");
    expect(shJoin(["a", "b"], ";")).toBe("a ; b");
  });

  it("validates variable names and quotes values", () => {
    expect(shAssign("X", "a b")).toBe("X='a b'");
    expect(() => shAssign("1X", "v")).toThrow(/invalid environment variable name/);
    expect(() => shAssign("X;rm", "v")).toThrow(/invalid environment variable name/);
    const r = spawnSync("/bin/sh", ["-c", `${shAssign("V", "$(id) 'q'\n")}; printf %s "$V"`], { encoding: "utf8" });
    expect(r.stdout).toBe("$(id) 'q'\n");
  });
});
