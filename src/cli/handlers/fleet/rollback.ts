/** `fleet rollback --fleet F`: every selected host to its previous release, in waves (src/fleet/rollback.ts). */
import { renderFleetRecap } from "../../../report/fleet-recap-text";
import { recapOptions } from "./common";
import { fleetRollback } from "../../../index";
import { decimalOption } from "../../framework/strict-values";
import { openInventory } from "../../framework/deploy-options";
import type { CommandContext, CommandResult, Handler } from "../../framework/types";
import { cliName, policyFrom, readFleet, reporter, requireYes, resolveHosts, selectedTargets } from "./common";

const run: Handler = async (ctx: CommandContext): Promise<CommandResult> => {
  const fleet = readFleet(ctx);
  const targets = selectedTargets(ctx, fleet);
  const policy = policyFrom(ctx, fleet.rollout);
  requireYes(ctx, targets.length, "rollback");
  const hosts = await resolveHosts(ctx, fleet, targets);
  const store = await openInventory(ctx);
  try {
    const recap = await fleetRollback({
      hosts, policy, groups: fleet.groups, sharedFilesystems: fleet.sharedFilesystems, store, reporter: reporter(ctx), env: ctx.env,
      argv: process.argv.slice(2), cli: cliName(ctx),
      retryDir: typeof ctx.args.retryDir === "string" && ctx.args.retryDir !== "" ? ctx.args.retryDir : undefined,
      to: typeof ctx.args.release === "string" && ctx.args.release !== "" ? ctx.args.release : undefined,
      lockTtlSeconds: ctx.args.lockTtl === undefined ? undefined : decimalOption(ctx.args.lockTtl, "--lock-ttl"),
      strategy: { fleetFile: fleet.path, limit: ctx.args.limit ?? null, shard: ctx.args.shard ?? null },
    });
    return { exitCode: recap.exitCode, data: recap as unknown as Record<string, unknown>, text: renderFleetRecap(recap, recapOptions(ctx)) };
  } finally {
    await store.close();
  }
};

export default { run };
