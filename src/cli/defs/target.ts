/** `target` group: facts about a z/OS host. Commands are added by the transport/deploy work. */
import type { GroupDef } from "../framework/types";

export const targetGroup: GroupDef = {
  type: "group",
  name: "target",
  summary: "Inspect and prepare z/OS target hosts",
  description: "Commands that connect to a z/OS UNIX host over SSH to read its facts or prepare it for deployments.",
  children: [],
};
