/** `fleet status --fleet F`: read-only observe per host + its last recorded run (src/fleet/status.ts). */
import { fleetStatus } from "../../../index";
import { textTable } from "../../../report/tables";
import { decimalOption } from "../../framework/strict-values";
import { openInventory } from "../../framework/deploy-options";
import type { CommandContext, CommandResult, Handler } from "../../framework/types";
import { readFleet, resolveHosts, selectedTargets } from "./common";

const run: Handler = async (ctx: CommandContext): Promise<CommandResult> => {
  const fleet = readFleet(ctx);
  const hosts = await resolveHosts(ctx, fleet, selectedTargets(ctx, fleet));
  const store = await openInventory(ctx);
  try {
    const forks = ctx.args.forks === undefined ? fleet.rollout.forks : decimalOption(ctx.args.forks, "--forks");
    const r = await fleetStatus({ hosts, store, env: ctx.env, forks: Math.max(1, forks) });
    const rows = r.hosts.map((h) => [
      h.host, h.reachable ? h.current ?? "none" : "UNREACHABLE", h.bundleId ? `${h.bundleId}${h.sequence !== undefined ? ` seq ${h.sequence}` : ""}` : "",
      h.lock ?? (h.errorCode ? h.errorCode : ""), h.lastRun ? `${h.lastRun.kind} ${h.lastRun.status}${h.lastRun.errorCode ? ` ${h.lastRun.errorCode}` : ""} (${h.lastRun.runId})` : "",
    ]);
    const text = textTable({ title: `Fleet ${fleet.path}: ${r.hosts.length} host(s)`, columns: ["HOST", "CURRENT", "BUNDLE", "LOCK / ERROR", "LAST RUN"], rows }) + "\n";
    return { exitCode: r.exitCode, data: r as unknown as Record<string, unknown>, text };
  } finally {
    await store.close();
  }
};

export default { run };
