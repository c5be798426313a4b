/**
 * zwh vuln scan: which deployed hosts now run a package the gate refuses, from the local
 * inventory, without connecting to any host. Exit 2 when at least one is found.
 */
import * as fs from "node:fs";
import { ZwhError } from "../../../core/errors";
import { VULN, type GateMatch } from "../../../core/osv-match";
import { defaultStorePath, isPostgresUrl, redactUrl } from "../../../inventory";
import { openStore } from "../../../index";
import type { DeploymentRow, ReleaseState } from "../../../inventory/types";
import { loadVulnGate, matchJson, runVulnGate } from "../../../bundle/vuln-gate";
import { renderTables, Table } from "../../../report/tables";
import type { CommandContext, CommandResult, HandlerModule } from "../../framework/types";
import { strArg, trustFrom } from "../bundle/common";
import { formatArg } from "../bundle/diff";
import { vulnGateFrom } from "./common";

export const EXIT_FOUND = 2;

export async function run(ctx: CommandContext): Promise<CommandResult> {
  const format = formatArg(ctx);
  const gateOpts = vulnGateFrom(ctx, () => trustFrom(ctx, true)!.trust);
  if (!gateOpts) throw new ZwhError(VULN.USAGE, "--vuln-db FILE (an OSV PyPI all.zip snapshot) is required", { hint: "Or set vulnDb in the wheelhouse profile." });
  const dbPath = strArg(ctx, "inventory", "--inventory") ?? defaultStorePath(ctx.env);
  if (!isPostgresUrl(dbPath) && !fs.existsSync(dbPath)) {
    throw new ZwhError(VULN.USAGE, `inventory ${dbPath} does not exist`, { subject: dbPath, hint: "Name the inventory that deploy wrote with --inventory (or $ZWH_INVENTORY)." });
  }
  const states: ReleaseState[] = ctx.args.allReleases === true ? ["active", "previous", "staged"] : ["active"];
  const store = await openStore(dbPath, ctx.env);
  // A PostgreSQL URL is shown without its password.
  const location = isPostgresUrl(dbPath) ? redactUrl(dbPath) : dbPath;
  let rows: DeploymentRow[];
  try {
    rows = await store.listDeployments({ states });
  } finally {
    await store.close();
  }
  const gate = await ctx.out.progress.step(`Read OSV snapshot ${gateOpts.dbFile}`, () => loadVulnGate({ ...gateOpts, packages: rows.map((r) => r.package) }));
  // Evaluate each distinct (package, version) once, then fan out to the hosts running it.
  const distinct = new Map<string, { name: string; version: string }>();
  for (const r of rows) distinct.set(`${r.package}\u0000${r.version}`, { name: r.package, version: r.version });
  const { matches } = runVulnGate([...distinct.values()], gate);
  const refused = new Set(["malicious", "high", ...(gate.settings.allowUnscored ? [] : ["unscored"])]);
  const hits: Array<{ row: DeploymentRow; match: GateMatch }> = [];
  for (const m of matches) for (const r of rows) if (r.package === m.package && r.version === m.version) hits.push({ row: r, match: m });
  const found = hits.filter((h) => refused.has(h.match.decision));
  const hosts = [...new Set(found.map((h) => h.row.host))].sort();
  const data = {
    inventory: location,
    releaseStates: states,
    osvSnapshot: gate.snapshot.info,
    settings: gate.settings,
    waiverSources: gate.waiverSources,
    packagesChecked: distinct.size,
    releasesChecked: new Set(rows.map((r) => `${r.host}\u0000${r.root}\u0000${r.releaseId}`)).size,
    vulnerableHosts: hosts,
    findings: hits.map((h) => ({ host: h.row.host, root: h.row.root, releaseId: h.row.releaseId, state: h.row.state, refused: refused.has(h.match.decision), ...matchJson(h.match) })),
  };
  const table = (title: string, list: typeof hits): Table => ({
    title,
    columns: ["host", "root", "release", "package", "version", "id", "aliases", "score", "decision"],
    rows: list.map(({ row, match: m }) => [row.host, row.root, `${row.releaseId} (${row.state})`, m.package, m.version, m.id, m.aliases.join(", "),
      m.score === null ? "none" : m.score.toFixed(1), m.decision + (m.waiver ? ` until ${m.waiver.expires}` : "")]),
  });
  const heading = `OSV ${gate.snapshot.info.file} of ${gate.snapshot.info.date ?? "unknown date"}: ${found.length ? `${hosts.length} host(s) run refused packages (${hosts.join(", ")})` : "no deployed package is refused"}; ` +
    `${distinct.size} package version(s) in ${data.releasesChecked} release(s) checked`;
  const text = format === "json"
    ? JSON.stringify(data, null, 2)
    : renderTables([table(`Refused (${found.length})`, found), table(`Waived or below the threshold (${hits.length - found.length})`, hits.filter((h) => !refused.has(h.match.decision)))], format, heading);
  return { exitCode: found.length ? EXIT_FOUND : 0, data, text };
}

const handler: HandlerModule = { run };
export default handler;
