/** Table models for vulnerability matches, shared by bundle diff and vuln scan. */
import type { GateMatch } from "../core/osv-match";
import type { Table } from "./tables";

export function matchRow(m: GateMatch): string[] {
  return [
    m.package,
    m.version,
    m.id,
    m.aliases.join(", "),
    m.score === null ? "none" : m.score.toFixed(1),
    m.decision + (m.waiver ? ` (until ${m.waiver.expires})` : ""),
    m.fixed.join(", "),
  ];
}

export const MATCH_COLUMNS = ["package", "version", "id", "aliases", "score", "decision", "fixed in"];

export function matchTable(title: string, ms: readonly GateMatch[]): Table {
  return { title, columns: MATCH_COLUMNS, rows: ms.map(matchRow) };
}
