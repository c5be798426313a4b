/** `trust` group: the local trust file (who may sign which channel). */
import type { GroupDef } from "../framework/types";

export const trustGroup: GroupDef = {
  type: "group",
  name: "trust",
  summary: "Manage trusted bundle signers",
  description: "Manage the trust file: signer keys, the t-of-n signature threshold, allowed channels and rollback protection.",
  children: [],
};
