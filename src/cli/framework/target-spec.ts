/** The target of a connecting command, from its arguments (flags merged with profiles). */
import { targetSpecFromArgs } from "../../remote/target-args";
import type { TargetSpec } from "../../remote/target";
import type { CommandContext } from "./types";

/**
 * Neither CLI has a literal --password flag (zwh's parser refuses it; Zowe takes it from the
 * secure ssh profile or a prompt), so a password or passphrase present here came from a profile,
 * in zwh (--profile) as in Zowe.
 */
export function targetSpec(ctx: CommandContext): TargetSpec {
  return targetSpecFromArgs(ctx.args, ctx.env, { secretsFromProfile: true });
}
