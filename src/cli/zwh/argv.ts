/**
 * argv parsing for zwh, driven entirely by the shared command definitions so that zwh and the
 * Zowe plugin accept the same commands and options.
 */
import { ZwhError } from "../../core/errors";
import type { CommandDef, GroupDef, NodeDef, OptionDef } from "../framework/types";
import { decimalOption, nonEmptyOption } from "../framework/strict-values";
import { profileTypesFor } from "../zowe/convert";

export interface ParsedInvocation {
  /** Path of names from the root, e.g. ["target", "probe"]. */
  path: string[];
  node: NodeDef;
  args: Record<string, unknown>;
  help: boolean;
  version: boolean;
  /** Argument keys the user actually typed (profiles may fill the others). */
  explicit: Set<string>;
}

/** Options every zwh command understands, whatever its definition says. */
export const GLOBAL_OPTIONS: OptionDef[] = [
  { name: "help", aliases: ["h"], type: "boolean", description: "Show help for this command." },
  { name: "profile", type: "string", group: "Profile options",
    description: "Zowe team-config ssh profile to take connection settings from (flags win)." },
  { name: "wheelhouse-profile", type: "string", group: "Profile options",
    description: "Zowe team-config wheelhouse profile to take deploy settings from (flags win)." },
];

/**
 * The global options a command offers: --profile only where the command connects (it names an
 * ssh profile), --wheelhouse-profile only where a wheelhouse profile property supplies one of its
 * options. Local-only commands (keys generate, trust init, bundle pack...) show neither.
 */
export function globalOptionsFor(cmd: CommandDef): OptionDef[] {
  const types = profileTypesFor(cmd);
  return GLOBAL_OPTIONS.filter((o) => o.name === "help" || (o.name === "profile" && types.includes("ssh")) || (o.name === "wheelhouse-profile" && types.includes("wheelhouse")));
}

