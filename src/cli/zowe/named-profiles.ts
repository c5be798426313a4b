/**
 * `--ssh-profile NAME` / `--wheelhouse-profile NAME` must name a profile that exists. imperative
 * itself silently ignores a name it cannot find and runs the command with the default profile's
 * (or no) values, so a typo would deploy to another LPAR or fail later with an unrelated message.
 * zwh refuses the same typo in zwh-profiles.ts with the same code.
 */
import { ZwhError } from "../../core/errors";

interface ProfileNode {
  type?: string;
  profiles?: Record<string, ProfileNode>;
}

/** Dotted names of every profile of `type` in a team config's profiles tree. */
export function profileNamesOfType(profiles: Record<string, ProfileNode> | undefined, type: string, prefix = ""): string[] {
  const out: string[] = [];
  for (const [name, node] of Object.entries(profiles ?? {})) {
    const full = prefix ? `${prefix}.${name}` : name;
    if (node?.type === type) out.push(full);
    out.push(...profileNamesOfType(node?.profiles, type, full));
  }
  return out;
}

/** Throws ZWH-PROFILE-NOT-FOUND for a named profile of one of `types` that the config lacks. */
export function checkNamedProfiles(iargs: Record<string, unknown>, types: readonly string[], profiles: Record<string, ProfileNode> | undefined): void {
  for (const type of types) {
    const name = iargs[`${type}-profile`] ?? iargs[`${type}Profile`];
    if (typeof name !== "string" || name === "") continue;
    const names = profileNamesOfType(profiles, type);
    if (names.includes(name)) continue;
    throw new ZwhError("ZWH-PROFILE-NOT-FOUND", `no ${type} profile named '${name}' in the Zowe team config`, {
      subject: name,
      hint: names.length ? `${type} profiles found: ${names.join(", ")}.` : `The team config has no ${type} profile; see 'zowe config list'.`,
    });
  }
}

/** The loaded team config's profiles tree (imperative's singleton; only inside the Zowe CLI). */
export function loadedProfiles(): Record<string, ProfileNode> | undefined {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { ImperativeConfig } = require("@zowe/imperative") as typeof import("@zowe/imperative");
  const config = ImperativeConfig.instance.config;
  if (!config?.exists) return undefined;
  return config.properties.profiles as Record<string, ProfileNode>;
}
