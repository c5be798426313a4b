/** `inventory history`: the event chain over time. */
import { ZwhError } from "../../../core/errors";
import { inventoryHistory, renderHistory } from "../../../report/inventory";
import { openInventory } from "../../framework/deploy-options";
import type { CommandContext, CommandResult, Handler } from "../../framework/types";

const run: Handler = async (ctx: CommandContext): Promise<CommandResult> => {
  let since: string | undefined;
  if (typeof ctx.args.since === "string") {
    const ms = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(ctx.args.since) ? Date.parse(ctx.args.since) : NaN;
    if (Number.isNaN(ms)) throw new ZwhError("ZWH-ARGS-INVALID", `--since ${JSON.stringify(ctx.args.since)} is not an ISO 8601 date or time`, { subject: "since", hint: "Examples: --since 2026-12-01, --since 2026-12-01T08:00:00Z" });
    since = new Date(ms).toISOString();
  }
  const store = await openInventory(ctx);
  try {
    const evs = await inventoryHistory(store, { ...(typeof ctx.args.host === "string" ? { host: ctx.args.host } : {}), ...(since ? { since } : {}) });
    return { exitCode: 0, data: { formatVersion: 1, events: evs }, text: renderHistory(evs) };
  } finally {
    await store.close();
  }
};

export default { run };
