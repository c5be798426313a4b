/**
 * The shared command tree (src/cli/defs) converted into imperative command definitions for the
 * Zowe CLI plugin, at load time. Every command added to commandTree() appears in
 * `zowe wheelhouse` without further work:
 *
 *   GroupDef                  -> { type: "group", name, aliases, summary, description, children }
 *   CommandDef                -> { type: "command", handler: lib/cli/zowe/SharedHandler, customize.zwh }
 *   OptionDef (only: "zwh")   -> dropped: in Zowe the ssh profile and its connection options
 *                                supply host, port, user, key, passphrase, password and host key
 *   OptionDef                 -> same kebab name, aliases, type (number as string: see convertOption), required (unless a wheelhouse
 *                                profile property supplies it; then checked after the profile), allowableValues, group;
 *                                defaultValue kept unless a wheelhouse profile property supplies the
 *                                option (then the shared handler applies the default after the
 *                                profile, so profile values beat defaults as they do for ssh values)
 *   connects: true            -> profile { optional: ["ssh", "wheelhouse"] } + ssh connection options
 *   uses a wheelhouse setting -> profile { optional: ["wheelhouse"] }
 *   otherwise                 -> no profile (see profileTypesFor)
 *   examples                  -> { description, options: zowe ?? args (with --json as --rfj) }
 *
 * `ssh` is listed first on purpose: imperative merges profiles so that the first type listed wins
 * for same-named properties (CliUtils.getOptValuesFromConfig).
 *
 * This module is plain data manipulation: it must stay cheap, because Zowe loads every plugin's
 * definitions on each `zowe` invocation.
 */
import * as path from "path";
import type {
  ICommandDefinition,
  ICommandExampleDefinition,
  ICommandOptionDefinition,
  ICommandPositionalDefinition,
} from "@zowe/imperative";
import type { CommandDef, ExampleDef, GroupDef, NodeDef, OptionDef } from "../framework/types";
import { SSH_CONNECTION_OPTIONS } from "./ssh-options";
import { WHEELHOUSE_PROFILE_TYPE, wheelhousePropertyFor } from "./wheelhouse-profile";

/** The one compiled handler every Zowe command points at (lib/cli/zowe/SharedHandler.js). */
export const SHARED_HANDLER = path.join(__dirname, "SharedHandler");

/** What the shared handler needs to find our command again; stored in `definition.customize`. */
export interface ZwhCustomize {
  zwh: {
    /** Handler module under src/cli/handlers (CommandDef.handler). */
    handler: string;
    /** Command path below the root group, e.g. ["target", "probe"]. */
    path: string[];
  };
}

/** Option names and aliases imperative adds to commands by itself. Ours must not reuse them. */
export const IMPERATIVE_RESERVED = [
  "help", "h", "help-examples", "help-web", "hw", "response-format-json", "rfj", "show-inputs-only",
  "ssh-profile", "ssh-p", "wheelhouse-profile", "wheelhouse-p", "base-profile", "base-p",
];

export interface ConversionResult {
  definitions: ICommandDefinition[];
  /** Names/aliases dropped because they clash (should stay empty; a unit test checks). */
  conflicts: string[];
}

