/**
 * The Zowe plugin's command definitions are generated from the shared tree; this walks both
 * trees and checks they agree, that the ssh connection options match the host's real
 * SshSession.SSH_CONNECTION_OPTIONS, and how imperative's merged arguments become handler args.
 */
import { describe, expect, it } from "vitest";
import type { ICommandDefinition } from "@zowe/imperative";
import { commandTree } from "../../src/cli/defs/tree";
import type { CommandDef, GroupDef, NodeDef } from "../../src/cli/framework/types";
import { convertTree, findCommand, profileTypesFor, SHARED_HANDLER, zoweExampleArgs, type ZwhCustomize } from "../../src/cli/zowe/convert";
import { sshTargetArgs } from "../../src/cli/zowe/profile-args";
import { SSH_CONNECTION_OPTIONS } from "../../src/cli/zowe/ssh-options";
import { WHEELHOUSE_PROFILE_PROPERTIES, wheelhouseProfileArgs } from "../../src/cli/zowe/wheelhouse-profile";
import { handlerArgsFromImperative } from "../../src/cli/zowe/zowe-args";
import { percentFrom } from "../../src/cli/zowe/zowe-output";

const camel = (s: string) => s.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());

function commands(n: NodeDef, p: string[] = []): Array<{ path: string[]; cmd: CommandDef }> {
  if (n.type === "command") return [{ path: p, cmd: n }];
  return n.children.flatMap((c) => commands(c, [...p, c.name]));
}

function nonEmptyGroups(n: GroupDef, p: string[] = []): string[] {
  const out: string[] = [];
  for (const c of n.children) {
    if (c.type === "group" && commands(c).length > 0) out.push([...p, c.name].join(" "), ...nonEmptyGroups(c, [...p, c.name]));
  }
  return out;
}

function zoweNodes(defs: ICommandDefinition[], p: string[] = []): Array<{ path: string[]; def: ICommandDefinition }> {
  return defs.flatMap((d) => [{ path: [...p, d.name], def: d }, ...zoweNodes(d.children ?? [], [...p, d.name])]);
}

