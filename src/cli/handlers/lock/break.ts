/** `lock break`: remove a (stale) deployment lock; audited on the target and in the inventory. */
import { commonOptions, openInventory } from "../../framework/deploy-options";
import { lockBreak } from "../../../index";
import { renderLock } from "../../render";
import type { CommandContext, CommandResult, Handler } from "../../framework/types";

const run: Handler = async (ctx: CommandContext): Promise<CommandResult> => {
  const store = await openInventory(ctx);
  try {
    const lockId = typeof ctx.args.lockId === "string" && ctx.args.lockId !== "" ? ctx.args.lockId : undefined;
    const r = await lockBreak({ ...commonOptions(ctx, store), lockId, force: ctx.args.force === true });
    return { exitCode: 0, data: r as unknown as Record<string, unknown>, text: renderLock(r) };
  } finally {
    await store.close();
  }
};

export default { run };
