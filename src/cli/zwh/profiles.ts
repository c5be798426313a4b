/**
 * Zowe team-config profiles for zwh (--profile / --wheelhouse-profile, or the team config's
 * defaults when one exists). Flags the user typed always win over profile values; option
 * defaults only fill what neither gave.
 */
import type { CommandDef } from "../framework/types";
import { camelCase } from "./argv";
import { decimalOption } from "../framework/strict-values";

export async function applyProfiles(
  cmd: CommandDef,
  args: Record<string, unknown>,
  env: NodeJS.ProcessEnv,
  explicit: ReadonlySet<string>,
): Promise<Record<string, unknown>> {
  // Loaded lazily: most zwh commands never need the Zowe profile machinery.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { applyZwhProfiles } = require("../zowe/zwh-profiles") as typeof import("../zowe/zwh-profiles");
  const merged = await applyZwhProfiles(cmd, args, env, { explicit });
  for (const opt of cmd.options) {
    const key = camelCase(opt.name);
    if (merged[key] === undefined && opt.defaultValue !== undefined) merged[key] = opt.defaultValue;
    // Profile-supplied numbers follow the same rule as typed ones (strict-values.ts).
    else if (opt.type === "number" && merged[key] !== undefined && !explicit.has(key)) merged[key] = decimalOption(merged[key], `--${opt.name} (from the profile)`);
  }
  return merged;
}
