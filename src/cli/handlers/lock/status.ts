/** `lock status`: who holds the deployment lock of a root. */
import { commonOptions } from "../../framework/deploy-options";
import { lockStatus } from "../../../index";
import { renderLock } from "../../render";
import type { CommandContext, CommandResult, Handler } from "../../framework/types";

const run: Handler = async (ctx: CommandContext): Promise<CommandResult> => {
  const r = await lockStatus(commonOptions(ctx));
  return { exitCode: 0, data: r as unknown as Record<string, unknown>, text: renderLock(r) };
};

export default { run };
