/** `fleet resume RUN_ID`: continue a rollout from the store (src/fleet/resume.ts). */
import { FileSequenceStore, defaultSequenceStatePath } from "../../../bundle/signing/sequence-state";
import { ZwhError } from "../../../core/errors";
import { renderFleetRecap } from "../../../report/fleet-recap-text";
import { recapOptions } from "./common";
import type { RolloutPolicy } from "../../../core/fleet-types";
import { checkResumable, fleetRollout, resumeState } from "../../../index";
import { openInventory } from "../../framework/deploy-options";
import type { CommandContext, CommandResult, Handler } from "../../framework/types";
import { cliName, readFleet, reporter, requireYes, resolveHosts } from "./common";

const run: Handler = async (ctx: CommandContext): Promise<CommandResult> => {
  const runId = String(ctx.args.runId ?? "");
  const store = await openInventory(ctx);
  try {
    const rec = await store.getRun(runId);
    const s = checkResumable(rec, runId, cliName(ctx)) as Record<string, unknown> & ReturnType<typeof checkResumable>;
    const rows = await store.listRunHosts(runId);
    const state = resumeState(rows, ctx.args.retryFailed === true, (s.batches ?? []).filter((b) => b.canary).map((b) => b.index));
    const fleet = readFleet(ctx, s.fleetFile);
    const known = new Map(fleet.targets.map((t) => [t.name, t]));
    const missing = rows.map((r) => r.host).filter((h) => !known.has(h));
    if (missing.length > 0) {
      throw new ZwhError("ZWH-FLEET-RESUME-INVALID", `the fleet file ${fleet.path} no longer has ${missing.join(", ")}, which run ${runId} targets`, {
        subject: fleet.path, hint: "Restore the fleet file the run was started with, or start a new rollout.",
      });
    }
    requireYes(ctx, state.todo.length, "resume");
    const hosts = await resolveHosts({ ...ctx, args: { ...ctx.args, trust: s.trust ?? undefined } }, fleet, rows.map((r) => known.get(r.host)!));
    if (rec!.finishedAt) await store.reopenRun(runId);
    const policy = (s.policy ?? fleet.rollout) as RolloutPolicy;
    const num = (v: unknown) => (typeof v === "number" ? v : typeof v === "string" && /^[0-9]+$/.test(v) ? Number(v) : undefined);
    const recap = await fleetRollout({
      hosts, policy, groups: fleet.groups, sharedFilesystems: fleet.sharedFilesystems, store, reporter: reporter(ctx), env: ctx.env,
      argv: process.argv.slice(2), cli: cliName(ctx),
      retryDir: typeof ctx.args.retryDir === "string" && ctx.args.retryDir !== "" ? ctx.args.retryDir : undefined,
      bundleDir: String(s.bundle), keep: num(s.keep), smoke: typeof s.smoke === "string" ? s.smoke : undefined, lockTtlSeconds: num(s.lockTtl),
      sequenceCache: new FileSequenceStore(defaultSequenceStatePath(ctx.env)),
      resume: { runId, batches: state.batches, done: state.done, wasRunning: state.wasRunning },
    });
    return { exitCode: recap.exitCode, data: recap as unknown as Record<string, unknown>, text: renderFleetRecap(recap, recapOptions(ctx, fleet.path, String(s.bundle))) };
  } finally {
    await store.close();
  }
};

export default { run };
