/** Shared by the deploy/rollback/status/lock handlers: target spec, root, inventory. */
import { openStore, defaultStorePath } from "../inventory";
import type { InventoryStore } from "../inventory/types";
import { targetSpec } from "../cli/framework/target-spec";
import type { CommonOptions } from "./engine";
import type { CommandContext } from "../cli/framework/types";

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

/** The inventory store: --inventory (or the wheelhouse profile's `inventory`), else $ZWH_INVENTORY, else ~/.zwh/inventory.db. */
export function openInventory(ctx: CommandContext): InventoryStore {
  const given = typeof ctx.args.inventory === "string" && ctx.args.inventory.trim() !== "" ? ctx.args.inventory.trim() : undefined;
  return openStore(given ?? defaultStorePath(ctx.env));
}