export function camelCase(name: string): string {
  return name.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

function usage(message: string, hint?: string): ZwhError {
  return new ZwhError("ZWH-USAGE", message, { hint: hint ?? "Run with --help to see the accepted options." });
}

function matches(node: NodeDef, token: string): boolean {
  return node.name === token || (node.aliases ?? []).includes(token);
}

function findOption(options: OptionDef[], key: string): OptionDef | undefined {
  return options.find(
    (o) => o.name === key || (o.aliases ?? []).includes(key) || (o.zwhAliases ?? []).includes(key) || camelCase(o.name) === key,
  );
}

function coerce(opt: OptionDef, raw: string, display: string): unknown {
  switch (opt.type) {
    case "number":
      return decimalOption(raw, display);
    case "boolean":
      if (/^(true|yes|1)$/i.test(raw)) return true;
      if (/^(false|no|0)$/i.test(raw)) return false;
      throw usage(`${display} expects true or false, got '${raw}'`);
    default:
      return nonEmptyOption(raw, display);
  }
}

export function parseArgv(root: GroupDef, argv: readonly string[]): ParsedInvocation {
  const path: string[] = [];
  let node: NodeDef = root;
  let i = 0;
  let help = false;
  let version = false;

  // Resolve the command path: leading non-option tokens that name children.
  while (i < argv.length && node.type === "group") {
    const tok = argv[i];
    if (tok === "--help" || tok === "-h") { help = true; i++; continue; }
    if (tok === "--version" || tok === "-V") { version = true; i++; continue; }
    if (tok.startsWith("-")) break;
    const child: NodeDef | undefined = node.children.find((c) => matches(c, tok));
    if (!child) {
      const names = node.children.map((c) => c.name).join(", ");
      throw usage(`unknown command '${[...path, tok].join(" ")}'`, `Available here: ${names}.`);
    }
    node = child;
    path.push(child.name);
    i++;
  }

  const args: Record<string, unknown> = {};
  if (node.type === "group") {
    for (; i < argv.length; i++) {
      if (argv[i] === "--help" || argv[i] === "-h") help = true;
      else if (argv[i] === "--version" || argv[i] === "-V") version = true;
      else if (argv[i] === "--json") args.json = true;
      else throw usage(`'${argv[i]}' is not valid here; choose a command`);
    }
    return { path, node, args, help: help || !version, version, explicit: new Set(Object.keys(args)) };
  }

  const cmd: CommandDef = node;
  const options = [...cmd.options, ...globalOptionsFor(cmd)];
  const positionals: string[] = [];
  const seen = new Set<string>();

  for (; i < argv.length; i++) {
    const tok = argv[i];
    if (tok === "--") { positionals.push(...argv.slice(i + 1)); break; }
    if (!tok.startsWith("-") || tok === "-") { positionals.push(tok); continue; }

    let key: string;
    let inline: string | undefined;
    if (tok.startsWith("--")) {
      const eq = tok.indexOf("=");
      key = eq >= 0 ? tok.slice(2, eq) : tok.slice(2);
      inline = eq >= 0 ? tok.slice(eq + 1) : undefined;
    } else {
      key = tok.slice(1);
    }
    let negated = false;
    let opt = findOption(options, key);
    if (!opt && key.startsWith("no-")) {
      const o = findOption(options, key.slice(3));
      if (o && o.type === "boolean") { opt = o; negated = true; }
    }
    if (!opt) throw usage(`unknown option '${tok}' for '${path.join(" ")}'`);
    const display = `--${opt.name}`;
    const name = camelCase(opt.name);

    if (opt.type === "boolean") {
      args[name] = negated ? false : inline !== undefined ? coerce(opt, inline, display) : true;
    } else if (opt.type === "array") {
      const list = (args[name] as string[] | undefined) ?? [];
      if (inline !== undefined) list.push(nonEmptyOption(inline, display));
      else {
        // Take following values up to the next option (Zowe accepts "--opt a b c").
        let took = 0;
        while (i + 1 < argv.length && !argv[i + 1].startsWith("-")) { list.push(nonEmptyOption(argv[++i], display)); took++; }
        if (took === 0) throw usage(`${display} needs at least one value`);
      }
      args[name] = list;
    } else {
      if (seen.has(name)) throw usage(`${display} was given more than once`);
      let raw = inline;
      if (raw === undefined) {
        if (i + 1 >= argv.length) throw usage(`${display} needs a value`);
        raw = argv[++i];
      }
      args[name] = coerce(opt, raw, display);
    }
    seen.add(name);
  }

  if (args.help === true) help = true;
  delete args.help;
  const explicit = new Set(Object.keys(args));

  const posDefs = cmd.positionals ?? [];
  if (!help) {
    if (positionals.length > posDefs.length) {
      throw usage(`unexpected argument '${positionals[posDefs.length]}' for '${path.join(" ")}'`);
    }
    posDefs.forEach((p, idx) => {
      if (idx < positionals.length) { args[camelCase(p.name)] = positionals[idx]; explicit.add(camelCase(p.name)); }
      else if (p.required) throw usage(`missing argument <${p.name}> for '${path.join(" ")}'`);
    });
    for (const opt of cmd.options) {
      const name = camelCase(opt.name);
      if (args[name] === undefined && opt.defaultValue !== undefined) args[name] = opt.defaultValue;
      if (opt.allowableValues && args[name] !== undefined && !opt.allowableValues.includes(String(args[name]))) {
        throw usage(`--${opt.name} must be one of ${opt.allowableValues.join(", ")}; got '${String(args[name])}'`);
      }
    }
  }
  return { path, node: cmd, args, help, version, explicit };
}

/** Options that must be present after profiles and flags are merged. */
export function checkRequired(cmd: CommandDef, args: Record<string, unknown>): void {
  for (const opt of cmd.options) {
    if (opt.required && (args[camelCase(opt.name)] === undefined || args[camelCase(opt.name)] === "")) {
      throw usage(`missing required option --${opt.name}`);
    }
  }
}
