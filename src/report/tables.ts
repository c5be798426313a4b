/**
 * Plain-text and Markdown tables for reports (bundle diff, vuln scan). One row model, two
 * renderings, so the table and Markdown outputs always carry the same facts.
 */
export type Format = "table" | "json" | "markdown";

export interface Table {
  title: string;
  columns: string[];
  rows: string[][];
}

/** Column-aligned text; an empty table prints "(none)". */
export function textTable(t: Table): string {
  const lines = [t.title];
  if (!t.rows.length) return [...lines, "  (none)"].join("\n");
  const widths = t.columns.map((c, i) => Math.max(c.length, ...t.rows.map((r) => (r[i] ?? "").length)));
  const fmt = (cells: string[]) => "  " + cells.map((c, i) => (i === cells.length - 1 ? c : (c ?? "").padEnd(widths[i]))).join("  ").trimEnd();
  lines.push(fmt(t.columns));
  for (const r of t.rows) lines.push(fmt(r));
  return lines.join("\n");
}

function mdCell(s: string): string {
  return (s ?? "").replace(/\\/g, "\\\\").replace(/\|/g, "\\|").replace(/\r?\n/g, " ");
}

/** GitHub-flavoured Markdown; an empty table becomes "_none_". */
export function markdownTable(t: Table): string {
  const lines = [`### ${t.title}`, ""];
  if (!t.rows.length) return [...lines, "_none_", ""].join("\n");
  lines.push(`| ${t.columns.map(mdCell).join(" | ")} |`);
  lines.push(`|${t.columns.map(() => " --- ").join("|")}|`);
  for (const r of t.rows) lines.push(`| ${r.map(mdCell).join(" | ")} |`);
  lines.push("");
  return lines.join("\n");
}

export function renderTables(tables: Table[], format: "table" | "markdown", heading?: string): string {
  if (format === "markdown") return [...(heading ? [`## ${mdCell(heading)}`, ""] : []), ...tables.map(markdownTable)].join("\n");
  return [...(heading ? [heading] : []), ...tables.map(textTable)].join("\n\n");
}
