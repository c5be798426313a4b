/** `target trust`: install the trust anchors the target checks bundle signatures against. */
import { installTargetTrust } from "../../../index";
import { targetSpec } from "../../framework/target-spec";
import type { CommandContext, CommandResult, Handler } from "../../framework/types";

const run: Handler = async (ctx: CommandContext): Promise<CommandResult> => {
  const spec = targetSpec(ctx);
  const r = await installTargetTrust({
    spec, root: String(ctx.args.root ?? ""), trustPath: String(ctx.args.trust ?? ""), progress: ctx.out.progress, env: ctx.env, force: ctx.args.force === true,
    replace: ctx.args.replace === true,
  });
  const text = `${r.host} ${r.root}: trust anchors ${r.changed ? "installed" : "already installed (unchanged)"} at ${r.path}\n` +
    `  version ${r.version}, threshold ${r.threshold}, channels ${r.channels.join(", ")}\n` +
    r.keys.map((k) => `  key ${k.name} ${k.type} ${k.keyid}`).join("\n") +
    (r.replaced
      ? `\n  REPLACED the different trust file of the same version (sha256 ${r.previous?.sha256}):` +
        `\n    removed keys: ${r.replaced.removedKeys.map((k) => `${k.name} ${k.keyid}`).join(", ") || "none"}` +
        `\n    added keys:   ${r.replaced.addedKeys.map((k) => `${k.name} ${k.keyid}`).join(", ") || "none"}`
      : "");
  return { exitCode: 0, data: r as unknown as Record<string, unknown>, text };
};

export default { run };
