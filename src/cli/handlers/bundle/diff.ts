/** zwh bundle diff A B: added/removed/upgraded/downgraded/rehashed packages and the vulnerability delta. */
import { ZwhError } from "../../../core/errors";
import { BUNDLE } from "../../../bundle/codes";
import { diffSides, loadDiffSide, vulnDelta, BundleDiff } from "../../../bundle/diff";
import { loadVulnGate, matchJson, runVulnGate } from "../../../bundle/vuln-gate";
import { renderTables, Table } from "../../../report/tables";
import { matchTable } from "../../../report/vuln-tables";
import type { CommandContext, CommandResult, HandlerModule } from "../../framework/types";
import { strArg } from "./common";
import { vulnGateFrom } from "../vuln/common";

export function formatArg(ctx: CommandContext): "table" | "json" | "markdown" {
  const f = strArg(ctx, "format", "--format") ?? "table";
  if (f !== "table" && f !== "json" && f !== "markdown") throw new ZwhError(BUNDLE.USAGE, `--format must be table, json or markdown, not "${f}"`);
  return ctx.json ? "json" : f;
}

export function diffTables(d: BundleDiff): Table[] {
  const t: Table[] = [
    { title: `Added (${d.added.length})`, columns: ["package", "version"], rows: d.added.map((x) => [x.name, x.version]) },
    { title: `Removed (${d.removed.length})`, columns: ["package", "version"], rows: d.removed.map((x) => [x.name, x.version]) },
    { title: `Upgraded (${d.upgraded.length})`, columns: ["package", "from", "to"], rows: d.upgraded.map((x) => [x.name, x.from, x.to]) },
    { title: `Downgraded (${d.downgraded.length})`, columns: ["package", "from", "to"], rows: d.downgraded.map((x) => [x.name, x.from, x.to]) },
    { title: `Same version, different hash (${d.rehashed.length})`, columns: ["package", "version", "from sha256", "to sha256"],
      rows: d.rehashed.map((x) => [x.name, x.version, x.from.join(" "), x.to.join(" ")]) },
  ];
  if (d.vulnerabilities) {
    t.push(matchTable(`Vulnerabilities fixed by B (${d.vulnerabilities.fixed.length})`, d.vulnerabilities.fixed));
    t.push(matchTable(`Vulnerabilities introduced by B (${d.vulnerabilities.introduced.length})`, d.vulnerabilities.introduced));
    t.push(matchTable(`Vulnerabilities in both (${d.vulnerabilities.remaining.length})`, d.vulnerabilities.remaining));
  }
  return t;
}

export async function run(ctx: CommandContext): Promise<CommandResult> {
  const format = formatArg(ctx);
  const a = loadDiffSide(strArg(ctx, "a", "A", true)!);
  const b = loadDiffSide(strArg(ctx, "b", "B", true)!);
  const d = diffSides(a, b);
  const gateOpts = vulnGateFrom(ctx, () => undefined);
  if (gateOpts) {
    const names = [...a.packages, ...b.packages].map((p) => p.name);
    const gate = await ctx.out.progress.step(`Read OSV snapshot ${gateOpts.dbFile}`, () => loadVulnGate({ ...gateOpts, packages: names }));
    const ma = runVulnGate(a.packages, gate).matches;
    const mb = runVulnGate(b.packages, gate).matches;
    d.vulnerabilities = vulnDelta(ma, mb);
  }
  const data: Record<string, unknown> = {
    a: d.a, b: d.b, added: d.added, removed: d.removed, upgraded: d.upgraded, downgraded: d.downgraded, rehashed: d.rehashed, unchanged: d.unchanged,
    vulnerabilities: d.vulnerabilities
      ? { fixed: d.vulnerabilities.fixed.map(matchJson), introduced: d.vulnerabilities.introduced.map(matchJson), remaining: d.vulnerabilities.remaining.map(matchJson) }
      : null,
  };
  const heading = `${d.a.label} -> ${d.b.label}: ${d.added.length} added, ${d.removed.length} removed, ${d.upgraded.length} upgraded, ` +
    `${d.downgraded.length} downgraded, ${d.rehashed.length} rehashed, ${d.unchanged} unchanged`;
  const text = format === "json" ? JSON.stringify(data, null, 2) : renderTables(diffTables(d), format, heading);
  return { exitCode: 0, data, text };
}

const handler: HandlerModule = { run };
export default handler;
