import { describe, expect, it } from "vitest";
import { parseArgv, checkRequired } from "../../src/cli/zwh/argv";
import { renderHelp } from "../../src/cli/zwh/help";
import type { CommandDef, GroupDef } from "../../src/cli/framework/types";
import { ZwhError } from "../../src/core/errors";

const probe: CommandDef = {
  type: "command", name: "probe", aliases: ["p"], summary: "Probe", description: "Probe a host.",
  handler: "target/probe",
  positionals: [{ name: "bundle", description: "A bundle dir", required: false }],
  options: [
    { name: "host", aliases: ["H"], type: "string", description: "Host", required: true },
    { name: "port", type: "number", description: "Port", defaultValue: 22 },
    { name: "json", type: "boolean", description: "JSON", defaultValue: false },
    { name: "sign-key", type: "array", description: "Keys" },
    { name: "type", type: "string", description: "Key type", allowableValues: ["ed25519", "ecdsa-p256"] },
  ],
  examples: [{ description: "Probe lpar1", args: "--host lpar1" }],
};
const tree: GroupDef = {
  type: "group", name: "wheelhouse", summary: "root", description: "Root.",
  children: [{ type: "group", name: "target", summary: "Targets", description: "Target commands.", children: [probe] }],
};

function code(fn: () => unknown): string | undefined {
  try { fn(); } catch (e) { return (e as ZwhError).code; }
  return undefined;
}

describe("zwh argv parsing", () => {
  it("resolves the command path through names and aliases and camelCases options", () => {
    const p = parseArgv(tree, ["target", "p", "--host", "lpar1", "--port=2222", "--json", "--sign-key", "a.key", "b.key"]);
    expect(p.path).toEqual(["target", "probe"]);
    expect(p.args).toMatchObject({ host: "lpar1", port: 2222, json: true, signKey: ["a.key", "b.key"] });
  });

  it("applies defaults, short aliases, positionals and repeated array options", () => {
    const p = parseArgv(tree, ["target", "probe", "dir1", "-H", "h", "--sign-key", "a", "--sign-key=b"]);
    expect(p.args).toMatchObject({ bundle: "dir1", host: "h", port: 22, json: false, signKey: ["a", "b"] });
  });

  it("refuses unknown commands, unknown options, bad numbers, extra positionals and bad choices", () => {
    expect(code(() => parseArgv(tree, ["nope"]))).toBe("ZWH-USAGE");
    expect(code(() => parseArgv(tree, ["target", "probe", "--bogus"]))).toBe("ZWH-USAGE");
    expect(code(() => parseArgv(tree, ["target", "probe", "--port", "x22"]))).toBe("ZWH-USAGE");
    expect(code(() => parseArgv(tree, ["target", "probe", "a", "b"]))).toBe("ZWH-USAGE");
    expect(code(() => parseArgv(tree, ["target", "probe", "--type", "rsa"]))).toBe("ZWH-USAGE");
    expect(code(() => parseArgv(tree, ["target", "probe", "--host"]))).toBe("ZWH-USAGE");
  });

  it("accepts decimal integers only, and no explicitly empty value", () => {
    for (const bad of ["0x10", "1e3", "+5", " 7", "7 ", "1.0", "", "-1", "Infinity", "NaN", "9007199254740993"]) {
      expect({ bad, code: code(() => parseArgv(tree, ["target", "probe", "--port", bad])) }).toEqual({ bad, code: "ZWH-USAGE" });
      expect({ bad, code: code(() => parseArgv(tree, ["target", "probe", `--port=${bad}`])) }).toEqual({ bad, code: "ZWH-USAGE" });
    }
    expect(parseArgv(tree, ["target", "probe", "--port", "0"]).args.port).toBe(0);
    expect(parseArgv(tree, ["target", "probe", "--port", "2222"]).args.port).toBe(2222);
    expect(code(() => parseArgv(tree, ["target", "probe", "--host", ""]))).toBe("ZWH-USAGE");
    expect(code(() => parseArgv(tree, ["target", "probe", "--host="]))).toBe("ZWH-USAGE");
    expect(code(() => parseArgv(tree, ["target", "probe", "--sign-key", "a", ""]))).toBe("ZWH-USAGE");
    let msg = "";
    try { parseArgv(tree, ["target", "probe", "--port", "1e3"]); } catch (e) { msg = (e as ZwhError).message; }
    expect(msg).toBe("--port expects a whole number in decimal digits, got '1e3'");
  });

  it("checks required options after profiles are merged", () => {
    const p = parseArgv(tree, ["target", "probe"]);
    expect(code(() => checkRequired(probe, p.args))).toBe("ZWH-USAGE");
    expect(code(() => checkRequired(probe, { ...p.args, host: "h" }))).toBeUndefined();
  });

  it("treats a group without a command as a request for help", () => {
    const p = parseArgv(tree, ["target"]);
    expect(p.node.type).toBe("group");
    expect(p.help).toBe(true);
  });

  it("renders help with usage, options and examples", () => {
    const text = renderHelp(probe, ["target", "probe"]);
    expect(text).toContain("zwh target probe [bundle] [options]");
    expect(text).toContain("--host | -H (string)  [required]");
    expect(text).toContain("$ zwh target probe --host lpar1");
  });
});

describe("zwh-only aliases", () => {
  it("accepts an alias that only zwh knows and shows it in help", () => {
    const cmd: CommandDef = {
      type: "command", name: "rollback", summary: "s", description: "d", handler: "rollback", examples: [],
      options: [{ name: "release", zwhAliases: ["to"], type: "string", description: "Release id." }],
    };
    const root: GroupDef = { type: "group", name: "wheelhouse", summary: "", description: "", children: [cmd] };
    expect(parseArgv(root, ["rollback", "--to", "r1"]).args.release).toBe("r1");
    expect(renderHelp(cmd, ["rollback"])).toContain("--release | --to (string)");
  });
});
