/** Deployment commands: deploy, rollback, status and the lock group. */
import type { CommandDef, GroupDef } from "../framework/types";

export const deployCommands: CommandDef[] = [];

export const lockGroup: GroupDef = {
  type: "group",
  name: "lock",
  summary: "Inspect or break the deployment lock on a target",
  description: "Each install root on a target has one deployment lock (an atomic mkdir). These commands show who holds it, or remove a stale one.",
  children: [],
};