describe("shared tree -> imperative definitions", () => {
  const tree = commandTree();
  const { definitions, conflicts } = convertTree(tree);
  const zowe = zoweNodes(definitions);
  const zoweCommands = zowe.filter((n) => n.def.type === "command");
  const ours = commands(tree);

  it("has commands to compare (the plugin is rejected without any)", () => {
    expect(ours.length).toBeGreaterThan(0);
    expect(zoweCommands.length).toBe(ours.length);
  });

  it("has the same groups (empty groups are left out of both)", () => {
    const zGroups = zowe.filter((n) => n.def.type === "group").map((n) => n.path.join(" "));
    expect(zGroups.sort()).toEqual(nonEmptyGroups(tree).sort());
    for (const g of zowe.filter((n) => n.def.type === "group")) {
      const src = g.path.reduce<NodeDef>((node, name) => (node as GroupDef).children.find((c) => c.name === name)!, tree);
      expect(g.def.aliases ?? []).toEqual(src.aliases ?? []);
      expect(g.def.description).toBe(src.description);
    }
  });

  it("reports no option or alias clashes with imperative's or the ssh profile's options", () => {
    expect(conflicts).toEqual([]);
  });

  for (const { path, cmd } of commands(commandTree())) {
    it(`command '${path.join(" ")}' matches: aliases, positionals, options, profiles, handler`, () => {
      const z = zoweCommands.find((n) => n.path.join(" ") === path.join(" "));
      expect(z, "missing in the plugin").toBeDefined();
      const def = z!.def;
      expect(def.aliases ?? []).toEqual(cmd.aliases ?? []);
      expect(def.summary).toBe(cmd.summary);
      expect(def.description).toBe(cmd.description);
      expect((def.positionals ?? []).map((p) => [p.name, !!p.required])).toEqual(
        (cmd.positionals ?? []).map((p) => [p.name, p.required]),
      );
      const expected = cmd.options.filter((o) => o.only !== "zwh").map((o) => o.name);
      if (cmd.connects) expected.push(...SSH_CONNECTION_OPTIONS.map((o) => o.name));
      expect((def.options ?? []).map((o) => o.name)).toEqual(expected);
      for (const o of cmd.options.filter((x) => x.only !== "zwh")) {
        const zo = def.options!.find((x) => x.name === o.name)!;
        expect(zo.aliases ?? []).toEqual(o.aliases ?? []);
        // Numbers reach us as the typed string (imperative would parseFloat them); zowe-args checks them.
        expect(zo.type).toBe(o.type === "number" ? "string" : o.type);
        // A required option a wheelhouse profile property supplies is checked after the profile.
        expect(!!zo.required).toBe(!!o.required && !WHEELHOUSE_PROFILE_PROPERTIES.some((p) => p.option === o.name && (cmd.connects || !p.connectingOnly)));
        expect(zo.allowableValues?.values).toEqual(o.allowableValues);
      }
      expect(def.profile?.optional ?? []).toEqual(profileTypesFor(cmd));
      if (cmd.connects) expect(def.profile!.optional![0]).toBe("ssh");
      expect(def.handler).toBe(SHARED_HANDLER);
      const custom = (def.customize as ZwhCustomize).zwh;
      expect(custom).toEqual({ handler: cmd.handler, path });
      expect(findCommand(commandTree(), custom.path)).toEqual(cmd);
      expect(def.examples!.length, "every command needs an example").toBeGreaterThan(0);
      expect(def.examples!.map((e) => [e.description, e.options])).toEqual(cmd.examples.map((e) => [e.description, zoweExampleArgs(e)]));
      expect(cmd.description.length).toBeGreaterThan(40);
    });

    it(`command '${path.join(" ")}': every flag in its Zowe examples exists under zowe wheelhouse`, () => {
      const def = zoweCommands.find((n) => n.path.join(" ") === path.join(" "))!.def;
      const known = new Set<string>(["rfj", "response-format-json"]);
      for (const t of def.profile?.optional ?? []) known.add(`${t}-profile`);
      for (const o of def.options ?? []) for (const n of [o.name, ...(o.aliases ?? [])]) known.add(n);
      for (const e of def.examples!) {
        const flags = [...` ${e.options}`.matchAll(/\s--?([A-Za-z][A-Za-z0-9-]*)/g)].map((m) => m[1]);
        for (const f of flags) expect(known.has(f), `'${e.options}' uses --${f}, which zowe wheelhouse ${path.join(" ")} does not have`).toBe(true);
      }
    });
  }

  it("the plugin configuration module is built from the same tree", async () => {
    const config = (await import("../../src/imperative")).default as unknown as {
      name: string; pluginAliases: string[]; rootCommandDescription: string; definitions: ICommandDefinition[]; profiles: Array<{ type: string }>;
    };
    expect(config.name).toBe("wheelhouse");
    expect(config.pluginAliases).toEqual(["wh"]);
    expect(config.rootCommandDescription).toBe(tree.description);
    expect(config.definitions).toEqual(definitions);
    expect(config.profiles.map((p) => p.type)).toEqual(["wheelhouse"]);
  });
});

describe("ssh connection options", () => {
  it("have the names, aliases, types and defaults of the host's SshSession.SSH_CONNECTION_OPTIONS", async () => {
    const { SshSession } = await import("@zowe/cli");
    const shape = (o: { name: string; aliases?: string[]; type: string; defaultValue?: unknown }) =>
      ({ name: o.name, aliases: o.aliases, type: o.type, defaultValue: o.defaultValue });
    expect(SSH_CONNECTION_OPTIONS.map(shape)).toEqual(SshSession.SSH_CONNECTION_OPTIONS.map(shape));
  });
});

