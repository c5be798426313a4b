/** Help text for zwh, rendered from the shared definitions. */
import type { CommandDef, GroupDef, NodeDef, OptionDef } from "../framework/types";
import { globalOptionsFor } from "./argv";

function wrap(text: string, indent: number, width = 100): string {
  const words = text.split(/\s+/).filter(Boolean);
  const lines: string[] = [];
  let line = "";
  for (const w of words) {
    if (line && line.length + 1 + w.length > width - indent) { lines.push(line); line = w; }
    else line = line ? `${line} ${w}` : w;
  }
  if (line) lines.push(line);
  return lines.map((l) => " ".repeat(indent) + l).join("\n");
}

function optionLine(o: OptionDef): string {
  const aliases = [...(o.aliases ?? []), ...(o.zwhAliases ?? [])];
  const names = [`--${o.name}`, ...aliases.map((a) => (a.length === 1 ? `-${a}` : `--${a}`))].join(" | ");
  const type = o.type === "boolean" ? "" : ` (${o.type})`;
  const extra: string[] = [];
  if (o.required) extra.push("required");
  if (o.defaultValue !== undefined && o.type !== "boolean") extra.push(`default: ${JSON.stringify(o.defaultValue)}`);
  if (o.allowableValues) extra.push(`one of: ${o.allowableValues.join(", ")}`);
  return `   ${names}${type}${extra.length ? "  [" + extra.join("; ") + "]" : ""}\n${wrap(o.description, 6)}`;
}

export function renderHelp(node: NodeDef, path: string[]): string {
  const full = ["zwh", ...path].join(" ");
  const out: string[] = [];
  out.push(` ${full}${node.type === "group" ? " <command>" : ""}`, "");
  out.push(wrap(node.description, 1), "");
  if (node.type === "group") {
    const g = node as GroupDef;
    out.push(" COMMANDS", "");
    const width = Math.max(...g.children.map((c) => c.name.length)) + 2;
    for (const c of g.children) {
      out.push(`   ${c.name.padEnd(width)}${c.summary}${c.type === "group" ? "  (group)" : ""}`);
    }
    out.push("", ` Run '${full} <command> --help' for details.`);
    return out.join("\n") + "\n";
  }
  const cmd = node as CommandDef;
  const pos = (cmd.positionals ?? []).map((p) => (p.required ? `<${p.name}>` : `[${p.name}]`)).join(" ");
  out.push(" USAGE", "", `   ${full}${pos ? " " + pos : ""} [options]`, "");
  if (cmd.positionals?.length) {
    out.push(" POSITIONAL ARGUMENTS", "");
    for (const p of cmd.positionals) out.push(`   ${p.name}${p.required ? "  [required]" : ""}\n${wrap(p.description, 6)}`);
    out.push("");
  }
  const groups = new Map<string, OptionDef[]>();
  for (const o of [...cmd.options, ...globalOptionsFor(cmd)]) {
    const g = o.group ?? "Options";
    groups.set(g, [...(groups.get(g) ?? []), o]);
  }
  for (const [g, opts] of groups) {
    out.push(` ${g.toUpperCase()}`, "");
    for (const o of opts) out.push(optionLine(o));
    out.push("");
  }
  if (cmd.examples.length) {
    out.push(" EXAMPLES", "");
    for (const e of cmd.examples) out.push(wrap(`- ${e.description}:`, 3), "", `      $ ${full} ${e.args}`, "");
  }
  return out.join("\n");
}
