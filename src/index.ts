/**
 * Programmatic API of zos-wheelhouse (package "main"). Kept light: importing it loads no ssh2,
 * sqlite or Zowe modules; those load when a command or function that needs them runs.
 */
export { commandTree, ROOT_NAME } from "./cli/defs/tree";
export type { CommandDef, GroupDef, OptionDef, CommandContext, CommandResult, HandlerModule } from "./cli/framework/types";
export { ZwhError, EXIT_OK, EXIT_ERROR, EXIT_REFUSED } from "./core/errors";
export type { TargetSpec } from "./remote/target";
export {
  WHEELHOUSE_PROFILE_TYPE,
  WHEELHOUSE_PROFILE_PROPERTIES,
  wheelhouseProfileTypeConfiguration,
} from "./cli/zowe/wheelhouse-profile";
export { resolveZwhProfiles, applyZwhProfiles } from "./cli/zowe/zwh-profiles";
