/** `inventory show HOST`: the host's attributes, its releases per root, last run, open findings. */
import { ZwhError } from "../../../core/errors";
import { openInventory } from "../../framework/deploy-options";
import type { CommandContext, CommandResult, Handler } from "../../framework/types";

const run: Handler = async (ctx: CommandContext): Promise<CommandResult> => {
  const name = String(ctx.args.host ?? "");
  const store = await openInventory(ctx);
  try {
    const host = await store.getHost(name);
    if (!host) {
      const known = (await store.listHosts()).map((h) => h.name);
      throw new ZwhError("ZWH-STORE-UNKNOWN-HOST", `host ${name} is not in the inventory ${store.location}`, {
        subject: name, hint: known.length ? `Known hosts: ${known.slice(0, 20).join(", ")}.` : `The inventory is empty; deploy first or rebuild it with '${ctx.host === "zowe" ? "zowe wh" : "zwh"} inventory sync'.`,
      });
    }
    const roots = [...new Set((await store.listDeployments({ host: name, states: ["active", "previous", "staged", "failed", "pruned"] })).map((d) => d.root))];
    const statuses = await Promise.all(roots.map((r) => store.hostStatus(name, r)));
    const findings = await store.listFindings({ host: name, open: true });
    const lines = [`${host.name}  ${host.sshUser ?? "?"}@${host.address}:${host.port}${host.nodename ? `  nodename ${host.nodename}` : ""}${host.fsGroup ? `  fs group ${host.fsGroup}` : ""}`];
    if (host.pythonVersion || host.pythonPath) lines.push(`python ${host.pythonVersion ?? "?"} ${host.pythonPath ?? ""}`.trimEnd());
    for (const s of statuses) {
      lines.push("", `root ${s.root}`);
      lines.push(`  active   ${s.active ? `${s.active.releaseId} (${s.active.packages.length} packages, since ${s.active.activatedAt ?? "?"})` : "none"}`);
      lines.push(`  previous ${s.previous?.releaseId ?? "none"}`);
      for (const r of s.releases) if (r.state !== "active" && r.state !== "previous") lines.push(`  ${r.state.padEnd(8)} ${r.releaseId}`);
      if (s.lastRun) lines.push(`  last run ${s.lastRun.kind} ${s.lastRun.status} ${s.lastRun.startedAt}${s.lastRun.errorCode ? ` ${s.lastRun.errorCode}` : ""}`);
    }
    lines.push("", findings.length ? `${findings.length} open drift finding(s):` : "No open drift findings.");
    for (const f of findings) lines.push(`  [${f.severity}] ${f.kind} ${f.subject} (since ${f.firstSeenAt})`);
    return { exitCode: 0, data: { formatVersion: 1, host, roots: statuses, openFindings: findings }, text: lines.join("\n") + "\n" };
  } finally {
    await store.close();
  }
};

export default { run };
