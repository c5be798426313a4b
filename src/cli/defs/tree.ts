/**
 * The single command tree. zwh parses argv against it; the Zowe plugin converts it into
 * imperative command definitions. Add commands in the per-area files, never here.
 */
import type { GroupDef, NodeDef } from "../framework/types";
import { bundleGroup } from "./bundle";
import { deployCommands, lockGroup } from "./deploy";
import { driftCommand } from "./drift";
import { fleetGroup } from "./fleet";
import { inventoryGroup } from "./inventory";
import { keysGroup } from "./keys";
import { targetGroup } from "./target";
import { trustGroup } from "./trust";
import { vulnGroup } from "./vuln";

export const ROOT_NAME = "wheelhouse";

export function commandTree(): GroupDef {
  const children: NodeDef[] = [targetGroup, keysGroup, trustGroup, bundleGroup, vulnGroup, ...deployCommands, lockGroup, driftCommand, fleetGroup, inventoryGroup];
  return {
    type: "group",
    name: ROOT_NAME,
    aliases: ["wh"],
    summary: "Deploy vetted Python wheels to z/OS UNIX, signed, verified and recorded",
    description:
      "Wheelhouse moves a closed, signed set of Python wheels to z/OS UNIX System Services, verifies it on the " +
      "workstation and again on the target, installs it offline with hardened pip into a fresh release venv, " +
      "activates it atomically and records what was deployed where.",
    children: children.filter((c) => c.type === "command" || c.children.length > 0),
  };
}
