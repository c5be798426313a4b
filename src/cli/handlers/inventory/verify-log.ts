/** `inventory verify-log`: re-compute the event chain; exit 3 naming the first broken entry. */
import { openInventory } from "../../framework/deploy-options";
import type { CommandContext, CommandResult, Handler } from "../../framework/types";

const run: Handler = async (ctx: CommandContext): Promise<CommandResult> => {
  const store = await openInventory(ctx);
  try {
    const r = await store.verifyChain();
    const text = r.ok
      ? `The event log of ${store.location} is intact: ${r.count} event(s)${r.head ? `, head #${r.head.seq} ${r.head.hash.slice(0, 16)}…` : ""}.\n`
      : `ZWH-STORE-CHAIN-BROKEN: the event log of ${store.location} is broken at event #${r.brokenAt}: ${r.reason ?? "hash mismatch"}.\nEvents from #${r.brokenAt} on cannot be trusted; compare with the NDJSON export and the hosts' own audit logs.\n`;
    return { exitCode: r.ok ? 0 : 3, data: { formatVersion: 1, store: store.location, ...r, ...(r.ok ? {} : { error: { code: "ZWH-STORE-CHAIN-BROKEN", message: `event log broken at event #${r.brokenAt}` } }) }, text };
  } finally {
    await store.close();
  }
};

export default { run };