function camelCase(name: string): string {
  return name.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

function profilePropertyFor(option: string, connects: boolean): string | undefined {
  return wheelhousePropertyFor(option, connects)?.property;
}

function convertOption(o: OptionDef, connects: boolean, taken: Set<string>, where: string, conflicts: string[]): ICommandOptionDefinition | undefined {
  const keys = (n: string) => [n, camelCase(n)];
  if (keys(o.name).some((k) => taken.has(k))) {
    conflicts.push(`${where}: option --${o.name} clashes with a Zowe/ssh option`);
    return undefined;
  }
  const aliases = (o.aliases ?? []).filter((a) => {
    if (keys(a).some((k) => taken.has(k))) {
      conflicts.push(`${where}: alias -${a} of --${o.name} clashes with a Zowe/ssh option`);
      return false;
    }
    return true;
  });
  for (const n of [o.name, ...aliases]) keys(n).forEach((k) => taken.add(k));

  const prop = profilePropertyFor(o.name, connects);
  let description = o.description;
  if (prop) {
    if (o.defaultValue !== undefined) description += ` Default: ${JSON.stringify(o.defaultValue)}.`;
    description += ` Wheelhouse profile property: ${prop}.`;
  }
  // Numbers go to imperative as strings: it would read them with parseFloat ("1e3" -> 1000,
  // "0x10" -> 0). zowe-args.ts applies the same strict decimal rule as zwh (strict-values.ts).
  const def: ICommandOptionDefinition = { name: o.name, description, type: o.type === "number" ? "string" : o.type };
  if (aliases.length) def.aliases = aliases;
  // Required, but a wheelhouse profile property may supply it (e.g. --root from deployRoot):
  // imperative would demand it on the command line, so the shared handler checks it after the
  // profile is applied (handlerArgsFromImperative).
  if (o.required && !prop) def.required = true;
  if (o.defaultValue !== undefined && !prop) def.defaultValue = o.defaultValue;
  if (o.allowableValues) def.allowableValues = { values: o.allowableValues, caseSensitive: true };
  if (o.group) def.group = o.group;
  return def;
}

/**
 * An example's arguments for `zowe wheelhouse`: its `zowe` form when given, else zwh's with
 * --json written as --rfj (imperative's JSON response, whose .data is the same object).
 */
export function zoweExampleArgs(e: ExampleDef): string {
  if (e.zowe !== undefined) return e.zowe;
  return e.args.split(" ").map((t) => (t === "--json" ? "--rfj" : t)).join(" ");
}

/**
 * Profile types a command loads: ssh (first, see above) when it connects, wheelhouse when one of
 * its options is supplied by a wheelhouse profile property. A command that uses neither gets no
 * profile at all: imperative would otherwise add the base profile's connection options (--host,
 * --token-value, --cert-file, ...) to its help, which mean nothing for e.g. `keys generate`.
 */
export function profileTypesFor(c: CommandDef): string[] {
  const types: string[] = [];
  if (c.connects) types.push("ssh");
  const usesSettings = c.options.some((o) => o.only !== "zwh" && profilePropertyFor(o.name, !!c.connects) !== undefined);
  if (c.connects || usesSettings) types.push(WHEELHOUSE_PROFILE_TYPE);
  return types;
}

function convertCommand(c: CommandDef, cmdPath: string[], conflicts: string[]): ICommandDefinition {
  const where = cmdPath.join(" ");
  const taken = new Set<string>(IMPERATIVE_RESERVED);
  const sshOptions = c.connects ? SSH_CONNECTION_OPTIONS : [];
  for (const o of sshOptions) for (const n of [o.name, ...(o.aliases ?? [])]) { taken.add(n); taken.add(camelCase(n)); }

  const positionals: ICommandPositionalDefinition[] = (c.positionals ?? []).map((p) => {
    taken.add(p.name);
    taken.add(camelCase(p.name));
    return { name: p.name, description: p.description, type: "string", required: p.required };
  });
  const options: ICommandOptionDefinition[] = [];
  for (const o of c.options) {
    if (o.only === "zwh") continue;
    const def = convertOption(o, !!c.connects, taken, where, conflicts);
    if (def) options.push(def);
  }
  const examples: ICommandExampleDefinition[] = c.examples.map((e) => ({ description: e.description, options: zoweExampleArgs(e) }));
  const customize: ZwhCustomize = { zwh: { handler: c.handler, path: cmdPath } };

  const def: ICommandDefinition = {
    name: c.name,
    type: "command",
    summary: c.summary,
    description: c.description,
    handler: SHARED_HANDLER,
    options: [...options, ...sshOptions.map((o) => ({ ...o }))],
    examples,
    customize,
  };
  const profiles = profileTypesFor(c);
  if (profiles.length) def.profile = { optional: profiles };
  if (c.aliases?.length) def.aliases = [...c.aliases];
  if (positionals.length) def.positionals = positionals;
  return def;
}

function convertNode(n: NodeDef, parentPath: string[], conflicts: string[]): ICommandDefinition | undefined {
  const p = [...parentPath, n.name];
  if (n.type === "command") return convertCommand(n, p, conflicts);
  const children = n.children
    .map((c) => convertNode(c, p, conflicts))
    .filter((c): c is ICommandDefinition => c !== undefined);
  // imperative rejects empty groups; a group whose commands are not written yet is left out.
  if (children.length === 0) return undefined;
  const def: ICommandDefinition = { name: n.name, type: "group", summary: n.summary, description: n.description, children };
  if (n.aliases?.length) def.aliases = [...n.aliases];
  return def;
}

/** The root group's children as imperative definitions (the plugin's `definitions`). */
export function convertTree(root: GroupDef): ConversionResult {
  const conflicts: string[] = [];
  const definitions = root.children
    .map((c) => convertNode(c, [], conflicts))
    .filter((c): c is ICommandDefinition => c !== undefined);
  return { definitions, conflicts };
}

/** Find a command of the shared tree by its path below the root. */
export function findCommand(root: GroupDef, cmdPath: readonly string[]): CommandDef | undefined {
  let node: NodeDef = root;
  for (const name of cmdPath) {
    if (node.type !== "group") return undefined;
    const next: NodeDef | undefined = node.children.find((c) => c.name === name);
    if (!next) return undefined;
    node = next;
  }
  return node.type === "command" ? node : undefined;
}
