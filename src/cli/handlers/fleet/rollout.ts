/** `fleet rollout BUNDLE --fleet F`: waves, thresholds, one recorded run (src/fleet/rollout.ts). */
import * as path from "path";
import { FileSequenceStore, defaultSequenceStatePath } from "../../../bundle/signing/sequence-state";
import { renderFleetRecap } from "../../../report/fleet-recap-text";
import { recapOptions } from "./common";
import { fleetRollout } from "../../../index";
import { decimalOption } from "../../framework/strict-values";
import { openInventory } from "../../framework/deploy-options";
import type { CommandContext, CommandResult, Handler } from "../../framework/types";
import { cliName, policyFrom, readFleet, reporter, requireYes, resolveHosts, selectedTargets } from "./common";

const run: Handler = async (ctx: CommandContext): Promise<CommandResult> => {
  const fleet = readFleet(ctx);
  const targets = selectedTargets(ctx, fleet);
  const policy = policyFrom(ctx, fleet.rollout);
  if (targets.length === 0) {
    // Only a shard can come out empty (a --limit that selects nothing is an error): nothing to do here.
    const empty = { formatVersion: 1, runId: null, operation: "rollout", hosts: [], batches: [], exitCode: 0 };
    return { exitCode: 0, data: empty, text: `Shard ${String(ctx.args.shard)} holds none of the selected hosts: nothing to do.\n` };
  }
  requireYes(ctx, targets.length, "rollout");
  const hosts = await resolveHosts(ctx, fleet, targets);
  const bundle = String(ctx.args.bundle ?? "");
  const store = await openInventory(ctx);
  try {
    const recap = await fleetRollout({
      hosts, policy, groups: fleet.groups, sharedFilesystems: fleet.sharedFilesystems, store, reporter: reporter(ctx), env: ctx.env,
      argv: process.argv.slice(2), cli: cliName(ctx),
      retryDir: typeof ctx.args.retryDir === "string" && ctx.args.retryDir !== "" ? ctx.args.retryDir : undefined,
      bundleDir: bundle,
      keep: ctx.args.keep === undefined ? undefined : decimalOption(ctx.args.keep, "--keep"),
      smoke: typeof ctx.args.smoke === "string" && ctx.args.smoke !== "" ? ctx.args.smoke : undefined,
      lockTtlSeconds: ctx.args.lockTtl === undefined ? undefined : decimalOption(ctx.args.lockTtl, "--lock-ttl"),
      sequenceCache: new FileSequenceStore(typeof ctx.args.state === "string" && ctx.args.state !== "" ? ctx.args.state : defaultSequenceStatePath(ctx.env)),
      // What `fleet resume` needs to continue this run (absolute paths: resume may run elsewhere in the tree).
      strategy: {
        fleetFile: fleet.path, bundle: path.resolve(bundle), limit: ctx.args.limit ?? null, shard: ctx.args.shard ?? null,
        hosts: hosts.map((h) => h.name), trust: typeof ctx.args.trust === "string" ? path.resolve(ctx.args.trust) : null,
        keep: ctx.args.keep ?? null, smoke: ctx.args.smoke ?? null, lockTtl: ctx.args.lockTtl ?? null,
      },
    });
    return { exitCode: recap.exitCode, data: recap as unknown as Record<string, unknown>, text: renderFleetRecap(recap, recapOptions(ctx)) };
  } finally {
    await store.close();
  }
};

export default { run };
