/**
 * Handler arguments from imperative's merged arguments, shaped exactly as zwh's parser builds
 * them: camelCase option names and positionals, defaults applied, nothing else. Imperative has
 * already merged command line > ZOWE_OPT_* > profiles (ssh first, then wheelhouse) for the
 * options it knows; the wheelhouse profile's properties are mapped onto our option names here,
 * below anything given explicitly and above defaults.
 */
import type { CommandDef } from "../framework/types";
import { sshTargetArgs, zosmfTargetArgs, type SshProfileValues } from "./profile-args";
import { ZwhError } from "../../core/errors";
import { wheelhouseProfileArgs, wheelhousePropertyFor } from "./wheelhouse-profile";
import { decimalOption, nonEmptyOption } from "../framework/strict-values";

function camelCase(name: string): string {
  return name.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

export function handlerArgsFromImperative(
  cmd: CommandDef,
  iargs: Record<string, unknown>,
  json: boolean,
): Record<string, unknown> {
  const args: Record<string, unknown> = {};
  for (const o of cmd.options) {
    if (o.only === "zwh") continue;
    const k = camelCase(o.name);
    const v = iargs[k] ?? iargs[o.name];
    if (v === undefined || v === null) continue;
    // The same value rules as zwh's parser (strict-values.ts), for flags, ZOWE_OPT_* and profiles.
    if (o.type === "number") args[k] = decimalOption(v, `--${o.name}`);
    else if (o.type === "string" && typeof v === "string") args[k] = nonEmptyOption(v, `--${o.name}`);
    else args[k] = v;
  }
  for (const p of cmd.positionals ?? []) {
    const k = camelCase(p.name);
    const v = iargs[p.name] ?? iargs[k];
    if (v !== undefined && v !== null) args[k] = String(v);
  }
  if (cmd.connects) {
    const profile = typeof iargs["ssh-profile"] === "string" ? `ssh profile '${iargs["ssh-profile"]}'` : "the ssh profile";
    Object.assign(args, sshTargetArgs(iargs as SshProfileValues, profile));
  }
  const names = new Set(cmd.options.filter((o) => o.only !== "zwh").map((o) => o.name));
  for (const [k, v] of Object.entries(wheelhouseProfileArgs(iargs, (opt) => names.has(opt), !!cmd.connects))) {
    if (args[k] !== undefined) continue;
    const o = cmd.options.find((x) => camelCase(x.name) === k);
    const prop = o ? wheelhousePropertyFor(o.name, !!cmd.connects)?.property : undefined;
    args[k] = o?.type === "number" ? decimalOption(v, `${prop ?? k} (wheelhouse profile)`) : v;
  }
  for (const o of cmd.options) {
    const k = camelCase(o.name);
    // All defaults, zwh-only ones included (port 22, handshake timeout...), as zwh's parser does.
    if (args[k] === undefined && o.defaultValue !== undefined) args[k] = o.defaultValue;
  }
  // Required options a wheelhouse profile property can supply are not marked required for
  // imperative (convert.ts); check them now that the profile has been applied.
  for (const o of cmd.options) {
    if (!o.required || o.only === "zwh") continue;
    const v = args[camelCase(o.name)];
    if (v === undefined || v === null || v === "") {
      const prop = wheelhousePropertyFor(o.name, !!cmd.connects)?.property;
      throw new ZwhError("ZWH-USAGE", `missing required option --${o.name}`, {
        hint: prop ? `Give --${o.name}, or set ${prop} in the wheelhouse profile (--wheelhouse-profile NAME).` : "Run with --help to see the accepted options.",
      });
    }
  }
  if (cmd.options.some((o) => o.name === "json")) args.json = json;
  if (cmd.connects && args.transport === "zosmf") {
    for (const [k, v] of Object.entries(zoweZosmfProfileArgs(typeof args.zosmfProfile === "string" ? args.zosmfProfile : undefined))) {
      if (args[k] === undefined) args[k] = v;
    }
  }
  return args;
}

/**
 * --transport zosmf under Zowe: the zosmf profile (named, else the default) read from the host's
 * team config, with its secure values as Zowe loaded them; a base profile fills a token (API ML).
 * The ssh profile stays the first merged type (zowe-plugin.md §3), so z/OSMF is loaded here.
 */
function zoweZosmfProfileArgs(name: string | undefined): Record<string, unknown> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { ImperativeConfig } = require("@zowe/imperative") as typeof import("@zowe/imperative");
  const config = ImperativeConfig.instance.config;
  const profName = name ?? config?.properties?.defaults?.zosmf;
  if (!config?.exists || !profName || !config.api.profiles.exists(profName)) {
    throw new ZwhError("ZWH-PROFILE-NOT-FOUND", name ? `no zosmf profile named '${name}' in the Zowe team config` : "--transport zosmf needs a zosmf profile, and the team config has no default one", {
      subject: name ?? "zosmf",
      hint: "Create one with 'zowe config init' (or 'zowe config set profiles.<name>.type zosmf ...') and pass --zosmf-profile NAME.",
    });
  }
  const baseName = config.properties.defaults?.base;
  const base = baseName && config.api.profiles.exists(baseName) ? (config.api.profiles.get(baseName) as Record<string, unknown>) : {};
  return zosmfTargetArgs(config.api.profiles.get(profName) as Record<string, unknown>, base);
}