describe("wheelhouse profile properties", () => {
  const all = commands(commandTree()).flatMap((c) => c.cmd.options.filter((o) => o.only !== "zwh").map((o) => o.name));
  for (const p of WHEELHOUSE_PROFILE_PROPERTIES) {
    it(`${p.property} supplies an existing option --${p.option} of a matching type`, () => {
      expect(all).toContain(p.option);
      const types = new Set(commands(commandTree()).flatMap((c) => c.cmd.options.filter((o) => o.name === p.option).map((o) => o.type)));
      // An object property (environment) feeds an array option as NAME=VALUE strings.
      expect([...types]).toEqual([p.type === "object" ? "array" : p.type]);
    });
  }
  it("deploy/rollback/status/lock break take every setting a deploy needs from the profile", () => {
    for (const p of [["deploy"], ["rollback"], ["status"], ["lock", "break"]]) {
      const cmd = findCommand(commandTree(), p)!;
      const names = cmd.options.map((o) => o.name);
      for (const opt of ["python", "root", "command-timeout", "env", "inventory"]) expect(names, `${p.join(" ")} --${opt}`).toContain(opt);
    }
    const deploy = findCommand(commandTree(), ["deploy"])!.options.map((o) => o.name);
    expect(deploy).toContain("keep");
    expect(deploy).toContain("trust");
  });
  it("maps properties to handler arguments, only for options the command has; environment becomes NAME=VALUE", () => {
    const args = wheelhouseProfileArgs(
      { pythonPath: "/py", deployRoot: "/r", environment: { LIBPATH: "/l", _BPXK_AUTOCVT: "ON" }, trustFile: "/t" },
      (o) => o !== "trust",
    );
    expect(args).toEqual({ python: "/py", root: "/r", env: ["LIBPATH=/l", "_BPXK_AUTOCVT=ON"] });
  });
});

describe("ssh profile values -> handler arguments", () => {
  it("renames privateKey/keyPassphrase and keeps secrets in memory", () => {
    expect(
      sshTargetArgs({ host: "h", port: "2222", user: "u", privateKey: "/k", keyPassphrase: "pp", password: "pw", hostKey: "AAAA", handshakeTimeout: 5000, insecure: false }),
    ).toEqual({ host: "h", port: 2222, user: "u", identity: "/k", passphrase: "pp", password: "pw", hostKey: "AAAA", handshakeTimeout: 5000 });
  });
  it("refuses insecure: true (exit 3) and names the profile", () => {
    let err: unknown;
    try { sshTargetArgs({ host: "h", insecure: true }, "ssh profile 'lpar1'"); } catch (e) { err = e; }
    expect(err).toMatchObject({ code: "ZWH-PROFILE-INSECURE", exitCode: 3, subject: "ssh profile 'lpar1'" });
  });
});

