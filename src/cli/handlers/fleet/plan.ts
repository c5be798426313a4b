/** `fleet plan BUNDLE --fleet F`: batches + read-only preflight of every selected host (src/fleet/plan.ts). */
import { renderFleetRecap } from "../../../report/fleet-recap-text";
import { recapOptions } from "./common";
import { fleetPlan } from "../../../index";
import { decimalOption } from "../../framework/strict-values";
import type { CommandContext, CommandResult, Handler } from "../../framework/types";
import { cliName, policyFrom, readFleet, reporter, resolveHosts, selectedTargets } from "./common";

const run: Handler = async (ctx: CommandContext): Promise<CommandResult> => {
  const fleet = readFleet(ctx);
  const targets = selectedTargets(ctx, fleet);
  const policy = policyFrom(ctx, fleet.rollout);
  const hosts = await resolveHosts(ctx, fleet, targets);
  const report = await fleetPlan({
    hosts, policy, groups: fleet.groups, sharedFilesystems: fleet.sharedFilesystems, reporter: reporter(ctx), env: ctx.env, cli: cliName(ctx),
    bundleDir: String(ctx.args.bundle ?? ""),
    keep: ctx.args.keep === undefined ? undefined : decimalOption(ctx.args.keep, "--keep"),
    smoke: typeof ctx.args.smoke === "string" && ctx.args.smoke !== "" ? ctx.args.smoke : undefined,
  });
  return { exitCode: report.exitCode, data: report as unknown as Record<string, unknown>, text: renderFleetRecap(report, recapOptions(ctx)) };
};

export default { run };
