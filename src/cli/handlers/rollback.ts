/** `rollback`: back to previous (or --release) after checking the release is intact. */
import { commonOptions, openInventory } from "../framework/deploy-options";
import { rollback } from "../../index";
import { renderRollback } from "../render";
import type { CommandContext, CommandResult, Handler } from "../framework/types";

const run: Handler = async (ctx: CommandContext): Promise<CommandResult> => {
  const store = await openInventory(ctx);
  try {
    const to = typeof ctx.args.release === "string" && ctx.args.release !== "" ? ctx.args.release : undefined;
    const lockTtlSeconds = ctx.args.lockTtl === undefined ? undefined : Number(ctx.args.lockTtl);
    const r = await rollback({ ...commonOptions(ctx, store), to, lockTtlSeconds, dryRun: ctx.args.dryRun === true });
    return { exitCode: 0, data: r as unknown as Record<string, unknown>, text: renderRollback(r) };
  } finally {
    await store.close();
  }
};

export default { run };
