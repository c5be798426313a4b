/**
 * Handler arguments from imperative's merged arguments, shaped exactly as zwh's parser builds
 * them: camelCase option names and positionals, defaults applied, nothing else. Imperative has
 * already merged command line > ZOWE_OPT_* > profiles (ssh first, then wheelhouse) for the
 * options it knows; the wheelhouse profile's properties are mapped onto our option names here,
 * below anything given explicitly and above defaults.
 */
import type { CommandDef } from "../framework/types";
import { sshTargetArgs, type SshProfileValues } from "./profile-args";
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
  return args;
}
