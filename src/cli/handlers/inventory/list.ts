/** `inventory list`: active releases per host and root. */
import { inventoryList, renderInventoryList } from "../../../report/inventory";
import { openInventory } from "../../framework/deploy-options";
import type { CommandContext, CommandResult, Handler } from "../../framework/types";

const run: Handler = async (ctx: CommandContext): Promise<CommandResult> => {
  const store = await openInventory(ctx);
  try {
    const q = { ...(typeof ctx.args.host === "string" ? { host: ctx.args.host } : {}), ...(typeof ctx.args.package === "string" ? { package: ctx.args.package } : {}) };
    const rows = await inventoryList(store, q);
    return { exitCode: 0, data: { formatVersion: 1, store: store.location, deployments: rows }, text: renderInventoryList(rows, q) };
  } finally {
    await store.close();
  }
};

export default { run };
