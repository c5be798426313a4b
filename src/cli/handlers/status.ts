/** `status`: current/previous releases, what is installed, the lock, plus the inventory's last run. */
import { commonOptions, openInventory } from "../framework/deploy-options";
import { status } from "../../index";
import { renderStatus } from "../render";
import type { CommandContext, CommandResult, Handler } from "../framework/types";

const run: Handler = async (ctx: CommandContext): Promise<CommandResult> => {
  const store = await openInventory(ctx);
  try {
    const r = await status(commonOptions(ctx, store));
    return { exitCode: 0, data: r as unknown as Record<string, unknown>, text: renderStatus(r) };
  } finally {
    await store.close();
  }
};

export default { run };
