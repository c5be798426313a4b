/** Shared by the deploy/rollback/status/lock handlers: target spec, root, inventory. */
import { openStore, type CommonOptions, type InventoryStore } from "../../index";
import { targetSpec } from "./target-spec";
import type { CommandContext } from "./types";

export function commonOptions(ctx: CommandContext, store?: InventoryStore): CommonOptions {
  const spec = targetSpec(ctx);
  return {
    spec,
    root: String(ctx.args.root ?? ""),
    progress: ctx.out.progress,
    warn: (m) => ctx.out.warn(m),
    store,
    env: ctx.env,
    argv: process.argv.slice(2),
  };
}

/**
 * The inventory store: --inventory (or the wheelhouse profile's `inventory`), else $ZWH_INVENTORY,
 * else ~/.zwh/inventory.db. A postgres:// URL opens the shared PostgreSQL store.
 */
export function openInventory(ctx: CommandContext): Promise<InventoryStore> {
  const given = typeof ctx.args.inventory === "string" && ctx.args.inventory.trim() !== "" ? ctx.args.inventory.trim() : undefined;
  return openStore({ location: given, env: ctx.env, warn: (m) => ctx.out.warn(m) });
}
