/** `inventory sync`: rebuild a host's records from the receipts on the host. */
import { syncHost } from "../../../index";
import { openInventory } from "../../framework/deploy-options";
import { targetSpec } from "../../framework/target-spec";
import type { CommandContext, CommandResult, Handler } from "../../framework/types";

const run: Handler = async (ctx: CommandContext): Promise<CommandResult> => {
  const spec = targetSpec(ctx);
  const store = await openInventory(ctx);
  try {
    const name = [ctx.args.name, ctx.args.profile, ctx.args.sshProfile].find((v): v is string => typeof v === "string" && v !== "");
    const r = await syncHost({ spec, root: String(ctx.args.root ?? ""), ...(name ? { name } : {}), store, progress: ctx.out.progress, env: ctx.env, argv: process.argv.slice(2) });
    const lines = [`${r.host} ${r.root}: current ${r.current ?? "none"}`];
    for (const x of r.releases) lines.push(`  ${x.state.padEnd(8)} ${x.releaseId}${x.bundleId ? ` (${x.bundleId}, ${x.packages} packages)` : ""}${x.reason ? `: ${x.reason}` : ""}`);
    return { exitCode: 0, data: r as unknown as Record<string, unknown>, text: lines.join("\n") + "\n" };
  } finally {
    await store.close();
  }
};

export default { run };
