/** zwh trust init: create an empty trust file. */
import { ZwhError } from "../../../core/errors";
import { TRUST } from "../../../bundle/signing/codes";
import { createTrust, parseTrust, saveTrust } from "../../../bundle/signing/trust";
import type { CommandContext, CommandResult, HandlerModule } from "../../framework/types";
import { listArg, renderTrust, trustPathArg, trustSummary } from "./common";

export async function run(ctx: CommandContext): Promise<CommandResult> {
  const file = trustPathArg(ctx, "out");
  const rawThreshold = ctx.args.threshold ?? 1;
  const threshold = typeof rawThreshold === "number" ? rawThreshold : Number(rawThreshold);
  if (!Number.isSafeInteger(threshold) || threshold < 1) {
    throw new ZwhError(TRUST.THRESHOLD, `--threshold must be an integer >= 1, got ${JSON.stringify(rawThreshold)}`, {
      hint: "Use --threshold 1 for a single signer, or N for N-of-M signing.",
    });
  }
  const doc = createTrust({
    threshold,
    channels: listArg(ctx.args.channel),
    sshNamespace: typeof ctx.args.sshNamespace === "string" ? ctx.args.sshNamespace : undefined,
  });
  saveTrust(file, doc, { exclusive: ctx.args.force !== true });
  const trust = parseTrust(doc, file);
  return {
    exitCode: 0,
    data: trustSummary(trust, file),
    text: `Created ${file}\n${renderTrust(trust, file)}`,
  };
}

const handler: HandlerModule = { run };
export default handler;
