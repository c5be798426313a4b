/** zwh trust show: validate and display the trust file. */
import { loadTrust } from "../../../bundle/signing/trust";
import type { CommandContext, CommandResult, HandlerModule } from "../../framework/types";
import { renderTrust, trustPathArg, trustSummary } from "./common";

export async function run(ctx: CommandContext): Promise<CommandResult> {
  const file = trustPathArg(ctx, "trust");
  const trust = loadTrust(file);
  return { exitCode: 0, data: trustSummary(trust, file), text: renderTrust(trust, file) };
}

const handler: HandlerModule = { run };
export default handler;
