/** `deploy BUNDLE`: observe → plan → apply → record (src/deploy: observe, plan, apply, record). */
import { defaultTrustPath } from "../../bundle/signing/trust";
import { FileSequenceStore, defaultSequenceStatePath } from "../../bundle/signing/sequence-state";
import { testPauseHooks } from "../framework/test-seams";
import { commonOptions, openInventory } from "../framework/deploy-options";
import { deploy } from "../../index";
import { renderDeploy } from "../render";
import { loadTrust } from "../../bundle/signing/trust";
import { vulnGateFrom } from "./vuln/common";
import type { CommandContext, CommandResult, Handler } from "../framework/types";

const run: Handler = async (ctx: CommandContext): Promise<CommandResult> => {
  const store = await openInventory(ctx);
  try {
    const o = commonOptions(ctx, store);
    const trust = typeof ctx.args.trust === "string" && ctx.args.trust !== "" ? ctx.args.trust : defaultTrustPath(ctx.env);
    const r = await deploy({
      ...o,
      bundleDir: String(ctx.args.bundle ?? ""),
      trustPath: trust,
      keep: ctx.args.keep === undefined ? undefined : Number(ctx.args.keep),
      smoke: typeof ctx.args.smoke === "string" && ctx.args.smoke !== "" ? ctx.args.smoke : undefined,
      repair: ctx.args.repair === true,
      dryRun: ctx.args.dryRun === true,
      lockTtlSeconds: ctx.args.lockTtl === undefined ? undefined : Number(ctx.args.lockTtl),
      vulnGate: vulnGateFrom(ctx, () => loadTrust(trust)),
      allowDowngrade: ctx.args.allowDowngrade === true,
      sequenceCache: new FileSequenceStore(typeof ctx.args.state === "string" && ctx.args.state !== "" ? ctx.args.state : defaultSequenceStatePath(ctx.env)),
      hooks: testPauseHooks(ctx.env),
    });
    if (ctx.json) for (const w of r.warnings) ctx.out.warn(w);
    const blocked = r.dryRun && r.plan.blockers.length > 0;
    return { exitCode: blocked ? 3 : 0, data: r as unknown as Record<string, unknown>, text: renderDeploy(r) };
  } finally {
    await store.close();
  }
};

export default { run };