describe("imperative arguments -> handler arguments", () => {
  const cmd: CommandDef = {
    type: "command", name: "probe", summary: "s", description: "d", handler: "target/probe", connects: true, examples: [],
    positionals: [{ name: "bundle-file", description: "b", required: true }],
    options: [
      { name: "host", type: "string", description: "", only: "zwh" },
      { name: "port", type: "number", description: "", only: "zwh", defaultValue: 22 },
      { name: "handshake-timeout", type: "number", description: "", only: "zwh", defaultValue: 20000 },
      { name: "python", type: "string", description: "" },
      { name: "command-timeout", type: "number", description: "", defaultValue: 600000 },
      { name: "json", type: "boolean", description: "", only: "zwh", defaultValue: false },
    ],
  };
  it("gives zwh-shaped args: flags > ssh profile > wheelhouse profile > defaults; nothing else leaks in", () => {
    const iargs = {
      _: ["wh"], $0: "zowe", "bundle-file": "b.tar", bundleFile: "b.tar", "ssh-profile": "lpar1",
      host: "h", port: 2222, user: "u", privateKey: "/k", hostKey: "AAAA", insecure: false,
      pythonPath: "/profile/python", commandTimeout: 99, "command-timeout": 99, deployRoot: "/unused",
      "response-format-json": true, rfj: true,
    };
    expect(handlerArgsFromImperative(cmd, iargs, true)).toEqual({
      bundleFile: "b.tar", commandTimeout: 99, host: "h", port: 2222, user: "u", identity: "/k", hostKey: "AAAA",
      python: "/profile/python", handshakeTimeout: 20000, json: true,
    });
    expect(handlerArgsFromImperative(cmd, { ...iargs, python: "/flag/python" }, false)).toMatchObject({ python: "/flag/python", json: false });
    expect(handlerArgsFromImperative(cmd, { host: "h", user: "u" }, false)).toMatchObject({ commandTimeout: 600000, port: 22 });
  });
  it("numbers are strict decimals and explicit empty strings are refused, from flags, ZOWE_OPT_* and profiles alike", () => {
    const deploy = findCommand(commandTree(), ["deploy"])!;
    const base = { bundle: "./b", host: "h", user: "u", root: "/u/wh" };
    const codeOf = (iargs: Record<string, unknown>) => {
      try { handlerArgsFromImperative(deploy, iargs, false); return "ok"; } catch (e) { return (e as { code: string }).code; }
    };
    for (const bad of ["0x10", "1e3", "+5", " 7", "1.0", ""]) expect({ bad, c: codeOf({ ...base, keep: bad }) }).toEqual({ bad, c: "ZWH-USAGE" });
    expect({ c: codeOf({ ...base, keepReleases: 2.5 }) }).toEqual({ c: "ZWH-USAGE" });
    expect({ c: codeOf({ ...base, keepReleases: "1e3" }) }).toEqual({ c: "ZWH-USAGE" });
    expect(handlerArgsFromImperative(deploy, { ...base, keep: "3" }, false).keep).toBe(3);
    expect(codeOf({ ...base, smoke: "" })).toBe("ZWH-USAGE");
    const rollback = findCommand(commandTree(), ["rollback"])!;
    let err: unknown;
    try { handlerArgsFromImperative(rollback, { host: "h", user: "u", root: "/u/wh", release: "" }, false); } catch (e) { err = e; }
    expect(err).toMatchObject({ code: "ZWH-USAGE", message: "--release was given an empty value" });
  });
  it("a required option a profile supplies (--root from deployRoot) is optional for imperative but checked after the profile", () => {
    const deploy = findCommand(commandTree(), ["deploy"])!;
    const def = zoweNodes(convertTree(commandTree()).definitions).find((n) => n.path.join(" ") === "deploy")!.def;
    expect(def.options!.find((o) => o.name === "root")!.required).toBeFalsy();
    const base = { bundle: "./b", host: "h", user: "u" };
    expect(handlerArgsFromImperative(deploy, { ...base, deployRoot: "/u/wh", keepReleases: 2, inventory: "/i.db", environment: { A: "1" } }, true))
      .toMatchObject({ bundle: "./b", root: "/u/wh", keep: 2, inventory: "/i.db", env: ["A=1"] });
    expect(handlerArgsFromImperative(deploy, { ...base, root: "/flag", deployRoot: "/u/wh", keep: 7, keepReleases: 2 }, true)).toMatchObject({ root: "/flag", keep: 7 });
    let err: unknown;
    try { handlerArgsFromImperative(deploy, base, true); } catch (e) { err = e; }
    expect(err).toMatchObject({ code: "ZWH-USAGE", message: "missing required option --root" });
    expect((err as { hint: string }).hint).toContain("deployRoot");
  });
  it("pythonPath supplies --python only to commands that connect (bundle create's --python is a version)", () => {
    const create = findCommand(commandTree(), ["bundle", "create"])!;
    const args = handlerArgsFromImperative(create, { wheelDir: "./w", out: "o", id: "i", channel: "c", sequence: 1, pythonPath: "/usr/lpp/IBM/cyp/v3r12/pyz/bin/python3" }, false);
    expect(args.python).toBeUndefined();
    const def = zoweNodes(convertTree(commandTree()).definitions).find((n) => n.path.join(" ") === "bundle create")!.def;
    expect(def.options!.find((o) => o.name === "python")!.description).not.toContain("pythonPath");
    expect(wheelhouseProfileArgs({ pythonPath: "/p" }, () => true, false)).toEqual({});
    expect(wheelhouseProfileArgs({ pythonPath: "/p" }, () => true, true)).toEqual({ python: "/p" });
  });
  it("progress percentages come from 'n/m' in status messages", () => {
    expect(percentFrom("12/40 wheels")).toBe(30);
    expect(percentFrom("uploading")).toBeUndefined();
  });
});
