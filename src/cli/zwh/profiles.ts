/**
 * Zowe team-config profiles for zwh (--profile / --wheelhouse-profile). Flags always win over
 * profile values. The profile reader itself lives with the Zowe layer (src/cli/zowe).
 */
import type { CommandDef } from "../framework/types";

export async function applyProfiles(
  _cmd: CommandDef,
  args: Record<string, unknown>,
  _env: NodeJS.ProcessEnv,
): Promise<Record<string, unknown>> {
  return args;
}
