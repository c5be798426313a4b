/** `status`: current/previous releases, what is installed, the lock, plus the inventory's last run. */
import { commonOptions, openInventory } from "../../deploy/cli-common";
import { status } from "../../deploy/ops";
import { renderStatus } from "../../deploy/render";
import type { CommandContext, CommandResult, Handler } from "../framework/types";

const run: Handler = async (ctx: CommandContext): Promise<CommandResult> => {
  const store = openInventory(ctx);
  try {
    const r = await status(commonOptions(ctx, store));
    return { exitCode: 0, data: r as unknown as Record<string, unknown>, text: renderStatus(r) };
  } finally {
    store.close();
  }
};

export default { run };
