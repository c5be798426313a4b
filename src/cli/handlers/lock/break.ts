/** `lock break`: remove a (stale) deployment lock; audited on the target and in the inventory. */
import { commonOptions, openInventory } from "../../../deploy/cli-common";
import { lockBreak } from "../../../deploy/ops";
import { renderLock } from "../../../deploy/render";
import type { CommandContext, CommandResult, Handler } from "../../framework/types";

const run: Handler = async (ctx: CommandContext): Promise<CommandResult> => {
  const store = openInventory(ctx);
  try {
    const lockId = typeof ctx.args.lockId === "string" && ctx.args.lockId !== "" ? ctx.args.lockId : undefined;
    const r = await lockBreak({ ...commonOptions(ctx, store), lockId });
    return { exitCode: 0, data: r as unknown as Record<string, unknown>, text: renderLock(r) };
  } finally {
    store.close();
  }
};

export default { run };
